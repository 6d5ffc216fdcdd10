"""Floor-plan advances (库存融资): a dealer's request refused with nothing written when it
breaks a rule, request → approval → release → funded with the exact ledger entries, the
checker rule above the threshold, a failed payment giving the limit back, and a dealer's direct
payoff applied interest → curtailments → principal, the 合格证 released when paid off — the
advances' balances equal to the floor-plan accounts at every step."""

from __future__ import annotations

import datetime as dt

import pytest

from autofin.audit import SYSTEM_ACTOR
from autofin.models import AuditEntry
from dealers.models.accounts import SettlementAccount
from origination.models.floorplan import FloorplanLine
from origination.models.payees import Payee
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.disbursement import SandboxBankPayment
from servicing.models.floorplan import FloorplanAdvance, FloorplanCurtailment, FloorplanPayment
from servicing.services.floorplan.advances import (
    FloorplanError,
    advance_approve,
    advance_release,
    advance_request,
    certificate_receive,
)
from servicing.services.floorplan.bank import floorplan_advance_send
from servicing.services.floorplan.payoffs import advance_payoff
from servicing.services.ledger.posting import journal_post
from tests.servicing.disbursement_support import register_payee
from tests.servicing.floorplan_support import (
    ZERO,
    D,
    balance,
    books_agree,
    dealer_admin_for,
    line_open,
    oem_payee,
    vin_next,
)

pytestmark = pytest.mark.usefixtures("disbursement_settings")


@pytest.fixture
def line(dealer, checker):
    return line_open(dealer, checker)


@pytest.fixture
def admin(dealer):
    return dealer_admin_for(dealer)


@pytest.fixture
def oem(maker, checker):
    return oem_payee(maker, checker)


def request(line, admin, oem, *, vin=None, amount="180000.00", price="200000.00", **kw):
    return advance_request(
        line=line,
        vin=vin or vin_next(),
        model_name="帕萨特 2026 款 330TSI",
        invoice_price=price,
        oem_invoice_number="SVW20260615001",
        amount=amount,
        payee_kind=kw.pop("payee_kind", "oem"),
        oem_payee_id=oem.pk,
        by=admin,
        **kw,
    )


def funded(line, admin, oem, maker, checker, **kw):
    advance = request(line, admin, oem, **kw)
    advance_approve(advance, maker)
    advance_release(advance, checker)
    floorplan_advance_send(advance_id=advance.pk)
    SandboxBank().callback_deliver(FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key)
    advance.refresh_from_db()
    return advance


def refused(call, *, code=None, field=None, text=""):
    advances, audits = FloorplanAdvance.objects.count(), AuditEntry.objects.count()
    lines = JournalLine.objects.count()
    with pytest.raises(FloorplanError) as exc:
        call()
    if code:
        assert exc.value.code == code
    if field:
        assert exc.value.field == field
    assert text in exc.value.message
    assert (FloorplanAdvance.objects.count(), AuditEntry.objects.count()) == (advances, audits)
    assert JournalLine.objects.count() == lines
    return exc.value


