"""Ranking offer kinds for customers with the active next-best-offer model.

The active model is the newest succeeded `NboModel`. Without one (a new install before its first
training, or a customer without a fact row), kinds come in FALLBACK_ORDER: the products that
serve a customer already on the book first (insurance renewal, maintenance), then the larger
credit decisions (upgrade, next car), every score 0.
"""

from __future__ import annotations

import io

import joblib
import pandas as pd
from threadpoolctl import threadpool_limits

from servicing.models.customers import OfferKind
from servicing.models.nbo import NboModel, NboStatus
from servicing.services.nbo.features import facts_read, frame_from_rows
from servicing.services.nbo.training import ONE_THREAD

FALLBACK_ORDER = [
    OfferKind.INSURANCE_RENEWAL,
    OfferKind.MAINTENANCE,
    OfferKind.UPGRADE,
    OfferKind.NEXT_CAR,
]
# /my/offers/ shows offers in the portal: score them as a banner unless told otherwise
DEFAULT_CHANNEL = "banner"

_loaded: dict[int, object] = {}


def nbo_active() -> NboModel | None:
    return (
        NboModel.objects.filter(status=NboStatus.SUCCEEDED)
        .defer("pipeline")
        .order_by("-version")
        .first()
    )


def _pipeline(model: NboModel):
    # a stored run's pipeline never changes: unpickle it once per process (keyed by the row's
    # id, which is never reused, unlike a version number after a database is reset)
    if model.pk not in _loaded:
        raw = NboModel.objects.filter(pk=model.pk).values_list("pipeline", flat=True).get()
        _loaded.clear()
        _loaded[model.pk] = joblib.load(io.BytesIO(bytes(raw)))
    return _loaded[model.pk]


def _fallback(kinds: list[str]) -> list[tuple[str, float]]:
    order = {str(k): i for i, k in enumerate(FALLBACK_ORDER)}
    return [(k, 0.0) for k in sorted(kinds, key=lambda k: (order.get(k, len(order)), k))]


def nbo_rank_many(
    customer_ids: list[int], kinds: list[str], *, channel: str = DEFAULT_CHANNEL
) -> dict[int, list[tuple[str, float]]]:
    """For each customer, `kinds` best first with the model's response probability; one
    facts read and one predict for the whole set (customers × kinds rows)."""
    kinds = [str(k) for k in kinds]
    ranked = {cid: _fallback(kinds) for cid in customer_ids}
    model = nbo_active()
    if model is None or not kinds or not customer_ids:
        return ranked
    facts = facts_read(list(customer_ids))
    if facts.empty:
        return ranked
    grid = facts.merge(pd.DataFrame({"offer_kind": kinds}), how="cross")
    grid["channel"] = channel
    with threadpool_limits(limits=ONE_THREAD):
        grid["score"] = _pipeline(model).predict_proba(frame_from_rows(grid))[:, 1]
    grid = grid.sort_values(["customer_id", "score", "offer_kind"], ascending=[True, False, True])
    for cid, rows in grid.groupby("customer_id", sort=False):
        ranked[int(cid)] = [
            (kind, round(float(score), 4))
            for kind, score in zip(rows["offer_kind"], rows["score"], strict=True)
        ]
    return ranked


def nbo_rank(
    customer_id: int, kinds: list[str], *, channel: str = DEFAULT_CHANNEL
) -> list[tuple[str, float]]:
    """`kinds` for this customer, best first: [(kind, score)], score the predicted chance the
    customer applies; the fallback order (scores 0) without a model or facts."""
    return nbo_rank_many([customer_id], kinds, channel=channel)[customer_id]
