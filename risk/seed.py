"""Demo risk setup: a scorecard per product line trained on synthetic data (3,000 rows each),
the default rule set, the sandbox watch list, a strategy per product line, early-warning rules, and some recent score
records so the monitoring (PSI) section has something to show."""

from __future__ import annotations

import numpy as np

from autofin.approvals import four_eyes_waived
from risk.models import ProductLine, ScoreRecord
from risk.scorecard.synth import make_credit_data
from risk.services import (
    early_warning_rules_ensure,
    rule_set_default_ensure,
    scorecard_version_train,
    strategy_update,
)
from risk.services.scorecards import compiled_for
from risk.services.watch_list import SANDBOX_FILE, SANDBOX_SOURCE, watch_list_load

SEED_ROWS = 3000
RECENT_ROWS = 400


def strategy_from_distribution(edges: list[float]) -> dict:
    """Cut-offs from the training score deciles: decline the lowest 10 %, auto-approve from
    the 4th decile up; tiers at the 75th, 50th and 25th percentiles."""
    q = dict(enumerate(edges, start=1))
    pick = lambda k: int(q.get(k, edges[-1] if edges else 500))  # noqa: E731
    return {
        "decline_below": pick(1),
        "approve_above": max(pick(4), pick(1)),
        "tier_cutoffs": {"A": pick(7), "B": pick(5), "C": pick(3)},
    }


def seed(*, stdout, context: dict) -> None:
    rule_set_default_ensure()
    early_warning_rules_ensure()
    load = watch_list_load(path=SANDBOX_FILE, source=SANDBOX_SOURCE, actor="seed")
    stdout.write(f"  watch list (sandbox sample): {load.added} entries")
    analyst = (context.get("users") or {}).get("risk_analyst")
    for i, line in enumerate(ProductLine.values):
        frame = make_credit_data(SEED_ROWS, seed=100 + i, product_line=line)
        version, result = scorecard_version_train(
            frame=frame,
            target="default",
            product_line=line,
            source=f"synthetic {SEED_ROWS} rows, seed {100 + i}",
            actor=analyst or "seed",
        )
        s = strategy_from_distribution(version.artefact["score_distribution"]["edges"])
        # Installation data: nobody exists yet to check it (autofin.approvals).
        with four_eyes_waived("demo seed"):
            strategy_update(product_line=line, actor=analyst or "seed", **s)
        recent = make_credit_data(RECENT_ROWS, seed=200 + i, product_line=line)
        compiled = compiled_for(version)
        records = []
        for j, row in enumerate(recent.replace({np.nan: None}).to_dict("records")):
            scored = compiled.score(row)
            records.append(
                ScoreRecord(
                    version=version,
                    product_line=line,
                    application_ref=f"DEMO-{line}-{j:04d}",
                    role="champion",
                    score=scored.score,
                    bins=scored.bins,
                )
            )
        ScoreRecord.objects.bulk_create(records)
        stdout.write(
            f"  {version}: held-out AUC {result.test_auc:.3f}, strategy {s['decline_below']}/{s['approve_above']}"
        )
