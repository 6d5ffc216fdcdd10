"""Train an application scorecard from a CSV and store it as a new scorecard version."""

from __future__ import annotations

import pandas as pd
from django.core.management.base import BaseCommand, CommandError

from risk.models import ProductLine
from risk.scorecard import ScorecardError
from risk.scorecard.train import TrainOptions
from risk.services import scorecard_version_train


class Command(BaseCommand):
    help = "Train a scorecard from a CSV with a binary target (1 = bad, or --bad-value)."

    def add_arguments(self, parser):
        parser.add_argument("--csv", required=True)
        parser.add_argument("--target", required=True)
        parser.add_argument("--bad-value", default=None, help="the target value that means bad")
        parser.add_argument("--product-line", default="new", choices=ProductLine.values)
        parser.add_argument("--contract-type", default="")
        parser.add_argument("--name", default=None)
        parser.add_argument(
            "--artefact-out", default=None, help="also write the artefact JSON here"
        )
        parser.add_argument("--base-score", type=float, default=600)
        parser.add_argument("--base-odds", type=float, default=50)
        parser.add_argument("--pdo", type=float, default=20)
        parser.add_argument("--seed", type=int, default=42)
        parser.add_argument("--test-size", type=float, default=0.3)

    def handle(self, *args, **opts):
        try:
            frame = pd.read_csv(opts["csv"])
        except (OSError, ValueError) as exc:
            raise CommandError(f"cannot read {opts['csv']}: {exc}") from exc
        options = TrainOptions(
            base_score=opts["base_score"],
            base_odds=opts["base_odds"],
            pdo=opts["pdo"],
            seed=opts["seed"],
            test_size=opts["test_size"],
        )
        try:
            version, result = scorecard_version_train(
                frame=frame,
                target=opts["target"],
                bad_value=opts["bad_value"],
                product_line=opts["product_line"],
                contract_type=opts["contract_type"],
                name=opts["name"],
                options=options,
                source=str(opts["csv"]),
                actor="manage.py train_scorecard",
                artefact_path=opts["artefact_out"],
            )
        except ScorecardError as exc:
            raise CommandError(str(exc)) from exc
        m = result.report["metrics"]
        selected = [v["name"] for v in result.report["variables"] if v["selected"]]
        self.stdout.write(
            f"{version} ({version.status}): {len(selected)} variables: {', '.join(selected)}"
        )
        self.stdout.write(
            f"train AUC {m['train']['auc']:.4f} KS {m['train']['ks']:.4f} Gini {m['train']['gini']:.4f}"
        )
        self.stdout.write(
            f"held-out AUC: {m['test']['auc']:.4f} KS {m['test']['ks']:.4f} Gini {m['test']['gini']:.4f}"
        )
