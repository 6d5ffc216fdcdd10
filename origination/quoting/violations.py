"""A broken rule (``Violation``): the request field it concerns, a stable code and a message
template whose parameters already carry the figures."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field

from origination.quoting.vocabulary import gettext_noop


@dataclass(frozen=True, slots=True)
class Violation:
    """One broken rule: the request field it concerns, a stable code and a message template."""

    field: str
    code: str
    template: str
    params: Mapping[str, object] = field(default_factory=dict)

    def render(self, translate: Callable[[str], str] = gettext_noop) -> str:
        """The message with its figures. ``translate`` is ``gettext`` in Django; string params
        that are msgids themselves (labels such as 新车) are translated too."""
        params = {k: translate(v) if isinstance(v, str) else v for k, v in self.params.items()}
        return translate(self.template) % params

    def __str__(self) -> str:
        return self.render()


Violations = dict[str, list[Violation]]


def violation(fld: str, code: str, template: str, **params: object) -> Violation:
    return Violation(fld, code, template, params)


def violations_by_field(found: Iterable[Violation], into: Violations | None = None) -> Violations:
    """``found`` grouped under each field, fields in the order first met (``into``: add to)."""
    grouped: Violations = {} if into is None else into
    for item in found:
        grouped.setdefault(item.field, []).append(item)
    return grouped
