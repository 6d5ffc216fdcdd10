"""The underwriter sees what OCR read beside what the application says, on a phone: the ID card
photo uploaded with a draft names someone else, and the case page highlights that row (and
only that one); and the customer photographs their ID card on the applicant step and finds the
form filled in. Screenshots under test-output/document_ocr/."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from playwright.sync_api import expect

from origination.models.documents import ApplicationDocument
from origination.ocr import samples
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.documents import application_document_add
from origination.services.state import application_transition
from tests.factories import PASSWORD
from tests.origination.intake_support import complete_draft, new_car, primary_data

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/document_ocr")


def test_underwriter_sees_the_ocr_mismatch_highlighted_on_a_phone(
    phone_page, live_server, browser_login, products, customer, underwriter, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the OCR task runs as the upload commits
    app = application_start(
        actor=customer,
        channel="direct",
        product_version=products["new"],
        vehicle=new_car(),
        customer=customer,
    )
    app = complete_draft(app, actor=customer)
    data = primary_data()
    card = samples.id_front(
        samples.Person(
            name="李大伟",
            sex="男",
            birth=data["birth_date"],
            address="上海市浦东新区张江路100号",
            id_number=data["id_number"],
            id_valid_from=dt.date(2020, 5, 17),
            id_valid_to=dt.date(2040, 5, 17),
            authority="上海市公安局浦东分局",
        )
    )
    application_document_add(
        actor=customer,
        application=app,
        doc_kind="id_front",
        file=SimpleUploadedFile("id.jpg", card.jpeg(), "image/jpeg"),
    )
    assert ApplicationDocument.objects.get(
        application=app, doc_kind="id_front", original_name="id.jpg"
    ).ocr_at
    application_submit(actor=customer, application=app, key="ocr-1", queue_decision=False)
    application_transition(application=app, to_status="under_review", actor="test")
    application_transition(application=app, to_status="referred", actor="test")

    page = phone_page
    browser_login(page, underwriter.username, PASSWORD)
    page.goto(live_server.url + reverse("origination:workbench_case", args=[app.reference]))
    checks = page.locator("#document-checks")
    checks.scroll_into_view_if_needed()
    mismatch = checks.locator("tr.ocr-mismatch")
    expect(mismatch).to_have_count(1)
    expect(mismatch).to_contain_text("姓名")
    expect(mismatch).to_contain_text("李大伟")
    expect(mismatch).to_contain_text("王小明")
    expect(mismatch).to_contain_text("不一致")
    expect(checks.locator("tr.ocr-match")).to_have_count(3)  # ID number, birth date, address
    # the placeholder driving-licence image of the draft reads nothing: said once, not per field
    expect(checks.get_by_test_id("ocr-signal")).to_contain_text(["未能识别 驾驶证"])
    background = mismatch.locator("td").nth(1).evaluate("e => getComputedStyle(e).backgroundColor")
    assert background == "rgb(255, 241, 230)"
    assert "id_front" not in checks.inner_text() and "mismatch" not in checks.inner_text()
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page wider than the phone: {width}px"
    checks.screenshot(path=str(SHOTS / "01-underwriter-ocr-mismatch-phone.png"))
    page.screenshot(path=str(SHOTS / "02-case-phone.png"), full_page=True)


def test_customer_photographs_the_id_card_and_the_form_fills_itself_on_a_phone(
    phone_page, live_server, browser_login, customer, draft, settings
):
    SHOTS.mkdir(parents=True, exist_ok=True)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    data = primary_data()
    card = samples.id_front(
        samples.Person(
            name="赵志刚",
            sex="男",
            birth=data["birth_date"],
            address="上海市浦东新区张江路100号",
            id_number=data["id_number"],
            id_valid_from=dt.date(2020, 5, 17),
            id_valid_to=dt.date(2040, 5, 17),
            authority="上海市公安局浦东分局",
        )
    )
    page = phone_page
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}/apply/{draft.reference}/applicant/")
    page.set_input_files(
        "[data-testid=read-id-card]",
        files=[{"name": "id.jpg", "mimeType": "image/jpeg", "buffer": card.jpeg()}],
    )
    page.click("#id-card-read button[type=submit]")
    page.wait_for_selector("#id-card-prefill")
    expect(page.locator("input[name=name]")).to_have_value("赵志刚")
    expect(page.locator("input[name=id_number]")).to_have_value(data["id_number"])
    expect(page.locator("input[name=address]")).to_have_value("上海市浦东新区张江路100号")
    assert not draft.applicants.exists()  # the customer confirms by saving
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"page wider than the phone: {width}px"
    page.screenshot(path=str(SHOTS / "03-customer-prefilled-phone.png"), full_page=True)
