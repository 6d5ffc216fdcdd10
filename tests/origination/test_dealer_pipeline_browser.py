"""The dealer salesperson on a phone (390×844): signs in, clicks 经销商门户 and lands on their
own pipeline (新建申请, 我的待办); starts an application; sees it in the pipeline; a referred
application shows the neutral 审核中, never the rule code behind it. A screenshot per step
under test-output/codes/."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from origination.models.applications import Application, ApplicationStatus
from origination.services.applications.start import application_start
from origination.services.state import application_transition
from tests.factories import PASSWORD
from tests.origination.intake_support import new_car
from tests.origination.test_intake_browser import fill_vehicle

pytestmark = [pytest.mark.browser, pytest.mark.slow, pytest.mark.django_db(transaction=True)]

SHOTS = Path("test-output/codes")


def shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _referred(dealer, salesperson, products) -> Application:
    app = application_start(
        actor=salesperson,
        channel="dealer",
        product_version=products["new"],
        vehicle=new_car(),
        customer_name="李四",
        customer_mobile="13900001111",
        dealer=dealer,
        salesperson=salesperson,
    )
    for status in (ApplicationStatus.SUBMITTED, ApplicationStatus.UNDER_REVIEW):
        application_transition(application=app, to_status=status, actor="seed")
    application_transition(
        application=app,
        to_status=ApplicationStatus.REFERRED,
        actor="decision-worker",
        reason="S02_SCORE_REVIEW: 综合信用评分需要人工审核",
    )
    return app


def test_salesperson_lands_on_their_pipeline_and_starts_an_application(
    live_server, phone_page, browser_login, products, dealer, salesperson
):
    page = phone_page
    referred = _referred(dealer, salesperson, products)
    browser_login(page, salesperson.username, PASSWORD)
    shot(page, "01-home")
    page.click("a.card:has-text('经销商门户')")
    page.wait_for_url(re.compile(r".*/dealer/pipeline/$"))
    shot(page, "02-pipeline")
    assert "我的待办" in page.inner_text("[data-testid=todos]")
    board = page.inner_text("[data-testid=pipeline]")
    assert "审核中" in board and referred.reference in board
    assert "S02" not in page.content() and "人工审批中" not in board

    page.click("[data-testid=new-application]")
    page.wait_for_url(re.compile(r".*/dealer/applications/new/$"))
    page.fill("input[name=customer_name]", "王小明")
    page.fill("input[name=customer_mobile]", "13812345678")
    fill_vehicle(page)
    shot(page, "03-new")
    page.click("form.form button[type=submit]")
    page.wait_for_url(re.compile(r".*/dealer/applications/AP\w+/applicant/$"))
    shot(page, "04-applicant")

    page.click(".subnav a:has-text('进件')")
    page.wait_for_url(re.compile(r".*/dealer/pipeline/$"))
    draft = Application.objects.get(status="draft")
    todos = page.inner_text("[data-testid=todos]")
    assert draft.reference in todos and "补全资料并发送客户确认短信" in todos
    assert "草稿" in page.inner_text("[data-testid=pipeline]")
    shot(page, "05-pipeline-with-draft")

    page.click(f"[data-testid=pipeline] a:has-text('{referred.reference}')")
    page.wait_for_url(re.compile(rf".*/dealer/applications/{referred.reference}/$"))
    shot(page, "06-referred-detail")
    assert page.inner_text("[data-testid=status]") == "审核中"
    timeline = page.inner_text("[data-testid=timeline]")
    # the customer's referral line would tell the dealer a referral from a review
    assert timeline.count("审核中") == 1 and "需要进一步核实您提交的资料" not in timeline
    text = page.inner_text("main") if page.locator("main").count() else page.content()
    assert "S02_SCORE_REVIEW" not in text and "评分" not in text
