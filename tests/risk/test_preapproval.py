"""Risk's pre-approval of offers (issue 21): decided from the customer's own history with the
dated policy values, replayable, only for licensed purposes, and the nightly prefilter's SQL
generated from the same criteria."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.db import connection

from autofin.policy import policy_set
from risk.services.preapproval import (
    PreapprovalError,
    preapproval_decide,
    preapproval_prefilter_sql,
    preapproval_replay,
)

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 6, 1)
GOOD = {"loans_active": 1, "loans_closed": 0, "instalments_paid": 18, "current_dpd": 0,
        "max_dpd_ever": 3, "months_to_maturity": 6, "principal_outstanding": Decimal("40000.00"),
        "largest_amount_financed": Decimal("150000.00")}  # fmt: skip


def test_a_clean_seasoned_customer_is_pre_approved_for_the_next_car_up_to_their_last_car():
    d = preapproval_decide(kind="next_car", facts=GOOD, on=ON)
    assert d["approved"] is True
    assert d["reasons"] == []
    # initial policy: 1.00 × the largest amount financed, under the 500,000 cap
    assert Decimal(d["limit_amount"]) == Decimal("150000.00")
    assert Decimal(d["annual_rate"]) == Decimal("0.0550")
    assert d["max_term_months"] == 60
    assert d["version"] == "preapproval-1"


def test_arrears_and_a_short_history_decline_with_their_reasons():
    facts = {**GOOD, "current_dpd": 4, "instalments_paid": 5}
    d = preapproval_decide(kind="maintenance", facts=facts, on=ON)
    assert d["approved"] is False
    assert [r["code"] for r in d["reasons"]] == ["NO_ARREARS", "SEASONED"]


def test_maintenance_needs_a_car_on_book_and_takes_its_cap():
    d = preapproval_decide(kind="maintenance", facts=GOOD, on=ON)
    assert (d["approved"], Decimal(d["limit_amount"]), d["max_term_months"]) == (
        True, Decimal("30000.00"), 12)  # fmt: skip
    gone = preapproval_decide(kind="maintenance", facts={**GOOD, "loans_active": 0}, on=ON)
    assert [r["code"] for r in gone["reasons"]] == ["ON_BOOK"]


def test_thresholds_are_the_policy_values_of_the_date_and_the_decision_replays():
    policy_set(key="risk.preapproval.max_dpd_ever", value="2", effective_from=ON,
               actor="test", reason="tighter from June")  # fmt: skip
    before = preapproval_decide(kind="next_car", facts=GOOD, on=ON - dt.timedelta(days=1))
    after = preapproval_decide(kind="next_car", facts=GOOD, on=ON)
    assert before["approved"] is True
    assert [r["code"] for r in after["reasons"]] == ["CLEAN_HISTORY"]
    assert preapproval_replay(after) == after
    assert preapproval_replay(before) == before


def test_a_cash_out_top_up_is_not_a_purpose():
    with pytest.raises(PreapprovalError):
        preapproval_decide(kind="top_up", facts=GOOD, on=ON)


@pytest.mark.parametrize(
    ("change", "kind"),
    [({}, "next_car"), ({"current_dpd": 1}, "next_car"), ({"max_dpd_ever": 8}, "maintenance"),
     ({"instalments_paid": 11}, "maintenance"), ({"instalments_paid": 12}, "maintenance"),
     ({"loans_active": 0}, "maintenance"), ({"months_to_maturity": 13}, "next_car"),
     ({"months_to_maturity": None, "loans_active": 0}, "next_car")],
)  # fmt: skip
def test_the_prefilter_sql_keeps_exactly_what_the_criteria_keep(change, kind):
    facts = {**GOOD, **change}
    where, params = preapproval_prefilter_sql(kind=kind, on=ON, alias="f")
    cols = ("loans_active", "instalments_paid", "current_dpd", "max_dpd_ever", "months_to_maturity")
    with connection.cursor() as cur:
        cur.execute(
            f"SELECT {where} FROM (SELECT %(loans_active)s::int AS loans_active, "  # noqa: S608 - generated from constants
            "%(instalments_paid)s::int AS instalments_paid, %(current_dpd)s::int AS current_dpd, "
            "%(max_dpd_ever)s::int AS max_dpd_ever, "
            "%(months_to_maturity)s::int AS months_to_maturity) f",
            {**params, **{c: facts[c] for c in cols}},
        )
        kept = cur.fetchone()[0]
    assert kept == preapproval_decide(kind=kind, facts=facts, on=ON)["approved"]
