"""The next-best-offer model page in a real browser: a marketing user on a phone (390×844) reads
the held-out AUC, the top-decile lift and the lift chart, retrains, and the new version becomes
the active one; a risk analyst reads the same page on the desktop. Screenshots under
test-output/nbo/."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from servicing.models import NboModel, NboStatus
from servicing.seed.nbo import nbo_history_seed
from servicing.services.nbo.training import nbo_train
from tests.factories import UserFactory
from tests.servicing.test_commission_browser import DESKTOP, PHONE, _login

pytestmark = [pytest.mark.browser, pytest.mark.slow]
SHOTS = Path("test-output/nbo")


def test_marketing_reads_the_lift_chart_and_retrains_on_a_phone(
    live_server, transactional_db, browser, settings
):
    settings.CELERY_TASK_ALWAYS_EAGER = True  # the retrain task runs as its request commits
    SHOTS.mkdir(parents=True, exist_ok=True)
    nbo_history_seed(customers=600, seed=7)
    first = nbo_train()
    marketing = UserFactory(roles=[Role.MARKETING])

    ctx, page = _login(browser, live_server, marketing, PHONE)
    page.goto(f"{live_server.url}/marketing/nbo/")
    expect(page.locator("h1")).to_have_text("下一最佳邀约模型")
    expect(page.get_by_test_id("nbo-top-lift")).to_have_text(
        f"{first.metrics['top_decile_lift']:.2f}"
    )
    expect(page.get_by_test_id("nbo-lift-chart")).to_be_visible()
    expect(page.locator("rect.nbo-bar")).to_have_count(10)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    page.screenshot(path=str(SHOTS / "01-model-phone.png"), full_page=True)

    page.get_by_test_id("nbo-retrain").click()
    expect(page.locator('tr[data-version="2"] .badge.ok').first).to_have_text("使用中")
    page.screenshot(path=str(SHOTS / "02-retrained-phone.png"), full_page=True)
    ctx.close()
    assert NboModel.objects.get(version=2).status == NboStatus.SUCCEEDED

    ctx, page = _login(browser, live_server, UserFactory(roles=[Role.RISK_ANALYST]), DESKTOP)
    page.goto(f"{live_server.url}/marketing/nbo/")
    expect(page.get_by_test_id("nbo-auc")).to_be_visible()
    page.screenshot(path=str(SHOTS / "03-model-desktop.png"), full_page=True)
    ctx.close()
