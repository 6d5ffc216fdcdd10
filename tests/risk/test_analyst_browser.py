"""The risk analyst in a real browser (desktop 1366×900), by clicking only after the login page:
the model list → the champion's page (its metrics and the three plots drawn) → the strategy page
→ a preview of moving the decline line. A screenshot per step under
test-output/roles/analyst-NN-<step>.png. The data: risk's hand scorecard with the report, plots
and recent scores of tests/risk/test_pages.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from playwright.sync_api import expect

from autofin.roles import Role
from risk.models import ScorecardPlot, ScoreRecord, Strategy
from risk.scorecard.plots import histogram_png
from tests.factories import PASSWORD, UserFactory
from tests.risk.test_pages import REPORT

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
SHOTS = Path("test-output/roles")


@pytest.fixture
def champion(hand_scorecard):
    hand_scorecard.report = REPORT
    hand_scorecard.save(update_fields=["report"])
    png = histogram_png(np.array([0, 1, 0, 0]), np.array([500, 450, 600, 610]))
    for kind in ("histogram", "ks", "roc"):
        ScorecardPlot.objects.create(version=hand_scorecard, kind=kind, png=png)
    ScoreRecord.objects.bulk_create(
        ScoreRecord(
            version=hand_scorecard,
            product_line="new",
            application_ref=f"M{i}",
            role="champion",
            score=450 if i < 4 else 600,
            bins={"max_dpd_24m": 1 if i < 4 else 0},
        )
        for i in range(10)
    )
    return hand_scorecard


def _shot(page, n: int, step: str) -> None:
    page.screenshot(path=str(SHOTS / f"analyst-{n:02d}-{step}.png"), full_page=True)


def test_analyst_reads_the_champion_and_previews_a_strategy_change(live_server, browser, champion):
    SHOTS.mkdir(parents=True, exist_ok=True)
    analyst = UserFactory(roles=[Role.RISK_ANALYST])
    context = browser.new_context(locale="zh-CN", viewport={"width": 1366, "height": 900})
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", analyst.username)
    page.fill("input[name=password]", PASSWORD)
    page.click("form.form button[type=submit]")
    page.wait_for_load_state("networkidle")
    _shot(page, 1, "landing")

    page.locator("#main-nav").get_by_role("link", name="评分卡").click()
    expect(page.locator("h1")).to_have_text("评分卡")
    row = page.locator("section.scorecard", has_text="新车测试评分卡").locator("tbody tr").first
    expect(row).to_contain_text("冠军")
    _shot(page, 2, "models")

    row.get_by_role("link", name="v1").click()
    expect(page.locator("h1")).to_contain_text("新车测试评分卡 v1")
    expect(page.locator("[data-metric=test-auc]")).to_have_text("0.7418")
    expect(page.locator("#score-psi")).to_have_text("0.0405")
    expect(page.locator("#plots img")).to_have_count(3)
    page.wait_for_load_state("networkidle")
    widths = page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => i.naturalWidth)")
    assert all(w > 100 for w in widths)  # the three plots are drawn, not broken images
    iv = page.locator("#iv tbody tr", has_text="max_dpd_24m")
    expect(iv).to_contain_text("数值")  # the variable's type and trend in words, not codes
    expect(iv).to_contain_text("单调递增")
    _shot(page, 3, "model")

    page.get_by_role("link", name="← 评分卡").click()
    page.get_by_role("link", name="审批策略阈值").click()
    expect(page.locator("h1")).to_have_text("审批策略阈值")
    expect(page.locator("section.panel").first).to_contain_text(
        "拒绝分数线 480 · 自动通过分数线 560"
    )
    _shot(page, 4, "strategy")

    page.fill("input[name=decline_below]", "500")
    page.click("#preview-button")
    # the recent scores are 450 and 600: a decline line at 500 moves none of them
    expect(page.locator("#preview")).to_contain_text("最近 10 条评分记录中，0 条的结论将改变。")
    expect(page.locator("#preview [data-cell=decline-decline]")).to_have_text("4")
    _shot(page, 5, "preview")
    context.close()
    strategy = Strategy.objects.get(product_line="new")
    assert (strategy.decline_below, strategy.approve_above) == (480, 560)  # a preview saves nothing
