"""The end-to-end journey's set-up, made only through the apps' own services (no fixtures that
write models directly): the back-office cast, a dealer onboarded to active with a verified
settlement account and a commission agreement, the payee register, risk's configuration, a
customer who signs up by SMS code, and applications filled step by step.

Used by tests/test_journey.py (service level) and the browser journeys (Playwright):
tests/test_journey_browser.py, tests/test_journey_customer_browser.py and
tests/test_journey_dealer_browser.py.
"""

from __future__ import annotations

import copy
import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.business_date import business_date_set
from autofin.models import OutboundMessage
from autofin.roles import Role
from dealers.models.dealers import Dealer
from dealers.seed import uscc_make
from dealers.services import (
    agreement_create,
    bank_account_change_approve,
    bank_account_change_prepare,
    dealer_grades_recompute,
    dealer_onboard,
    dealer_transition,
    staff_invitation_accept,
    staff_invite,
)
from origination.models import ProductVersion
from origination.models.applications import Application
from origination.models.contracts import FundingChecklistItem
from origination.seed.applications import id_number_make, intake_products_ensure
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.confirmation import (
    application_confirm_code_send,
    application_confirmation_send,
    application_customer_confirm,
)
from origination.services.applications.consents import application_consents_give
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.checklist import checklist_item_record
from origination.services.documents import application_document_add, documents_required
from origination.services.signup import customer_signup, sms_code_in, sms_code_send
from risk.models import Rule, ScorecardVersion
from risk.services import rule_set_default_ensure
from risk.services.rulesets import rule_set_clone
from risk.services.scorecards import scorecard_get_or_create
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_prepare
from tests import approvals_support
from tests.factories import PASSWORD, UserFactory
from tests.origination.intake_support import PNG, consent_texts_ensure, new_car
from tests.risk.engine_support import HAND_ARTEFACT
from tests.servicing.disbursement_support import deliver, register_payee, send_all

D = Decimal
TODAY = dt.date(2026, 3, 16)  # a Monday: the business date of the whole journey
INSURER = "中国平安财产保险股份有限公司"
TAX = "国家税务总局上海市税务局"
DEALER_NAME = "上海浦江汽车销售服务有限公司"
SELLER_NAME = "上海信诚汽车销售服务有限公司"  # the car seller a direct-channel customer names
DEALER_PHONE = "13800138000"
CONSENTS = ["credit_bureau", "sensitive_info", "automated_decision"]


def journey_settings(settings, tmp_path) -> None:
    """Private files in a temporary folder, a fast password hasher, and the disbursement run
    in this process: sends dispatched inline after commit ("eager"), the sandbox bank's
    callbacks delivered when the test says so ("manual")."""
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    settings.SANDBOX_BANK_DIR = str(tmp_path / "bank")
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.DISBURSEMENT_DISPATCH = "eager"
    settings.SANDBOX_BANK_CALLBACKS = "manual"


@dataclass
class Cast:
    """The back-office people of the journey (each with one role)."""

    account_manager: object
    analyst: object
    underwriter: object
    operations: object
    maker: object  # finance operator
    checker: object  # finance approver


def cast_make() -> Cast:
    return Cast(
        account_manager=UserFactory(
            username="am1", roles=[Role.ACCOUNT_MANAGER], display_name="渠道经理赵"
        ),
        analyst=UserFactory(username="risk1", roles=[Role.RISK_ANALYST], display_name="风控钱"),
        underwriter=UserFactory(username="uw1", roles=[Role.UNDERWRITER], display_name="审批孙"),
        operations=UserFactory(username="ops1", roles=[Role.OPERATIONS], display_name="运营李"),
        maker=UserFactory(username="fin_op1", roles=[Role.FINANCE_OPERATOR], display_name="经办周"),
        checker=UserFactory(
            username="fin_ap1", roles=[Role.FINANCE_APPROVER], display_name="复核吴"
        ),
    )


def world_make() -> tuple[Cast, dict[str, ProductVersion]]:
    """The business date, the published products, the consent texts, the cast, risk's
    configuration and the payee register."""
    from origination.models import RegulatoryLimits

    business_date_set(actor="test", date=TODAY, reason="journey")
    RegulatoryLimits.objects.get_or_create(pk=1)  # a transactional test's flush removes it
    consent_texts_ensure()
    products = intake_products_ensure(actor="test")
    cast = cast_make()
    risk_configure(cast.analyst)
    register_payee(cast.maker, cast.checker, payee_type="insurer", name=INSURER,
                   account="6222021002000456")  # fmt: skip
    register_payee(cast.maker, cast.checker, payee_type="tax", name=TAX, account="6222021003000789")
    return cast, products


