"""Journey: a dealer admin (dealer manager) on the demo world, by clicking only from the home
page — overview, staff list, invite a salesperson (who accepts from the link in the message and
is then on the list), commission statements, KPIs — on a phone and on a desktop. Each page says
what the admin needs and nothing internal (no rule codes, scores or English codes); a screenshot
per step under test-output/j-pm/."""

from __future__ import annotations

import io
import re
from pathlib import Path
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from autofin.models.messages import OutboundMessage
from autofin.seed import users as autofin_seed
from dealers import seed as dealers_seed
from dealers.models.staff import DealerStaff, StaffInvitation
from tests.origination.test_no_internal_codes import leaks

SHOTS = Path("test-output/j-pm")
# what only the back office should read: codes of roles, states, kinds, and the grade's score
RAW = re.compile(r"\b(dealer_admin|dealer_sales|four_s|active|accrual|clawback|pending)\b|得分")
ASCII_COLON = re.compile(r"[\u4e00-\u9fff）]:")  # a Chinese label takes "："


def assert_clean(page) -> None:
    text = page.locator("main").inner_text()
    assert not leaks(text), leaks(text)
    assert not RAW.search(text), RAW.search(text)
    assert not ASCII_COLON.search(text), ASCII_COLON.search(text)


def sign_in(page, base_url: str, username: str) -> None:
    page.goto(base_url + "/")
    page.locator("header .account").get_by_role("link", name="登录").click()
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", autofin_seed.demo_password())
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")


def main_menu(page, label: str) -> None:
    toggle = page.locator("[data-nav-toggle]")
    if toggle.is_visible():  # the phone's ☰
        toggle.click()
    page.locator("#main-nav").get_by_role("link", name=label).click()
    page.wait_for_load_state("networkidle")


def tab(page, label: str) -> None:
    page.locator("ul.subnav").get_by_role("link", name=label).click()
    page.wait_for_load_state("networkidle")


ADMIN = "dealer3_admin"


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("device", ["phone", "desktop"])
def test_a_dealer_admin_walks_the_portal(request, live_server, device, settings):
    SHOTS.mkdir(parents=True, exist_ok=True)
    context: dict = {}
    out = io.StringIO()
    autofin_seed.seed(stdout=out, context=context)
    dealers_seed.seed(stdout=out, context=context)
    # dealer 3: dealer 1's statements and KPIs are the servicing demo loans', not seeded here
    admin = DealerStaff.objects.select_related("dealer", "user").get(user__username=ADMIN)
    dealer = admin.dealer
    page = request.getfixturevalue("phone_page" if device == "phone" else "page")
    if device == "desktop":
        page.set_viewport_size({"width": 1366, "height": 900})
    width = 390 if device == "phone" else 1366

    def shot(name: str) -> None:
        page.screenshot(path=SHOTS / f"dealer-{device}-{name}.png", full_page=True)
        assert page.evaluate("document.documentElement.scrollWidth") <= width

    # Overview: the firm, its grade (a letter, no score), its settlement account masked.
    sign_in(page, live_server.url, ADMIN)
    main_menu(page, "经销商门户")
    expect(page.locator("h1")).to_contain_text(dealer.legal_name)
    expect(page.locator("main")).to_contain_text("经销商管理员")
    expect(page.locator("[data-testid=grade]")).to_have_text(re.compile(r"^[A-E]$"))
    assert_clean(page)
    shot("01-overview")

    # Staff: both people with their role in words.
    tab(page, "员工")
    staff = page.locator("main table").inner_text()
    assert admin.user.display_name in staff and "销售" in staff and "在职" in staff
    assert_clean(page)
    shot("02-staff")

    # Invite a salesperson: a missing contact is refused beside the form, nothing sent.
    page.fill("input[name=display_name]", "周倩")
    page.click("form.form button[type=submit]")
    expect(page.locator("main")).to_contain_text("请填写邮箱或手机号")
    assert not StaffInvitation.objects.filter(dealer=dealer).exists()
    page.fill("input[name=email]", "zhouqian@example.com")
    page.click("form.form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("邀请已发送")
    expect(page.locator("main")).to_contain_text("待接受的邀请")
    shot("03-invited")

    # The salesperson opens the link in the e-mail (an absolute URL) and sets a login.
    message = OutboundMessage.objects.get(to="zhouqian@example.com")
    link = re.search(r"https?://\S+/dealer/invite/\S+?/", message.body).group(0)
    assert link.startswith(settings.SITE_URL)
    page.locator("header .account").get_by_role("button", name="退出").click()
    page.goto(live_server.url + urlparse(link).path)  # the e-mail client, not the portal
    page.fill("input[name=username]", f"zhouqian_{device}")
    page.fill("input[name=password1]", "Zq-2026-secret!")
    page.fill("input[name=password2]", "Zq-2026-secret!")
    page.click("form.form button[type=submit]")
    expect(page.locator(".messages")).to_contain_text("账号已开通，请登录")
    assert DealerStaff.objects.get(dealer=dealer, user__username=f"zhouqian_{device}").active
    page.fill("input[name=username]", f"zhouqian_{device}")
    page.fill("input[name=password]", "Zq-2026-secret!")
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    expect(page.locator("header .account")).to_contain_text("周倩")
    page.locator("header .account").get_by_role("button", name="退出").click()

    # Back as the admin: the new salesperson is on the list, in post.
    sign_in(page, live_server.url, ADMIN)
    main_menu(page, "经销商门户")
    tab(page, "员工")
    row = page.locator("main table tr", has_text="周倩")
    expect(row).to_contain_text("销售")
    expect(row).to_contain_text("在职")
    shot("04-staff-with-new-sales")

    # Statements: each month, then one month's lines with rate, status and pay date.
    tab(page, "返佣结算")
    assert_clean(page)
    shot("05-statements")
    page.locator("main table tbody a").first.click()
    page.wait_for_load_state("networkidle")
    statuses = page.locator("[data-testid=pay-status]").all_inner_texts()
    assert statuses and set(statuses) <= {"待付", "已付"}
    assert_clean(page)
    shot("06-statement")

    # KPIs: the charts and the monthly table, in words and units.
    tab(page, "经营指标")
    expect(page.locator("[data-testid=chart]").first).to_be_visible()
    expect(page.locator("main")).to_contain_text("审批通过率")
    assert_clean(page)
    shot("07-kpis")
