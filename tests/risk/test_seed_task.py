"""The demo seed."""

from __future__ import annotations

from io import StringIO

import pytest

from risk.models import RuleSet, Scorecard, ScoreRecord, Strategy
from risk.seed import seed

pytestmark = pytest.mark.django_db


def test_seed_trains_a_scorecard_per_product_line_with_rules_and_strategy():
    out = StringIO()
    seed(stdout=out, context={})
    cards = Scorecard.objects.order_by("product_line")
    assert [c.product_line for c in cards] == ["commercial", "nev", "new", "used"]
    for card in cards:
        champion = card.champion
        assert champion is not None and champion.test_auc > 0.6
        assert champion.plots.count() == 3
        s = Strategy.objects.get(product_line=card.product_line)
        assert s.decline_below <= s.approve_above
        assert ScoreRecord.objects.filter(version=champion).count() == 400
    rs = RuleSet.objects.get(is_active=True)
    assert rs.rules.count() == 23  # with the court-list rules (D06, D07), documents' R06-R09, F07
    assert out.getvalue().count("held-out AUC") == 4
