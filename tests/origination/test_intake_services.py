"""Intake services: step validation (field errors, nothing changed), duplicates, encryption,
documents by content, consents, submission idempotency, decisions, privacy requests."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.celery import app as celery_app
from autofin.crypto import decrypt, keyed_hash
from autofin.models import AuditEntry, OutboundMessage
from origination.models.applications import Applicant, Application, ApplicationEvent, FinancedItem
from origination.models.documents import ApplicationDocument
from origination.models.payees import Payee
from origination.models.privacy import Consent, DataRequest
from origination.seed.applications import id_number_make, vin_make
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.confirmation import (
    application_confirm_code_send,
    application_customer_confirm,
    confirmation_token,
)
from origination.services.applications.consents import application_consents_give, consent_withdraw
from origination.services.applications.decision import application_decision_apply
from origination.services.applications.errors import ApplicationValidationError
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.applications.submission import (
    DECISION_TASK,
    SubmissionConflictError,
    application_submit,
    submission_problems,
)
from origination.services.documents import application_document_add
from origination.services.facts import application_facts
from origination.services.privacy import personal_data_delete, personal_data_export
from origination.services.signup import sms_code_in
from origination.services.state import application_transition
from origination.tasks.decisions import application_decide
from tests.origination.intake_support import (
    PNG,
    complete_draft,
    new_car,
    payee_registered,
    png_bytes,
    primary_data,
    used_car,
)

pytestmark = pytest.mark.django_db


def counts():
    return (
        Application.objects.count(),
        Applicant.objects.count(),
        FinancedItem.objects.count(),
        ApplicationDocument.objects.count(),
        Consent.objects.count(),
        ApplicationEvent.objects.count(),
        AuditEntry.objects.count(),
    )


# --- step 1 ----------------------------------------------------------------------------------


def test_start_prices_the_indicative_quote(draft):
    # given a 200,000 car with 60,000 down over 36 months (tier B 4.99 %)
    # then the draft holds the car and the amount financed to the fen
    assert draft.status == "draft"
    assert draft.channel == "direct"
    assert draft.amount_financed == Decimal("140000.00")
    assert draft.ltv == Decimal("0.7000")
    assert draft.customer_rate == Decimal("0.049900")
    assert draft.monthly_payment is not None and draft.monthly_payment > Decimal("4000")
    assert draft.car_key.startswith("car:")
    assert decrypt(draft.customer_mobile_enc) == draft.customer.phone
    assert draft.events.get().to_status == "draft"


@pytest.mark.parametrize(
    ("over", "field", "fragment"),
    [
        ({"vin": "LVGBE40K1MA12345"}, "vin", "17 位"),
        ({"vin": "LVGBE40K0MA123456"}, "vin", "校验码"),
        ({"down_payment": Decimal("10000")}, "down_payment", "首付比例"),
        ({"vehicle_price": Decimal("2500000"), "down_payment": Decimal("600000")},
         "vehicle_price", "超过本产品最高"),
        ({"term_months": 18}, "term_months", "不在本产品可选期限"),
        ({"vehicle_kind": "commercial"}, "vehicle_kind", "不适用于"),
        ({"vehicle_brand": ""}, "vehicle_brand", "品牌"),
    ],
)  # fmt: skip
def test_bad_step_one_is_field_errors_and_changes_nothing(
    products, customer, over, field, fragment
):
    before = counts()
    with pytest.raises(ApplicationValidationError) as exc:
        application_start(
            actor=customer,
            channel="direct",
            product_version=products["new"],
            vehicle=new_car(**over),
            customer=customer,
        )
    assert field in exc.value.errors, exc.value.errors
    assert any(fragment in m for m in exc.value.errors[field]), exc.value.errors
    assert counts() == before


def test_used_car_needs_vin_mileage_and_registration(products, customer):
    with pytest.raises(ApplicationValidationError) as exc:
        application_start(
            actor=customer,
            channel="direct",
            product_version=products["used"],
            vehicle=used_car(vin="", mileage_km=None, first_registration_date=None),
            customer=customer,
        )
    assert set(exc.value.errors) >= {"vin", "mileage_km", "first_registration_date"}
    assert Application.objects.count() == 0


def test_used_car_age_plus_term_over_limit_is_refused(products, customer):
    # given a car first registered 2016-12-01 (111 months old on 2026-03-15) and 24 months
    with pytest.raises(ApplicationValidationError) as exc:
        application_start(
            actor=customer,
            channel="direct",
            product_version=products["used"],
            vehicle=used_car(first_registration_date=dt.date(2016, 12, 1)),
            customer=customer,
        )
    assert exc.value.errors["term_months"] == [
        "车龄 111 个月加期限 24 个月为 135 个月，超过本产品到期车龄 120 个月的上限。"
    ]


def test_one_application_per_customer_per_car_in_progress(products, customer):
    vin = vin_make("LGXCE4CB", "PA", "000777")
    kwargs = {
        "actor": customer,
        "channel": "direct",
        "product_version": products["new"],
        "customer": customer,
    }
    first = application_start(vehicle=new_car(vin=vin), **kwargs)
    with pytest.raises(ApplicationValidationError) as exc:
        application_start(vehicle=new_car(vin=vin, down_payment=Decimal("70000")), **kwargs)
    assert first.reference in exc.value.errors["vin"][0]
    # without a VIN the car is product + price + brand/model
    application_start(vehicle=new_car(), **kwargs)
    with pytest.raises(ApplicationValidationError):
        application_start(vehicle=new_car(), **kwargs)
    # once the first is withdrawn the same car may be applied for again
    application_transition(application=first, to_status="withdrawn", actor=customer)
    again = application_start(vehicle=new_car(vin=vin), **kwargs)
    assert again.pk != first.pk


def test_the_database_enforces_one_in_progress(draft):
    from django.db import IntegrityError, transaction

    clone = Application.objects.get(pk=draft.pk)
    clone.pk = None
    clone.reference = "APDUPLICATE1"
    with pytest.raises(IntegrityError), transaction.atomic():
        clone.save()


# --- step 2 ----------------------------------------------------------------------------------


def test_applicant_identity_is_encrypted_masked_and_hashed(draft, customer):
    application_applicants_save(
        actor=customer,
        application=draft,
        primary=primary_data(),
        other=primary_data(
            name="王太太",
            id_number=id_number_make("310115", dt.date(1991, 2, 3), 224),
            birth_date=dt.date(1991, 2, 3),
            mobile="13987654321",
            monthly_income="",
            address="",
        ),
        other_role="co_applicant",
    )
    primary = draft.applicants.get(role="primary")
    id_number = primary_data()["id_number"]
    assert id_number not in primary.id_number_enc
    assert decrypt(primary.id_number_enc) == id_number
    assert primary.id_number_hash == keyed_hash(id_number)
    assert primary.id_number_masked == id_number[:3] + "*" * 11 + id_number[-4:]
    assert primary.mobile_masked == "138****5678"
    assert primary.bank_account_masked == "***************3445"
    assert draft.applicants.get(role="co_applicant").name == "王太太"


@pytest.mark.parametrize(
    ("over", "field", "message"),
    [
        ({"id_number": "31011519900517123X"}, "id_number",
         "身份证号校验位不正确，请核对后重新输入。"),
        ({"birth_date": dt.date(1990, 5, 18)}, "id_number",
         "身份证号中的出生日期与填写的出生日期不一致。"),
        ({"mobile": "1381234567"}, "mobile", "请输入 11 位中国大陆手机号码。"),
        ({"monthly_income": Decimal("0")}, "monthly_income", "月收入须大于 0。"),
        ({"id_number": id_number_make("310115", dt.date(1963, 1, 1), 5),
          "birth_date": dt.date(1963, 1, 1)}, "birth_date",
         "贷款到期时申请人将满 66 周岁，超过 65 周岁的上限。"),
        ({"id_number": id_number_make("310115", dt.date(2008, 6, 1), 5),
          "birth_date": dt.date(2008, 6, 1)}, "birth_date", "申请人须年满 18 周岁。"),
    ],
)  # fmt: skip
def test_bad_applicant_is_refused_with_field_message(draft, customer, over, field, message):
    before = counts()
    with pytest.raises(ApplicationValidationError) as exc:
        application_applicants_save(actor=customer, application=draft, primary=primary_data(**over))
    assert exc.value.errors[field] == [message]
    assert counts() == before


# --- step 3 ----------------------------------------------------------------------------------


def test_items_with_payees_and_caps(draft, customer):
    with pytest.raises(ApplicationValidationError) as exc:
        application_items_save(
            actor=customer,
            application=draft,
            items={
                "insurance": {"amount": "16000", "payee_type": "insurer", "payee_name": "平安"},
                "warranty": {"amount": "3000", "payee_type": "warranty_provider", "payee_name": ""},
            },
            car_payee_name="车商",
        )
    assert exc.value.errors["insurance_amount"] == ["「保险」融资额 ¥16,000.00 超过上限 ¥15,000.00"]
    assert exc.value.errors["warranty_payee_name"] == ["请填写收款方名称。"]
    assert FinancedItem.objects.count() == 0

    # a payee the register does not hold (or holds unverified) is refused at the step
    payee_registered("insurer", "平安财险")
    unverified = payee_registered("warranty", "未核验延保公司")
    Payee.objects.filter(pk=unverified.pk).update(verified=False)
    with pytest.raises(ApplicationValidationError) as exc:
        application_items_save(
            actor=customer,
            application=draft,
            items={
                "insurance": {"amount": "6000", "payee_type": "insurer", "payee_name": "某某保险"},
                "warranty": {
                    "amount": "3000",
                    "payee_type": "warranty_provider",
                    "payee_name": "未核验延保公司",
                },
                "purchase_tax": {
                    "amount": "1000",
                    "payee_type": "tax_authority",
                    "payee_name": "平安财险",  # registered, but as an insurer
                },
            },
            car_payee_name="上海某汽车销售有限公司",
        )
    assert exc.value.errors["insurance_payee_name"] == [
        "“某某保险”不是已登记并核验的保险公司，请从列表中选择已登记的收款方。"
    ]
    assert exc.value.errors["warranty_payee_name"] == [
        "“未核验延保公司”不是已登记并核验的延保服务商，请从列表中选择已登记的收款方。"
    ]
    assert exc.value.errors["purchase_tax_payee_name"] == [
        "“平安财险”不是已登记并核验的税务机关，请从列表中选择已登记的收款方。"
    ]
    draft.refresh_from_db()
    assert FinancedItem.objects.count() == 0 and draft.items_saved_at is None

    application_items_save(
        actor=customer,
        application=draft,
        items={"insurance": {"amount": "6000", "payee_type": "insurer", "payee_name": "平安财险"}},
        car_payee_name="上海某汽车销售有限公司",
    )
    draft.refresh_from_db()
    items = {i.item_kind: (i.amount, i.payee_type, i.payee_name) for i in draft.items.all()}
    assert items == {
        "car": (Decimal("140000.00"), "dealer", "上海某汽车销售有限公司"),
        "insurance": (Decimal("6000.00"), "insurer", "平安财险"),
    }
    assert draft.amount_financed == Decimal("146000.00")


# --- documents -------------------------------------------------------------------------------


def test_pdf_named_png_is_stored_as_png_and_exe_named_pdf_is_refused(draft, customer):
    doc = application_document_add(
        actor=customer,
        application=draft,
        doc_kind="id_front",
        file=SimpleUploadedFile("id.pdf", png_bytes(), content_type="application/pdf"),
    )
    assert doc.content_type == "image/png"
    assert doc.path.endswith(".png") and "id.pdf" not in doc.path
    from PIL import Image

    from autofin.uploads import upload_path

    with Image.open(upload_path(doc.thumbnail_path)) as thumb:
        assert thumb.size == (800, 600)
    before = counts()
    from autofin.uploads import UploadError

    with pytest.raises(UploadError) as exc:
        application_document_add(
            actor=customer,
            application=draft,
            doc_kind="id_back",
            file=SimpleUploadedFile("contract.pdf", b"MZ\x90\x00" + b"\x00" * 200),
        )
    assert exc.value.messages == ["文件格式不支持：只接受 PDF、JPEG、PNG 或 WebP 文件。"]
    assert counts() == before


# --- consents and submission -----------------------------------------------------------------


def test_cannot_submit_without_steps_and_consents(draft, customer):
    complete_draft(draft, actor=customer, consents=False)
    application_consents_give(actor=customer, application=draft, kinds=["credit_bureau"])
    problems = submission_problems(draft)
    assert problems == {
        "consents": ["请同意：敏感个人信息处理同意（金融账户、车辆 GPS 位置）、自动化决策同意。"]
    }
    with pytest.raises(ApplicationValidationError):
        application_submit(actor=customer, application=draft, key="k1")
    draft.refresh_from_db()
    assert draft.status == "draft" and draft.submitted_at is None


def test_consent_records_the_text_version_and_can_be_withdrawn(draft, customer):
    complete_draft(draft, actor=customer)
    consent = draft.consents.get(consent_kind="credit_bureau")
    assert consent.text.version == 1
    assert "征信" in consent.text.text_zh and consent.text.text_en
    assert consent.subject_key == draft.customer_key
    consent_withdraw(actor=customer, consent=consent)
    assert "consents" in submission_problems(draft)


def test_submit_is_idempotent_and_queues_one_decision(
    draft, customer, django_capture_on_commit_callbacks, monkeypatch
):
    complete_draft(draft, actor=customer)
    queued = []
    # the decision task itself is the spy: what reaches the queue is what it is asked to run
    monkeypatch.setattr(
        application_decide, "delay", lambda *args: queued.append((DECISION_TASK, *args))
    )
    with django_capture_on_commit_callbacks(execute=True):
        first = application_submit(actor=customer, application=draft, key="key-1")
    with django_capture_on_commit_callbacks(execute=True):
        again = application_submit(actor=customer, application=draft, key="key-1")
    assert (first.created, again.created) == (True, False)
    assert queued == [(DECISION_TASK, draft.pk)]
    draft.refresh_from_db()
    assert draft.status == "submitted" and draft.submitted_at is not None
    assert draft.amount_financed == Decimal("146000.00")
    assert list(draft.events.filter(kind="status").values_list("to_status", flat=True)) == [
        "draft",
        "submitted",
    ]
    assert OutboundMessage.objects.filter(purpose="application_submitted").count() == 1
    with pytest.raises(SubmissionConflictError):
        application_submit(actor=customer, application=draft, key="key-2")


def test_the_decision_is_sent_by_the_name_its_task_is_registered_under():
    assert application_decide.name == DECISION_TASK
    assert DECISION_TASK in celery_app.tasks


def test_inactive_dealer_cannot_start_or_submit(products, dealer, salesperson):
    dealer.status = "suspended"
    dealer.save()
    with pytest.raises(ApplicationValidationError) as exc:
        application_start(
            actor=salesperson,
            channel="dealer",
            product_version=products["new"],
            vehicle=new_car(),
            customer_name="赵六",
            customer_mobile="13700001111",
            dealer=dealer,
            salesperson=salesperson,
        )
    assert exc.value.errors["__all__"] == ["贵店当前不是合作中状态，暂不能提交申请。"]
    assert Application.objects.count() == 0


def test_dealer_channel_needs_the_customers_sms_confirmation(products, dealer, salesperson):
    app = application_start(
        actor=salesperson,
        channel="dealer",
        product_version=products["new"],
        vehicle=new_car(),
        customer_name="王小明",
        customer_mobile="13812345678",
        dealer=dealer,
        salesperson=salesperson,
    )
    complete_draft(app, actor=salesperson, consents=False)
    assert submission_problems(app)["consents"] == ["客户尚未通过短信链接确认申请并授权。"]
    token = confirmation_token(app)
    all_kinds = ["credit_bureau", "sensitive_info", "automated_decision"]
    with pytest.raises(ApplicationValidationError) as exc:
        application_customer_confirm(token=token, kinds=["credit_bureau"], code="000000")
    assert set(exc.value.errors) == {"sensitive_info", "automated_decision"}
    with pytest.raises(ApplicationValidationError):
        application_customer_confirm(token=token + "x", kinds=[], code="000000")
    # no code asked for yet, then a wrong one: refused, nothing recorded
    with pytest.raises(ApplicationValidationError) as exc:
        application_customer_confirm(token=token, kinds=all_kinds, code="123456")
    assert exc.value.errors == {"code": ["验证码错误或已过期。"]}
    application_confirm_code_send(token=token)
    sms = OutboundMessage.objects.filter(to="13812345678", purpose="sms_code_app_confirm").get()
    assert app.reference in sms.body
    code = sms_code_in(sms.body)
    wrong = "000000" if code != "000000" else "111111"
    with pytest.raises(ApplicationValidationError) as exc:
        application_customer_confirm(token=token, kinds=all_kinds, code=wrong)
    assert exc.value.errors == {"code": ["验证码错误或已过期。"]}
    app.refresh_from_db()
    assert app.customer_confirmed_at is None and app.consents.count() == 0
    application_customer_confirm(token=token, kinds=all_kinds, code=code)
    app.refresh_from_db()
    assert app.customer_confirmed_at is not None
    assert submission_problems(app) == {}
    result = application_submit(actor=salesperson, application=app, key="dealer-1")
    assert result.application.status == "submitted"
    assert result.application.salesperson == salesperson
    assert result.application.dealer == dealer


# --- decisions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("outcome", "status"),
    [
        ("approve", "approved"),
        ("counter_offer", "counter_offered"),
        ("refer", "referred"),
        ("decline", "declined"),
    ],
)
def test_decision_outcome_moves_the_state(draft, customer, outcome, status):
    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key=f"k-{outcome}", queue_decision=False)
    app = application_decision_apply(
        application_id=draft.pk, outcome=outcome, reasons=["R1 ok"], decision_ref="D-1", actor="w"
    )
    assert app.status == status
    assert app.decision_ref == "D-1" and app.decision_reasons == ["R1 ok"]
    assert list(app.events.filter(kind="status").values_list("to_status", flat=True)) == [
        "draft",
        "submitted",
        "under_review",
        status,
    ]
    audit = AuditEntry.objects.filter(object_id=str(app.pk), action="application_transition")
    assert list(audit.order_by("id").values_list("to_state", flat=True)) == [
        "submitted",
        "under_review",
        status,
    ]
    assert OutboundMessage.objects.filter(purpose=f"application_{outcome}").count() == 1
    # the same decision again changes nothing
    again = application_decision_apply(
        application_id=draft.pk, outcome=outcome, reasons=["R1 ok"], decision_ref="D-1", actor="w"
    )
    assert again.status == status
    assert app.events.count() == again.events.count()


def test_facts_are_plain_and_carry_dealer_facts(products, dealer, salesperson):
    app = application_start(
        actor=salesperson,
        channel="dealer",
        product_version=products["new"],
        vehicle=new_car(),
        customer_name="王小明",
        customer_mobile="13812345678",
        dealer=dealer,
        salesperson=salesperson,
    )
    complete_draft(app, actor=salesperson, consents=False)
    facts = application_facts(app)
    import json

    json.dumps(facts)  # plain values only
    assert facts["dealer"]["dealer_id"] == dealer.pk and facts["dealer"]["can_submit"] is True
    assert facts["salesperson_id"] == salesperson.pk
    assert facts["applicant"]["income_monthly"] == "25000.00"
    assert facts["applicant"]["age"] == 35
    assert len(facts["documents"]) == 5
    assert facts["co_applicant"]["present"] is False
    assert facts["product_rules"]["ltv_cap"] == "0.80"


# --- privacy ---------------------------------------------------------------------------------


def test_export_and_deletion_respect_retention(products, customer):
    kwargs = {"actor": customer, "channel": "direct", "customer": customer}
    draft = application_start(product_version=products["new"], vehicle=new_car(), **kwargs)
    complete_draft(draft, actor=customer)
    signed = application_start(
        product_version=products["new"], vehicle=new_car(vehicle_model="汉 DM-i"), **kwargs
    )
    complete_draft(signed, actor=customer)
    application_submit(actor=customer, application=signed, key="s", queue_decision=False)
    for step in ("under_review", "approved", "contract_signed"):
        application_transition(application=signed, to_status=step, actor="uw")

    export = personal_data_export(user=customer)
    assert [a["reference"] for a in export["applications"]] == [draft.reference, signed.reference]
    assert export["applications"][0]["applicants"][0]["id_number"] == primary_data()["id_number"]

    request = personal_data_delete(user=customer)
    assert request.status == "partial"
    assert request.result["anonymised"] == [draft.reference]
    assert request.result["refused"][0]["reference"] == signed.reference
    assert "依法" in request.result["refused"][0]["reason"]
    draft.refresh_from_db()
    applicant = draft.applicants.get()
    assert (applicant.name, applicant.id_number_enc, applicant.id_number_hash) == ("已删除", "", "")
    assert draft.status == "cancelled" and draft.anonymised_at is not None
    assert draft.documents.count() == 0
    signed.refresh_from_db()
    assert decrypt(signed.applicants.get().id_number_enc) == primary_data()["id_number"]
    assert DataRequest.objects.filter(user=customer).count() == 2


def test_png_constant_is_a_png():
    assert PNG.startswith(b"\x89PNG")
