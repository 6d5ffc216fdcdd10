"""Risk analyst pages: access, the model page's figures, promote, strategy preview; and the
model page in a real browser."""

from __future__ import annotations

import numpy as np
import pytest
from django.urls import reverse

from autofin.models import ApprovalRequest
from autofin.roles import Role
from risk.models import ScorecardPlot, ScorecardVersion, ScoreRecord, Strategy
from risk.scorecard.plots import histogram_png
from tests.audit_trail import audit_trail_for
from tests.factories import PASSWORD, UserFactory
from tests.risk.engine_support import HAND_ARTEFACT

REPORT = {
    "metrics": {
        "train": {"rows": 2100, "bad_rate": 0.147, "auc": 0.8064, "gini": 0.6128, "ks": 0.4729},
        "test": {"rows": 900, "bad_rate": 0.1467, "auc": 0.7418, "gini": 0.4836, "ks": 0.3583},
    },
    "variables": [
        {
            "name": "max_dpd_24m",
            "type": "numeric",
            "iv": 0.3,
            "bins": 3,
            "trend": "ascending",
            "status": "selected",
            "selected": True,
        },
        {
            "name": "product_line",
            "type": "categorical",
            "iv": 0.0065,
            "bins": 5,
            "trend": "n/a",
            "status": "IV < 0.02",
            "selected": False,
        },
    ],
    "bands": {
        "test": [
            {"label": "< 500", "count": 450, "share": 0.5, "bads": 90, "bad_rate": 0.2},
            {"label": ">= 500", "count": 450, "share": 0.5, "bads": 42, "bad_rate": 0.0933},
        ]
    },
}


@pytest.fixture
def model(hand_scorecard):
    hand_scorecard.report = REPORT
    hand_scorecard.save(update_fields=["report"])
    png = histogram_png(np.array([0, 1, 0, 0]), np.array([500, 450, 600, 610]))
    for kind in ("histogram", "ks", "roc"):
        ScorecardPlot.objects.create(version=hand_scorecard, kind=kind, png=png)
    # 4 of 10 recent scores below 500 against 50 % in training: PSI = 0.1 ln 1.5 = 0.0405.
    ScoreRecord.objects.bulk_create(
        [
            ScoreRecord(
                version=hand_scorecard,
                product_line="new",
                application_ref=f"M{i}",
                role="champion",
                score=450 if i < 4 else 600,
                bins={"max_dpd_24m": 1 if i < 4 else 0},
            )
            for i in range(10)
        ]
    )
    candidate = ScorecardVersion.objects.create(
        scorecard=hand_scorecard.scorecard,
        version=2,
        artefact=HAND_ARTEFACT,
        report=REPORT,
        test_auc=0.75,
    )
    return hand_scorecard, candidate


@pytest.fixture
def analyst(db):
    return UserFactory(username="risk1", roles=[Role.RISK_ANALYST])


@pytest.mark.django_db
def test_pages_are_for_risk_analysts_only(client, model):
    version, _candidate = model
    underwriter = UserFactory(roles=[Role.UNDERWRITER])
    client.force_login(underwriter)
    for url in (
        reverse("risk:model_list"),
        reverse("risk:model_detail", args=[version.pk]),
        reverse("risk:model_plot", args=[version.pk, "roc"]),
        reverse("risk:strategy"),
    ):
        assert client.get(url).status_code == 403
    assert client.post(reverse("risk:model_promote", args=[version.pk])).status_code == 403
    client.logout()
    assert client.get(reverse("risk:model_plot", args=[version.pk, "roc"])).status_code == 302


@pytest.mark.django_db
def test_model_page_shows_report_psi_and_plots(client, model, analyst):
    version, _candidate = model
    client.force_login(analyst)
    page = client.get(reverse("risk:model_detail", args=[version.pk])).content.decode()
    assert "0.7418" in page and "0.3583" in page
    assert "max_dpd_24m" in page and "IV &lt; 0.02" in page
    assert 'id="score-psi">0.0405<' in page
    assert "稳定" in page
    assert reverse("risk:model_plot", args=[version.pk, "roc"]) in page
    png = client.get(reverse("risk:model_plot", args=[version.pk, "roc"]))
    assert png["Content-Type"] == "image/png" and png.content.startswith(b"\x89PNG")
    assert client.get(reverse("risk:model_plot", args=[version.pk, "nope"])).status_code == 404


@pytest.mark.django_db
def test_psi_alert_act_when_the_population_moves(client, model, analyst):
    version, _candidate = model
    ScoreRecord.objects.filter(version=version).update(score=450)
    client.force_login(analyst)
    page = client.get(reverse("risk:model_detail", args=[version.pk])).content.decode()
    # All recent scores below 500: (1-0.5) ln(1/0.5) + (0.0001-0.5) ln(0.0001/0.5) = 4.6043
    assert 'id="score-psi">4.6043<' in page
    assert 'class="badge bad" id="score-psi-alert"' in page


