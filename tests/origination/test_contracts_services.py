"""Contracts: the PDF (text and Chinese glyphs), signing with an SMS code, superseding on a
change of terms, the pre-funding checklist per contract type, contract_for_funding's payee
split, and application_mark_funded."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from autofin.models import AuditEntry, OutboundMessage
from autofin.uploads import upload_path
from origination.models.applications import Application
from origination.models.contracts import Contract, ContractSignature, FundingChecklistItem
from origination.selectors.contracts import contract_for_funding, contracts_ready_for_funding
from origination.services.checklist import ChecklistError, checklist_item_record
from origination.services.contracts.errors import (
    ContractError,
    ContractSignError,
)
from origination.services.contracts.funding import application_mark_funded
from origination.services.contracts.issue import contract_issue
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim
from tests.origination.workbench_support import last_sms_code, make_referred

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(application_id=referred.pk, actor=underwriter)
    contract = Contract.objects.get(application=referred)
    contract.customer = referred.customer_user
    return contract


def _sign(contract, *, ip="203.0.113.7"):
    customer = contract.customer
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    return contract_sign(
        contract_id=contract.pk,
        actor=customer,
        code=last_sms_code(customer.phone),
        ip_address=ip,
        user_agent="pytest",
    )


@pytest.mark.requires_service("pdftotext")
def test_contract_pdf_has_chinese_text_apr_and_hash(real_pdf, issued, tmp_path):
    path = upload_path(issued.pdf_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == issued.pdf_sha256
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "合同" in text
    assert issued.contract_ref in text
    apr_text = f"{(issued.apr * 100).quantize(Decimal('0.01'))}%"
    assert apr_text in text
    assert "平安财险" in text  # the insurance payee
    assert "¥140,000.00" in text  # the dealer's part: car price − down payment
    shutil.copy(path, "/tmp/backoffice_contract.pdf")


def _state(contract):
    contract.refresh_from_db()
    return (
        contract.status,
        Application.objects.get(pk=contract.application_id).status,
        ContractSignature.objects.count(),
        AuditEntry.objects.count(),
    )


def test_wrong_code_is_refused_and_changes_nothing(issued):
    customer = issued.customer
    contract_sign_code_send(contract_id=issued.pk, actor=customer)
    right = last_sms_code(customer.phone)
    wrong = f"{(int(right) + 1) % 1000000:06d}"
    before = _state(issued)

    with pytest.raises(ContractSignError) as exc:
        contract_sign(contract_id=issued.pk, actor=customer, code=wrong, ip_address="203.0.113.7")

    assert exc.value.errors == {"code": ["验证码错误或已过期。"]}
    assert _state(issued) == before
    assert (
        FundingChecklistItem.objects.get(contract=issued, item_kind="signed_contract").status
        == "pending"
    )


def test_only_the_customer_signs(issued, underwriter):
    with pytest.raises(ContractSignError):
        contract_sign_code_send(contract_id=issued.pk, actor=underwriter)


@pytest.mark.requires_service("pdftotext")
def test_right_code_signs_and_stores_the_signed_pdf(real_pdf, issued):
    signature = _sign(issued)

    issued.refresh_from_db()
    assert issued.status == "signed"
    app = Application.objects.get(pk=issued.application_id)
    assert app.status == "contract_signed" and app.contract_signed_at is not None
    stored = upload_path(signature.signed_pdf_path).read_bytes()
    assert hashlib.sha256(stored).hexdigest() == signature.signed_pdf_sha256
    assert signature.document_sha256 == issued.pdf_sha256
    assert (signature.signer, signature.ip_address, signature.verification) == (
        issued.customer,
        "203.0.113.7",
        "sms_otp",
    )
    text = subprocess.run(
        ["pdftotext", str(upload_path(signature.signed_pdf_path)), "-"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "电子签署页" in text and "203.0.113.7" in text and issued.pdf_sha256 in text
    assert "王小明" in text
    item = FundingChecklistItem.objects.get(contract=issued, item_kind="signed_contract")
    assert item.status == "done"
    audit = AuditEntry.objects.filter(action="contract_sign").get()
    assert audit.data["signed_pdf_sha256"] == signature.signed_pdf_sha256
    assert AuditEntry.objects.filter(to_state="contract_signed").count() == 1
    # a used code cannot sign again
    with pytest.raises(ContractSignError):
        contract_sign(contract_id=issued.pk, actor=issued.customer, code="000000")


def test_database_allows_one_signed_contract_per_application(issued):
    _sign(issued)
    copy = Contract.objects.get(pk=issued.pk)
    copy.pk = None
    copy.version = 9
    copy.contract_ref = "AF-TEST-999999"
    with pytest.raises(IntegrityError), transaction.atomic():
        copy.save()


def test_issuing_again_on_the_same_terms_returns_the_live_contract(issued, underwriter):
    again = contract_issue(
        application_id=issued.application_id, actor=underwriter, tier=issued.tier
    )

    assert again.pk == issued.pk
    assert Contract.objects.filter(application_id=issued.application_id).count() == 1


def test_issuing_on_other_terms_supersedes_the_unsigned_contract(issued, underwriter):
    other_tier = "D" if issued.tier != "D" else "C"

    new = contract_issue(application_id=issued.application_id, actor=underwriter, tier=other_tier)

    issued.refresh_from_db()
    assert (issued.status, issued.superseded_by_id) == ("superseded", new.pk)
    assert (new.version, new.status, new.tier) == (2, "issued", other_tier)
    assert new.customer_rate != issued.customer_rate
    assert new.contract_ref != issued.contract_ref
    supersede = AuditEntry.objects.get(action="contract_supersede", object_id=str(issued.pk))
    assert supersede.data == {"superseded_by": new.contract_ref}
    assert FundingChecklistItem.objects.filter(contract=new, item_kind="signed_contract").exists()


def test_a_signed_contract_is_never_replaced_by_issuing_again(issued, underwriter):
    _sign(issued)
    before = _state(issued)

    with pytest.raises(ContractError):
        contract_issue(application_id=issued.application_id, actor=underwriter, tier="D")

    assert _state(issued) == before
    assert Contract.objects.filter(application_id=issued.application_id).count() == 1


def test_checklist_per_contract_type():
    from origination.services.checklist import checklist_kinds_for

    assert checklist_kinds_for(contract_type="loan", secured=True, gps=True) == [
        "signed_contract",
        "insurance",
        "gps_installed",
        "mortgage_registration",
        "invoice_matches_price",
    ]
    assert checklist_kinds_for(contract_type="sale_leaseback", secured=True, gps=False) == [
        "signed_contract",
        "insurance",
        "mortgage_registration",
        "invoice_matches_price",
    ]
    assert checklist_kinds_for(contract_type="direct_lease", secured=True, gps=False) == [
        "signed_contract",
        "insurance",
        "title_registration",
        "invoice_matches_price",
    ]
    assert checklist_kinds_for(contract_type="loan", secured=False, gps=False) == [
        "signed_contract",
        "insurance",
        "invoice_matches_price",
    ]


def test_issued_loan_contract_checklist_follows_product_gps_fee(issued):
    # intake-new-std charges a GPS fee: the car needs a GPS device
    assert list(issued.checklist.values_list("item_kind", flat=True)) == [
        "signed_contract",
        "insurance",
        "gps_installed",
        "mortgage_registration",
        "invoice_matches_price",
    ]


def test_checklist_recording_rules(issued, business_today):
    items = {i.item_kind: i for i in issued.checklist.all()}
    with pytest.raises(ChecklistError) as exc:
        checklist_item_record(
            item_id=items["invoice_matches_price"].pk,
            actor="ops",
            status="after_funding",
            evidence="发票待开",
            deadline=business_today + dt.timedelta(days=10),
        )
    assert "status" in exc.value.errors
    with pytest.raises(ChecklistError) as exc:
        checklist_item_record(
            item_id=items["mortgage_registration"].pk,
            actor="ops",
            status="after_funding",
            evidence="已预约车管所",
        )
    assert exc.value.errors == {"deadline": ["请填写补办期限。"]}
    with pytest.raises(ChecklistError):
        checklist_item_record(
            item_id=items["insurance"].pk, actor="ops", status="done", evidence=""
        )
    assert set(issued.checklist.values_list("status", flat=True)) == {"pending"}

    item = checklist_item_record(
        item_id=items["mortgage_registration"].pk,
        actor="ops",
        status="after_funding",
        evidence="已预约车管所",
        deadline=business_today + dt.timedelta(days=30),
    )
    assert (item.status, item.deadline) == ("after_funding", dt.date(2026, 4, 14))
    assert AuditEntry.objects.filter(action="funding_checklist_record").count() == 1


def _complete_checklist(contract, business_today):
    for item in contract.checklist.filter(status="pending"):
        if item.item_kind in ("gps_installed", "mortgage_registration"):
            checklist_item_record(
                item_id=item.pk,
                actor="ops",
                status="after_funding",
                evidence="预约",
                deadline=business_today + dt.timedelta(days=30),
            )
        else:
            checklist_item_record(item_id=item.pk, actor="ops", status="done", evidence="ok")


def test_contract_for_funding_split_sums_exactly(products, underwriter, business_today):
    from django.core.files.uploadedfile import SimpleUploadedFile  # noqa: F401

    from origination.services.applications.items import application_items_save  # noqa: F401

    app = make_referred(
        products=products,
        vehicle_price=Decimal("187654.32"),
        down_payment=Decimal("37530.87"),
    )
    case_claim(application_id=app.pk, actor=underwriter)
    underwriting_approve(application_id=app.pk, actor=underwriter)
    contract = Contract.objects.get(application=app)

    data = contract_for_funding(contract_id=contract.pk)

    assert data["amount_financed"] == Decimal("156123.45")  # 150,123.45 car + 6,000 insurance
    assert [(p["payee_type"], p["amount"]) for p in data["payees"]] == [
        ("dealer", Decimal("150123.45")),
        ("insurer", Decimal("6000.00")),
    ]
    assert data["payees"][0]["amount"] == Decimal("187654.32") - Decimal("37530.87")
    assert sum(p["amount"] for p in data["payees"]) == data["amount_financed"]
    assert data["payees_total"] == data["amount_financed"]
    assert data["contract_ref"] == contract.contract_ref
    assert data["customer_user_id"] == app.customer_user.pk
    assert data["product_rules"]["contract_type"] == "loan"
    assert data["term_months"] == 36 and data["day_count"] == "30/360"
    assert data["customer_rate"] == data["lender_rate"] == Decimal("0.049900")
    assert data["value_date_hint"] == business_today
    assert data["checklist"]["ready"] is False
    assert data["rate_link"] is None  # a fixed-rate product
    assert contracts_ready_for_funding() == []

    # the same contract on an LPR-priced version: the spread is the rate table's cell for the
    # contract's term and tier; without a cell, what the lender rate is above the LPR then
    from origination.models import LprRate
    from origination.selectors.contracts import contract_rate_link

    rules = dict(contract.product_version.rules)
    rules.update(
        rate_basis="lpr",
        lpr_tenor="5y",
        rates=[{"term_months": 36, "tier": contract.tier, "spread_bps": 139}],
    )
    contract.product_version.rules = rules
    assert contract_rate_link(contract) == {"basis": "lpr", "tenor": "5y", "spread_bps": 139}
    rules["rates"] = []
    LprRate.objects.create(tenor="5y", rate=Decimal("0.035000"), effective_date=business_today)
    assert contract_rate_link(contract) == {"basis": "lpr", "tenor": "5y", "spread_bps": 149}


def test_ready_for_funding_needs_signature_checklist_and_conditions(
    referred, underwriter, senior, business_today
):
    from origination.services.underwriting.approval import condition_resolve

    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(
        application_id=referred.pk,
        actor=underwriter,
        conditions=[{"condition_kind": "co_applicant", "note": "配偶作为共借人"}],
    )
    contract = Contract.objects.get(application=referred)
    contract.customer = referred.customer_user
    _complete_checklist(contract, business_today)
    assert contracts_ready_for_funding() == []  # not signed yet
    _sign(contract)
    assert contracts_ready_for_funding() == []  # a condition is open
    cond = referred.approval_conditions.get()
    condition_resolve(condition_id=cond.pk, actor=senior, status="waived", evidence="收入充足")

    ready = contracts_ready_for_funding()

    assert [r["contract_ref"] for r in ready] == [contract.contract_ref]
    assert ready[0]["amount_financed"] == Decimal("146000.00")


def test_application_mark_funded(issued):
    with pytest.raises(ContractError):
        application_mark_funded(
            application_id=issued.application_id, funded_at=timezone.now(), actor="servicing"
        )
    _sign(issued)
    funded_at = timezone.now()

    app = application_mark_funded(
        application_id=issued.application_id, funded_at=funded_at, actor="servicing"
    )

    assert (app.status, app.funded_at) == ("funded", funded_at)
    audit = AuditEntry.objects.filter(to_state="funded").get()
    assert (audit.from_state, audit.actor_label) == ("contract_signed", "servicing")
    again = application_mark_funded(
        application_id=issued.application_id, funded_at=funded_at, actor="servicing"
    )
    assert again.status == "funded"
    assert AuditEntry.objects.filter(to_state="funded").count() == 1


def test_waiving_needs_a_senior(referred, underwriter):
    from origination.services.underwriting.approval import condition_resolve
    from origination.services.underwriting.authority import AuthorityError

    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(
        application_id=referred.pk, actor=underwriter, conditions=[{"condition_kind": "gps"}]
    )
    cond = referred.approval_conditions.get()
    with pytest.raises(AuthorityError):
        condition_resolve(condition_id=cond.pk, actor=underwriter, status="waived", evidence="x")
    cond.refresh_from_db()
    assert cond.status == "open"
    assert OutboundMessage.objects.filter(purpose="contract_issued").count() == 1


def test_seed_fills_queue_and_contracts(business_today):
    import io

    from autofin.roles import Role
    from origination.seed.backoffice import seed_backoffice
    from origination.selectors.contracts import contracts_ready_for_funding
    from tests.factories import UserFactory

    out = io.StringIO()
    seed_backoffice(stdout=out, context={})
    assert "skipped" in out.getvalue()  # no demo users: the product fixtures stay fast
    users = {
        Role.UNDERWRITER: UserFactory(roles=[Role.UNDERWRITER]),
        Role.SENIOR_UNDERWRITER: UserFactory(roles=[Role.SENIOR_UNDERWRITER]),
    }
    seed_backoffice(stdout=out, context={"users": users})

    assert "3 referred in the queue, 3 contracts issued, 2 signed" in out.getvalue()
    assert (
        Application.objects.filter(customer_name__in=["郑浩", "冯雪", "何军"])
        .filter(status="referred")
        .count()
        == 3
    )
    assert Contract.objects.filter(status="signed").count() == 2
    assert len(contracts_ready_for_funding()) == 1
    seed_backoffice(stdout=out, context={"users": users})  # a second run adds nothing
    assert Contract.objects.count() == 3
