"""PNG figures for the model report (matplotlib's Agg backend: no display needed)."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def roc_png(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """``curves``: label -> (y_bad, score). Higher score means lower risk."""
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for label, (y, score) in curves.items():
        fpr, tpr, _t = roc_curve(y, -np.asarray(score))
        ax.plot(fpr, tpr, label=label)
    ax.plot([0, 1], [0, 1], linestyle="--", color="grey", linewidth=0.8)
    ax.set_xlabel("False positive rate")
    ax.set_ylabel("True positive rate")
    ax.set_title("ROC")
    ax.legend(loc="lower right")
    return _png(fig)


def ks_png(y: np.ndarray, score: np.ndarray) -> bytes:
    order = np.argsort(score)
    ys = np.asarray(y)[order]
    s = np.asarray(score)[order]
    cum_bad = np.cumsum(ys) / max(ys.sum(), 1)
    cum_good = np.cumsum(1 - ys) / max((1 - ys).sum(), 1)
    gap = cum_bad - cum_good
    i = int(np.argmax(gap))
    fig, ax = plt.subplots(figsize=(4.5, 4))
    ax.plot(s, cum_bad, label="bad")
    ax.plot(s, cum_good, label="good")
    ax.vlines(s[i], cum_good[i], cum_bad[i], colors="red", label=f"KS = {gap[i]:.3f}")
    ax.set_xlabel("score")
    ax.set_ylabel("cumulative share")
    ax.set_title("KS")
    ax.legend(loc="lower right")
    return _png(fig)


def histogram_png(y: np.ndarray, score: np.ndarray) -> bytes:
    y = np.asarray(y)
    score = np.asarray(score)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    bins = np.linspace(score.min(), score.max(), 30) if len(score) else 10
    ax.hist(score[y == 0], bins=bins, alpha=0.6, label="good", density=True)
    ax.hist(score[y == 1], bins=bins, alpha=0.6, label="bad", density=True)
    ax.set_xlabel("score")
    ax.set_title("Score distribution")
    ax.legend()
    return _png(fig)
