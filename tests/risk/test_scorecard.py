"""The scorecard package (pure Python) and the training / data commands."""

from __future__ import annotations

import json
import math
from functools import lru_cache
from io import StringIO

import numpy as np
import pandas as pd
import pytest
from django.core.management import call_command

from risk.models import ScorecardPlot, ScorecardVersion
from risk.scorecard import CompiledScorecard, ScorecardError, psi, psi_alert, train_scorecard
from risk.scorecard.binning import BinningOptions, bin_categorical, bin_numeric
from risk.scorecard.synth import make_credit_data
from risk.scorecard.train import _score_frame


@lru_cache(maxsize=1)
def trained():
    frame = make_credit_data(4000, seed=7)
    return frame, train_scorecard(frame, target="default", with_plots=False)


def test_psi_of_a_hand_made_distribution_is_exact():
    # (0.4-0.5)ln(0.4/0.5) + (0.6-0.5)ln(0.6/0.5) = 0.1 ln 1.5
    assert psi([0.5, 0.5], [0.4, 0.6]) == pytest.approx(0.1 * math.log(1.5), abs=1e-15)
    assert psi([50, 50], [40, 60]) == pytest.approx(0.04054651081081644, abs=1e-15)
    assert psi([1, 1, 1], [1, 1, 1]) == 0.0


def test_psi_alert_levels():
    assert psi_alert(0.0999) == "ok"
    assert psi_alert(0.10) == "watch"
    assert psi_alert(0.2499) == "watch"
    assert psi_alert(0.25) == "act"


def test_training_on_generated_data_beats_chance_on_held_out_rows():
    _frame, result = trained()
    test = result.report["metrics"]["test"]
    assert test["auc"] > 0.6
    assert test["rows"] == 1200  # 30 % of 4,000, stratified
    assert test["gini"] == pytest.approx(2 * test["auc"] - 1)
    assert 0 < test["ks"] < 1
    # The artefact is plain JSON: no pickles, nothing Python-specific.
    assert json.loads(json.dumps(result.artefact)) == result.artefact


def test_numeric_bins_are_monotonic_with_a_missing_bin():
    _frame, result = trained()
    by_name = {v["name"]: v for v in result.report["variables"]}
    assert (
        by_name["ltv"]["trend"] == "ascending"
        or by_name["down_payment_ratio"]["trend"] == "descending"
    )
    for var in result.artefact["variables"]:
        assert var["bins"][-1]["missing"] is True
        if var["type"] == "numeric" and var["trend"] in ("ascending", "descending"):
            rates = [b["bad_rate"] for b in var["bins"][:-1]]
            pairs = list(zip(rates, rates[1:], strict=False))
            if var["trend"] == "ascending":
                assert all(a <= b + 1e-9 for a, b in pairs), var["name"]
            else:
                assert all(a >= b - 1e-9 for a, b in pairs), var["name"]


def test_variable_selection_drops_correlated_and_weak_variables():
    _frame, result = trained()
    status = {v["name"]: v["status"] for v in result.report["variables"]}
    # ltv and down payment ratio carry the same information: only one of them is kept.
    assert [status["ltv"], status["down_payment_ratio"]].count("selected") == 1
    assert "application_id" not in status  # identifiers are never candidates
    assert all(v["coefficient"] < 0 for v in result.artefact["variables"])


def test_score_is_the_sum_of_points_and_follows_the_scaling():
    frame, result = trained()
    art = result.artefact
    compiled = CompiledScorecard(art)
    record = frame.replace({np.nan: None}).iloc[5].to_dict()
    scored = compiled.score(record)
    assert scored.score == int(math.floor(sum(scored.points.values()) + 0.5))
    assert scored.score == _score_frame(art, frame.iloc[[5]])[0]
    # Unrounded: score = offset - factor * (b0 + sum b_i WoE_i); points are rounded to 0.1.
    s = art["scaling"]
    logit = art["intercept"] + sum(
        v["coefficient"] * v["bins"][scored.bins[v["name"]]]["woe"] for v in art["variables"]
    )
    exact = s["offset"] - s["factor"] * logit
    assert abs(scored.score - exact) <= 0.5 + 0.05 * len(art["variables"])
    # 600 at odds 50:1 with PDO 20.
    assert s["offset"] + s["factor"] * math.log(50) == pytest.approx(600)
    assert s["offset"] + s["factor"] * math.log(100) == pytest.approx(620)


def test_categorical_binning_sends_unseen_and_missing_values_to_their_bins():
    rng = np.random.default_rng(1)
    n = 2000
    city = rng.choice(["北京", "上海", "广州", "成都"], size=n)
    y = (rng.random(n) < np.where(city == "成都", 0.3, 0.08)).astype(int)
    series = pd.Series(city, dtype=object)
    series[:50] = None
    var = bin_categorical("city", series, y, BinningOptions())
    assert var["bins"][-1]["missing"] and var["bins"][-1]["count"] == 50
    art = {
        "variables": [
            {**var, "bins": [{**b, "points": float(i)} for i, b in enumerate(var["bins"])]}
        ]
    }
    compiled = CompiledScorecard(art)
    v = compiled.variables[0]
    assert compiled.bin_of(v, None) == len(var["bins"]) - 1
    other = compiled.bin_of(v, "拉萨")  # never seen in training
    assert "__other__" in var["bins"][other]["categories"]
    cheng_du = compiled.bin_of(v, "成都")
    assert var["bins"][cheng_du]["bad_rate"] == max(b["bad_rate"] for b in var["bins"][:-1])


