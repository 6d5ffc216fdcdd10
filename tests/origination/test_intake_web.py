"""Intake over HTTP: the REST API end to end (idempotent submit), the HTML steps (a rejected
step changes nothing; a double-clicked submit submits once), scoping (404 for other customers
and other dealers on pages, API and documents), sign-up by SMS code, and the schema."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from rest_framework.test import APIClient

from autofin.models import OutboundMessage
from origination.models.applications import Application, ApplicationStatus, FinancedItem
from origination.models.documents import ApplicationDocument
from origination.models.signup import SmsCode
from origination.selectors.progress import application_needs
from origination.services.state import DEALER_NEXT_STEP, NEXT_STEP
from tests.factories import PASSWORD
from tests.origination.intake_support import PNG, complete_draft, payee_registered, primary_data

pytestmark = pytest.mark.django_db

VEHICLE = {
    "product": "intake-new-std",
    "vehicle_brand": "比亚迪",
    "vehicle_model": "汉 EV",
    "vehicle_kind": "new",
    "vehicle_use": "personal",
    "vehicle_price": "200000.00",
    "down_payment": "60000.00",
    "term_months": 36,
    "method": "equal_instalment",
}


def api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def person() -> dict:
    data = primary_data()
    data["birth_date"] = data["birth_date"].isoformat()
    data["employment_years"] = str(data["employment_years"])
    data["monthly_income"] = str(data["monthly_income"])
    return data


def api_fill(client, ref: str, *, consents: bool = True) -> None:
    r = client.patch(
        f"/api/v1/applications/{ref}/", {"step": "applicants", "primary": person()}, format="json"
    )
    assert r.status_code == 200, r.json()
    payee_registered("insurer", "平安财险")
    r = client.patch(
        f"/api/v1/applications/{ref}/",
        {
            "step": "items",
            "car_payee_name": "上海某汽车销售有限公司",
            "items": [
                {
                    "item_kind": "insurance",
                    "amount": "6000.00",
                    "payee_type": "insurer",
                    "payee_name": "平安财险",
                }
            ],
        },
        format="json",
    )
    assert r.status_code == 200, r.json()
    for kind in ("id_front", "id_back", "driving_licence", "income_proof", "invoice"):
        r = client.post(
            f"/api/v1/applications/{ref}/documents/",
            {"doc_kind": kind, "file": SimpleUploadedFile(f"{kind}.png", PNG)},
            format="multipart",
        )
        assert r.status_code == 201, r.json()
    if consents:
        r = client.patch(
            f"/api/v1/applications/{ref}/",
            {
                "step": "consents",
                "kinds": ["credit_bureau", "sensitive_info", "automated_decision"],
            },
            format="json",
        )
        assert r.status_code == 200, r.json()


def test_api_end_to_end_with_idempotent_submit(products, customer, other_customer):
    client = api(customer)
    r = client.post("/api/v1/applications/", VEHICLE, format="json")
    assert r.status_code == 201, r.json()
    ref = r.json()["reference"]
    assert r.json()["amount_financed"] == "140000.00"
    assert r.json()["steps"] == {
        "vehicle": True,
        "applicant": False,
        "items": False,
        "documents": False,
        "consents": False,
        "review": False,
    }
    api_fill(client, ref)
    # submit without the header: refused, nothing changes
    r = client.post(f"/api/v1/applications/{ref}/submit/")
    assert r.status_code == 400
    assert Application.objects.get(reference=ref).status == "draft"
    first = client.post(f"/api/v1/applications/{ref}/submit/", HTTP_IDEMPOTENCY_KEY="abc-1")
    second = client.post(f"/api/v1/applications/{ref}/submit/", HTTP_IDEMPOTENCY_KEY="abc-1")
    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["status"] == second.json()["status"] == "submitted"
    assert Application.objects.get(reference=ref).events.filter(to_status="submitted").count() == 1
    third = client.post(f"/api/v1/applications/{ref}/submit/", HTTP_IDEMPOTENCY_KEY="abc-2")
    assert third.status_code == 409
    r = client.get(f"/api/v1/applications/{ref}/status/")
    assert r.json()["status"] == "submitted"
    assert [e["to_status"] for e in r.json()["timeline"] if e["kind"] == "status"] == [
        "draft",
        "submitted",
    ]
    # identity data is masked in the API
    applicant = client.get(f"/api/v1/applications/{ref}/").json()["applicants"][0]
    assert applicant["id_number_masked"].startswith("310") and "*" in applicant["id_number_masked"]
    assert "id_number" not in applicant
    # another customer: 404 everywhere
    other = api(other_customer)
    for url in (f"/api/v1/applications/{ref}/", f"/api/v1/applications/{ref}/status/"):
        assert other.get(url).status_code == 404
    assert (
        other.post(f"/api/v1/applications/{ref}/submit/", HTTP_IDEMPOTENCY_KEY="x").status_code
        == 404
    )
    assert other.get("/api/v1/applications/").json()["results"] == []


def test_api_steps_on_another_customers_draft_are_404_and_change_nothing(
    products, customer, other_customer
):
    ref = api(customer).post("/api/v1/applications/", VEHICLE, format="json").json()["reference"]
    other = api(other_customer)
    base = f"/api/v1/applications/{ref}/"
    assert (
        other.patch(base, {"step": "applicants", "primary": person()}, format="json").status_code
        == 404
    )
    upload = {"doc_kind": "id_front", "file": SimpleUploadedFile("id_front.png", PNG)}
    assert other.post(base + "documents/", upload, format="multipart").status_code == 404
    assert other.post(base + "submit/", HTTP_IDEMPOTENCY_KEY="x").status_code == 404
    assert api(customer).get("/api/v1/applications/AP000000NOPE/status/").status_code == 404
    app = Application.objects.get(reference=ref)
    assert (app.status, app.applicants.count(), app.documents.count()) == ("draft", 0, 0)
    # the owner's step still reads the product: the required documents come from it
    r = api(customer).patch(base, {"step": "applicants", "primary": person()}, format="json")
    assert r.status_code == 200, r.json()
    assert r.json()["steps"]["applicant"] is True and r.json()["steps"]["documents"] is False


def test_api_rejected_step_gives_field_errors_and_changes_nothing(products, customer):
    client = api(customer)
    ref = client.post("/api/v1/applications/", VEHICLE, format="json").json()["reference"]
    bad = person() | {"id_number": "31011519900517123X"}
    r = client.patch(
        f"/api/v1/applications/{ref}/", {"step": "applicants", "primary": bad}, format="json"
    )
    assert r.status_code == 400
    assert r.json()["errors"] == {"id_number": ["身份证号校验位不正确，请核对后重新输入。"]}
    assert Application.objects.get(reference=ref).applicants.count() == 0
    r = client.post("/api/v1/applications/", VEHICLE | {"down_payment": "10000"}, format="json")
    assert r.status_code == 400
    assert r.json()["errors"]["down_payment"] == [
        "首付比例 5% 低于本产品 15% 的最低要求",
        "贷款价值比 95% 超过本产品 80% 的上限",
    ]
    assert Application.objects.count() == 1


def items_body(payee_name: str) -> dict:
    return {
        "step": "items",
        "car_payee_name": "上海某汽车销售有限公司",
        "items": [
            {
                "item_kind": "insurance",
                "amount": "6000.00",
                "payee_type": "insurer",
                "payee_name": payee_name,
            }
        ],
    }


REFUSED = "“某某保险”不是已登记并核验的保险公司，请从列表中选择已登记的收款方。"


def test_api_items_refuse_an_unregistered_payee_and_take_a_registered_one(products, customer):
    client = api(customer)
    ref = client.post("/api/v1/applications/", VEHICLE, format="json").json()["reference"]
    payee_registered("insurer", "平安财险")
    r = client.patch(f"/api/v1/applications/{ref}/", items_body("某某保险"), format="json")
    assert r.status_code == 400
    assert r.json()["errors"] == {"insurance_payee_name": [REFUSED]}
    assert FinancedItem.objects.count() == 0
    assert Application.objects.get(reference=ref).items_saved_at is None
    r = client.patch(f"/api/v1/applications/{ref}/", items_body("平安财险"), format="json")
    assert r.status_code == 200, r.json()
    assert FinancedItem.objects.get(item_kind="insurance").payee_name == "平安财险"


def test_html_items_step_refuses_an_unregistered_payee(client, draft, customer):
    client.login(username=customer.username, password=PASSWORD)
    payee_registered("insurer", "平安财险")
    url = f"/apply/{draft.reference}/items/"
    form = {
        "car_payee_name": "上海某汽车销售有限公司",
        "insurance_amount": "6000",
        "insurance_payee_type": "insurer",
        "insurance_payee_name": "某某保险",
    }
    r = client.post(url, form)
    assert r.status_code == 400
    assert REFUSED in r.content.decode()
    assert draft.items.count() == 0
    r = client.post(url, form | {"insurance_payee_name": "平安财险"})
    assert r.status_code == 302
    assert draft.items.get(item_kind="insurance").payee_name == "平安财险"


def test_api_upload_checks_content(products, customer):
    client = api(customer)
    ref = client.post("/api/v1/applications/", VEHICLE, format="json").json()["reference"]
    r = client.post(
        f"/api/v1/applications/{ref}/documents/",
        {"doc_kind": "id_front", "file": SimpleUploadedFile("photo.pdf", PNG)},
        format="multipart",
    )
    assert r.status_code == 201 and r.json()["content_type"] == "image/png"
    r = client.post(
        f"/api/v1/applications/{ref}/documents/",
        {"doc_kind": "id_back", "file": SimpleUploadedFile("x.pdf", b"MZ" + b"\0" * 64)},
        format="multipart",
    )
    assert r.status_code == 400
    assert r.json()["errors"]["file"] == ["文件格式不支持：只接受 PDF、JPEG、PNG 或 WebP 文件。"]
    assert ApplicationDocument.objects.count() == 1


def test_dealer_scoping_on_api_pages_and_documents(
    client, products, dealer, salesperson, other_dealer_sales, customer
):
    sales = api(salesperson)
    r = sales.post(
        "/api/v1/applications/",
        VEHICLE | {"customer_name": "王小明", "customer_mobile": "13812345678"},
        format="json",
    )
    assert r.status_code == 201, r.json()
    assert r.json()["channel"] == "dealer" and r.json()["dealer_id"] == dealer.pk
    ref = r.json()["reference"]
    api_fill(sales, ref, consents=False)
    # dealer staff cannot give the customer's consents
    r = sales.patch(
        f"/api/v1/applications/{ref}/",
        {"step": "consents", "kinds": ["credit_bureau"]},
        format="json",
    )
    assert r.status_code == 404
    doc = ApplicationDocument.objects.filter(application__reference=ref).first()
    # own dealer's staff sees it all
    client.login(username=salesperson.username, password=PASSWORD)
    assert client.get(f"/dealer/applications/{ref}/").status_code == 200
    assert client.get(f"/applications/documents/{doc.pk}/").status_code == 200
    assert client.get("/dealer/pipeline/").status_code == 200
    # another dealer's staff: 404 on the page, the API and the document
    client.logout()
    client.login(username=other_dealer_sales.username, password=PASSWORD)
    assert client.get(f"/dealer/applications/{ref}/").status_code == 404
    assert client.get(f"/dealer/applications/{ref}/items/").status_code == 404
    assert client.get(f"/applications/documents/{doc.pk}/").status_code == 404
    assert api(other_dealer_sales).get(f"/api/v1/applications/{ref}/").status_code == 404
    # a customer who is not the applicant: 404
    client.logout()
    client.login(username=customer.username, password=PASSWORD)
    assert client.get(f"/applications/documents/{doc.pk}/").status_code == 404
    assert client.get(f"/my/applications/{ref}/").status_code == 404


def test_html_rejected_step_changes_nothing_and_double_submit_submits_once(
    client, draft, customer, other_customer
):
    client.login(username=customer.username, password=PASSWORD)
    url = f"/apply/{draft.reference}/applicant/"
    bad = person() | {"id_number": "31011519900517123X"}
    r = client.post(url, bad)
    assert r.status_code == 400
    assert "身份证号校验位不正确，请核对后重新输入。" in r.content.decode()
    assert draft.applicants.count() == 0
    complete_draft(draft, actor=customer)
    review = client.get(f"/apply/{draft.reference}/review/")
    token = re.search(r'name="form_token" value="([0-9a-f]+)"', review.content.decode()).group(1)
    r1 = client.post(f"/apply/{draft.reference}/review/", {"form_token": token})
    r2 = client.post(f"/apply/{draft.reference}/review/", {"form_token": token})
    assert r1.status_code == r2.status_code == 302
    draft.refresh_from_db()
    assert draft.status == "submitted"
    assert draft.events.filter(to_status="submitted").count() == 1
    page = client.get(f"/my/applications/{draft.reference}/").content.decode()
    assert "已提交" in page and draft.reference in page
    client.logout()
    client.login(username=other_customer.username, password=PASSWORD)
    assert client.get(f"/my/applications/{draft.reference}/").status_code == 404
    assert client.get(f"/apply/{draft.reference}/review/").status_code == 404


def test_signup_by_sms_code(client, business_today):
    r = client.post("/apply/signup/", {"phone": "13611112222", "action": "send_code"})
    assert r.status_code == 200
    message = OutboundMessage.objects.get(to="13611112222", purpose="sms_code_signup")
    code = re.search(r"\d{6}", message.body).group(0)
    sms = SmsCode.objects.get()
    assert code not in sms.code_hash
    # a wrong code counts an attempt and creates nobody
    wrong = "000000" if code != "000000" else "111111"
    r = client.post(
        "/apply/signup/",
        {"phone": "13611112222", "code": wrong, "display_name": "钱七",
         "password": "Car-Loan-2026!", "action": "signup"},
    )  # fmt: skip
    assert "验证码错误或已过期。" in r.content.decode()
    r = client.post(
        "/apply/signup/",
        {"phone": "13611112222", "code": code, "display_name": "钱七",
         "password": "Car-Loan-2026!", "action": "signup"},
    )  # fmt: skip
    assert r.status_code == 302 and r.url == "/apply/"
    from autofin.models import User
    from autofin.roles import user_has_role

    user = User.objects.get(username="13611112222")
    assert user_has_role(user, "customer") and user.phone == "13611112222"
    sms.refresh_from_db()
    assert sms.attempts == 2 and sms.used_at is not None


def test_sms_code_attempt_limit(business_today):
    from origination.services.signup import sms_code_send, sms_code_verify

    sms_code_send(phone="13611113333")
    for _ in range(5):
        assert sms_code_verify(phone="13611113333", code="not-it") is False
    code = re.search(r"\d{6}", OutboundMessage.objects.get(to="13611113333").body).group(0)
    assert sms_code_verify(phone="13611113333", code=code) is False  # locked after 5 tries


def test_schema_documents_the_applications_api(client):
    r = client.get("/api/schema/?format=json")
    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/applications/" in paths
    assert "/api/v1/applications/{reference}/submit/" in paths
    params = paths["/api/v1/applications/{reference}/submit/"]["post"]["parameters"]
    assert any(p["name"] == "Idempotency-Key" for p in params)


def test_turnaround_report(client, draft, customer):
    from autofin.roles import Role
    from origination.selectors.turnaround import turnaround_summary
    from origination.services.applications.decision import application_decision_apply
    from origination.services.applications.submission import application_submit
    from tests.factories import UserFactory

    complete_draft(draft, actor=customer)
    application_submit(actor=customer, application=draft, key="t", queue_decision=False)
    application_decision_apply(application_id=draft.pk, outcome="approve", decision_ref="D")
    rows = turnaround_summary(group_by="channel")
    assert [(r["group"], r["submitted"], r["decided"]) for r in rows] == [("direct", 1, 1)]
    uw = UserFactory(roles=[Role.UNDERWRITER])
    client.login(username=uw.username, password=PASSWORD)
    assert client.get("/applications/report/").status_code == 200
    client.logout()
    client.login(username=customer.username, password=PASSWORD)
    assert client.get("/applications/report/").status_code == 403


def test_a_funded_application_tells_the_dealer_its_own_next_step(client, products, salesperson):
    """Issue #16: the salesperson's page showed the customer's 请按还款计划按时还款."""
    r = api(salesperson).post(
        "/api/v1/applications/",
        VEHICLE | {"customer_name": "王小明", "customer_mobile": "13812345678"},
        format="json",
    )
    ref = r.json()["reference"]
    app = Application.objects.get(reference=ref)
    customer_line = str(NEXT_STEP[ApplicationStatus.FUNDED])
    dealer_line = str(DEALER_NEXT_STEP[ApplicationStatus.FUNDED])
    assert "还款" in customer_line and "还款" not in dealer_line
    Application.objects.filter(pk=app.pk).update(submitted_at=timezone.now())
    for status in (ApplicationStatus.FUNDED, ApplicationStatus.COUNTER_OFFERED):
        Application.objects.filter(pk=app.pk).update(status=status)
        client.force_login(salesperson)
        html = client.get(f"/dealer/applications/{ref}/").content.decode()
        needs = re.search(r'data-testid="needs">(.*?)</ul>', html, re.S).group(1)
        assert str(DEALER_NEXT_STEP[status]) in needs
        assert str(NEXT_STEP[status]) not in needs
        # the API answers the salesperson in the same words as the page
        status_json = api(salesperson).get(f"/api/v1/applications/{ref}/status/").json()
        assert status_json["needs"] == [str(DEALER_NEXT_STEP[status])]
    # the customer keeps the customer's instruction
    app.refresh_from_db()
    assert app.status == ApplicationStatus.COUNTER_OFFERED
    Application.objects.filter(pk=app.pk).update(status=ApplicationStatus.FUNDED)
    app.refresh_from_db()
    assert application_needs(app) == [customer_line]


def test_no_co_applicant_ignores_what_its_hidden_fields_still_hold(client, draft, customer):
    """无 chosen after typing into the co-applicant's fields (the page's script hides them, but
    they are posted): the step saves the primary alone; with 共借人 the same input is refused."""
    client.login(username=customer.username, password=PASSWORD)
    url = f"/apply/{draft.reference}/applicant/"
    stale = {"other_name": "赵六", "other_id_number": "123", "other_monthly_income": "abc"}
    refused = client.post(url, person() | stale | {"other_role": "co_applicant"})
    assert refused.status_code == 400 and draft.applicants.count() == 0
    page = client.get(url).content.decode()
    assert 'data-shown-if="other_role"' in page  # the block the script hides under 无
    r = client.post(url, person() | stale | {"other_role": ""})
    assert r.status_code == 302
    assert list(draft.applicants.values_list("role", flat=True)) == ["primary"]
