"""Fixtures for the risk tests: the hand-made scorecard as the new-car champion with its
strategy, and the default rule set. The artefact and the facts builder are in engine_support.py."""

from __future__ import annotations

import copy

import pytest

from risk.models import Scorecard, ScorecardVersion, Strategy
from risk.services import rule_set_default_ensure
from tests.risk.engine_support import HAND_ARTEFACT


@pytest.fixture
def hand_scorecard(db):
    sc = Scorecard.objects.create(name="新车测试评分卡", product_line="new")
    version = ScorecardVersion.objects.create(
        scorecard=sc,
        version=1,
        status="champion",
        artefact=copy.deepcopy(HAND_ARTEFACT),
        report={},
        test_auc=0.7,
    )
    Strategy.objects.create(
        product_line="new",
        approve_above=560,
        decline_below=480,
        tier_cutoffs={"A": 590, "B": 570, "C": 560},
    )
    return version


@pytest.fixture
def rule_set(db):
    return rule_set_default_ensure()
