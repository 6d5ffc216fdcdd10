"""The documents step on a phone: one tap per document (the rear camera for cards and
licences, the chooser with PDF for proofs), the upload in place with a progress bar and the
item shown at once, plain Chinese refusals (too large, wrong type) that store nothing; and the
same step without script (each button's form posts, the page reloads)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from origination.models.documents import ApplicationDocument
from origination.services.applications.start import application_start
from origination.services.documents import DOCUMENT_MAX_BYTES
from tests.factories import PASSWORD
from tests.origination.intake_support import PNG, complete_draft, new_car

OUT = Path("test-output/j-cust")
TOO_LARGE = "文件过大：不能超过 8 MB"
BAD_TYPE = "文件格式不支持：只接受 PDF、JPEG、PNG 或 WebP 文件。"


@pytest.fixture
def draft(products, customer):
    app = application_start(
        actor=customer,
        channel="direct",
        product_version=products["new"],
        vehicle=new_car(),
        customer=customer,
    )
    return complete_draft(app, actor=customer, upload=False, consents=False)


def _url(app) -> str:
    return f"/apply/{app.reference}/documents/"


def _input(html: str, kind: str) -> str:
    return re.search(rf'<input type="file"[^>]*data-testid="pick-{kind}"[^>]*>', html).group(0)


@pytest.mark.django_db
def test_each_document_has_its_own_one_tap_button(client, draft, customer):
    client.force_login(customer)
    html = client.get(_url(draft)).content.decode()
    for kind in ("id_front", "id_back", "driving_licence"):
        tag = _input(html, kind)
        assert 'accept="image/*"' in tag and 'capture="environment"' in tag  # the camera
    for kind in ("income_proof", "purchase_contract", "invoice"):
        tag = _input(html, kind)
        assert 'accept="image/*,application/pdf"' in tag and "capture" not in tag  # PDF too
    assert "拍照上传身份证人像面" in html and "上传收入证明" in html
    assert 'data-max-bytes="8388608"' in html and BAD_TYPE in html  # the script's refusals


@pytest.mark.django_db
def test_without_script_a_button_posts_its_document_and_refusals_store_nothing(
    client, draft, customer
):
    client.force_login(customer)
    ok = client.post(
        _url(draft),
        {"doc_kind": "id_front", "file": SimpleUploadedFile("id.png", PNG, "image/png")},
    )
    assert ok.status_code == 302 and ok["Location"].endswith(_url(draft))
    page = client.get(_url(draft)).content.decode()
    assert 'data-testid="document-id_front"' in page and "重拍身份证人像面" in page

    big = PNG + b"\0" * (DOCUMENT_MAX_BYTES - len(PNG) + 1)
    text = SimpleUploadedFile("notes.txt", b"just some text", "text/plain")
    for upload, message in (
        (SimpleUploadedFile("big.png", big, "image/png"), TOO_LARGE),
        (text, BAD_TYPE),
    ):
        refused = client.post(_url(draft), {"doc_kind": "id_back", "file": upload})
        assert refused.status_code == 400
        summary = re.search(
            r'data-testid="upload-error">(.*?)</div>', refused.content.decode(), re.S
        ).group(1)
        assert message in summary
    assert list(ApplicationDocument.objects.values_list("doc_kind", flat=True)) == ["id_front"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_on_a_phone_a_document_goes_up_in_place_with_progress_and_shows_at_once(
    live_server, phone_page, browser_login, draft, customer
):
    page = phone_page
    OUT.mkdir(parents=True, exist_ok=True)
    browser_login(page, customer.username, PASSWORD)
    page.goto(f"{live_server.url}{_url(draft)}")
    page.screenshot(path=str(OUT / "01-documents-phone.png"), full_page=True)
    assert page.locator("[data-upload-submit]").first.is_hidden()  # the script uploads
    page.evaluate("window.__same_page = true")  # gone if the page reloads

    # too large and a wrong type: refused on the phone, in Chinese, nothing sent
    big = PNG + b"\0" * (DOCUMENT_MAX_BYTES + 1)
    page.set_input_files(
        "[data-testid=pick-id_front]",
        files=[{"name": "big.png", "mimeType": "image/png", "buffer": big}],
    )
    error = page.locator("[data-testid=pick-id_front]").locator("xpath=ancestor::form")
    assert TOO_LARGE in error.locator("[data-upload-error]").inner_text()
    page.set_input_files(
        "[data-testid=pick-income_proof]",
        files=[{"name": "a.txt", "mimeType": "text/plain", "buffer": b"text"}],
    )
    form = page.locator("[data-testid=pick-income_proof]").locator("xpath=ancestor::form")
    assert form.locator("[data-upload-error]").inner_text() == BAD_TYPE
    page.screenshot(path=str(OUT / "02-documents-refused.png"), full_page=True)
    assert not ApplicationDocument.objects.exists()

    # one photo: a progress bar while it goes up, then the item in the panel, same page
    page.route(
        "**/documents/",
        lambda route: (
            (page.wait_for_timeout(300), route.continue_())
            if route.request.method == "POST"
            else route.continue_()
        ),
    )
    page.set_input_files(
        "[data-testid=pick-id_front]",
        files=[{"name": "id.png", "mimeType": "image/png", "buffer": PNG}],
    )
    page.wait_for_selector("[data-upload-progress]:not([hidden])", state="attached")
    page.wait_for_selector("[data-testid=document-id_front] img")
    assert page.evaluate("window.__same_page === true")
    assert "资料已上传。" in page.inner_text(".messages")
    assert page.locator("[data-testid=required-doc] .badge.ok").count() == 1
    # a server refusal comes back into the panel too (the script cannot know a PNG is fake)
    page.set_input_files(
        "[data-testid=pick-id_back]",
        files=[{"name": "fake.png", "mimeType": "image/png", "buffer": b"not a picture"}],
    )
    page.wait_for_selector("[data-testid=upload-error]")
    assert BAD_TYPE in page.inner_text("[data-testid=upload-error]")
    assert page.evaluate("window.__same_page === true")
    page.screenshot(path=str(OUT / "03-documents-uploaded.png"), full_page=True)
    assert list(ApplicationDocument.objects.values_list("doc_kind", flat=True)) == ["id_front"]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_without_script_on_a_phone_the_buttons_post_and_the_page_reloads(
    live_server, browser, browser_login, draft, customer
):
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, java_script_enabled=False
    )
    page = context.new_page()
    try:
        browser_login(page, customer.username, PASSWORD)
        page.goto(f"{live_server.url}{_url(draft)}")
        assert page.locator("[data-upload-submit]").first.is_visible()
        page.set_input_files(
            "[data-testid=pick-driving_licence]",
            files=[{"name": "licence.png", "mimeType": "image/png", "buffer": PNG}],
        )
        form = page.locator("[data-testid=pick-driving_licence]").locator("xpath=ancestor::form")
        form.locator("[data-upload-submit]").click()
        page.wait_for_selector("[data-testid=document-driving_licence] img")
        assert "资料已上传。" in page.inner_text(".messages")
        page.screenshot(path=str(OUT / "04-documents-no-script.png"), full_page=True)
    finally:
        context.close()
    assert list(ApplicationDocument.objects.values_list("doc_kind", flat=True)) == [
        "driving_licence"
    ]


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
def test_the_last_requested_document_takes_the_customer_to_the_application(
    live_server, phone_page, browser_login, referred, underwriter
):
    # the upload is stored and the case goes back to the underwriters: the step is over, so
    # the page follows the server to the application page (it said "上传没有完成")
    from origination.services.underwriting.claims import case_claim
    from origination.services.underwriting.documents import underwriting_request_documents

    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_request_documents(
        application_id=referred.pk, actor=underwriter, doc_kinds=["income_proof"], note="流水"
    )
    page = phone_page
    browser_login(page, referred.customer_user.username, PASSWORD)
    page.goto(f"{live_server.url}{_url(referred)}")
    # only what was asked for, as missing (an income proof came with the application already)
    rows = page.get_by_test_id("required-doc")
    assert rows.count() == 1 and "待上传" in rows.inner_text() and "收入证明" in rows.inner_text()
    page.set_input_files(
        "[data-testid=pick-income_proof]",
        files=[{"name": "flow.png", "mimeType": "image/png", "buffer": PNG}],
    )
    page.wait_for_url(f"{live_server.url}/my/applications/{referred.reference}/")
    referred.refresh_from_db()
    assert referred.status == "referred"
    page.screenshot(path=str(OUT / "08-documents-requested-done.png"), full_page=True)
