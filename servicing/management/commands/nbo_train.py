"""`manage.py nbo_train`: train the next-best-offer model on the response history and print
the held-out AUC and lift by decile. The new version becomes the one scoring uses."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from servicing.services.nbo.training import NboTrainingError, nbo_train


class Command(BaseCommand):
    help = "Train the next-best-offer model; prints the held-out AUC and lift table."

    def handle(self, *args, **opts):
        try:
            run = nbo_train()
        except NboTrainingError as exc:
            raise CommandError(str(exc)) from exc
        m = run.metrics
        out = self.stdout
        out.write(
            f"NBO model v{run.version}: {run.rows} sent contacts, "
            f"train {m['train_rows']} / held-out {m['holdout_rows']} (stratified, seed {m['seed']})"
        )
        funded_auc = m["auc_funded"] if m["auc_funded"] is not None else "-"
        out.write(f"held-out AUC (applied) {m['auc']:.3f}, AUC (funded) {funded_auc}")
        out.write(
            f"held-out response rate {m['response_rate']:.2%}, funded rate {m['funded_rate']:.2%}"
        )
        out.write(f"held-out top-decile lift: {m['top_decile_lift']:.2f}")
        out.write("decile  contacts  applied  response  funded  lift")
        for row in m["lift_table"]:
            out.write(
                f"{row['decile']:>6}  {row['contacts']:>8}  {row['applied']:>7}  "
                f"{row['response_rate']:>8.2%}  {row['funded']:>6}  {row['lift']:>4.2f}"
            )