def test_bad_requests_are_refused_with_nothing_written(line, admin, oem, maker, checker):
    first = request(line, admin, oem, amount="900000.00", price="950000.00")
    line.refresh_from_db()
    assert line.used_amount == D("900000.00")
    # over the available limit: ¥100,000 left
    refused(
        lambda: request(line, admin, oem, amount="100000.01", price="200000.00"),
        field="amount",
        text="超过可用额度 100000.00",
    )
    # the VIN already financed (live advance), whichever line asks
    refused(lambda: request(line, admin, oem, vin=first.vin, amount="1000.00"), field="vin")
    # amount above the invoice price; a bad VIN check digit
    refused(lambda: request(line, admin, oem, amount="5000.01", price="5000.00"), field="amount")
    bad_vin = first.vin[:8] + ("0" if first.vin[8] != "0" else "1") + first.vin[9:]
    refused(lambda: request(line, admin, oem, vin=bad_vin, amount="1000.00"), field="vin")
    # payout to an unverified account: the OEM's, then the dealer's
    Payee.objects.filter(pk=oem.pk).update(verified=False)
    refused(lambda: request(line, admin, oem, amount="1000.00"), text="未核验")
    SettlementAccount.objects.filter(dealer_id=line.dealer_id).update(verified=False)
    refused(lambda: request(line, admin, oem, amount="1000.00", payee_kind="dealer"))
    # a frozen line lends nothing
    FloorplanLine.objects.filter(pk=line.pk).update(status="frozen", frozen_reason="盘库缺车")
    Payee.objects.filter(pk=oem.pk).update(verified=True)
    refused(lambda: request(line, admin, oem, amount="1000.00"), code="line_not_active")
    line.refresh_from_db()
    assert line.used_amount == D("900000.00")
    assert balance("floorplan_receivable") == ZERO


def test_the_database_refuses_a_second_live_advance_for_a_vin(line, admin, oem):
    from django.db import IntegrityError, transaction

    first = request(line, admin, oem, amount="1000.00")
    clone = FloorplanAdvance.objects.get(pk=first.pk)
    clone.pk = None
    clone.idempotency_key = None
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


def test_request_approve_release_funded_posts_the_advance_on_its_own_key(
    line, admin, oem, maker, checker, today
):
    advance = request(line, admin, oem)
    assert (advance.status, advance.annual_rate, advance.payee_name) == (
        "requested",
        D("0.060000"),
        oem.name,
    )
    advance_approve(advance, maker)
    advance_release(advance, checker)
    advance.refresh_from_db()
    assert (advance.status, advance.bank_status, advance.needs_checker) == (
        "released",
        "pending",
        False,
    )
    assert floorplan_advance_send(advance_id=advance.pk) == "sent"
    assert floorplan_advance_send(advance_id=advance.pk) == "sent"  # a resend does nothing
    paid = SandboxBankPayment.objects.get(idempotency_key=advance.idempotency_key)
    assert (paid.amount, paid.account_number_last4) == (D("180000.00"), "0789")
    SandboxBank().callback_deliver(advance.idempotency_key)
    advance.refresh_from_db()
    assert (advance.status, advance.funded_on, advance.due_on) == (
        "funded",
        today,
        today + dt.timedelta(days=180),
    )
    assert advance.principal_outstanding == D("180000.00")
    lines = JournalLine.objects.filter(entry_id=advance.journal_entry_id).order_by("side")
    assert [
        (x.account.code, x.side, x.amount, x.loan_id, x.dealer_id, x.floorplan_advance_id)
        for x in lines
    ] == [
        ("bank_clearing", "C", D("180000.00"), None, None, None),
        ("floorplan_receivable", "D", D("180000.00"), None, line.dealer_id, advance.pk),
    ]
    line.refresh_from_db()
    assert line.used_amount == D("180000.00")
    books_agree()


def test_above_the_threshold_the_approver_cannot_release(
    line, admin, oem, maker, checker, checker2, policy
):
    policy("servicing.floorplan_checker_above", "100000.00")
    advance = request(line, admin, oem)
    advance_approve(advance, checker)
    with pytest.raises(FloorplanError) as exc:
        advance_release(advance, checker)
    assert exc.value.code == "same_user"
    advance.refresh_from_db()
    assert (advance.status, advance.idempotency_key, advance.needs_checker) == (
        "approved",
        None,
        True,
    )
    with pytest.raises(FloorplanError) as exc:
        advance_release(advance, maker)  # an operator may not release at all
    assert exc.value.code == "forbidden"
    advance_release(advance, checker2)
    advance.refresh_from_db()
    assert (advance.status, advance.released_by_id) == ("released", checker2.pk)


