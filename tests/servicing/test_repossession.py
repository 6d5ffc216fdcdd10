"""Repossession (收车与处置): a case approved by someone else, the costs posted to the loan and
paid to the vetted vendor, the car sold with the proceeds allocated costs → interest → principal
(a deficiency charged off, a surplus paid back), a redemption before the sale; exact to the fen,
the trial balance zero and the loan's stored figures equal to its ledger after each step, and
the refusals writing nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.crypto import decrypt
from autofin.models import AuditEntry
from autofin.roles import Role
from origination.models import Applicant
from origination.services.payees import payee_change_approve, payee_change_prepare
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalLine
from servicing.models.collections import CollectionCase, CollectionQueue
from servicing.models.repossession import RepossessionCase, RepossessionPayment
from servicing.selectors.ledger import loan_balances, trial_balance
from servicing.services.accrual import loan_accrue
from servicing.services.repossession.bank import repossession_payment_send
from servicing.services.repossession.cases import (
    RepossessionError,
    repossession_approve,
    repossession_assign,
    repossession_contact_record,
    repossession_intake,
    repossession_request,
    repossession_value,
)
from servicing.services.repossession.legal import legal_case_decide, legal_case_open
from servicing.services.repossession.payments import (
    repossession_cost_prepare,
    repossession_payment_release,
)
from servicing.services.repossession.sale import (
    allocate,
    repossession_redeem,
    repossession_sale_record,
)
from tests.factories import UserFactory
from tests.servicing.loan_helpers import assert_ledger_matches, make_loan, set_day

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal
ZERO = D("0.00")
OPEN_DAY = dt.date(2026, 4, 10)
SALE_DAY = dt.date(2026, 4, 25)
JPEG = b"\xff\xd8\xff\xe0" + b"0" * 64
PDF = b"%PDF-1.4 handover record signed by the customer"
RECEIVABLES = (
    "principal_receivable", "interest_receivable", "fee_receivable", "penalty_receivable",
    "recoverable_cost_receivable",
)  # fmt: skip


@pytest.fixture
def collector(db):
    return UserFactory(roles=[Role.COLLECTOR], display_name="催收丁")


@pytest.fixture
def operations(db):
    return UserFactory(roles=[Role.OPERATIONS], display_name="运营戊")


@pytest.fixture
def vendor(maker, checker):
    change = payee_change_prepare(
        actor=maker, payee_type="repo_vendor", name="上海安顺拖车服务有限公司",
        account_name="上海安顺拖车服务有限公司", bank_name="中国银行上海分行",
        account_number="6216610200016587000",
        evidence=SimpleUploadedFile("资质.pdf", PDF, content_type="application/pdf"),
    )  # fmt: skip
    payee = payee_change_approve(actor=checker, change_id=change.pk)
    assert payee.vetted_on is not None
    return payee


def books_agree(loan) -> None:
    assert trial_balance().total == ZERO
    assert_ledger_matches(loan)


def in_field_queue(loan) -> CollectionCase:
    return CollectionCase.objects.create(
        loan=loan, queue=CollectionQueue.FIELD_LEGAL, bucket="M3", dpd=54, opened_on=OPEN_DAY
    )


def entry_lines(entry_id: int) -> list[tuple]:
    return sorted(
        (x.account.code, x.side, x.amount)
        for x in JournalLine.objects.filter(entry_id=entry_id).select_related("account")
    )


def photo():
    return SimpleUploadedFile("车况.jpg", JPEG, content_type="image/jpeg")


def in_storage(loan, collector, operations, vendor) -> RepossessionCase:
    """A case asked for, approved by someone else, assigned, notice sent, the car handed over."""
    set_day(OPEN_DAY)
    in_field_queue(loan)
    case = repossession_request(
        loan_id=loan.pk, route="voluntary", reason="客户失联后同意交车", actor=collector
    )
    repossession_approve(case_id=case.pk, actor=operations)
    repossession_assign(case_id=case.pk, vendor_payee_id=vendor.pk, actor=operations)
    repossession_contact_record(
        case_id=case.pk, kind="gps", note="GPS 定位车辆停放于小区地库", actor=collector,
        latitude="31.230416", longitude="121.473701",
    )  # fmt: skip
    repossession_contact_record(
        case_id=case.pk, kind="notice", note="处置通知书已当面送达", actor=collector
    )
    repossession_intake(
        case_id=case.pk, actor=collector, condition_report="外观良好，左后门轻微刮擦",
        storage_location="嘉定停车场 A-12", odometer_km=23150,
        handover_record=SimpleUploadedFile("交车确认书.pdf", PDF, content_type="application/pdf"),
        photos=[photo(), photo()],
    )  # fmt: skip
    repossession_value(case_id=case.pk, amount="85000.00", actor=maker_of(operations))
    case.refresh_from_db()
    assert (case.status, case.notice_sent_on, case.intake_on) == ("in_storage", OPEN_DAY, OPEN_DAY)
    assert case.photos.count() == 2 and case.contacts.count() == 2
    return case


def maker_of(user):
    return user  # operations may record the valuation (repossession work)


def cost(case, vendor, maker, checker, kind, amount, *, pay: bool) -> RepossessionPayment:
    payment = repossession_cost_prepare(
        case_id=case.pk, kind=kind, amount=amount, vendor_payee_id=vendor.pk,
        invoice_ref=f"FP-{kind}", actor=maker,
    )  # fmt: skip
    with pytest.raises(RepossessionError) as exc:
        repossession_payment_release(payment_id=payment.pk, actor=maker)
    assert exc.value.code == "forbidden"
    payment = repossession_payment_release(payment_id=payment.pk, actor=checker)
    assert entry_lines(payment.cost_entry_id) == [
        ("recoverable_cost_receivable", "D", D(amount)),
        ("repossession_vendor_payable", "C", D(amount)),
    ]
    if pay:
        assert repossession_payment_send(payment_id=payment.pk) == "released"
        payment.refresh_from_db()
        assert SandboxBank().callbacks_deliver(keys=[payment.idempotency_key]) == 1
        payment.refresh_from_db()
        assert payment.status == "paid"
        assert entry_lines(payment.journal_entry_id) == [
            ("bank_clearing", "C", D(amount)),
            ("repossession_vendor_payable", "D", D(amount)),
        ]
    return payment


def owed_on(loan, day) -> dict:
    """The loan brought to `day` by the per-loan accrual, then its ledger balances."""
    set_day(day)
    loan_accrue(loan_id=loan.pk, through=day)
    balances = loan_balances(loan_id=loan.pk)
    return {code: balances.get(code, ZERO) for code in RECEIVABLES}


def test_the_statutory_order_is_costs_then_interest_then_principal():
    owed = {"costs": D("2000.00"), "penalty": D("10.00"), "fee": D("20.00"),
            "interest": D("1000.00"), "principal": D("100000.00")}  # fmt: skip
    order = ("costs", "penalty", "fee", "interest", "principal")
    parts, surplus = allocate(D("3000.00"), owed, order)
    assert parts == {"costs": D("2000.00"), "penalty": D("10.00"), "fee": D("20.00"),
                     "interest": D("970.00"), "principal": ZERO}  # fmt: skip
    assert surplus == ZERO
    parts, surplus = allocate(D("103030.01"), owed, order)
    assert (parts["principal"], surplus) == (D("100000.00"), D("0.01"))


def test_a_car_sold_at_auction_posts_costs_and_proceeds_and_the_deficiency_is_charged_off(
    today, collector, operations, maker, checker, vendor
):
    loan = make_loan()
    case = in_storage(loan, collector, operations, vendor)
    books_agree(loan)
    cost(case, vendor, maker, checker, "towing", "1200.00", pay=True)
    cost(case, vendor, maker, checker, "storage", "800.00", pay=False)
    books_agree(loan)
    owed = owed_on(loan, SALE_DAY)
    assert owed["recoverable_cost_receivable"] == D("2000.00")
    principal, interest = owed["principal_receivable"], owed["interest_receivable"]
    fee, penalty = owed["fee_receivable"], owed["penalty_receivable"]
    assert principal > D("60000.00") and penalty > 0

    case = repossession_sale_record(
        case_id=case.pk, method="auction", buyer_name="上海二手车拍卖有限公司",
        amount="60000.00", bank_ref="AUC-1", actor=maker,
    )  # fmt: skip
    case.refresh_from_db()
    to_principal = D("60000.00") - D("2000.00") - penalty - fee - interest
    assert (case.to_costs, case.to_penalty, case.to_fee, case.to_interest, case.to_principal) == (
        D("2000.00"), penalty, fee, interest, to_principal,
    )  # fmt: skip
    assert (case.status, case.surplus, case.deficiency) == ("sold", ZERO, principal - to_principal)
    expected = [
        ("bank_clearing", "D", D("60000.00")),
        ("interest_receivable", "C", interest),
        ("penalty_receivable", "C", penalty),
        ("principal_receivable", "C", to_principal),
        ("recoverable_cost_receivable", "C", D("2000.00")),
    ]
    if fee:
        expected.append(("fee_receivable", "C", fee))
    assert entry_lines(case.journal_entry_id) == sorted(expected)
    loan.refresh_from_db()
    assert (loan.status, loan.closed_on) == ("charged_off", SALE_DAY)
    charged = JournalLine.objects.filter(
        entry__source_type="charge_off", entry__loan_id=loan.pk, side="C"
    )
    assert sum(x.amount for x in charged) == case.deficiency
    assert all(loan_balances(loan_id=loan.pk).get(c, ZERO) == ZERO for c in RECEIVABLES)
    # the storage cost still owed to the vendor, the towing paid
    assert loan_balances(loan_id=loan.pk).get("repossession_vendor_payable") == D("800.00")
    assert trial_balance().total == ZERO


def test_a_surplus_is_paid_back_to_the_customer(
    today, collector, operations, maker, checker, vendor
):
    loan = make_loan()
    case = in_storage(loan, collector, operations, vendor)
    cost(case, vendor, maker, checker, "towing", "1500.00", pay=True)
    owed = owed_on(loan, SALE_DAY)
    total = sum(owed.values(), ZERO)
    price = D("150000.00")
    case = repossession_sale_record(
        case_id=case.pk, method="dealer_buyback", buyer_name="上海某某汽车销售有限公司",
        amount=str(price), bank_ref="DLR-1", actor=maker,
    )  # fmt: skip
    case.refresh_from_db()
    assert (case.surplus, case.deficiency, case.to_costs) == (price - total, ZERO, D("1500.00"))
    loan.refresh_from_db()
    assert loan.status == "paid_off" and loan.principal_outstanding == ZERO
    books_agree(loan)
    refund = RepossessionPayment.objects.get(case=case, purpose="surplus")
    assert (refund.amount, refund.status) == (price - total, "prepared")
    # paid to the customer's repayment account (the primary applicant's)
    applicant = Applicant.objects.get(application_id=loan.application_id, role="primary")
    assert (refund.account_name, decrypt(refund.account_number_enc)) == (
        applicant.name, decrypt(applicant.bank_account_enc),
    )  # fmt: skip
    with pytest.raises(RepossessionError) as exc:  # the recorder cannot release it
        repossession_payment_release(payment_id=refund.pk, actor=maker)
    assert exc.value.code == "forbidden"
    repossession_payment_release(payment_id=refund.pk, actor=checker)
    assert repossession_payment_send(payment_id=refund.pk) == "released"
    refund.refresh_from_db()
    assert SandboxBank().callbacks_deliver(keys=[refund.idempotency_key]) == 1
    refund.refresh_from_db()
    assert refund.status == "paid"
    assert entry_lines(refund.journal_entry_id) == [
        ("bank_clearing", "C", price - total),
        ("customer_payable", "D", price - total),
    ]
    assert loan_balances(loan_id=loan.pk).get("customer_payable", ZERO) == ZERO
    books_agree(loan)


def test_a_redemption_before_the_sale_closes_the_case(
    today, collector, operations, maker, checker, vendor
):
    loan = make_loan()
    case = in_storage(loan, collector, operations, vendor)
    cost(case, vendor, maker, checker, "towing", "900.00", pay=True)
    total = sum(owed_on(loan, dt.date(2026, 4, 12)).values(), ZERO)
    with pytest.raises(RepossessionError) as exc:  # less than everything owed
        repossession_redeem(
            case_id=case.pk, amount=str(total - D("0.01")), bank_ref="RD-0", actor=maker
        )
    assert exc.value.field == "amount"
    case = repossession_redeem(case_id=case.pk, amount=str(total), bank_ref="RD-1", actor=maker)
    case.refresh_from_db()
    assert (case.status, case.proceeds, case.surplus, case.to_costs) == (
        "redeemed", total, ZERO, D("900.00"),
    )  # fmt: skip
    loan.refresh_from_db()
    assert loan.status == "paid_off"
    assert all(loan_balances(loan_id=loan.pk).get(c, ZERO) == ZERO for c in RECEIVABLES)
    books_agree(loan)
    with pytest.raises(RepossessionError):  # closed: no sale after the redemption
        repossession_sale_record(
            case_id=case.pk, method="auction", buyer_name="x", amount="1.00", bank_ref="x",
            actor=maker,
        )  # fmt: skip


def nothing_changed():
    return (
        list(RepossessionCase.objects.order_by("pk").values_list("status", flat=True)),
        JournalLine.objects.count(),
        AuditEntry.objects.count(),
        RepossessionPayment.objects.count(),
    )


def test_refusals_change_nothing(today, collector, operations, maker, checker, vendor):
    loan = make_loan()
    set_day(OPEN_DAY)
    before = nothing_changed()
    with pytest.raises(RepossessionError) as exc:  # not in the M4+ field and legal queue
        repossession_request(loan_id=loan.pk, route="voluntary", reason="x", actor=collector)
    assert exc.value.code == "not_in_queue"
    assert nothing_changed() == before
    in_field_queue(loan)
    case = repossession_request(loan_id=loan.pk, route="voluntary", reason="交车", actor=collector)
    before = nothing_changed()
    # no approval yet: no contact, no intake, no cost, no sale
    for attempt in (
        lambda: repossession_contact_record(case_id=case.pk, kind="call", note="x", actor=collector),
        lambda: repossession_intake(
            case_id=case.pk, actor=collector, condition_report="x", storage_location="y",
            handover_record=SimpleUploadedFile("a.pdf", PDF), photos=[photo()],
        ),
        lambda: repossession_cost_prepare(
            case_id=case.pk, kind="towing", amount="100.00", vendor_payee_id=vendor.pk,
            invoice_ref="x", actor=maker,
        ),
        lambda: repossession_sale_record(
            case_id=case.pk, method="auction", buyer_name="x", amount="1000.00", bank_ref="b",
            actor=maker,
        ),
    ):  # fmt: skip
        with pytest.raises(RepossessionError):
            attempt()
        assert nothing_changed() == before
    # self-approval: the requester may not approve, even holding the authority
    approver_requester = UserFactory(roles=[Role.COLLECTOR, Role.OPERATIONS])
    own = repossession_request  # a second loan's case asked by the one who would approve it
    loan2 = make_loan()
    in_field_queue(loan2)
    mine = own(loan_id=loan2.pk, route="court", reason="起诉", actor=approver_requester)
    before = nothing_changed()
    with pytest.raises(RepossessionError) as exc:
        repossession_approve(case_id=mine.pk, actor=approver_requester)
    assert exc.value.code == "same_user"
    with pytest.raises(RepossessionError) as exc:  # a collector has no authority to approve
        repossession_approve(case_id=case.pk, actor=collector)
    assert exc.value.code == "forbidden"
    assert nothing_changed() == before
    # approved, but the sale before the intake is refused
    repossession_approve(case_id=case.pk, actor=operations)
    repossession_contact_record(case_id=case.pk, kind="notice", note="已送达", actor=collector)
    before = nothing_changed()
    with pytest.raises(RepossessionError) as exc:
        repossession_sale_record(
            case_id=case.pk, method="auction", buyer_name="x", amount="1000.00", bank_ref="b",
            actor=maker,
        )  # fmt: skip
    assert exc.value.code == "status"
    # the court route takes no car in without the court's order
    repossession_approve(case_id=mine.pk, actor=operations)
    with pytest.raises(RepossessionError) as exc:
        repossession_intake(
            case_id=mine.pk, actor=collector, condition_report="x", storage_location="y",
            photos=[photo()],
        )  # fmt: skip
    assert exc.value.code == "no_court_order"
    # a voluntary intake without the signed handover record is refused
    with pytest.raises(RepossessionError) as exc:
        repossession_intake(
            case_id=case.pk, actor=collector, condition_report="x", storage_location="y",
            photos=[photo()],
        )  # fmt: skip
    assert exc.value.field == "handover_record"
    loan.refresh_from_db()
    assert loan.status not in ("charged_off", "paid_off")
    assert trial_balance().total == ZERO


def test_the_court_route_takes_the_car_in_on_the_order_and_the_sale_waits_for_the_notice(
    today, collector, operations, maker, checker, vendor
):
    loan = make_loan()
    set_day(OPEN_DAY)
    in_field_queue(loan)
    case = repossession_request(loan_id=loan.pk, route="court", reason="拒不交车", actor=collector)
    repossession_approve(case_id=case.pk, actor=operations)
    filed = legal_case_open(
        loan_id=loan.pk, kind="security", court="上海市嘉定区人民法院", case_number="(2026)沪0114民特1号",
        filed_on=OPEN_DAY, actor=collector, repossession_id=case.pk,
    )  # fmt: skip
    legal_cost = repossession_cost_prepare(
        case_id=case.pk, kind="legal", amount="3000.00", vendor_payee_id=vendor.pk,
        invoice_ref="LAW-1", actor=maker, legal_case_id=filed.pk,
    )  # fmt: skip
    with pytest.raises(RepossessionError) as exc:
        legal_case_decide(
            legal_case_id=filed.pk, outcome="won", decided_on=OPEN_DAY - dt.timedelta(days=1),
            actor=collector,
        )  # fmt: skip
    assert exc.value.field == "decided_on"
    legal_case_decide(legal_case_id=filed.pk, outcome="won", decided_on=OPEN_DAY, actor=collector)
    repossession_intake(
        case_id=case.pk, actor=collector, condition_report="法院执行交付，车况一般",
        storage_location="嘉定停车场 B-3", photos=[photo()],
    )  # fmt: skip
    repossession_value(case_id=case.pk, amount="70000.00", actor=operations)
    sale = {"case_id": case.pk, "method": "auction", "buyer_name": "拍卖行", "amount": "90000.00",
            "bank_ref": "AUC-9", "actor": maker}  # fmt: skip
    before = nothing_changed()
    with pytest.raises(RepossessionError) as exc:  # a cost waits for its checker
        repossession_sale_record(**sale)
    assert exc.value.code == "costs_pending"
    assert nothing_changed() == before
    repossession_payment_release(payment_id=legal_cost.pk, actor=checker)
    repossession_contact_record(
        case_id=case.pk, kind="notice", note="处置通知已邮寄送达", actor=collector
    )
    set_day(OPEN_DAY + dt.timedelta(days=9))  # the notice period (10 days) not yet over
    before = nothing_changed()
    with pytest.raises(RepossessionError) as exc:
        repossession_sale_record(**sale)
    assert exc.value.code == "notice"
    assert nothing_changed() == before
    set_day(OPEN_DAY + dt.timedelta(days=10))
    case = repossession_sale_record(**sale)
    case.refresh_from_db()
    assert case.status == "sold" and case.to_costs == D("3000.00")
    assert trial_balance().total == ZERO
