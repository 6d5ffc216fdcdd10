"""PNG figures for the model report (matplotlib's Agg backend: no display needed).

The images hold no words: the title, the axes and the key are the page's (a translated
caption, templates/risk/model_detail.html), so a figure reads the same in Chinese and English
and no CJK font is needed. Each line's colour is fixed here and named in the caption's key."""

from __future__ import annotations

import io

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

# the caption's key names these (CSS classes .plot-key-<name> in static/css/autofin.css)
BLUE, RED, GREY = "#1f6fb4", "#c8102e", "#888888"


def _png(fig) -> bytes:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")
    plt.close(fig)
    return buf.getvalue()


def roc_png(curves: dict[str, tuple[np.ndarray, np.ndarray]]) -> bytes:
    """``curves``: (y_bad, score) for the training sample, then the held-out one (blue, red).
    Higher score means lower risk."""
    fig, ax = plt.subplots(figsize=(4.5, 4))
    for colour, (y, score) in zip((BLUE, RED), curves.values(), strict=False):
        fpr, tpr, _t = roc_curve(y, -np.asarray(score))
        ax.plot(fpr, tpr, color=colour)
    ax.plot([0, 1], [0, 1], linestyle="--", color=GREY, linewidth=0.8)
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
    ax.plot(s, cum_bad, color=RED)
    ax.plot(s, cum_good, color=BLUE)
    ax.vlines(s[i], cum_good[i], cum_bad[i], colors=GREY, linestyles="--")
    return _png(fig)


def histogram_png(y: np.ndarray, score: np.ndarray) -> bytes:
    y = np.asarray(y)
    score = np.asarray(score)
    fig, ax = plt.subplots(figsize=(4.5, 4))
    bins = np.linspace(score.min(), score.max(), 30) if len(score) else 10
    ax.hist(score[y == 0], bins=bins, alpha=0.6, color=BLUE, density=True)
    ax.hist(score[y == 1], bins=bins, alpha=0.6, color=RED, density=True)
    return _png(fig)
