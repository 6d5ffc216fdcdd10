"""Agreements, commission accrual with the cap, clawback, month-end statements (to the fen)."""

from __future__ import annotations

import datetime as dt
import threading
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.test.utils import CaptureQueriesContext

from autofin.business_date import business_date_set
from dealers.models.commissions import (
    Agreement,
    Commission,
    CommissionClawback,
    CommissionStatement,
    CommissionStatementLine,
)
from dealers.rules import DealerError
from dealers.services import (
    agreement_create,
    commission_accrue,
    commission_clawback,
    commission_statement_for_month,
    dealer_kpis_record,
)

D = Decimal


@pytest.fixture
def dealer(make_dealer):
    return make_dealer()


@pytest.fixture
def pct_agreement(dealer):
    return agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.015",
        clawback_months=6,
        clawback_share="0.5",
        deposit_required="200000",
        effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 12, 31),
    )


@pytest.mark.django_db
class TestAgreements:
    def test_default_cap_is_five_percent(self, pct_agreement):
        assert pct_agreement.cap_rate == D("0.050000")

    def test_overlapping_agreement_for_same_line_is_refused_by_the_database(
        self, dealer, pct_agreement
    ):
        with pytest.raises(DealerError) as exc:
            agreement_create(
                actor="seed",
                dealer=dealer,
                product_line="new",
                commission_kind="fixed",
                commission_fixed="1000",
                effective_from=dt.date(2026, 12, 31),  # the last day of the first: overlaps
            )
        assert exc.value.code == "overlap"
        assert Agreement.objects.filter(dealer=dealer).count() == 1

    def test_raw_insert_of_an_overlap_hits_the_exclusion_constraint(self, dealer, pct_agreement):
        with pytest.raises(IntegrityError), transaction.atomic():
            Agreement.objects.create(
                dealer=dealer,
                product_line="new",
                commission_kind="fixed",
                effective_from=dt.date(2026, 6, 1),
                effective_to=None,
            )

    def test_adjacent_and_other_line_agreements_are_fine(self, dealer, pct_agreement):
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="new",
            commission_kind="fixed",
            commission_fixed="800",
            effective_from=dt.date(2027, 1, 1),
        )
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="used",
            commission_kind="fixed",
            commission_fixed="800",
            effective_from=dt.date(2026, 1, 1),
        )
        assert Agreement.objects.filter(dealer=dealer).count() == 3


@pytest.mark.django_db
class TestAccrual:
    def test_percent_commission_to_the_fen(self, dealer, pct_agreement):
        c = commission_accrue(
            dealer=dealer,
            contract_ref="HT-1",
            amount_financed="123456.78",
            funded_on=dt.date(2026, 2, 10),
            product_line="new",
        )
        assert (c.uncapped_amount, c.cap_amount, c.amount) == (
            D("1851.85"),
            D("6172.84"),
            D("1851.85"),
        )
        assert c.agreement == pct_agreement

    def test_fixed_commission_is_capped_at_five_percent_of_amount_financed(self, dealer):
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="used",
            commission_kind="fixed",
            commission_fixed="8000",
            effective_from=dt.date(2026, 1, 1),
        )
        c = commission_accrue(
            dealer=dealer.pk,
            contract_ref="HT-2",
            amount_financed=D("100000.00"),
            funded_on=dt.date(2026, 3, 1),
            product_line="used",
        )
        assert (c.uncapped_amount, c.cap_amount, c.amount) == (
            D("8000.00"),
            D("5000.00"),
            D("5000.00"),
        )

    def test_cap_rounds_half_up(self, dealer):
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="nev",
            commission_kind="percent",
            commission_rate="0.06",
            effective_from=dt.date(2026, 1, 1),
        )
        c = commission_accrue(
            dealer=dealer,
            contract_ref="HT-3",
            amount_financed="99999.99",
            funded_on=dt.date(2026, 3, 1),
            product_line="nev",
        )
        assert (c.uncapped_amount, c.cap_amount, c.amount) == (
            D("6000.00"),
            D("5000.00"),
            D("5000.00"),
        )

    def test_agreement_in_force_on_funding_date_applies(self, dealer, pct_agreement):
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line="new",
            commission_kind="fixed",
            commission_fixed="900",
            effective_from=dt.date(2027, 1, 1),
        )
        c = commission_accrue(
            dealer=dealer,
            contract_ref="HT-4",
            amount_financed="200000",
            funded_on=dt.date(2027, 1, 1),
            product_line="new",
        )
        assert c.amount == D("900.00")

    def test_accrual_is_idempotent_per_contract_ref(self, dealer, pct_agreement):
        first = commission_accrue(
            dealer=dealer,
            contract_ref="HT-5",
            amount_financed="100000",
            funded_on=dt.date(2026, 2, 1),
            product_line="new",
        )
        again = commission_accrue(
            dealer=dealer,
            contract_ref="HT-5",
            amount_financed="999999",
            funded_on=dt.date(2026, 2, 2),
            product_line="new",
        )
        assert again.pk == first.pk
        assert again.amount == D("1500.00")
        assert Commission.objects.count() == 1

    def test_same_contract_ref_for_another_dealer_is_refused(
        self, dealer, pct_agreement, make_dealer
    ):
        commission_accrue(
            dealer=dealer,
            contract_ref="HT-6",
            amount_financed="100000",
            funded_on=dt.date(2026, 2, 1),
            product_line="new",
        )
        with pytest.raises(DealerError):
            commission_accrue(
                dealer=make_dealer(),
                contract_ref="HT-6",
                amount_financed="100000",
                funded_on=dt.date(2026, 2, 1),
                product_line="new",
            )

    def test_no_agreement_in_force_refuses_and_writes_nothing(self, dealer, pct_agreement):
        with pytest.raises(DealerError) as exc:
            commission_accrue(
                dealer=dealer,
                contract_ref="HT-7",
                amount_financed="100000",
                funded_on=dt.date(2025, 12, 31),
                product_line="new",
            )
        assert exc.value.code == "no_agreement"
        assert Commission.objects.count() == 0


