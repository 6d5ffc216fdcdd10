"""The auditor reads the credit-bureau query log in a real browser, on a phone (390×844) and on
a desktop (1366×900): from the navigation to the log, filtered to 贷后管理, and the CSV export
downloaded with the filter applied. Screenshots under test-output/r-bureau/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from risk.models import BureauQuery
from tests.factories import PASSWORD, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/r-bureau")


@pytest.fixture
def queries():
    for i, (purpose, ref) in enumerate(
        [
            ("pre_loan", "APP-20260105-0001"),
            ("pre_loan", "APP-20260105-0002"),
            ("post_loan", "LN-0007"),
        ]
    ):
        BureauQuery.objects.create(
            purpose=purpose,
            id_hash=f"{i}" * 64,
            subject_ref=ref,
            consent_ref=f"consent:{40 + i}",
            requested_by="risk-engine" if purpose == "pre_loan" else "loan-recheck",
            status="answered",
            found=i != 1,
        )


@pytest.mark.parametrize(
    ("device", "viewport"),
    [("phone", {"width": 390, "height": 844}), ("desktop", {"width": 1366, "height": 900})],
)
def test_auditor_filters_the_log_and_exports_it(live_server, browser, queries, device, viewport):
    SHOTS.mkdir(parents=True, exist_ok=True)
    auditor = UserFactory(roles=[Role.AUDITOR])
    context = browser.new_context(locale="zh-CN", viewport=viewport, accept_downloads=True)
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", auditor.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")

    page.goto(f"{live_server.url}/risk/bureau-queries/")
    expect(page.locator("h1")).to_have_text("征信查询记录")
    expect(page.locator("#bureau-queries tbody tr")).to_have_count(3)
    expect(page.locator("#bureau-counts")).to_contain_text("贷前审批 2")
    expect(page.locator("#bureau-queries")).to_contain_text("自动审批引擎")
    expect(page.locator("#bureau-queries")).to_contain_text("无（白户）")
    page.screenshot(path=str(SHOTS / f"bureau-log-{device}-1-all.png"), full_page=True)

    page.select_option("#id_purpose", "post_loan")
    page.locator("#bureau-filter button[type=submit]").click()
    expect(page.locator("#bureau-queries tbody tr")).to_have_count(1)
    expect(page.locator("#bureau-queries")).to_contain_text("贷后管理")
    expect(page.locator("#bureau-queries")).to_contain_text("LN-0007")
    expect(page.locator("#bureau-queries")).to_contain_text("贷后复查")
    page.screenshot(path=str(SHOTS / f"bureau-log-{device}-2-post-loan.png"), full_page=True)

    with page.expect_download() as info:
        page.locator("#bureau-csv").click()
    body = Path(info.value.path()).read_text(encoding="utf-8-sig")
    lines = body.strip().splitlines()
    assert lines[0].startswith("查询时间,查询原因,业务编号")
    assert len(lines) == 2 and ",贷后管理,LN-0007," in lines[1]
    context.close()
