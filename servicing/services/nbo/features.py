"""The model's features: the customer facts as the nightly batch computed them (one definition,
servicing/services/customer_facts.py) — for training, as they stood when the contact was made —
the offer kind and the contact channel.

Training and scoring build their frames through `frame_from_rows`, so a feature cannot mean one
thing when the model learns and another when it ranks.
"""

from __future__ import annotations

import pandas as pd
from django.db import connection

# numeric columns; "days/months since" are relative to the facts' own business day so a
# stored fact row means the same thing whenever it is read
NUMERIC = [
    "loans_active",
    "loans_closed",
    "instalments_paid",
    "current_dpd",
    "max_dpd_ever",
    "principal_outstanding",
    "months_to_maturity",
    "months_on_book",
    "days_to_insurance_end",
    "ever_settled_early",
    "ever_paid_off",
    "has_nev",
]
CATEGORICAL = ["offer_kind", "channel", "vehicle_kind"]
FEATURES = NUMERIC + CATEGORICAL

# principal is a model input here, never money arithmetic: float8 is what the estimator takes
_FACT_COLUMNS = """
       f.loans_active, f.loans_closed, f.instalments_paid, f.current_dpd, f.max_dpd_ever,
       f.principal_outstanding::float8 AS principal_outstanding,
       f.months_to_maturity,
       CASE WHEN f.first_funded_on IS NULL THEN NULL
            ELSE (f.computed_on - f.first_funded_on) / 30 END AS months_on_book,
       f.insurance_ends_on - f.computed_on AS days_to_insurance_end,
       (f.settled_early_on IS NOT NULL)::int AS ever_settled_early,
       (f.paid_off_on IS NOT NULL)::int AS ever_paid_off,
       f.has_nev::int AS has_nev,
       f.vehicle_kind
"""

# Sent contacts only: the hold-out saw nothing, so what they did says nothing about the offer;
# no-consent and capped contacts were never sent either.
# The facts are the contact's launch snapshot (servicing.services.marketing.campaigns), read back
# as a customer-facts row so the feature columns above have one definition; a contact from before
# snapshots falls back to tonight's facts (which may already reflect what the offer led to).
_HISTORY = f"""
SELECT cc.id, cc.customer_id, c.offer_kind, c.channel, c.starts_at,
       (cc.applied_at IS NOT NULL)::int AS applied,
       (cc.funded_at IS NOT NULL)::int AS funded,
       {_FACT_COLUMNS}
  FROM servicing_campaigncontact cc
  JOIN servicing_campaign c ON c.id = cc.campaign_id
  LEFT JOIN servicing_customerfact today ON today.customer_id = cc.customer_id
 CROSS JOIN LATERAL jsonb_populate_record(
       NULL::servicing_customerfact, coalesce(cc.facts, to_jsonb(today))) f
 WHERE cc.result = 'sent' AND f.customer_id IS NOT NULL
 ORDER BY cc.id
"""  # noqa: S608 - a constant column list

_FACTS = f"""
SELECT f.customer_id, {_FACT_COLUMNS}
  FROM servicing_customerfact f
 WHERE f.customer_id = ANY(%(ids)s)
"""  # noqa: S608 - a constant column list


def _read(sql: str, params: dict | None = None) -> pd.DataFrame:
    with connection.cursor() as cur:
        cur.execute(sql, params)
        names = [col.name for col in cur.description]
        return pd.DataFrame.from_records(cur.fetchall(), columns=names)


def frame_from_rows(frame: pd.DataFrame) -> pd.DataFrame:
    """The estimator's input: FEATURES in order, numbers as floats (NaN where a fact is
    unknown: the gradient-boosted trees route missing values themselves), categories as text."""
    out = pd.DataFrame(index=frame.index)
    for name in NUMERIC:
        out[name] = pd.to_numeric(frame[name], errors="coerce").astype("float64")
    for name in CATEGORICAL:
        out[name] = frame[name].fillna("").astype(str)
    return out


def history_read() -> pd.DataFrame:
    """Every sent contact joined to its customer's facts: one row per contact with the labels
    `applied` and `funded`."""
    return _read(_HISTORY)


def facts_read(customer_ids: list[int]) -> pd.DataFrame:
    """The facts of these customers (customers without a fact row are absent)."""
    if not customer_ids:
        return pd.DataFrame(columns=["customer_id", *NUMERIC, "vehicle_kind"])
    return _read(_FACTS, {"ids": list(customer_ids)})