@pytest.mark.django_db(transaction=True)
def test_concurrent_accruals_of_one_contract_make_one_row(make_dealer):
    dealer = make_dealer()
    agreement_create(
        actor="seed",
        dealer=dealer,
        product_line="new",
        commission_kind="percent",
        commission_rate="0.01",
        effective_from=dt.date(2026, 1, 1),
    )
    results, barrier = [], threading.Barrier(4)

    def run():
        barrier.wait()
        try:
            results.append(
                commission_accrue(
                    dealer=dealer.pk,
                    contract_ref="HT-RACE",
                    amount_financed="100000",
                    funded_on=dt.date(2026, 2, 1),
                    product_line="new",
                ).pk
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(results) == 4 and len(set(results)) == 1
    assert Commission.objects.filter(contract_ref="HT-RACE").count() == 1


@pytest.mark.django_db
class TestClawback:
    @pytest.fixture
    def commission(self, dealer, pct_agreement):
        return commission_accrue(
            dealer=dealer,
            contract_ref="HT-C",
            amount_financed="123456.78",
            funded_on=dt.date(2026, 1, 31),
            product_line="new",
        )

    def test_early_settlement_within_window_claws_back_the_share(self, commission):
        cb = commission_clawback(
            contract_ref="HT-C", reason="early_settlement", event_date=dt.date(2026, 7, 30)
        )
        assert cb.amount == D("-925.93")  # 50% of 1851.85, half-up

    def test_clawback_is_idempotent(self, commission):
        a = commission_clawback(
            contract_ref="HT-C", reason="default", event_date=dt.date(2026, 3, 1)
        )
        b = commission_clawback(
            contract_ref="HT-C", reason="default", event_date=dt.date(2026, 4, 1)
        )
        assert a.pk == b.pk
        assert CommissionClawback.objects.count() == 1

    def test_outside_the_window_nothing_is_clawed_back(self, commission):
        assert (
            commission_clawback(
                contract_ref="HT-C", reason="default", event_date=dt.date(2026, 7, 31)
            )
            is None
        )
        assert CommissionClawback.objects.count() == 0

    def test_unknown_reason_or_contract_is_refused(self, commission):
        with pytest.raises(DealerError):
            commission_clawback(contract_ref="HT-C", reason="whim", event_date=dt.date(2026, 3, 1))
        with pytest.raises(DealerError):
            commission_clawback(
                contract_ref="NOPE", reason="default", event_date=dt.date(2026, 3, 1)
            )


@pytest.mark.django_db
class TestStatement:
    def test_month_end_statement_gathers_accruals_and_clawbacks(self, dealer, pct_agreement):
        business_date_set(actor="test", date=dt.date(2026, 2, 28), reason="test")
        commission_accrue(
            dealer=dealer,
            contract_ref="HT-A",
            amount_financed="123456.78",
            funded_on=dt.date(2026, 1, 20),
            product_line="new",
        )
        commission_accrue(
            dealer=dealer,
            contract_ref="HT-B",
            amount_financed="200000.00",
            funded_on=dt.date(2026, 2, 5),
            product_line="new",
        )
        commission_accrue(  # next month: not on February's statement
            dealer=dealer,
            contract_ref="HT-M",
            amount_financed="200000.00",
            funded_on=dt.date(2026, 3, 1),
            product_line="new",
        )
        commission_clawback(
            contract_ref="HT-A", reason="early_settlement", event_date=dt.date(2026, 2, 20)
        )

        with CaptureQueriesContext(connection) as ctx:
            statement = commission_statement_for_month(dealer=dealer, month=dt.date(2026, 2, 1))
        assert any("FOR UPDATE" in q["sql"] for q in ctx.captured_queries)
        lines = [
            (x.kind, x.contract_ref, x.amount)
            for x in statement.lines.order_by("kind", "contract_ref")
        ]
        assert lines == [
            ("accrual", "HT-A", D("1851.85")),
            ("accrual", "HT-B", D("3000.00")),
            ("clawback", "HT-A", D("-925.93")),
        ]
        assert statement.total == D("3925.92")
        assert statement.month == dt.date(2026, 2, 1)

        again = commission_statement_for_month(dealer=dealer.pk, month=dt.date(2026, 2, 17))
        assert again.pk == statement.pk
        assert CommissionStatement.objects.count() == 1
        assert CommissionStatementLine.objects.count() == 3

    def test_an_open_month_is_refused(self, dealer, pct_agreement):
        business_date_set(actor="test", date=dt.date(2026, 2, 27), reason="test")
        with pytest.raises(DealerError) as exc:
            commission_statement_for_month(dealer=dealer, month=dt.date(2026, 2, 1))
        assert exc.value.code == "month_open"
        assert CommissionStatement.objects.count() == 0


@pytest.mark.django_db
def test_kpis_record_replaces_the_month(dealer):
    dealer_kpis_record(dealer_id=dealer.pk, month=dt.date(2026, 2, 14), figures={"applications": 3})
    row = dealer_kpis_record(
        dealer_id=dealer.pk,
        month=dt.date(2026, 2, 1),
        figures={"applications": 40, "funded_amount": D("1234567.80"), "approval_rate": 0.5},
    )
    assert row.month == dt.date(2026, 2, 1)
    assert row.figures == {
        "applications": 40,
        "funded_amount": "1234567.80",
        "approval_rate": "0.5",
    }
    assert dealer.kpis.count() == 1
