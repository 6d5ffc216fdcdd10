"""Issue 16: ledger account names are rows (Chinese, seeded by migrations) and are shown
translated by their code: every account in the chart has a name in each language, so no page
falls back to the row's Chinese name in English."""

from __future__ import annotations

import re

import pytest
from django.utils import translation

from servicing.ledger_names import ACCOUNT_NAMES, account_name
from servicing.models import LedgerAccount

CJK = re.compile(r"[\u3400-\u9fff]")


@pytest.mark.django_db
def test_every_account_in_the_chart_is_named_by_its_code_in_both_languages():
    rows = dict(LedgerAccount.objects.values_list("code", "name"))
    assert rows, "the chart of accounts is seeded by migrations"
    assert set(rows) <= set(ACCOUNT_NAMES), set(rows) - set(ACCOUNT_NAMES)
    with translation.override("en"):
        english = {code: account_name(code, rows[code]) for code in rows}
    with translation.override("zh-hans"):
        chinese = {code: account_name(code, rows[code]) for code in rows}
    assert not {code: name for code, name in english.items() if CJK.search(name)}
    assert all(CJK.search(name) for name in chinese.values())
    assert english["loan_loss_allowance"] != chinese["loan_loss_allowance"]
