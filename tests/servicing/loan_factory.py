"""Loans made the way production makes them: through funding.

`loan_through_funding` publishes a product priced at the rate asked for, starts and fills a
direct-channel application, refers it, has an underwriter approve it (which issues the contract),
has the customer sign it with the SMS code, records the pre-funding checklist, and disburses it
maker-checker through the sandbox bank until the loan is funded — every step by the apps' own
services. The loan therefore carries the SIGNED CONTRACT's figures (customer rate, lender rate,
penalty rate, fees, schedule), and the funding entry is the disbursement code's.

Only the contract PDF is a stand-in (WeasyPrint takes 1-2 s a page; the PDF tests render it).
The business date is the loan's value date while it is made, then put back.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import itertools
import tempfile
from collections.abc import Callable
from contextlib import contextmanager
from decimal import ROUND_CEILING, Decimal
from unittest import mock

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import F
from django.test import override_settings

from autofin.approvals import four_eyes_waived
from autofin.business_date import business_date_current, business_date_set
from autofin.models import OutboundMessage
from autofin.roles import Role
from origination.models import ProductVersion, RegulatoryLimits
from origination.models.contracts import Contract
from origination.models.signup import SmsCode
from origination.models.underwriting import Condition
from origination.seed.applications import id_number_make, vin_make
from origination.selectors.products import quoting_cache_clear
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.consents import application_consents_give
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.bank_cards import bank_card_verify
from origination.services.checklist import checklist_item_record
from origination.services.contracts.signing import (
    SIGN_PURPOSE,
    contract_sign,
    contract_sign_code_send,
)
from origination.services.documents import application_document_add, documents_required
from origination.services.products import product_create, product_version_publish
from origination.services.signup import RESEND_AFTER, sms_code_in
from origination.services.state import application_transition
from origination.services.underwriting.approval import condition_resolve, underwriting_approve
from origination.services.underwriting.claims import case_claim
from servicing.gateway.sandbox_bank import SandboxBank, sandbox_bank_close_thread_connection
from servicing.models.disbursement import Disbursement, PaymentAttempt
from servicing.models.loans import Loan
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_prepare
from servicing.services.disbursement.send import attempt_send
from tests.factories import UserFactory
from tests.origination.intake_support import PNG, consent_texts_ensure

D = Decimal
VALUE_DATE = dt.date(2026, 1, 15)
# what the posting helper's loans had: lock-in 3 months, 2 % early-settlement fee, 50 % markup
RULES = {"penalty_markup": "0.5", "lock_in_months": 3, "early_settlement_fee_rate": "0.02"}
CONSENTS = ["credit_bureau", "sensitive_info", "automated_decision"]
MAX_LTV = D("0.80")
SELLER = "上海工厂测试汽车销售服务有限公司"
SELLER_ACCOUNT = "6222021001000888"
_serial = itertools.count(1)
_media = tempfile.mkdtemp(prefix="loan-factory-")


_phones = itertools.count(1)


def _settings():
    return override_settings(
        PRIVATE_MEDIA_ROOT=f"{_media}/private",
        SANDBOX_BANK_DIR=f"{_media}/bank",
        DISBURSEMENT_DISPATCH="manual",
        SANDBOX_BANK_CALLBACKS="manual",
        PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"],
    )


@contextmanager
def _pdf_stand_in():
    from origination.services.contracts import pdf

    with (
        mock.patch.object(
            pdf,
            "contract_pdf_render",
            lambda c: f"%PDF-1.4 stand-in {c.contract_ref} {c.amount_financed}".encode(),
        ),
        mock.patch.object(
            pdf,
            "contract_signed_pdf_render",
            lambda c, sig: f"%PDF-1.4 signed {c.contract_ref} {sig['document_sha256']}".encode(),
        ),
    ):
        yield


# --- the cast and the seller (once per test database state) ---------------------------------


def _staff(username: str, role: Role, name: str):
    from django.contrib.auth import get_user_model

    user = get_user_model().objects.filter(username=username).first()
    return user or UserFactory(username=username, roles=[role], display_name=name)


def _cast() -> dict:
    from dealers.models.dealers import Dealer, DealerStatus
    from dealers.seed import uscc_make
    from dealers.services import bank_account_change_approve, bank_account_change_prepare

    RegulatoryLimits.objects.get_or_create(pk=1)  # a transactional test's flush removes it
    consent_texts_ensure()
    cast = {
        "maker": _staff("lf_finance_op", Role.FINANCE_OPERATOR, "放款经办"),
        "checker": _staff("lf_finance_ap", Role.FINANCE_APPROVER, "放款复核"),
        "underwriter": _staff("lf_senior_uw", Role.SENIOR_UNDERWRITER, "高级审批员"),
        "operations": _staff("lf_ops", Role.OPERATIONS, "运营"),
    }
    seller = Dealer.objects.filter(legal_name=SELLER).first()
    if seller is None:
        seller = Dealer.objects.create(
            legal_name=SELLER,
            uscc=uscc_make("310115", 9901),
            dealer_type="four_s",
            province="上海市",
            city="上海市",
            status=DealerStatus.ACTIVE,
            contact_phone="13800138000",
        )
        change = bank_account_change_prepare(
            actor=cast["maker"],
            dealer=seller,
            account_name=SELLER,
            bank_name="招商银行上海分行",
            account_number=SELLER_ACCOUNT,
        )
        bank_account_change_approve(actor=cast["checker"], change_id=change.pk)
    cast["seller"] = seller
    return cast


# --- the product ----------------------------------------------------------------------------


def product_for(
    *,
    rate: Decimal,
    term: int,
    method: str,
    day_count: str,
    rules: dict,
    fee: Decimal = Decimal("0.00"),
    customer_rate: Decimal | None = None,
    rate_link: dict | None = None,
    financed_items: list[dict] | None = None,
    actor="test",
    contract_type: str = "loan",
    leaseback_title: str = "",
) -> ProductVersion:
    """A published product whose rate table prices `term` at `rate` (or, floating, at the LPR
    plus the link's spread) for every tier, with a handling fee of `fee` in every instalment;
    subsidised to `customer_rate` if that is lower.
    `financed_items`: the add-ons it finances (the product rule of that name), none by default;
    `contract_type` (and a sale-leaseback's `leaseback_title`): a lease product.
    The same terms give the same product (looked up by a code made from them)."""
    unknown = set(rules) - {"penalty_markup", "lock_in_months", "early_settlement_fee_rate",
                            "waterfall"}  # fmt: skip
    if unknown:  # a rule no product carries would be silently lost at funding
        raise ValueError(f"not a product rule: {sorted(unknown)}")
    floating = bool(rate_link and rate_link.get("basis") == "lpr")
    fields = {
        "terms": [term],
        "max_term_months": max(term, 12),
        "methods": [method],
        "ltv_rules": [{"vehicle_kind": "new", "vehicle_use": "personal",
                       "min_down_payment_ratio": "0.20", "max_ltv": str(MAX_LTV)}],
        "amount_min": D("1000.00"),
        "amount_max": D("5000000.00"),
        "day_count": day_count,
        "fees": [{"fee_kind": "handling", "basis": "per_instalment", "value": str(fee),
                  "financed": False}] if fee else [],
        "penalty_markup": D(str(rules.get("penalty_markup", "0.5"))),
        "lock_in_months": int(rules.get("lock_in_months", 0)),
        "early_settlement_fee_rate": D(str(rules.get("early_settlement_fee_rate", "0"))),
        "waterfall": rules.get("waterfall") or [],
        "rate_basis": "lpr" if floating else "fixed",
        "lpr_tenor": rate_link["tenor"] if floating else "",
    }  # fmt: skip
    if financed_items:
        fields["financed_items"] = financed_items
    if leaseback_title:
        fields["leaseback_title"] = leaseback_title
    if method == "balloon":
        fields.update(balloon_ratio_min=D("0.10"), balloon_ratio_max=D("0.50"))
    if customer_rate is not None and customer_rate < rate:
        fields.update(
            subsidy_customer_rate=customer_rate, subsidy_terms=[term], subsidy_payer="星辰汽车"
        )
    if floating:
        from origination.selectors.products import lpr_rate_current

        lpr = lpr_rate_current(tenor=rate_link["tenor"], as_of=business_date_current())
        spread = int(rate_link["spread_bps"])
        if lpr is None or lpr.rate + D(spread) / 10000 != rate:
            raise ValueError(f"{rate} is not the LPR in force ({lpr and lpr.rate}) + {spread} bp")
        rates = [(term, tier, None, spread) for tier in "ABCD"]
    else:
        rates = [(term, tier, rate, None) for tier in "ABCD"]
    key = repr((sorted((k, str(v)) for k, v in fields.items()), rates))
    key += "" if contract_type == "loan" else contract_type  # a loan's code as before
    code = "lf-" + hashlib.sha1(key.encode()).hexdigest()[:12]  # noqa: S324 - a name, not security
    version = ProductVersion.objects.filter(product__code=code, status="published").first()
    if version is not None:
        return version
    product = product_create(
        actor=actor,
        code=code,
        name=f"测试产品 {code}",
        vehicle_kind="new",
        contract_type=contract_type,
        rules=fields,
        rates=rates,
    )
    # the product is the test's setting, not its subject: published as the demo seed does, with
    # four eyes waived (audited as such), so tests of approvals see only their own requests

    with four_eyes_waived("test loan factory"):
        return product_version_publish(actor=actor, version=product.versions.get(number=1))


# --- the loan -------------------------------------------------------------------------------


def _price_for(amount: Decimal) -> Decimal:
    """A car price whose loan-to-value for `amount` stays within the product's 80 %."""
    return (amount / MAX_LTV).quantize(D("1"), rounding=ROUND_CEILING)


def _last_code(phone: str) -> str:
    msg = OutboundMessage.objects.filter(to=phone, channel="sms").order_by("-id").first()
    return sms_code_in(msg.body)


def contract_signed_for(
    *,
    customer,
    version: ProductVersion,
    amount: Decimal,
    term: int,
    method: str,
    balloon_ratio: Decimal | None = None,
    after_funding: dict | None = None,
    items: dict | None = None,
    cast: dict,
) -> Contract:
    """A direct-channel application on `version` for a car financed at exactly `amount`,
    filled, submitted, referred, approved by the senior underwriter (the contract is issued)
    and signed by the customer; its pre-funding checklist recorded as done, except the items of
    `after_funding` ({item_kind: deadline}), allowed after funding. A GPS item there means the
    underwriter's approval asks for GPS (a condition the underwriter then marks satisfied: the
    installation is booked). `items`: the financed add-ons as application_items_save takes them
    (each paid to its registered payee), none by default."""
    after_funding = after_funding or {}
    n = next(_serial)
    price = _price_for(amount)
    app = application_start(
        actor=customer,
        channel="direct",
        product_version=version,
        vehicle={
            "vehicle_brand": "大众", "vehicle_model": "帕萨特", "vehicle_trim": "330TSI 豪华版",
            "vehicle_kind": "new", "vehicle_use": "personal", "vehicle_price": price,
            "vin": vin_make("LSVAU218", "N2", f"{n % 1000000:06d}"), "mileage_km": None,
            "first_registration_date": None, "down_payment": price - amount,
            "term_months": term, "method": method, "balloon_ratio": balloon_ratio,
        },
        customer=customer,
    )  # fmt: skip
    born = dt.date(1988, 3, 9)
    # 310104 (徐汇区) was a county code in 1988; 310115 (浦东新区) only from 1993, so an ID with it
    # and this birth date is one no lessee holds, and the invoice's buyer check refuses it
    application_applicants_save(
        actor=customer,
        application=app,
        primary={
            "name": customer.display_name or "王小明",
            "id_number": id_number_make("310104", born, n),
            "birth_date": born,
            "mobile": customer.phone,
            "marital_status": "married",
            "address": "上海市浦东新区张江路 100 号",
            "employment_kind": "employed",
            "employer": "上海某科技有限公司",
            "employment_years": D("6"),
            "housing": "mortgage",
            "monthly_income": D("30000.00"),
            "bank_account": f"62220202{n % 10**11:011d}",
        },
    )
    app.refresh_from_db()
    application_items_save(
        actor=customer, application=app, items=items or {}, car_payee_name=SELLER
    )
    app.refresh_from_db()
    for group in documents_required(app):
        application_document_add(
            actor=customer,
            application=app,
            doc_kind=group[0],
            file=SimpleUploadedFile(f"{group[0]}.png", PNG, content_type="image/png"),
        )
    application_consents_give(actor=customer, application=app, kinds=CONSENTS)
    app.refresh_from_db()
    application_submit(actor=customer, application=app, key=f"lf-{n}", queue_decision=False)
    application_transition(application=app, to_status="under_review", actor="test")
    application_transition(application=app, to_status="referred", actor="test")
    uw = cast["underwriter"]
    case_claim(application_id=app.pk, actor=uw)
    gps = "gps_installed" in after_funding
    underwriting_approve(
        application_id=app.pk,
        actor=uw,
        conditions=[{"condition_kind": "gps", "note": "安装 GPS"}] if gps else [],
    )
    for condition in Condition.objects.filter(application=app, status="open"):
        condition_resolve(
            condition_id=condition.pk, actor=uw, status="satisfied", evidence="已预约安装"
        )
    contract = Contract.objects.get(application=app, status="issued")
    # Many loans a second for one phone: the customer's earlier signing codes (already used)
    # are dated past the one-a-minute resend limit, as if she signed her last contract earlier.
    SmsCode.objects.filter(purpose=SIGN_PURPOSE).update(created_at=F("created_at") - RESEND_AFTER)
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    contract_sign(
        contract_id=contract.pk,
        actor=customer,
        code=_last_code(customer.phone),
        ip_address="203.0.113.7",
    )
    for item in contract.checklist.filter(status="pending").order_by("pk"):
        deadline = after_funding.get(item.item_kind)
        checklist_item_record(
            item_id=item.pk,
            actor=cast["operations"],
            status="after_funding" if deadline else "done",
            evidence=f"核验 {n}",
            deadline=deadline,
        )
    contract.refresh_from_db()
    return contract


@contextmanager
def contracts_making():
    """The cast (seller, underwriter, operations, maker, checker) for contract_signed_for, with
    its stand-ins in force: the PDF, the private media and the manual dispatch. For a caller that
    makes many contracts at once (bench/disbursement.py) and funds them its own way afterwards."""
    with _settings(), _pdf_stand_in():
        quoting_cache_clear()
        yield _cast()
    quoting_cache_clear()


def contract_fund(*, contract: Contract, cast: dict) -> Loan:
    """Maker prepares, checker releases, each payment is sent and the sandbox bank calls back:
    the last success funds the loan."""
    d = disbursement_prepare(contract_id=contract.pk, actor=cast["maker"])
    disbursement_approve(disbursement_id=d.pk, actor=cast["checker"])
    attempts = PaymentAttempt.objects.filter(instruction__disbursement=d)
    for pk in attempts.filter(status="pending").values_list("pk", flat=True):
        attempt_send(attempt_id=pk)
    SandboxBank().callbacks_deliver(keys=list(attempts.values_list("idempotency_key", flat=True)))
    d = Disbursement.objects.get(pk=d.pk)
    assert d.status == "funded", f"disbursement {d.pk} is {d.status}, not funded"
    return Loan.objects.get(contract_ref=contract.contract_ref)


# a card the sandbox's four-element check passes (origination/bank_cards.py)
LEASEBACK_CARD = "6222021234567890123"


def loan_through_funding(
    *,
    customer=None,
    amount: str = "120000.00",
    rate: str = "0.06",
    term: int = 12,
    method: str = "equal_instalment",
    value_date: dt.date = VALUE_DATE,
    fee: str = "50.00",
    rules: dict | None = None,
    day_count: str = "30/360",
    customer_rate: str | None = None,
    rate_link: dict | None = None,
    balloon_ratio: str | None = None,
    after_funding: dict | None = None,
    before_funding: Callable[[Contract, dict], None] | None = None,
    contract_type: str = "loan",
) -> Loan:
    """A funded loan on `value_date` (the business date is put back afterwards): the product,
    the application, the signed contract and the disbursement all made by the real services.

    `rate` is the lender's rate (for a floating loan, the spread comes from `rate_link` and the
    LPR in force on the value date must be recorded); `customer_rate` below it makes the product
    subsidised down to it; `fee` is the handling fee in every instalment; `rules` gives
    penalty_markup, lock_in_months, early_settlement_fee_rate and waterfall. `before_funding`
    is called with the signed contract and the cast just before the disbursement is prepared
    (a test's look at the moment funding starts)."""
    before = business_date_current()
    with _settings(), _pdf_stand_in():
        # one borrower per loan unless given: each loan's signing codes go to its own phone (a
        # phone gets only so many codes an hour)
        customer = customer or UserFactory(roles=[Role.CUSTOMER], phone=f"137{next(_phones):08d}")
        try:
            business_date_set(actor="test", date=value_date, reason="loan factory")
            quoting_cache_clear()
            cast = _cast()
            version = product_for(
                rate=D(rate),
                term=term,
                method=method,
                day_count=day_count,
                fee=D(fee),
                rules=RULES if rules is None else rules,
                customer_rate=None if customer_rate is None else D(customer_rate),
                rate_link=rate_link,
                contract_type=contract_type,
            )
            contract = contract_signed_for(
                customer=customer,
                version=version,
                amount=D(amount),
                term=term,
                method=method,
                balloon_ratio=None if balloon_ratio is None else D(balloon_ratio),
                after_funding=after_funding,
                cast=cast,
            )
            if contract_type == "sale_leaseback":
                # the purchase price goes to the customer's own card, checked first (四要素)
                bank_card_verify(
                    application=contract.application, card_number=LEASEBACK_CARD,
                    bank_name="中国工商银行", phone=customer.phone, actor=customer,
                )  # fmt: skip
            if before_funding is not None:
                before_funding(contract, cast)
            return contract_fund(contract=contract, cast=cast)
        finally:
            sandbox_bank_close_thread_connection()
            if before is not None and before != value_date:
                business_date_set(actor="test", date=before, reason="loan factory: put back")
            quoting_cache_clear()
