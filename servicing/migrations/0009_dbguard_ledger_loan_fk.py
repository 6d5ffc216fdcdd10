"""The ledger's loan key becomes a real foreign key to the loans (leases are Loan rows too).

The column keeps its name and data (`loan_id`, bigint): only the model's view of it changes
(an integer becomes a ForeignKey) and the database gains the constraint, deferred to commit as
Django makes them, so funding may post the entry and create the loan in either order within one
transaction. A line may name at most one sub-ledger account (`journal_line_one_subledger`);
the keys of later sub-ledgers join that CHECK.
"""

import django.db.models.deletion
import django.db.models.lookups
from django.db import migrations, models

FK = (
    ("servicing_journalentry", "servicing_journalentry_loan_id_2476046a_fk_servicing_loan_id"),
    ("servicing_journalline", "servicing_journalline_loan_id_3e4fc1d9_fk_servicing_loan_id"),
)

FORWARD = [
    f'ALTER TABLE "{table}" ADD CONSTRAINT "{name}" FOREIGN KEY ("loan_id") '
    'REFERENCES "servicing_loan" ("id") DEFERRABLE INITIALLY DEFERRED'
    for table, name in FK
]
REVERSE = [f'ALTER TABLE "{table}" DROP CONSTRAINT "{name}"' for table, name in FK]


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0008_loan_lpr_repricing"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[migrations.RunSQL(FORWARD, REVERSE)],
            state_operations=[
                migrations.RemoveField(model_name="journalentry", name="loan_id"),
                migrations.RemoveField(model_name="journalline", name="loan_id"),
                migrations.AddField(
                    model_name="journalentry",
                    name="loan",
                    field=models.ForeignKey(
                        blank=True,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicing.loan",
                        verbose_name="贷款账户",
                    ),
                ),
                migrations.AddField(
                    model_name="journalline",
                    name="loan",
                    field=models.ForeignKey(
                        blank=True,
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.PROTECT,
                        related_name="+",
                        to="servicing.loan",
                        verbose_name="贷款账户",
                    ),
                ),
            ],
        ),
        migrations.AddConstraint(
            model_name="journalline",
            constraint=models.CheckConstraint(
                condition=django.db.models.lookups.LessThanOrEqual(
                    models.Func(
                        models.F("loan"), function="num_nonnulls", output_field=models.IntegerField()
                    ),
                    1,
                ),
                name="journal_line_one_subledger",
            ),
        ),
    ]
