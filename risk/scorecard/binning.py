"""Supervised binning with weight of evidence (WoE) and information value (IV).

Numeric variables: a decision tree (scikit-learn) proposes up to ``max_bins`` intervals, each
holding at least ``min_bin_share`` of the rows; adjacent intervals whose bad rates break the
trend are then merged until the bad rate is monotonic. The monotonic version is kept unless it
loses more than ``MONOTONIC_IV_LOSS`` of the unconstrained information value (e.g. a U-shaped
age effect), in which case the tree's intervals stay and the trend is "none".

Categorical variables: categories rarer than ``min_bin_share`` are pooled as "other"; the rest
are ordered by bad rate and grouped with the same tree-and-merge step, so groups are monotonic
in bad rate by construction. Categories never seen in training score as "other".

Every variable has a bin for missing values (its WoE is 0, i.e. neutral, when training had no
missing values). WoE = ln(share of goods / share of bads), with 0.5 added to each bin's counts so
a bin without bads or goods stays finite. Intervals are [lower, upper).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from sklearn.tree import DecisionTreeClassifier

OTHER = "__other__"
MONOTONIC_IV_LOSS = 0.30
SMOOTHING = 0.5


@dataclass(frozen=True)
class BinningOptions:
    max_bins: int = 6
    min_bin_share: float = 0.05
    random_state: int = 0


def _fmt(value: float) -> str:
    return f"{value:.4g}"


def _woe_iv(goods: np.ndarray, bads: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    total_goods = max(float(goods.sum()), 1.0)
    total_bads = max(float(bads.sum()), 1.0)
    g = (goods + SMOOTHING) / total_goods
    b = (bads + SMOOTHING) / total_bads
    woe = np.log(g / b)
    empty = (goods + bads) == 0
    woe[empty] = 0.0
    iv = (goods / total_goods - bads / total_bads) * woe
    return woe, iv


def _tree_edges(
    x: np.ndarray, y: np.ndarray, opts: BinningOptions, n_total: int, max_bins: int
) -> list[float]:
    if len(np.unique(x)) < 2:
        return []
    tree = DecisionTreeClassifier(
        max_leaf_nodes=max_bins,
        min_samples_leaf=max(int(opts.min_bin_share * n_total), 1),
        random_state=opts.random_state,
    )
    tree.fit(x.reshape(-1, 1), y)
    inner = tree.tree_
    return sorted(float(t) for t, f in zip(inner.threshold, inner.feature, strict=True) if f >= 0)


def _counts(idx: np.ndarray, y: np.ndarray, n_bins: int) -> tuple[np.ndarray, np.ndarray]:
    bads = np.bincount(idx, weights=y, minlength=n_bins)
    total = np.bincount(idx, minlength=n_bins).astype(float)
    return total - bads, bads


def _monotonic_merge(
    x: np.ndarray, y: np.ndarray, edges: list[float], ascending: bool
) -> list[float]:
    edges = list(edges)
    while edges:
        goods, bads = _counts(np.searchsorted(edges, x, side="right"), y, len(edges) + 1)
        rates = (bads + SMOOTHING) / (goods + bads + 2 * SMOOTHING)
        diffs = np.diff(rates)
        bad_steps = np.where(diffs < 0)[0] if ascending else np.where(diffs > 0)[0]
        if len(bad_steps) == 0:
            break
        # Merge the violating pair with the smallest gap first: it costs the least information.
        worst = min(bad_steps, key=lambda i: abs(diffs[i]))
        del edges[int(worst)]
    return edges


def _iv_of(x: np.ndarray, y: np.ndarray, edges: list[float]) -> float:
    goods, bads = _counts(np.searchsorted(edges, x, side="right"), y, len(edges) + 1)
    _woe, iv = _woe_iv(goods, bads)
    return float(iv.sum())


def _ordinal_edges(
    x: np.ndarray, y: np.ndarray, opts: BinningOptions, n_total: int, *, allow_u: bool = True
) -> tuple[list[float], str]:
    free = _tree_edges(x, y, opts, n_total, opts.max_bins)
    if not free:
        return [], "none"
    corr = np.corrcoef(x, y)[0, 1] if np.std(x) > 0 else 0.0
    ascending = not (corr < 0)
    mono = _monotonic_merge(x, y, free, ascending)
    if allow_u:
        # A U (or inverted U) shape is kept only as three bins, and only when forcing a trend
        # would lose much of the information: zigzags are noise, a U can be real (age).
        u_shape = _tree_edges(x, y, opts, n_total, 3)
        iv_u = _iv_of(x, y, u_shape)
        if iv_u > 0 and _iv_of(x, y, mono) < (1 - MONOTONIC_IV_LOSS) * iv_u:
            return u_shape, "none"
    return mono, "ascending" if ascending else "descending"


def _stats_bins(bins: list[dict], goods: np.ndarray, bads: np.ndarray) -> tuple[list[dict], float]:
    woe, iv = _woe_iv(goods, bads)
    total = float((goods + bads).sum()) or 1.0
    for b, g, bd, w, v in zip(bins, goods, bads, woe, iv, strict=True):
        count = int(g + bd)
        b.update(
            count=count,
            goods=int(g),
            bads=int(bd),
            share=count / total,
            bad_rate=(float(bd) / count) if count else 0.0,
            woe=float(w),
            iv=float(v),
        )
    return bins, float(iv.sum())


def bin_numeric(name: str, series: pd.Series, y: np.ndarray, opts: BinningOptions) -> dict:
    values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
    present = ~np.isnan(values)
    edges, trend = _ordinal_edges(values[present], y[present], opts, len(values))
    bounds = [None, *edges, None]
    bins = []
    for i in range(len(edges) + 1):
        lo, hi = bounds[i], bounds[i + 1]
        if lo is None and hi is None:
            label = "all"
        elif lo is None:
            label = f"< {_fmt(hi)}"
        elif hi is None:
            label = f">= {_fmt(lo)}"
        else:
            label = f"[{_fmt(lo)}, {_fmt(hi)})"
        bins.append({"label": label, "lower": lo, "upper": hi, "missing": False})
    bins.append({"label": "missing", "lower": None, "upper": None, "missing": True})
    idx = apply_numeric_index(edges, values)
    goods, bads = _counts(idx, y, len(bins))
    bins, iv = _stats_bins(bins, goods, bads)
    return {
        "name": name,
        "type": "numeric",
        "trend": trend,
        "edges": edges,
        "bins": bins,
        "iv": iv,
    }


def apply_numeric_index(edges: list[float], values: np.ndarray) -> np.ndarray:
    """Bin index per value; NaN goes to the missing bin (the last one)."""
    idx = np.searchsorted(edges, np.nan_to_num(values, nan=0.0), side="right")
    idx[np.isnan(values)] = len(edges) + 1
    return idx


def _as_category(series: pd.Series) -> pd.Series:
    # Missing stays missing; everything else is compared as text ("1" and 1 are one category).
    return series.map(
        lambda v: None if v is None or (isinstance(v, float) and math.isnan(v)) else str(v)
    )


def bin_categorical(name: str, series: pd.Series, y: np.ndarray, opts: BinningOptions) -> dict:
    cats = _as_category(series)
    present = cats.notna().to_numpy()
    observed = cats[present]
    y_obs = y[present]
    counts = observed.value_counts()
    min_count = max(int(opts.min_bin_share * len(cats)), 1)
    rare = set(counts[counts < min_count].index)
    grouped = observed.where(~observed.isin(rare), OTHER) if rare else observed
    frame = pd.DataFrame({"c": grouped.to_numpy(), "y": y_obs})
    by_cat = frame.groupby("c")["y"].agg(["sum", "count"])
    by_cat["rate"] = (by_cat["sum"] + SMOOTHING) / (by_cat["count"] + 2 * SMOOTHING)
    order = list(by_cat.sort_values(["rate", "count"]).index)
    rank = {c: i for i, c in enumerate(order)}
    ordinal = frame["c"].map(rank).to_numpy(dtype=float)
    edges, _trend = (
        _ordinal_edges(ordinal, y_obs, opts, len(cats), allow_u=False)
        if len(order) > 1
        else ([], "none")
    )
    groups: list[list[str]] = [[] for _ in range(len(edges) + 1)]
    for c in order:
        groups[int(np.searchsorted(edges, rank[c], side="right"))].append(c)
    bins = [
        {
            "label": ", ".join("其他" if c == OTHER else c for c in g) or "-",
            "categories": g,
            "missing": False,
        }
        for g in groups
    ]
    bins.append({"label": "missing", "categories": [], "missing": True})
    mapping = {c: i for i, g in enumerate(groups) for c in g}
    idx = np.full(len(cats), len(bins) - 1, dtype=int)
    idx[present] = frame["c"].map(mapping).to_numpy(dtype=int)
    goods, bads = _counts(idx, y, len(bins))
    bins, iv = _stats_bins(bins, goods, bads)
    if OTHER not in mapping:
        # Unseen categories score as the most neutral group.
        neutral = min(range(len(groups)), key=lambda i: abs(bins[i]["woe"]))
        bins[neutral]["categories"].append(OTHER)
    return {"name": name, "type": "categorical", "trend": "n/a", "bins": bins, "iv": iv}


def bin_index(variable: dict, series: pd.Series) -> np.ndarray:
    """Bin index of every row of ``series`` under a fitted variable."""
    if variable["type"] == "numeric":
        values = pd.to_numeric(series, errors="coerce").to_numpy(dtype=float)
        return apply_numeric_index(variable["edges"], values)
    mapping: dict[str, int] = {}
    other = 0
    for i, b in enumerate(variable["bins"]):
        for c in b.get("categories", []):
            mapping[c] = i
            if c == OTHER:
                other = i
    missing = len(variable["bins"]) - 1
    cats = _as_category(series)
    return np.array([missing if c is None else mapping.get(c, other) for c in cats], dtype=int)