def test_a_payment_the_bank_refuses_gives_the_limit_and_the_vin_back(
    line, admin, oem, maker, checker
):
    # the sandbox bank refuses accounts ending 0001 (closed)
    closed = register_payee(
        maker, checker, payee_type="oem", name="一汽-大众汽车有限公司", account="6222021003000001"
    )
    advance = request(line, admin, closed)
    advance_approve(advance, maker)
    advance_release(advance, checker)
    floorplan_advance_send(advance_id=advance.pk)
    SandboxBank().callback_deliver(FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key)
    advance.refresh_from_db()
    line.refresh_from_db()
    assert (advance.status, advance.bank_status, line.used_amount) == ("failed", "failed", ZERO)
    again = request(line, admin, oem, vin=advance.vin)
    assert again.status == "requested"
    books_agree()


def _accrue(advance, amount: str) -> None:
    """Stand-in for the nightly accrual step (F2's): the entry and the advance's balance."""
    journal_post(
        business_date=advance.funded_on,
        source_type="floorplan",
        source_id=f"advance-{advance.pk}",
        lines=[
            ("floorplan_interest_receivable", "D", amount, None, advance.dealer_id, advance.pk),
            ("floorplan_interest_income", "C", amount),
        ],
        idempotency_key=f"test-accrual:{advance.pk}:{amount}",
        actor=SYSTEM_ACTOR,
    )
    FloorplanAdvance.objects.filter(pk=advance.pk).update(interest_accrued_unpaid=D(amount))


def test_a_direct_payoff_pays_interest_then_curtailments_then_principal(
    line, admin, oem, maker, checker, today
):
    advance = funded(line, admin, oem, maker, checker)
    certificate_receive(advance, certificate_no="WDK2026061500123", by=maker)
    _accrue(advance, "2662.97")
    stage = FloorplanCurtailment.objects.create(
        advance=advance,
        stage=1,
        due_on=today + dt.timedelta(days=90),
        percent=D("10"),
        amount=D("18000.00"),
        billed_on=today,
    )
    books_agree()

    first = advance_payoff(advance, "10000.00", "bank_receipt", "BR20260615001", maker)
    assert (first.interest_part, first.principal_part) == (D("2662.97"), D("7337.03"))
    advance.refresh_from_db()
    stage.refresh_from_db()
    assert (advance.interest_accrued_unpaid, advance.principal_outstanding) == (
        ZERO,
        D("172662.97"),
    )
    assert (stage.paid_amount, stage.status) == (D("7337.03"), "billed")
    lines = JournalLine.objects.filter(entry_id=first.journal_entry_id).order_by("id")
    assert [(x.account.code, x.side, x.amount, x.floorplan_advance_id) for x in lines] == [
        ("bank_clearing", "D", D("10000.00"), None),
        ("floorplan_interest_receivable", "C", D("2662.97"), advance.pk),
        ("floorplan_receivable", "C", D("7337.03"), advance.pk),
    ]
    books_agree()

    # the same bank receipt again, or more than is owed: refused, nothing changed
    with pytest.raises(FloorplanError):
        advance_payoff(advance, "10000.00", "bank_receipt", "BR20260615001", maker)
    with pytest.raises(FloorplanError):
        advance_payoff(advance, "172662.98", "bank_receipt", "BR20260615002", maker)
    assert FloorplanPayment.objects.filter(advance=advance).count() == 1

    advance_payoff(advance, "172662.97", "bank_receipt", "BR20260615003", maker)
    advance.refresh_from_db()
    stage.refresh_from_db()
    assert (stage.paid_amount, stage.status) == (D("18000.00"), "paid")
    assert (advance.status, advance.settled_on, advance.principal_outstanding) == (
        "settled",
        today,
        ZERO,
    )
    assert (advance.certificate_status, advance.certificate_released_on) == ("released", today)
    line.refresh_from_db()
    assert line.used_amount == ZERO
    assert balance("floorplan_receivable", floorplan_advance_id=advance.pk) == ZERO
    books_agree()
