"""Labels with a number in them, translated when shown (not when the module is imported).

`_("%(n)s 期") % {"n": 6}` at import time formats a lazy string at once, in the language
active then (Chinese), so form choices stayed Chinese on English pages."""

from django.utils.functional import lazy
from django.utils.translation import gettext


def _formatted(msgid: str, n) -> str:
    return gettext(msgid) % {"n": n}


_lazy_formatted = lazy(_formatted, str)


def term_periods(n):
    """ "36 期" — a term counted in instalments, in the page's language."""
    return _lazy_formatted("%(n)s 期", n)


def term_months(n):
    """ "36 个月" — a term counted in months, in the page's language."""
    return _lazy_formatted("%(n)s 个月", n)
