"""Discrimination and stability measures."""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np
from sklearn.metrics import roc_auc_score, roc_curve

PSI_WATCH = 0.10
PSI_ACT = 0.25
# A share of zero would make ln(a/e) infinite; both sides are floored at this share.
PSI_FLOOR = 0.0001


def auc(y_bad: Sequence[int], risk: Sequence[float]) -> float:
    """Area under the ROC curve; ``risk`` rises with the chance of bad (e.g. minus the score)."""
    return float(roc_auc_score(np.asarray(y_bad), np.asarray(risk)))


def gini(y_bad: Sequence[int], risk: Sequence[float]) -> float:
    return 2.0 * auc(y_bad, risk) - 1.0


def ks(y_bad: Sequence[int], risk: Sequence[float]) -> float:
    """Kolmogorov-Smirnov: the largest gap between the bads' and goods' cumulative shares."""
    fpr, tpr, _thresholds = roc_curve(np.asarray(y_bad), np.asarray(risk))
    return float(np.max(tpr - fpr))


def psi(expected: Sequence[float], actual: Sequence[float]) -> float:
    """Population stability index of two distributions over the same bins.

    ``expected`` and ``actual`` are counts or shares per bin; each is normalised to shares.
    PSI = sum((a - e) * ln(a / e)), with each share floored at ``PSI_FLOOR``.
    """
    if len(expected) != len(actual):
        raise ValueError("expected and actual need the same bins")
    e_total = float(sum(expected))
    a_total = float(sum(actual))
    if e_total <= 0 or a_total <= 0:
        return 0.0
    total = 0.0
    for e, a in zip(expected, actual, strict=True):
        es = max(float(e) / e_total, PSI_FLOOR)
        as_ = max(float(a) / a_total, PSI_FLOOR)
        total += (as_ - es) * math.log(as_ / es)
    return total


def psi_alert(value: float) -> str:
    """'ok' below 0.1, 'watch' from 0.1, 'act' from 0.25."""
    if value >= PSI_ACT:
        return "act"
    if value >= PSI_WATCH:
        return "watch"
    return "ok"
