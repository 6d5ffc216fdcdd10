"""A lessee on a phone (390×844) in a real browser: 我的贷款 → the lease → the rent schedule shows
each rent and the VAT inside it → the invoices section lists the blue and the red-letter invoice
→ the blue one's PDF downloads (rendered to PNG with pdftoppm beside the screenshots under
test-output/lease_customer/). No English word or raw code on the Chinese page."""

from __future__ import annotations

import datetime as dt
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.services.invoicing import invoice_reverse
from tests.factories import PASSWORD, UserFactory
from tests.servicing.lease_ui_support import lease_make, rent_invoice
from tests.servicing.loan_helpers import set_day

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/lease_customer")
LEAKS = re.compile(
    r"\b(None|blue|red|direct_lease|sale_leaseback|tangible_lease|loan_service|lease_rent|"
    r"pending|paid|due|overdue|on_lease|True|False)\b"
)


def test_a_lessee_reads_rent_and_tax_and_downloads_an_invoice_on_the_phone(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    customer = UserFactory(roles=[Role.CUSTOMER], phone="13912340011")
    lease = lease_make(contract_type="direct_lease", customer=customer)
    blue, second = rent_invoice(lease, 1), rent_invoice(lease, 2)
    red = invoice_reverse(invoice_id=second.pk, on=dt.date(2026, 3, 20), actor="test")
    set_day(dt.date(2026, 3, 20))

    context = browser.new_context(
        locale="zh-CN", viewport={"width": 390, "height": 844}, accept_downloads=True
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", customer.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}/my/loans/")
    page.get_by_role("link", name="查看租金与发票").click()
    expect(page.get_by_role("heading", name="租金计划")).to_be_visible()
    expect(page.get_by_role("heading", name="下一期应付租金")).to_be_visible()

    rent1 = page.get_by_test_id("rent-1")
    expect(rent1.get_by_test_id("rent")).to_have_text("¥6,084.39")
    expect(rent1.get_by_test_id("tax")).to_contain_text("¥699.97")
    label = page.evaluate(  # the card's labels on the phone (CSS, from data-label)
        "getComputedStyle(document.querySelector('[data-testid=rent-1] [data-testid=tax]'),"
        " '::before').content"
    )
    assert label == '"其中税额"'
    expect(rent1).to_contain_text("¥5,084.39")
    expect(rent1).to_contain_text("¥1,000.00")
    assert rent1.get_by_test_id("tax").is_visible()
    # the page fits the phone: nothing wider than the viewport
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    page.screenshot(path=str(SHOTS / "01-rent-schedule.png"), full_page=False)

    invoices = page.get_by_test_id("invoices")
    invoices.scroll_into_view_if_needed()
    expect(invoices.get_by_test_id(f"invoice-{blue.number}")).to_contain_text("蓝字发票")
    expect(invoices.get_by_test_id(f"invoice-{red.number}")).to_contain_text("红字发票")
    expect(invoices.get_by_test_id(f"invoice-{red.number}")).to_contain_text("-¥6,084.39")
    main = page.locator("main").inner_text()
    assert not LEAKS.search(main), LEAKS.search(main)
    page.get_by_test_id("invoice-panel").screenshot(path=str(SHOTS / "02-invoices.png"))
    page.screenshot(path=str(SHOTS / "03-whole-page.png"), full_page=True)

    with page.expect_download() as download:
        invoices.get_by_test_id(f"invoice-{blue.number}").get_by_test_id("invoice-pdf").click()
    assert download.value.suggested_filename == f"invoice-{blue.number}.pdf"
    pdf = SHOTS / "invoice.pdf"
    download.value.save_as(str(pdf))
    assert pdf.read_bytes().startswith(b"%PDF")
    if shutil.which("pdftoppm"):
        subprocess.run(  # noqa: S603 - a fixed program on a file the test wrote
            ["pdftoppm", "-png", "-r", "80", "-singlefile", str(pdf), str(SHOTS / "04-invoice")],
            check=True,
        )
        assert (SHOTS / "04-invoice.png").exists()
    if shutil.which("pdftotext"):
        text = subprocess.run(  # noqa: S603
            ["pdftotext", str(pdf), "-"], check=True, capture_output=True, text=True
        ).stdout
        for field in (blue.number, "699.97", "陆仟零捌拾肆元叁角玖分", "有形动产融资租赁服务"):
            assert field in text, field
    context.close()


def _staff_page(browser, live_server, user, viewport):
    context = browser.new_context(locale="zh-CN", viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", user.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    return context, page


def test_finance_reads_the_lease_reports_and_operations_searches_the_register(live_server, browser):
    SHOTS.mkdir(parents=True, exist_ok=True)
    direct = lease_make(contract_type="direct_lease", plate="沪C77777")
    slb = lease_make(contract_type="sale_leaseback", registration_status="mortgaged")
    rent_invoice(direct, 1), rent_invoice(slb, 1)  # both due 2026-02-15
    set_day(dt.date(2026, 3, 5))

    context, page = _staff_page(
        browser, live_server, UserFactory(roles=[Role.FINANCE_OPERATOR]),
        {"width": 1366, "height": 900},
    )  # fmt: skip
    page.locator("#main-nav").get_by_role("link", name="租赁报表").click()
    expect(page.locator("h1")).to_have_text("2026-02 租赁报表")
    expect(page.get_by_test_id("vat-tangible_lease").get_by_test_id("vat-tax")).to_have_text(
        "¥699.97"
    )
    expect(page.get_by_test_id("vat-loan_service").get_by_test_id("vat-tax")).to_have_text("¥56.60")
    expect(page.get_by_test_id("vat-total")).to_have_text("¥756.57")
    expect(page.get_by_test_id("book")).to_contain_text(direct.lease_asset.vin)
    main = page.locator("main").inner_text()
    assert not LEAKS.search(main), LEAKS.search(main)
    page.screenshot(path=str(SHOTS / "05-finance-reports.png"), full_page=True)
    context.close()

    context, page = _staff_page(
        browser, live_server, UserFactory(roles=[Role.OPERATIONS]), {"width": 390, "height": 844}
    )
    page.goto(f"{live_server.url}/servicing/lease-assets/")
    page.select_option("select[name=registration]", "mortgaged")
    page.get_by_role("button", name="搜索").click()
    book = page.get_by_test_id("book")
    expect(book).to_contain_text(slb.contract_ref)
    expect(book).not_to_contain_text(direct.contract_ref)
    page.fill("input[name=q]", "沪C77777")
    page.select_option("select[name=registration]", "")
    page.get_by_role("button", name="搜索").click()
    expect(book).to_contain_text(direct.contract_ref)
    expect(book).to_contain_text("待登记")
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    main = page.locator("main").inner_text()
    assert not LEAKS.search(main), LEAKS.search(main)
    page.screenshot(path=str(SHOTS / "06-asset-register-phone.png"), full_page=True)
    context.close()