@pytest.mark.django_db
def test_strategy_preview_and_save(client, model, analyst):
    client.force_login(analyst)
    url = reverse("risk:strategy")
    page = client.get(
        url,
        {
            "product_line": "new",
            "approve_above": 440,
            "decline_below": 400,
            "tier_A": 590,
            "tier_B": 570,
            "tier_C": 560,
        },
    ).content.decode()
    assert 'data-cell="decline-approve">4<' in page
    assert 'data-cell="approve-approve">6<' in page
    # The form posts; its preview button shows the same preview and saves nothing.
    posted = client.post(
        url,
        {
            "product_line": "new",
            "approve_above": 440,
            "decline_below": 400,
            "tier_A": 590,
            "tier_B": 570,
            "tier_C": 560,
            "action": "preview",
        },
    )
    assert 'data-cell="decline-approve">4<' in posted.content.decode()
    assert Strategy.objects.get(product_line="new").approve_above == 560
    bad = client.post(
        url,
        {
            "product_line": "new",
            "approve_above": 400,
            "decline_below": 450,
            "tier_A": 590,
            "tier_B": 570,
            "tier_C": 560,
        },
    )
    assert bad.status_code == 200 and "拒绝分数线不能高于自动通过分数线" in bad.content.decode()
    ok = client.post(
        url,
        {
            "product_line": "new",
            "approve_above": 440,
            "decline_below": 400,
            "tier_A": 590,
            "tier_B": 570,
            "tier_C": 560,
        },
    )
    assert ok.status_code == 302
    # Four eyes: nothing in force changes until a second analyst approves what was asked.
    s = Strategy.objects.get(product_line="new")
    assert (s.approve_above, s.decline_below) == (560, 480)
    assert "已提交复核" in client.get(ok.url).content.decode()
    checker = UserFactory(roles=[Role.RISK_ANALYST])
    client.force_login(checker)
    queue = client.get(reverse("approvals")).content.decode()
    assert "审批策略阈值变更" in queue
    assert "<td>560</td><td><strong>440</strong></td>" in queue.replace("\n", "").replace(" ", "")
    [pending] = ApprovalRequest.objects.filter(status="pending")
    client.post(reverse("approval_approve", args=[pending.pk]))
    s.refresh_from_db()
    assert (s.approve_above, s.decline_below) == (440, 400)


@pytest.mark.browser
@pytest.mark.django_db(transaction=True)
def test_model_page_in_a_browser(page, live_server, browser_login, model):
    version, candidate = model
    user = UserFactory(username="risk_b", roles=[Role.RISK_ANALYST])
    browser_login(page, user.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('risk:model_list')}")
    page.click(f"a[href='{reverse('risk:model_detail', args=[version.pk])}']")
    page.wait_for_load_state("networkidle")
    assert page.inner_text("[data-metric=test-auc]") == "0.7418"
    assert page.inner_text("#score-psi") == "0.0405"
    assert page.inner_text("#score-psi-alert").strip() == "稳定"
    widths = page.eval_on_selector_all("#plots img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 3 and all(w > 100 for w in widths)
    # Promote the candidate.
    page.goto(f"{live_server.url}{reverse('risk:model_detail', args=[candidate.pk])}")
    page.fill("#promote-form input[name=reason]", "验证集 AUC 更高")
    page.click("#promote-form button[type=submit]")
    page.wait_for_load_state("networkidle")
    # Four eyes: submitted; the candidate stays a candidate until a second analyst approves.
    assert "已提交复核" in page.inner_text("#promotion-pending")
    candidate.refresh_from_db()
    assert candidate.status == "candidate"
    checker = UserFactory(username="risk_c", roles=[Role.RISK_ANALYST])
    page.context.clear_cookies()
    browser_login(page, checker.username, PASSWORD)
    page.goto(f"{live_server.url}{reverse('approvals')}")
    article = page.locator("#to-check article").first
    assert "v1（AUC 0.7000）" in article.inner_text() and "v2（AUC 0.7500）" in article.inner_text()
    article.locator("button", has_text="批准").click()
    page.wait_for_load_state("networkidle")
    page.goto(f"{live_server.url}{reverse('risk:model_detail', args=[candidate.pk])}")
    assert page.inner_text("#version-status").strip() == "冠军"
    candidate.refresh_from_db()
    version.refresh_from_db()
    assert (candidate.status, version.status) == ("champion", "retired")
    entry = audit_trail_for(candidate).get(action="scorecard_promote")
    assert (entry.actor_id, entry.reason) == (checker.pk, "验证集 AUC 更高")
    assert entry.data["four_eyes"]["maker"] == user.username