# --- risk ---------------------------------------------------------------------------------------


def risk_configure(analyst) -> None:
    """What a risk analyst sets up before the engine approves anything:

    * a champion scorecard for new cars (the hand-made artefact of the risk tests, stored as a
      version as the risk tests do and promoted by the service: a clean bureau file scores 600,
      so the figures below do not hang on the synthetic training data) and the strategy
      (approve from 560, tier A from 590);
    * rule set v2, cloned from the default and edited as in the admin: the income rule is
      switched off (origination never reports income as verified, so with the default rule set
      every application is referred for R01).
    """
    card = scorecard_get_or_create(product_line="new", name="新车评分卡")
    version = ScorecardVersion.objects.create(
        scorecard=card, version=1, status="candidate", artefact=copy.deepcopy(HAND_ARTEFACT),
        report={}, test_auc=0.7, trained_by=analyst.username,
    )  # fmt: skip
    # Four eyes: each change is submitted by the analyst and approved by a second one.
    checker = approvals_support.second_person(analyst)
    approvals_support.scorecard_promote(
        version_id=version.pk, maker=analyst, checker=checker, reason="journey"
    )
    approvals_support.strategy_change(
        maker=analyst,
        checker=checker,
        product_line="new",
        approve_above=560,
        decline_below=480,
        tier_cutoffs={"A": 590, "B": 570, "C": 560},
    )
    default = rule_set_default_ensure()
    v2 = rule_set_clone(rule_set_id=default.pk, actor=analyst, name="收入核验规则停用")
    Rule.objects.filter(rule_set=v2, code="INCOME_UNVERIFIED").update(enabled=False)
    approvals_support.rule_set_activate(rule_set_id=v2.pk, maker=analyst, checker=checker)


# --- dealers ------------------------------------------------------------------------------------


def dealer_make(
    cast: Cast, *, name: str = DEALER_NAME, serial: int = 4101, account: str = "6222021001000123",
    agreement: bool = True, grade_d: bool = False,
) -> Dealer:  # fmt: skip
    """Onboarded by its account manager to active, with a maker-checked settlement account,
    a commission agreement (1 % of the amount financed, capped at 5 %) and, if asked, graded
    D by the nightly grading from poor figures."""
    am = cast.account_manager
    dealer = dealer_onboard(
        actor=am, legal_name=name, uscc=uscc_make("310115", serial), dealer_type="four_s",
        province="上海市", city="上海市", contact_name="钱经理", contact_phone=DEALER_PHONE,
        account_manager=am,
    )  # fmt: skip
    dealer_transition(actor=am, dealer=dealer, to_status="under_review", reason="资料齐全")
    dealer_transition(actor=am, dealer=dealer, to_status="active", reason="审核通过")
    change = bank_account_change_prepare(
        actor=cast.maker, dealer=dealer, account_name=name, bank_name="招商银行上海分行",
        account_number=account,
    )  # fmt: skip
    bank_account_change_approve(actor=cast.checker, change_id=change.pk)
    if agreement:
        agreement_create(
            actor=am, dealer=dealer, product_line="new", commission_kind="percent",
            commission_rate="0.01", cap_rate="0.05", effective_from=TODAY - dt.timedelta(days=30),
        )  # fmt: skip
    if grade_d:
        poor = {
            "applications": 40, "approval_rate": "0.15", "fraud_hits": 4, "fpd_rate": "0.09",
            "dpd30_rate": "0.07", "document_rejection_rate": "0.25",
            "cancellation_after_funding_rate": "0.06",
        }  # fmt: skip
        [grade] = dealer_grades_recompute(
            as_of=TODAY - dt.timedelta(days=1), metrics={dealer.pk: poor}
        )
        assert grade.grade == "D"
    dealer.refresh_from_db()
    return dealer


def salesperson_make(cast: Cast, dealer: Dealer, *, username: str = "sales1"):
    """Invited by the account manager; accepts the invitation and sets a password."""
    _invitation, token = staff_invite(
        actor=cast.account_manager, dealer=dealer, role="dealer_sales", display_name="销售郑",
        email="sales1@example.com",
    )  # fmt: skip
    staff = staff_invitation_accept(token=token, username=username, password=PASSWORD)
    return staff.user


# --- customers and applications -----------------------------------------------------------------


def last_code(phone: str, purpose: str) -> str:
    """The one-time code in the latest SMS of that purpose to `phone` (the sandbox outbox)."""
    msg = (
        OutboundMessage.objects.filter(to=phone, channel="sms", purpose=purpose)
        .order_by("-id")
        .first()
    )
    assert msg is not None, f"no {purpose} SMS to {phone}"
    return sms_code_in(msg.body)


