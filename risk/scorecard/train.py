"""Training an application scorecard from any table with a binary target.

Steps: target coding -> stratified train / held-out split -> supervised binning of each
candidate variable (on the training part only) -> IV filter -> correlation filter (on WoE,
keeping the higher-IV variable) -> logistic regression on WoE -> variables with the wrong sign
dropped and the model refitted -> points scaling:

    factor = PDO / ln 2;  offset = base_score - factor * ln(base_odds)
    score  = offset + factor * ln(odds of good) = offset - factor * (b0 + sum b_i * WoE_i)

Each bin's points = -factor * b_i * WoE + (offset - factor * b0) / n, rounded to 0.1, so a
record's score is the sum of its bins' points (rounded to a whole number). The artefact is a
JSON-able dict: nothing in it needs Python to be read.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split

from risk.scorecard import metrics, plots
from risk.scorecard.binning import BinningOptions, bin_categorical, bin_index, bin_numeric
from risk.scorecard.scoring import CompiledScorecard

ARTEFACT_FORMAT = "autofin-scorecard/1"
ID_NAME = re.compile(r"(^id$|_id$|^id_|_ref$|^ref$|_no$)", re.IGNORECASE)


class ScorecardError(ValueError):
    """Training input that cannot make a scorecard (message says which and why)."""


@dataclass(frozen=True)
class TrainOptions:
    base_score: float = 600.0
    base_odds: float = 50.0
    pdo: float = 20.0
    test_size: float = 0.3
    seed: int = 42
    iv_min: float = 0.02
    corr_max: float = 0.7
    max_variables: int = 12
    max_bins: int = 6
    min_bin_share: float = 0.05
    score_bands: int = 10


@dataclass
class TrainResult:
    artefact: dict
    report: dict
    plots: dict[str, bytes] = field(default_factory=dict)

    @property
    def test_auc(self) -> float:
        return self.report["metrics"]["test"]["auc"]


def target_vector(series: pd.Series, bad_value: str | None) -> np.ndarray:
    if bad_value is not None:
        text = series.map(lambda v: None if pd.isna(v) else str(v).strip())
        if not (text == str(bad_value).strip()).any():
            raise ScorecardError(f"no row has the bad value {bad_value!r} in the target column")
        return (text == str(bad_value).strip()).to_numpy(dtype=int)
    numeric = pd.to_numeric(series, errors="coerce")
    if numeric.isna().any() or not set(numeric.unique()) <= {0, 1}:
        raise ScorecardError(
            "the target must be coded 0/1 (1 = bad); for a text target name the bad class "
            "with --bad-value"
        )
    return numeric.to_numpy(dtype=int)


def _column_kind(name: str, series: pd.Series) -> str | None:
    """'numeric', 'categorical', or None (skip: empty, constant or an identifier)."""
    present = series.dropna()
    if present.empty or present.nunique() < 2:
        return None
    if pd.api.types.is_bool_dtype(series):
        return "categorical"
    if pd.api.types.is_numeric_dtype(series):
        if ID_NAME.search(name) and present.nunique() > 0.9 * len(present):
            return None
        return "numeric"
    converted = pd.to_numeric(present, errors="coerce")
    if converted.notna().mean() >= 0.95:
        if ID_NAME.search(name) and converted.nunique() > 0.9 * len(present):
            return None
        return "numeric"
    if present.nunique() > 50 and present.nunique() > 0.5 * len(present):
        return None  # free text or an identifier
    return "categorical"


def _scaling(opts: TrainOptions) -> dict:
    factor = opts.pdo / math.log(2)
    offset = opts.base_score - factor * math.log(opts.base_odds)
    return {
        "base_score": opts.base_score,
        "base_odds": opts.base_odds,
        "pdo": opts.pdo,
        "factor": factor,
        "offset": offset,
    }


def _fit(x: np.ndarray, y: np.ndarray, seed: int) -> LogisticRegression:
    model = LogisticRegression(C=1.0, max_iter=1000, random_state=seed)
    model.fit(x, y)
    return model


def _score_frame(artefact: dict, frame: pd.DataFrame) -> np.ndarray:
    total = np.zeros(len(frame))
    for var in artefact["variables"]:
        points = np.array([b["points"] for b in var["bins"]])
        total += points[bin_index(var, frame[var["name"]])]
    return np.floor(total + 0.5).astype(int)


def _bands(edges: list[float], score: np.ndarray, y: np.ndarray) -> list[dict]:
    bounds = [None, *edges, None]
    idx = np.searchsorted(edges, score, side="right")
    rows = []
    for i in range(len(edges) + 1):
        mask = idx == i
        n = int(mask.sum())
        bads = int(y[mask].sum())
        lo, hi = bounds[i], bounds[i + 1]
        label = f"< {hi:g}" if lo is None else (f">= {lo:g}" if hi is None else f"{lo:g}–{hi:g}")
        rows.append(
            {
                "label": label,
                "lower": lo,
                "upper": hi,
                "count": n,
                "share": n / max(len(score), 1),
                "bads": bads,
                "bad_rate": bads / n if n else 0.0,
            }
        )
    return rows


def _metrics(y: np.ndarray, score: np.ndarray) -> dict:
    risk = -score.astype(float)
    a = metrics.auc(y, risk)
    return {
        "rows": len(y),
        "bads": int(y.sum()),
        "bad_rate": float(y.mean()),
        "auc": a,
        "gini": 2 * a - 1,
        "ks": metrics.ks(y, risk),
    }


def train_scorecard(
    frame: pd.DataFrame,
    *,
    target: str,
    bad_value: str | None = None,
    options: TrainOptions | None = None,
    exclude: tuple[str, ...] = (),
    with_plots: bool = True,
) -> TrainResult:
    opts = options or TrainOptions()
    if target not in frame.columns:
        raise ScorecardError(f"no column {target!r}; columns are {list(frame.columns)}")
    frame = frame[frame[target].notna()].reset_index(drop=True)
    y_all = target_vector(frame[target], bad_value)
    n_bads = int(y_all.sum())
    if n_bads < 20 or len(y_all) - n_bads < 20:
        raise ScorecardError(
            f"need at least 20 bads and 20 goods, got {n_bads} bads of {len(y_all)}"
        )

    candidates: dict[str, str] = {}
    for col in frame.columns:
        if col == target or col in exclude:
            continue
        kind = _column_kind(str(col), frame[col])
        if kind:
            candidates[str(col)] = kind
    if not candidates:
        raise ScorecardError("no usable variable in the table")

    idx_train, idx_test = train_test_split(
        np.arange(len(frame)), test_size=opts.test_size, stratify=y_all, random_state=opts.seed
    )
    train, test = frame.iloc[idx_train], frame.iloc[idx_test]
    y_train, y_test = y_all[idx_train], y_all[idx_test]

    bopts = BinningOptions(
        max_bins=opts.max_bins, min_bin_share=opts.min_bin_share, random_state=opts.seed
    )
    binned: dict[str, dict] = {}
    for name, kind in candidates.items():
        fn = bin_numeric if kind == "numeric" else bin_categorical
        binned[name] = fn(name, train[name], y_train, bopts)

    status: dict[str, str] = {}
    ranked = sorted(binned, key=lambda n: -binned[n]["iv"])
    woe_train = {
        n: np.array([b["woe"] for b in binned[n]["bins"]])[bin_index(binned[n], train[n])]
        for n in ranked
    }
    kept: list[str] = []
    for name in ranked:
        if binned[name]["iv"] < opts.iv_min:
            status[name] = f"IV < {opts.iv_min}"
            continue
        if len(kept) >= opts.max_variables:
            status[name] = f"more than {opts.max_variables} variables"
            continue
        clash = None
        for other in kept:
            if np.std(woe_train[name]) == 0 or np.std(woe_train[other]) == 0:
                continue
            r = float(np.corrcoef(woe_train[name], woe_train[other])[0, 1])
            if abs(r) > opts.corr_max:
                clash = (other, r)
                break
        if clash:
            status[name] = f"corr {clash[1]:.2f} with {clash[0]}"
            continue
        kept.append(name)
    if not kept:
        raise ScorecardError(f"no variable reaches IV {opts.iv_min}")

    while True:
        x = np.column_stack([woe_train[n] for n in kept])
        model = _fit(x, y_train, opts.seed)
        coefs = model.coef_[0]
        wrong = [n for n, c in zip(kept, coefs, strict=True) if c >= 0]
        if not wrong or len(kept) == len(wrong):
            break
        for n in wrong:
            status[n] = "wrong sign in regression"
        kept = [n for n in kept if n not in wrong]
    for n in kept:
        status[n] = "selected"

    scaling = _scaling(opts)
    factor, offset = scaling["factor"], scaling["offset"]
    intercept = float(model.intercept_[0])
    share = (offset - factor * intercept) / len(kept)
    variables = []
    for name, coef in zip(kept, model.coef_[0], strict=True):
        var = dict(binned[name])
        var["coefficient"] = float(coef)
        var["bins"] = [
            {**b, "points": round(-factor * float(coef) * b["woe"] + share, 1)} for b in var["bins"]
        ]
        variables.append(var)

    artefact = {
        "format": ARTEFACT_FORMAT,
        "target": target,
        "bad_value": bad_value,
        "scaling": scaling,
        "intercept": intercept,
        "variables": variables,
    }
    score_train = _score_frame(artefact, train)
    score_test = _score_frame(artefact, test)
    edges = sorted(
        {
            float(np.floor(q))
            for q in np.quantile(score_train, np.linspace(0, 1, opts.score_bands + 1)[1:-1])
        }
    )
    train_bands = _bands(edges, score_train, y_train)
    artefact["score_distribution"] = {
        "edges": edges,
        "train_shares": [b["share"] for b in train_bands],
    }
    CompiledScorecard(artefact)  # the artefact must compile: fail here, not at scoring time

    report = {
        "metrics": {"train": _metrics(y_train, score_train), "test": _metrics(y_test, score_test)},
        "variables": [
            {
                "name": n,
                "type": candidates[n],
                "iv": binned[n]["iv"],
                "bins": len(binned[n]["bins"]),
                "trend": binned[n]["trend"],
                "status": status.get(n, ""),
                "selected": status.get(n) == "selected",
            }
            for n in ranked
        ],
        "bands": {"train": train_bands, "test": _bands(edges, score_test, y_test)},
        "score_summary": {
            "min": int(score_train.min()),
            "max": int(score_train.max()),
            "mean": float(score_train.mean()),
        },
        "options": opts.__dict__,
        "rows": len(frame),
    }
    figures: dict[str, bytes] = {}
    if with_plots:
        figures = {
            "roc": plots.roc_png(
                {"train": (y_train, score_train), "held-out": (y_test, score_test)}
            ),
            "ks": plots.ks_png(y_test, score_test),
            "histogram": plots.histogram_png(y_test, score_test),
        }
    return TrainResult(artefact=artefact, report=report, plots=figures)
