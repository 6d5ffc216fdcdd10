"""Write a synthetic auto-loan data set (see risk.scorecard.synth) to a CSV."""

from __future__ import annotations

from django.core.management.base import BaseCommand

from risk.scorecard.synth import PRODUCT_LINES, make_credit_data


class Command(BaseCommand):
    help = "Generate synthetic auto-loan applications with a default flag."

    def add_arguments(self, parser):
        parser.add_argument("--rows", type=int, required=True)
        parser.add_argument("--seed", type=int, default=0)
        parser.add_argument("--out", required=True)
        parser.add_argument("--product-line", default=None, choices=PRODUCT_LINES)

    def handle(self, *args, **opts):
        frame = make_credit_data(opts["rows"], seed=opts["seed"], product_line=opts["product_line"])
        frame.to_csv(opts["out"], index=False)
        self.stdout.write(
            f"{len(frame)} rows, bad rate {frame['default'].mean():.4f} -> {opts['out']}"
        )
