"""Training the next-best-offer model: one read of the response history, a stratified 30 %
hold-out, a gradient-boosted pipeline, and on the hold-out the AUC and the lift by decile.

Why gradient boosting and not a logistic regression: the ranking asks "which kind for THIS
customer", which is an interaction of the offer kind with the facts (near maturity matters for a
next car, a policy's end for a renewal). An additive model gives every customer the same order
of kinds; trees learn the interactions.
"""

from __future__ import annotations

import datetime as dt
import io

import joblib
import numpy as np
import pandas as pd
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import OneHotEncoder
from threadpoolctl import threadpool_limits

from servicing.models.nbo import NboModel, NboStatus
from servicing.services.nbo.features import (
    CATEGORICAL,
    FEATURES,
    NUMERIC,
    frame_from_rows,
    history_read,
)

HOLDOUT_SHARE = 0.3
SEED = 21
# below this many sent contacts, or responders in either part, a lift table is noise
MIN_ROWS = 200
MIN_RESPONDERS = 10
# the Celery task's time limit (servicing/tasks/nbo.py): a run older than this is not training
STALE_AFTER = dt.timedelta(seconds=900)


class NboTrainingError(Exception):
    """The history cannot train a model (too small, one class only); the message says why."""


def _pipeline() -> Pipeline:
    encode = ColumnTransformer(
        [
            (
                "categories",
                OneHotEncoder(handle_unknown="ignore", sparse_output=False),
                CATEGORICAL,
            ),
            ("facts", "passthrough", NUMERIC),
        ]
    )
    # shallow trees, slow learning: a few hundred responders, and the ranking needs only the
    # kind × fact interactions, not deep ones
    trees = HistGradientBoostingClassifier(
        max_iter=150, learning_rate=0.05, max_depth=3, min_samples_leaf=15,
        l2_regularization=1.0, random_state=SEED,
    )  # fmt: skip
    return Pipeline([("encode", encode), ("model", trees)])


def lift_table(scores: np.ndarray, applied: np.ndarray, funded: np.ndarray) -> list[dict]:
    """Deciles of score (1 = the highest-scored tenth), each with its contacts, response rate,
    funded rate and lift = decile response rate / overall response rate."""
    order = np.argsort(-scores, kind="stable")
    overall = applied.mean()
    table = []
    for number, idx in enumerate(np.array_split(order, 10), start=1):
        rate = float(applied[idx].mean()) if len(idx) else 0.0
        table.append(
            {
                "decile": number,
                "contacts": len(idx),
                "applied": int(applied[idx].sum()),
                "funded": int(funded[idx].sum()),
                "response_rate": round(rate, 4),
                "funded_rate": round(float(funded[idx].mean()) if len(idx) else 0.0, 4),
                "lift": round(rate / overall, 2) if overall else 0.0,
                "min_score": round(float(scores[idx].min()), 4) if len(idx) else 0.0,
            }
        )
    return table


# One thread: on a worker that shares its cores, OpenMP's threads fighting over them made a
# fit of a few thousand rows take 20 s instead of 0.3 s; the history is small enough for one.
ONE_THREAD = 1


def _fit(history: pd.DataFrame) -> tuple[Pipeline, dict]:
    with threadpool_limits(limits=ONE_THREAD):
        return _fit_measure(history)


def _fit_measure(history: pd.DataFrame) -> tuple[Pipeline, dict]:
    rows = len(history)
    responders = int(history["applied"].sum())
    if rows < MIN_ROWS or responders < MIN_RESPONDERS or responders > rows - MIN_RESPONDERS:
        raise NboTrainingError(
            _(
                "响应记录不足，无法训练：已发送触达 %(rows)s 条，其中申请 %(applied)s 条"
                "（至少需要 %(min_rows)s 条触达，申请与未申请各至少 %(min_resp)s 条）。"
            )
            % {
                "rows": rows,
                "applied": responders,
                "min_rows": MIN_ROWS,
                "min_resp": MIN_RESPONDERS,
            }
        )
    features = frame_from_rows(history)
    applied = history["applied"].to_numpy()
    train_idx, test_idx = train_test_split(
        np.arange(rows), test_size=HOLDOUT_SHARE, stratify=applied, random_state=SEED
    )
    pipeline = _pipeline().fit(features.iloc[train_idx], applied[train_idx])
    scores = pipeline.predict_proba(features.iloc[test_idx])[:, 1]
    test_applied = applied[test_idx]
    test_funded = history["funded"].to_numpy()[test_idx]
    table = lift_table(scores, test_applied, test_funded)
    metrics = {
        "split": "stratified_random",
        "holdout_share": HOLDOUT_SHARE,
        "seed": SEED,
        "train_rows": len(train_idx),
        "holdout_rows": len(test_idx),
        "auc": round(float(roc_auc_score(test_applied, scores)), 4),
        "auc_funded": (
            round(float(roc_auc_score(test_funded, scores)), 4)
            if 0 < test_funded.sum() < len(test_funded)
            else None
        ),
        "response_rate": round(float(test_applied.mean()), 4),
        "funded_rate": round(float(test_funded.mean()), 4),
        "top_decile_lift": table[0]["lift"],
        "lift_table": table,
        "features": FEATURES,
        "kinds": sorted(history["offer_kind"].unique().tolist()),
    }
    # the stored model learns from every row: the hold-out only measured the recipe
    pipeline = _pipeline().fit(features, applied)
    return pipeline, metrics


def nbo_version_next() -> int:
    return (NboModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def nbo_training_pending() -> NboModel | None:
    """The run queued or training now; one older than the task's time limit is stale (its
    worker died or never took it): marked failed, so it does not block retraining forever."""
    stale = timezone.now() - STALE_AFTER
    NboModel.objects.filter(
        status__in=[NboStatus.QUEUED, NboStatus.RUNNING], created_at__lt=stale
    ).update(status=NboStatus.FAILED, error=_("训练超时未完成。"))
    return (
        NboModel.objects.filter(status__in=[NboStatus.QUEUED, NboStatus.RUNNING])
        .defer("pipeline")
        .first()
    )


def nbo_training_request(*, user=None) -> NboModel:
    """A queued run (the page shows it at once; the Celery task trains it)."""
    # two presses at once: the unique version refuses the second (the page shows the first)
    return NboModel.objects.create(version=nbo_version_next(), requested_by=user)


def nbo_train(*, run: NboModel | None = None, user=None) -> NboModel:
    """Train on the whole sent history and store the run; a run that cannot train is stored as
    failed with the reason (and the error raised to the caller)."""
    if run is None:
        run = nbo_training_request(user=user)
    NboModel.objects.filter(pk=run.pk).update(status=NboStatus.RUNNING)
    history = history_read()
    try:
        pipeline, metrics = _fit(history)
    except NboTrainingError as exc:
        NboModel.objects.filter(pk=run.pk).update(
            status=NboStatus.FAILED, error=str(exc), rows=len(history)
        )
        raise
    buffer = io.BytesIO()
    joblib.dump(pipeline, buffer)
    run.status = NboStatus.SUCCEEDED
    run.rows = len(history)
    run.metrics = metrics
    run.pipeline = buffer.getvalue()
    run.trained_at = timezone.now()
    run.error = ""
    run.save(update_fields=["status", "rows", "metrics", "pipeline", "trained_at", "error"])
    return run
