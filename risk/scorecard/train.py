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


def _training_rows(
    frame: pd.DataFrame, target: str, bad_value: str | None
) -> tuple[pd.DataFrame, np.ndarray]:
    """The rows with a target, and the target coded 1 = bad; enough of each class or an error."""
    if target not in frame.columns:
        raise ScorecardError(f"no column {target!r}; columns are {list(frame.columns)}")
    frame = frame[frame[target].notna()].reset_index(drop=True)
    y_all = target_vector(frame[target], bad_value)
    n_bads = int(y_all.sum())
    if n_bads < 20 or len(y_all) - n_bads < 20:
        raise ScorecardError(
            f"need at least 20 bads and 20 goods, got {n_bads} bads of {len(y_all)}"
        )
    return frame, y_all


def _candidates(frame: pd.DataFrame, target: str, exclude: tuple[str, ...]) -> dict[str, str]:
    """{column: 'numeric' | 'categorical'} of the columns worth binning."""
    candidates: dict[str, str] = {}
    for col in frame.columns:
        if col == target or col in exclude:
            continue
        kind = _column_kind(str(col), frame[col])
        if kind:
            candidates[str(col)] = kind
    if not candidates:
        raise ScorecardError("no usable variable in the table")
    return candidates


def _bin_all(
    candidates: dict[str, str], train: pd.DataFrame, y_train: np.ndarray, opts: TrainOptions
) -> dict[str, dict]:
    bopts = BinningOptions(
        max_bins=opts.max_bins, min_bin_share=opts.min_bin_share, random_state=opts.seed
    )
    binned: dict[str, dict] = {}
    for name, kind in candidates.items():
        fn = bin_numeric if kind == "numeric" else bin_categorical
        binned[name] = fn(name, train[name], y_train, bopts)
    return binned


def _correlated(name: str, kept: list[str], woe: dict[str, np.ndarray], corr_max: float):
    """The first kept variable whose WoE correlates with ``name``'s beyond ``corr_max``, and r."""
    for other in kept:
        if np.std(woe[name]) == 0 or np.std(woe[other]) == 0:
            continue
        r = float(np.corrcoef(woe[name], woe[other])[0, 1])
        if abs(r) > corr_max:
            return other, r
    return None


def _filter_variables(
    ranked: list[str],
    binned: dict[str, dict],
    woe: dict[str, np.ndarray],
    opts: TrainOptions,
    status: dict[str, str],
) -> list[str]:
    """IV filter, then the variable cap, then the correlation filter (the higher-IV variable of
    a correlated pair stays: ``ranked`` is by IV, highest first)."""
    kept: list[str] = []
    for name in ranked:
        if binned[name]["iv"] < opts.iv_min:
            status[name] = f"IV < {opts.iv_min}"
            continue
        if len(kept) >= opts.max_variables:
            status[name] = f"more than {opts.max_variables} variables"
            continue
        clash = _correlated(name, kept, woe, opts.corr_max)
        if clash:
            status[name] = f"corr {clash[1]:.2f} with {clash[0]}"
            continue
        kept.append(name)
    if not kept:
        raise ScorecardError(f"no variable reaches IV {opts.iv_min}")
    return kept


def _regress(
    kept: list[str],
    woe: dict[str, np.ndarray],
    y_train: np.ndarray,
    opts: TrainOptions,
    status: dict[str, str],
) -> tuple[LogisticRegression, list[str]]:
    """Logistic regression on WoE, refitted without the variables of the wrong sign."""
    while True:
        x = np.column_stack([woe[n] for n in kept])
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
    return model, kept


def _artefact(
    *,
    target: str,
    bad_value: str | None,
    kept: list[str],
    binned: dict[str, dict],
    model: LogisticRegression,
    opts: TrainOptions,
) -> dict:
    """The points of each bin of each kept variable, scaled (see the module's docstring)."""
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
    return {
        "format": ARTEFACT_FORMAT,
        "target": target,
        "bad_value": bad_value,
        "scaling": scaling,
        "intercept": intercept,
        "variables": variables,
    }


def _band_edges(score_train: np.ndarray, bands: int) -> list[float]:
    """Whole-point score quantiles of the training part: the edges of ``bands`` score bands."""
    return sorted(
        {float(np.floor(q)) for q in np.quantile(score_train, np.linspace(0, 1, bands + 1)[1:-1])}
    )


def _figures(y_train, score_train, y_test, score_test) -> dict[str, bytes]:
    return {
        "roc": plots.roc_png({"train": (y_train, score_train), "held-out": (y_test, score_test)}),
        "ks": plots.ks_png(y_test, score_test),
        "histogram": plots.histogram_png(y_test, score_test),
    }


def _variables_report(
    ranked: list[str], candidates: dict[str, str], binned: dict[str, dict], status: dict
) -> list[dict]:
    return [
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
    ]


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
    frame, y_all = _training_rows(frame, target, bad_value)
    candidates = _candidates(frame, target, exclude)
    idx_train, idx_test = train_test_split(
        np.arange(len(frame)), test_size=opts.test_size, stratify=y_all, random_state=opts.seed
    )
    train, test = frame.iloc[idx_train], frame.iloc[idx_test]
    y_train, y_test = y_all[idx_train], y_all[idx_test]

    binned = _bin_all(candidates, train, y_train, opts)
    ranked = sorted(binned, key=lambda n: -binned[n]["iv"])
    woe_train = {
        n: np.array([b["woe"] for b in binned[n]["bins"]])[bin_index(binned[n], train[n])]
        for n in ranked
    }
    status: dict[str, str] = {}
    kept = _filter_variables(ranked, binned, woe_train, opts, status)
    model, kept = _regress(kept, woe_train, y_train, opts, status)
    artefact = _artefact(
        target=target, bad_value=bad_value, kept=kept, binned=binned, model=model, opts=opts
    )

    score_train = _score_frame(artefact, train)
    score_test = _score_frame(artefact, test)
    edges = _band_edges(score_train, opts.score_bands)
    train_bands = _bands(edges, score_train, y_train)
    artefact["score_distribution"] = {
        "edges": edges,
        "train_shares": [b["share"] for b in train_bands],
    }
    CompiledScorecard(artefact)  # the artefact must compile: fail here, not at scoring time

    report = {
        "metrics": {"train": _metrics(y_train, score_train), "test": _metrics(y_test, score_test)},
        "variables": _variables_report(ranked, candidates, binned, status),
        "bands": {"train": train_bands, "test": _bands(edges, score_test, y_test)},
        "score_summary": {
            "min": int(score_train.min()),
            "max": int(score_train.max()),
            "mean": float(score_train.mean()),
        },
        "options": opts.__dict__,
        "rows": len(frame),
    }
    figures = _figures(y_train, score_train, y_test, score_test) if with_plots else {}
    return TrainResult(artefact=artefact, report=report, plots=figures)