def customer_signup_by_sms(*, phone: str, name: str):
    """The direct-channel sign-up: an SMS code to the phone, then the account."""
    sms_code_send(phone=phone, purpose="signup")
    return customer_signup(
        phone=phone, code=last_code(phone, "sms_code_signup"), display_name=name, password=PASSWORD
    )


def primary(*, name: str, mobile: str, sequence: int) -> dict:
    born = dt.date(1990, 5, 17)
    return {
        "name": name,
        "id_number": id_number_make("310115", born, sequence),
        "birth_date": born,
        "mobile": mobile,
        "marital_status": "married",
        "address": "上海市浦东新区张江路 100 号",
        "employment_kind": "employed",
        "employer": "上海某科技有限公司",
        "employment_years": D("6"),
        "housing": "mortgage",
        "monthly_income": D("25000.00"),
        "bank_account": f"62220202001122{sequence:05d}",
    }


# The deal of both journeys: a ¥200,000 new car, ¥60,000 down, 36 months, with the insurance
# and the purchase tax financed: 140,000.00 + 6,000.00 + 17,699.12 = 163,699.12.
VEHICLE = new_car(vehicle_price=D("200000.00"), down_payment=D("60000.00"), term_months=36)
ITEMS = {
    "insurance": {"amount": "6000.00", "payee_type": "insurer", "payee_name": INSURER},
    "purchase_tax": {"amount": "17699.12", "payee_type": "tax_authority", "payee_name": TAX},
}


def _steps(app: Application, *, actor, person: dict, car_payee_name: str = "") -> Application:
    application_applicants_save(actor=actor, application=app, primary=person)
    app.refresh_from_db()
    application_items_save(actor=actor, application=app, items=ITEMS, car_payee_name=car_payee_name)
    app.refresh_from_db()
    for group in documents_required(app):
        application_document_add(
            actor=actor,
            application=app,
            doc_kind=group[0],
            file=SimpleUploadedFile(f"{group[0]}.png", PNG, content_type="image/png"),
        )
    app.refresh_from_db()
    return app


def dealer_application_make(*, products, dealer, salesperson, customer_name: str, mobile: str):
    """Dealer channel: the salesperson starts and fills the application; the customer confirms
    and consents through the SMS link (no sign-in: the signed link is the key)."""
    app = application_start(
        actor=salesperson, channel="dealer", product_version=products["new"], vehicle=VEHICLE,
        customer_name=customer_name, customer_mobile=mobile, dealer=dealer,
        salesperson=salesperson,
    )  # fmt: skip
    app = _steps(app, actor=salesperson, person=primary(name=customer_name, mobile=mobile,
                 sequence=123))  # fmt: skip
    url = application_confirmation_send(
        actor=salesperson, application=app, link_base="https://autofin.example"
    )
    sms = OutboundMessage.objects.filter(to=mobile, purpose="application_confirm").latest("id")
    assert url in sms.body
    token = re.search(r"/apply/confirm/([^/]+)/", sms.body).group(1)
    application_confirm_code_send(token=token)
    code = last_code(mobile, "sms_code_app_confirm")
    return application_customer_confirm(token=token, kinds=CONSENTS, code=code, ip="203.0.113.9")


def direct_application_make(*, products, customer):
    """Direct channel: the signed-up customer fills every step and gives the consents."""
    app = application_start(
        actor=customer, channel="direct", product_version=products["new"], vehicle=VEHICLE,
        customer=customer,
    )  # fmt: skip
    app = _steps(
        app, actor=customer, person=primary(name=customer.display_name, mobile=customer.phone,
        sequence=456), car_payee_name=SELLER_NAME,
    )  # fmt: skip
    application_consents_give(actor=customer, application=app, kinds=CONSENTS)
    app.refresh_from_db()
    return app


def contract_fund(contract, cast: Cast) -> None:
    """Finance, through its services: the checklist, the maker's instruction, the checker's
    release, the bank's send and callback (run here: DISBURSEMENT_DISPATCH = "manual")."""
    for item in FundingChecklistItem.objects.filter(contract=contract, status="pending"):
        checklist_item_record(
            item_id=item.pk, actor=cast.maker, status="done", evidence=f"{item.item_kind} 已核验"
        )
    d = disbursement_prepare(contract_id=contract.pk, actor=cast.maker)
    disbursement_approve(disbursement_id=d.pk, actor=cast.checker)
    assert send_all(d) == ["sent"] * 3
    assert deliver(d) == 3
    d.refresh_from_db()
    assert d.status == "funded"
