"""The whole journey across the apps, on PostgreSQL, with no fakes: a dealer-channel application
from its start to a loan being repaid (referred by risk → approved by an underwriter with a
condition → contract → e-signature → checklist → maker-checker disbursement through the
sandbox bank → funded → first instalment paid online), and a direct-channel application that
risk approves automatically through to funding."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from autofin.audit import SYSTEM_ACTOR
from autofin.business_date import business_date_current
from autofin.models import AuditEntry, OutboundMessage
from dealers.models.commissions import Commission
from dealers.selectors import statement_lines
from dealers.services import (
    agreement_in_force,
    commission_compute,
    commission_statement_for_month,
)
from origination.models.contracts import Contract, FundingChecklistItem
from origination.models.underwriting import Condition, UnderwritingCase
from origination.selectors.contracts import contract_for_funding, contracts_ready_for_funding
from origination.services.applications.submission import DECISION_TASK, application_submit
from origination.services.checklist import checklist_item_record, checklist_status
from origination.services.contracts.errors import ContractSignError
from origination.services.contracts.pdf import file_sha256
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.services.underwriting.approval import condition_resolve, underwriting_approve
from origination.services.underwriting.claims import case_claim
from origination.tasks.decisions import application_decide
from risk.models import Decision
from servicing.adapters import SandboxPaymentProvider
from servicing.eod.sync_driver import eod_run_until
from servicing.gateway.sandbox_bank import SandboxBank, sandbox_bank_close_connections
from servicing.models import JournalEntry
from servicing.models.disbursement import Disbursement, PaymentAttempt
from servicing.models.loans import Loan
from servicing.models.repayments import Repayment
from servicing.selectors.disbursement import contracts_ready
from servicing.selectors.ledger import account_balance, loan_balances, trial_balance
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_prepare
from servicing.services.disbursement.fund import disbursement_fund
from servicing.services.disbursement.states import DisbursementError
from servicing.services.repayments.online import payment_order_create
from tests.journey_support import (
    DEALER_NAME,
    DEALER_PHONE,
    INSURER,
    SELLER_NAME,
    TAX,
    TODAY,
    customer_signup_by_sms,
    dealer_application_make,
    dealer_make,
    direct_application_make,
    journey_settings,
    last_code,
    salesperson_make,
    world_make,
)
from tests.servicing.loan_helpers import assert_ledger_matches

pytestmark = pytest.mark.django_db

D = Decimal
ZERO = D("0.00")
AMOUNT = D("163699.12")  # 140,000.00 car + 6,000.00 insurance + 17,699.12 purchase tax
SPLIT = [
    ("dealer", D("140000.00")),
    ("tax", D("17699.12")),
    ("insurer", D("6000.00")),
]


@pytest.fixture(autouse=True)
def _journey(settings, tmp_path):
    journey_settings(settings, tmp_path)
    settings.EOD_AUTO_DEBIT_SEND = False  # the customer pays online here, not by auto-debit
    yield
    sandbox_bank_close_connections()


def _sign(contract: Contract, customer) -> None:
    """The customer asks for the SMS code and signs with it."""
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    code = last_code(customer.phone, "sms_code_contract_sign")
    contract_sign(contract_id=contract.pk, actor=customer, code=code, ip_address="203.0.113.7")


def _disburse(contract: Contract, cast, django_capture_on_commit_callbacks) -> Disbursement:
    """Maker prepares, a different approver releases (the sends run after commit, inline), and
    the sandbox bank calls back."""
    d = disbursement_prepare(contract_id=contract.pk, actor=cast.maker)
    assert d.status == "prepared" and d.prepared_by_id == cast.maker.pk
    assert d.amount_financed == AMOUNT and d.needs_two_approvers is False
    assert list(d.instructions.order_by("seq").values_list("payee_kind", "amount")) == SPLIT
    with pytest.raises(DisbursementError) as refused:  # the maker cannot release it
        disbursement_approve(disbursement_id=d.pk, actor=cast.maker)
    assert refused.value.code == "forbidden"
    assert PaymentAttempt.objects.filter(instruction__disbursement=d).count() == 0
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        disbursement_approve(disbursement_id=d.pk, actor=cast.checker)
    assert callbacks  # the send task was scheduled after commit (and ran)
    attempts = PaymentAttempt.objects.filter(instruction__disbursement=d)
    assert sorted(attempts.values_list("status", flat=True)) == ["sent"] * 3
    d.refresh_from_db()
    assert (d.status, d.approved_by_id) == ("released", cast.checker.pk)
    keys = list(attempts.values_list("idempotency_key", flat=True))
    assert SandboxBank().callbacks_deliver(keys=keys) == 3
    d.refresh_from_db()
    assert sorted(d.instructions.values_list("status", flat=True)) == ["succeeded"] * 3
    return d


def _ledger_after_funding(d: Disbursement, loan: Loan) -> None:
    assert trial_balance().total == ZERO
    assert loan_balances(loan_id=loan.pk)["principal_receivable"] == AMOUNT
    assert loan.principal_outstanding == AMOUNT
    assert_ledger_matches(loan)
    # each payable nets to zero; the bank paid out exactly the amount financed
    for code in ("dealer_payable", "insurer_payable", "tax_payable"):
        assert account_balance(account_code=code) == ZERO
    assert account_balance(account_code="bank_clearing") == -AMOUNT
    entries = JournalEntry.objects.filter(source_type="disbursement", source_id=d.pk)
    assert entries.count() == 4  # three payments and the funding


def _same_schedule(loan: Loan, contract: Contract) -> None:
    rows = [
        {
            "instalment_no": r.instalment_no,
            "due_date": r.due_date.isoformat(),
            "opening_balance": str(r.opening_balance),
            "principal": str(r.principal),
            "interest": str(r.interest),
            "fee": str(r.fee),
            "instalment": str(r.instalment),
            "closing_balance": str(r.closing_balance),
        }
        for r in loan.schedule_rows()
    ]
    assert rows == [{k: row[k] for k in rows[0]} for row in contract.schedule]


def test_dealer_channel_from_application_to_the_first_instalment_paid(
    django_capture_on_commit_callbacks,
):
    # --- given the world: products, people, risk's set-up, the payee register, a dealer -----
    cast, products = world_make()
    dealer = dealer_make(cast, grade_d=True)
    sales = salesperson_make(cast, dealer)
    customer = customer_signup_by_sms(phone="13911112233", name="王小明")

    # --- the salesperson applies; the customer confirms by the SMS link; submitted -----------
    app = dealer_application_make(
        products=products, dealer=dealer, salesperson=sales, customer_name="王小明",
        mobile=customer.phone,
    )  # fmt: skip
    assert app.customer_confirmed_at is not None and app.customer_id is None
    assert (app.amount_financed, app.down_payment, app.ltv) == (AMOUNT, D("60000.00"), D("0.7000"))
    with django_capture_on_commit_callbacks(execute=False) as queued:
        application_submit(actor=sales, application=app, key="journey-1")
    # the decision task is queued after commit (besides the notices' delivery): run what was
    # queued with the task lookup recording instead of sending
    sent: list = []

    class Sent:
        def __init__(self, name):
            self.name = name

        def delay(self, *args):
            sent.append((self.name, *args))

    with mock.patch("autofin.scheduling.task_named", Sent):
        for callback in queued:
            callback()
    assert [s for s in sent if s[0] == DECISION_TASK] == [(DECISION_TASK, app.pk)]

    # --- the decision worker: the real task, the real engine -> referred (dealer grade D) ---
    assert application_decide(app.pk) == "referred"
    decision = Decision.objects.get(application_ref=app.reference)
    assert (decision.outcome, decision.score, decision.tier) == ("refer", 600, "A")
    assert decision.reason_codes == ["R02_DEALER_GRADE"]
    assert decision.facts["dealer"]["grade"] == "D"
    assert decision.facts["deal"]["amount_financed"] == "163699.12"
    app.refresh_from_db()
    assert app.decision_ref == f"risk-decision:{decision.pk}"
    assert not Contract.objects.filter(application=app).exists()

    # --- the underwriter claims and approves with a condition: the contract is issued -------
    case_claim(application_id=app.pk, actor=cast.underwriter)
    assert UnderwritingCase.objects.get(application=app).assigned_to_id == cast.underwriter.pk
    underwriting_approve(
        application_id=app.pk, actor=cast.underwriter, note="收入稳定",
        conditions=[{"condition_kind": "documents", "note": "补充近 6 个月银行流水"}],
    )  # fmt: skip
    app.refresh_from_db()
    assert app.status == "approved"
    contract = Contract.objects.get(application=app)
    assert contract.status == "issued" and contract.tier == "A"  # risk's tier prices it
    assert (contract.amount_financed, contract.customer_rate, contract.term_months) == (
        AMOUNT, D("0.039900"), 36,
    )  # fmt: skip
    assert contract.monthly_payment == D("4832.32")
    rows = contract.schedule
    assert len(rows) == 36 and sum(D(r["principal"]) for r in rows) == AMOUNT
    assert contract.total_interest == sum(D(r["interest"]) for r in rows) == D("10264.47")
    assert (rows[-1]["instalment"], rows[-1]["closing_balance"]) == ("4832.39", "0.00")
    assert [(p["payee_type"], p["name"], p["amount"]) for p in contract.payees] == [
        ("dealer", DEALER_NAME, "140000.00"),
        ("tax", TAX, "17699.12"),
        ("insurer", INSURER, "6000.00"),
    ]
    with open(contract_pdf_path(contract), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"  # WeasyPrint's
    assert OutboundMessage.objects.filter(to=customer.phone, purpose="contract_issued").count() == 1
    condition = Condition.objects.get(application=app)
    assert condition.status == "open"

    # --- the condition is satisfied; the customer signs with the SMS code ------------------
    condition_resolve(condition_id=condition.pk, actor=cast.underwriter, status="satisfied",
                      evidence="已收到银行流水，月均入账 2.6 万")  # fmt: skip
    assert contracts_ready_for_funding() == []  # not signed yet
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    code = last_code(customer.phone, "sms_code_contract_sign")
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    with pytest.raises(ContractSignError):  # a wrong code changes nothing
        contract_sign(contract_id=contract.pk, actor=customer, code=wrong)
    contract.refresh_from_db()
    assert contract.status == "issued"
    contract_sign(contract_id=contract.pk, actor=customer, code=code, ip_address="203.0.113.7")
    contract.refresh_from_db()
    app.refresh_from_db()
    assert (contract.status, app.status) == ("signed", "contract_signed")
    signature = contract.signature
    assert signature.signer_id == customer.pk and signature.document_sha256 == contract.pdf_sha256
    assert file_sha256(contract.pdf_path) == contract.pdf_sha256  # the issued PDF, unchanged
    assert file_sha256(signature.signed_pdf_path) == signature.signed_pdf_sha256
    with open(contract_pdf_path(contract, signed=True), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # --- the pre-funding checklist, recorded by operations ---------------------------------
    assert contracts_ready_for_funding() == []  # checklist items pending
    items = {i.item_kind: i for i in FundingChecklistItem.objects.filter(contract=contract)}
    assert sorted(items) == ["gps_installed", "insurance", "invoice_matches_price",
                             "mortgage_registration", "signed_contract"]  # fmt: skip
    assert items["signed_contract"].status == "done"
    checklist_item_record(item_id=items["insurance"].pk, actor=cast.operations, status="done",
                          evidence="保单号 PA2026031600123")  # fmt: skip
    checklist_item_record(item_id=items["gps_installed"].pk, actor=cast.operations,
                          status="done", evidence="GPS 设备号 BD-77801")  # fmt: skip
    checklist_item_record(item_id=items["invoice_matches_price"].pk, actor=cast.operations,
                          status="done", evidence="发票 200,000.00 与车价一致")  # fmt: skip
    checklist_item_record(
        item_id=items["mortgage_registration"].pk, actor=cast.operations, status="after_funding",
        evidence="车管所预约 0412", deadline=TODAY + dt.timedelta(days=30),
    )  # fmt: skip
    assert checklist_status(contract)["ready"] is True
    ready = [
        {"contract_id": contract.pk, "contract_ref": contract.contract_ref,
         "application_id": app.pk, "amount_financed": AMOUNT, "signed_at": contract.signed_at}
    ]  # fmt: skip
    assert contracts_ready_for_funding() == ready
    assert contracts_ready() == ready
    facts = contract_for_funding(contract_id=contract.pk)
    assert facts["customer_user_id"] == customer.pk
    assert facts["payees_total"] == AMOUNT

    # --- maker-checker disbursement; the sandbox bank pays every payee ----------------------
    d = _disburse(contract, cast, django_capture_on_commit_callbacks)
    assert d.status == "funded" and d.funded_on == TODAY
    assert contracts_ready() == []

    # --- funded: the application, the loan, the commission, the notices, the ledger --------
    app.refresh_from_db()
    assert app.status == "funded" and app.funded_at is not None
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert d.loan_id == loan.pk
    assert (loan.customer_id, loan.application_id, loan.dealer_id) == (
        customer.pk, app.pk, dealer.pk,
    )  # fmt: skip
    assert (loan.amount_financed, loan.schedule_rate, loan.value_date) == (
        AMOUNT, D("0.039900"), TODAY,
    )  # fmt: skip
    _same_schedule(loan, contract)
    # the checklist carried over: GPS installed before funding, the mortgage due within 30 days
    assert (loan.vehicle, loan.vin, loan.gps_status, loan.gps_deadline) == (
        "比亚迪 汉 EV", app.vin, "done", None,
    )  # fmt: skip
    assert (loan.mortgage_status, loan.mortgage_deadline) == (
        "pending", TODAY + dt.timedelta(days=30),
    )  # fmt: skip
    first = loan.schedule_rows()[0]
    assert (first.due_date, first.principal, first.interest, first.instalment) == (
        dt.date(2026, 4, 16), D("4288.02"), D("544.30"), D("4832.32"),
    )  # fmt: skip
    agreement = agreement_in_force(dealer=dealer, product_line="new", on=TODAY)
    expected = commission_compute(agreement=agreement, amount_financed=AMOUNT)["amount"]
    assert expected == D("1636.99")
    commission = Commission.objects.get(dealer=dealer)
    # the application's salesperson, named by servicing at funding (the statement shows them)
    assert (
        commission.contract_ref, commission.agreement_id, commission.funded_on,
        commission.salesperson_name,
    ) == (contract.contract_ref, agreement.pk, TODAY, "销售郑")  # fmt: skip
    assert (commission.amount, commission.uncapped_amount, commission.cap_amount) == (
        expected, D("1636.99"), D("8184.96"),
    )  # fmt: skip
    disbursement_fund(disbursement_id=d.pk)  # funding again (the recovery task) changes nothing
    assert Commission.objects.count() == 1
    assert Loan.objects.filter(contract_ref=contract.contract_ref).count() == 1
    assert sorted(
        OutboundMessage.objects.filter(purpose__startswith="disbursement_funded").values_list(
            "purpose", "to"
        )
    ) == [("disbursement_funded", customer.phone), ("disbursement_funded_dealer", DEALER_PHONE)]
    funded_sms = OutboundMessage.objects.get(purpose="disbursement_funded").body
    assert contract.contract_ref in funded_sms and "¥163,699.12" in funded_sms
    _ledger_after_funding(d, loan)
    assert (
        AuditEntry.objects.filter(action="disbursement_fund", actor_label=SYSTEM_ACTOR).count() == 1
    )

    # --- a month of nightly batches, then the customer pays the first instalment online -----
    eod_run_until(target=first.due_date - dt.timedelta(days=1))
    assert business_date_current() == first.due_date
    # interest accrued nightly through 04-15: 29/30 of the first period's 544.30
    assert loan_balances(loan_id=loan.pk)["interest_receivable"] == D("526.15")
    order, pay_url = payment_order_create(
        loan_id=loan.pk, actor=customer, amount=first.instalment, idempotency_key="journey-pay-1"
    )
    assert pay_url == f"/pay/sandbox/{order.provider_ref}/"
    order = SandboxPaymentProvider().pay(provider_ref=order.provider_ref, amount=order.amount)
    assert order.status == "paid"
    repayment = Repayment.objects.get(loan=loan)
    assert (repayment.source, repayment.amount, repayment.received_on) == (
        "online", D("4832.32"), first.due_date,
    )  # fmt: skip
    first.refresh_from_db()
    assert (first.status, first.principal_paid, first.interest_paid, first.paid_on) == (
        "paid", D("4288.02"), D("544.30"), first.due_date,
    )  # fmt: skip
    loan.refresh_from_db()
    assert loan.principal_outstanding == AMOUNT - D("4288.02") == D("159411.10")
    assert_ledger_matches(loan)
    assert trial_balance().total == ZERO

    # --- that night's batch closes the due date: the period's interest is all accrued ------
    eod_run_until(target=first.due_date)
    loan.refresh_from_db()
    balances = assert_ledger_matches(loan)
    assert (balances["principal_receivable"], balances["interest_receivable"]) == (
        D("159411.10"), ZERO,
    )  # fmt: skip
    assert loan_balances(loan_id=loan.pk)["interest_income"] == D("544.30")
    assert loan.schedule_rows()[0].status == "paid"
    assert trial_balance().total == ZERO

    # --- March's commission statement: the line at its agreement, nothing paid out yet -------
    statement = commission_statement_for_month(dealer=dealer, month=TODAY.replace(day=1))
    [row] = statement_lines(statement)
    assert (row["paid"], row["agreement"]) == (False, agreement)


def contract_pdf_path(contract: Contract, *, signed: bool = False):
    from autofin.uploads import upload_path

    return upload_path(contract.signature.signed_pdf_path if signed else contract.pdf_path)


def test_direct_channel_approved_by_risk_through_to_funding(
    settings, django_capture_on_commit_callbacks
):
    # the decision task's follow-up (the contract's issue) runs inline, as a worker would
    settings.CELERY_TASK_ALWAYS_EAGER = True
    cast, products = world_make()
    customer = customer_signup_by_sms(phone="13911114455", name="李华")
    app = direct_application_make(products=products, customer=customer)
    assert app.amount_financed == AMOUNT
    application_submit(actor=customer, application=app, key="journey-2", queue_decision=False)

    # --- the real decision task: approved; it issues the contract through its own task -------
    assert application_decide(app.pk) == "approved"
    decision = Decision.objects.get(application_ref=app.reference)
    assert (decision.outcome, decision.score, decision.tier, decision.reason_codes) == (
        "approve", 600, "A", [],
    )  # fmt: skip
    app.refresh_from_db()
    assert app.conditions == ["MORTGAGE_REGISTRATION"]
    contract = Contract.objects.get(application=app)
    assert (contract.status, contract.tier, contract.created_by_id) == ("issued", "A", None)
    assert AuditEntry.objects.get(
        action="contract_issue", object_id=str(contract.pk)
    ).actor_label == ("decision-worker")
    assert (contract.amount_financed, contract.customer_rate, contract.monthly_payment) == (
        AMOUNT, D("0.039900"), D("4832.32"),
    )  # fmt: skip
    assert contract.payees[0] == {
        "payee_type": "dealer", "party": "dealer", "item": "car", "label": "车款",
        "name": SELLER_NAME, "amount": "140000.00",
    }  # fmt: skip
    with open(contract_pdf_path(contract), "rb") as pdf:
        assert pdf.read(5) == b"%PDF-"

    # --- signed, checklist recorded, disbursed, funded ---------------------------------------
    _sign(contract, customer)
    for item in FundingChecklistItem.objects.filter(contract=contract, status="pending"):
        checklist_item_record(item_id=item.pk, actor=cast.maker, status="done",
                              evidence=f"{item.item_kind} 已核验")  # fmt: skip
    assert [c["contract_id"] for c in contracts_ready_for_funding()] == [contract.pk]
    # the seller the customer named is not a registered dealer yet: nothing can be paid to it
    with pytest.raises(DisbursementError) as refused:
        disbursement_prepare(contract_id=contract.pk, actor=cast.maker)
    assert refused.value.code == "no_account" and SELLER_NAME in refused.value.message
    assert Disbursement.objects.count() == 0
    # once onboarded with a verified settlement account, its car payment goes there
    seller = dealer_make(cast, name=SELLER_NAME, serial=4102, account="6222021001000456")
    d = _disburse(contract, cast, django_capture_on_commit_callbacks)
    assert d.status == "funded" and d.dealer_id is None
    dealer_part = d.instructions.get(payee_kind="dealer")
    assert (dealer_part.payee_dealer_id, dealer_part.account_number_masked) == (
        seller.pk, "6222********0456",
    )  # fmt: skip
    app.refresh_from_db()
    assert app.status == "funded"
    loan = Loan.objects.get(contract_ref=contract.contract_ref)
    assert (loan.customer_id, loan.dealer_id, loan.amount_financed) == (customer.pk, None, AMOUNT)
    assert (loan.gps_status, loan.mortgage_status) == ("done", "done")
    _same_schedule(loan, contract)
    assert Commission.objects.count() == 0  # a direct sale earns the seller no commission
    assert list(
        OutboundMessage.objects.filter(purpose__startswith="disbursement_funded").values_list(
            "purpose", "to"
        )
    ) == [("disbursement_funded", customer.phone)]
    _ledger_after_funding(d, loan)