def test_bin_numeric_puts_nan_in_the_missing_bin():
    x = pd.Series([1.0, 2.0, np.nan, 4.0] * 100)
    y = np.array([0, 1, 0, 1] * 100)
    var = bin_numeric("x", x, y, BinningOptions())
    assert var["bins"][-1]["count"] == 100


def test_text_target_needs_the_bad_value():
    frame = pd.DataFrame({"x": range(100), "status": ["GOOD", "BAD"] * 50})
    with pytest.raises(ScorecardError, match="--bad-value"):
        train_scorecard(frame, target="status")
    with pytest.raises(ScorecardError, match="bad value 'DEFAULT'"):
        train_scorecard(frame, target="status", bad_value="DEFAULT")


def _second_csv(path, rows=3000, seed=3):
    """A differently shaped table: other names, many missing values, a text target."""
    rng = np.random.default_rng(seed)
    salary = np.exp(rng.normal(9.0, 0.5, rows))
    ltv = rng.uniform(0.4, 1.0, rows)
    priors = rng.poisson(0.6, rows).astype(float)
    region = rng.choice(["north", "south", "east", "west", "islands"], size=rows)
    z = (
        -2.2
        + 3.0 * (ltv - 0.7)
        - 0.8 * (np.log(salary) - 9)
        + 0.7 * priors
        + np.where(region == "islands", 0.8, 0)
    )
    bad = rng.random(rows) < 1 / (1 + np.exp(-z))
    frame = pd.DataFrame(
        {
            "loan_no": [f"L{i}" for i in range(rows)],
            "monthly_salary": salary.round(0),
            "loan_to_value": ltv.round(3),
            "prior_defaults": priors,
            "region": region,
            "free_note": [f"note {i}" for i in range(rows)],
            "status": np.where(bad, "BAD", "GOOD"),
        }
    )
    for col in ("monthly_salary", "loan_to_value", "prior_defaults", "region"):
        frame.loc[rng.random(rows) < 0.25, col] = None
    frame.to_csv(path, index=False)


@pytest.mark.django_db
def test_commands_generate_data_and_train_a_stored_scorecard(tmp_path):
    csv = tmp_path / "credit.csv"
    out = StringIO()
    call_command("make_credit_data", rows=3000, seed=11, out=str(csv), stdout=out)
    assert "3000 rows" in out.getvalue()
    frame = pd.read_csv(csv)
    assert len(frame) == 3000 and frame["inquiries_6m"].isna().sum() > 0
    assert pd.read_csv(csv).equals(frame)  # fixed seed: same file again
    artefact_file = tmp_path / "artefact.json"
    out = StringIO()
    call_command(
        "train_scorecard",
        csv=str(csv),
        target="default",
        product_line="used",
        artefact_out=str(artefact_file),
        stdout=out,
    )
    line = next(x for x in out.getvalue().splitlines() if x.startswith("held-out AUC"))
    assert float(line.split()[2]) > 0.6
    version = ScorecardVersion.objects.get(scorecard__product_line="used")
    assert version.status == "champion" and version.version == 1
    assert version.test_auc > 0.6
    assert json.loads(artefact_file.read_text()) == version.artefact
    plots = {p.kind: bytes(p.png) for p in ScorecardPlot.objects.filter(version=version)}
    assert sorted(plots) == ["histogram", "ks", "roc"]
    assert all(png.startswith(b"\x89PNG") for png in plots.values())


@pytest.mark.django_db
def test_train_command_on_a_differently_shaped_csv_with_a_text_target(tmp_path):
    csv = tmp_path / "other.csv"
    _second_csv(csv)
    out = StringIO()
    call_command(
        "train_scorecard",
        csv=str(csv),
        target="status",
        bad_value="BAD",
        product_line="commercial",
        name="商用车测试",
        stdout=out,
    )
    assert "held-out AUC" in out.getvalue()
    version = ScorecardVersion.objects.get(scorecard__product_line="commercial")
    assert version.scorecard.name == "商用车测试"
    assert version.test_auc > 0.6
    names = {v["name"] for v in version.artefact["variables"]}
    assert names <= {"monthly_salary", "loan_to_value", "prior_defaults", "region"}
    assert "loan_to_value" in names
    candidates = {v["name"] for v in version.report["variables"]}
    assert "loan_no" not in candidates and "free_note" not in candidates
    missing_bins = [v["bins"][-1] for v in version.artefact["variables"]]
    assert all(b["missing"] and b["count"] > 0 for b in missing_bins)
