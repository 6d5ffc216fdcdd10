"""An insert that may meet its own earlier copy names the unique key that makes it a replay:
a row holding that key is skipped, any other unique violation raises (nothing written)."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import IntegrityError, transaction

from autofin.bulk import bulk_insert_new
from servicing.models.loans import Loan
from servicing.models.repayments import Repayment
from servicing.services.hotpath import insert_many_unless_conflict, insert_unless_conflict
from servicing.services.repayments.apply import PaymentIn, loans_lock, repayments_post_many_locked
from servicing.services.repayments.posting import repayment_post
from tests.servicing.loan_helpers import D, make_loan, rows, set_day

pytestmark = pytest.mark.django_db
DAY = dt.date(2026, 2, 15)


def _repayment(loan: Loan, *, key: str | None, ref: str | None) -> Repayment:
    return Repayment(
        loan=loan,
        source="manual",
        amount=D("10.00"),
        status="posted",
        idempotency_key=key,
        external_ref=ref,
    )


def _snapshot(loan: Loan) -> tuple:
    loan.refresh_from_db()
    return (
        loan.principal_outstanding,
        loan.suspense_balance,
        [(r.principal_paid, r.interest_paid, r.fee_paid, r.status) for r in rows(loan)],
        sorted(Repayment.objects.values_list("idempotency_key", "external_ref", "amount")),
    )


def test_a_taken_key_is_a_replay_but_another_unique_value_taken_raises():
    loan = make_loan()
    assert insert_unless_conflict(
        _repayment(loan, key="k-1", ref="BANK-1"), unique_fields=["idempotency_key"]
    )
    # the same key: a replay, nothing written
    assert not insert_unless_conflict(
        _repayment(loan, key="k-1", ref="BANK-9"), unique_fields=["idempotency_key"]
    )
    # a new key whose bank reference another repayment holds: not a replay
    with pytest.raises(IntegrityError, match="repayment_external_ref_unique"), transaction.atomic():
        insert_unless_conflict(
            _repayment(loan, key="k-2", ref="BANK-1"), unique_fields=["idempotency_key"]
        )
    with pytest.raises(IntegrityError, match="repayment_external_ref_unique"), transaction.atomic():
        insert_many_unless_conflict(
            [_repayment(loan, key="k-3", ref="BANK-3"), _repayment(loan, key="k-4", ref="BANK-1")],
            key="idempotency_key",
        )
    # without a key, the bank reference is the replay key (a partial unique index)
    assert not insert_unless_conflict(
        _repayment(loan, key=None, ref="BANK-1"),
        unique_fields=["source", "external_ref"],
        where='"external_ref" IS NOT NULL',
    )
    assert sorted(Repayment.objects.values_list("idempotency_key", "external_ref")) == [
        ("k-1", "BANK-1")
    ]


def test_bulk_insert_new_skips_rows_holding_the_key_and_raises_on_any_other_violation():
    loan = make_loan()
    key = {"unique_fields": ["idempotency_key"]}
    assert bulk_insert_new([_repayment(loan, key="b-1", ref="R-1")], **key) == 1
    assert (
        bulk_insert_new(
            [_repayment(loan, key="b-1", ref="R-7"), _repayment(loan, key="b-2", ref="R-2")],
            **key,
        )
        == 1
    )
    with pytest.raises(IntegrityError, match="repayment_external_ref_unique"), transaction.atomic():
        bulk_insert_new(
            [_repayment(loan, key="b-3", ref="R-3"), _repayment(loan, key="b-4", ref="R-1")],
            **key,
        )
    assert sorted(Repayment.objects.values_list("idempotency_key", "external_ref")) == [
        ("b-1", "R-1"),
        ("b-2", "R-2"),
    ]


def test_the_repayment_replay_path_still_returns_the_first_repayment():
    loan = make_loan()
    set_day(DAY)
    first = repayment_post(
        loan_id=loan.pk, amount="500.00", source="manual", actor="t",
        idempotency_key="pay-1", external_ref="BANK-1",
    )  # fmt: skip
    before = _snapshot(loan)
    by_key = repayment_post(
        loan_id=loan.pk, amount="500.00", source="manual", actor="t",
        idempotency_key="pay-1", external_ref="BANK-1",
    )  # fmt: skip
    # the same bank transfer under another key: replayed by its reference, not posted twice
    by_ref = repayment_post(
        loan_id=loan.pk, amount="500.00", source="manual", actor="t",
        idempotency_key="pay-2", external_ref="BANK-1",
    )  # fmt: skip
    assert by_key.pk == first.pk == by_ref.pk
    assert _snapshot(loan) == before


def test_a_batch_payment_whose_bank_reference_another_key_holds_raises_and_posts_nothing():
    loan = make_loan()
    other = make_loan()
    set_day(DAY)
    repayment_post(
        loan_id=loan.pk, amount="500.00", source="auto_debit", actor="t",
        idempotency_key="auto-debit:A-1", external_ref="BANK-1",
    )  # fmt: skip
    before = (_snapshot(loan), _snapshot(other))
    with (
        pytest.raises(IntegrityError, match="repayment_external_ref_unique"),
        transaction.atomic(),
    ):
        locked = loans_lock(loan_ids=[loan.pk, other.pk], eligible_on=DAY)
        repayments_post_many_locked(
            locked=locked,
            payments=[
                PaymentIn(loan_id=other.pk, amount=D("300.00"), idempotency_key="auto-debit:B"),
                PaymentIn(
                    loan_id=loan.pk,
                    amount=D("500.00"),
                    idempotency_key="auto-debit:A-2",
                    external_ref="BANK-1",
                ),
            ],
            source="auto_debit",
            business_date=DAY,
            actor="t",
        )
    assert (_snapshot(loan), _snapshot(other)) == before
