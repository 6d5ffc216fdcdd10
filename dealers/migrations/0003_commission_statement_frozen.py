"""Commission statements frozen when issued (number, figures, lines), with their payment.

Statements issued before carry their sums over: accruals and clawbacks from their lines, nothing
brought forward, the status their net gives. A trigger then refuses any change to an issued
statement's number, period and figures, and any change to or removal of its lines; only the
payment fields (status, pay date, bank reference) may move.
"""

from decimal import Decimal

import django.db.models.deletion
import django.db.models.expressions
from django.db import migrations, models


def backfill(apps, schema_editor):
    Statement = apps.get_model("dealers", "CommissionStatement")
    Line = apps.get_model("dealers", "CommissionStatementLine")
    for st in Statement.objects.all():
        amounts = list(Line.objects.filter(statement=st).values_list("amount", flat=True))
        st.accrued_total = sum((a for a in amounts if a > 0), Decimal("0"))
        st.clawback_total = sum((a for a in amounts if a < 0), Decimal("0"))
        st.total = st.accrued_total + st.clawback_total
        st.net_amount = st.total
        st.number = f"CS{st.month:%Y%m}-{st.dealer_id:06d}"
        st.pay_status = "pending" if st.total > 0 else ("carried" if st.total < 0 else "nil")
        st.save()


FREEZE = r"""
CREATE FUNCTION dealers_statement_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_TABLE_NAME = 'dealers_commissionstatementline' THEN
        RAISE EXCEPTION USING ERRCODE = '23000', CONSTRAINT = 'dealers_statement_frozen',
            MESSAGE = 'an issued commission statement''s lines cannot change';
    END IF;
    IF (NEW.dealer_id, NEW.number, NEW.month, NEW.accrued_total, NEW.clawback_total, NEW.total,
        NEW.brought_forward, NEW.net_amount, NEW.carried_from_id)
       IS DISTINCT FROM
       (OLD.dealer_id, OLD.number, OLD.month, OLD.accrued_total, OLD.clawback_total, OLD.total,
        OLD.brought_forward, OLD.net_amount, OLD.carried_from_id) THEN
        RAISE EXCEPTION USING ERRCODE = '23000', CONSTRAINT = 'dealers_statement_frozen',
            MESSAGE = 'an issued commission statement cannot change (only its payment)';
    END IF;
    RETURN NEW;
END
$$;
CREATE TRIGGER dealers_statement_frozen BEFORE UPDATE ON dealers_commissionstatement
    FOR EACH ROW EXECUTE FUNCTION dealers_statement_frozen();
CREATE TRIGGER dealers_statement_line_frozen BEFORE UPDATE OR DELETE
    ON dealers_commissionstatementline
    FOR EACH ROW EXECUTE FUNCTION dealers_statement_frozen();
"""

UNFREEZE = """
DROP TRIGGER dealers_statement_line_frozen ON dealers_commissionstatementline;
DROP TRIGGER dealers_statement_frozen ON dealers_commissionstatement;
DROP FUNCTION dealers_statement_frozen();
"""


class Migration(migrations.Migration):
    dependencies = [
        ("dealers", "0002_default_grading_policy"),
    ]

    operations = [
        migrations.AddField(
            model_name="commissionstatement",
            name="accrued_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=18, verbose_name="本月返佣"
            ),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="bank_ref",
            field=models.CharField(blank=True, max_length=64, verbose_name="银行流水号"),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="brought_forward",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=18, verbose_name="上期结转应收"
            ),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="carried_from",
            field=models.OneToOneField(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.PROTECT,
                related_name="carried_into",
                to="dealers.commissionstatement",
                verbose_name="结转自",
            ),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="clawback_total",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=18, verbose_name="本月追回"
            ),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="net_amount",
            field=models.DecimalField(
                decimal_places=2, default=Decimal("0"), max_digits=18, verbose_name="应付净额"
            ),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="number",
            field=models.CharField(max_length=32, null=True, unique=True, verbose_name="结算单号"),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="paid_on",
            field=models.DateField(blank=True, null=True, verbose_name="付款日"),
        ),
        migrations.AddField(
            model_name="commissionstatement",
            name="pay_status",
            field=models.CharField(
                choices=[
                    ("pending", "待付"),
                    ("paid", "已付"),
                    ("carried", "结转下期"),
                    ("nil", "无应付"),
                ],
                default="pending",
                max_length=10,
                verbose_name="付款状态",
            ),
        ),
        migrations.RunPython(backfill, migrations.RunPython.noop),
        migrations.AlterField(
            model_name="commissionstatement",
            name="number",
            field=models.CharField(max_length=32, unique=True, verbose_name="结算单号"),
        ),
        migrations.RunSQL(FREEZE, UNFREEZE),
        migrations.AddConstraint(
            model_name="commissionstatement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("accrued_total__gte", 0),
                    ("clawback_total__lte", 0),
                    (
                        "total",
                        django.db.models.expressions.CombinedExpression(
                            models.F("accrued_total"), "+", models.F("clawback_total")
                        ),
                    ),
                    ("brought_forward__lte", 0),
                    (
                        "net_amount",
                        django.db.models.expressions.CombinedExpression(
                            models.F("total"), "+", models.F("brought_forward")
                        ),
                    ),
                ),
                name="statement_figures_add_up",
            ),
        ),
        migrations.AddConstraint(
            model_name="commissionstatement",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    models.Q(
                        ("pay_status", "pending"), ("net_amount__gt", 0), ("paid_on__isnull", True)
                    ),
                    models.Q(
                        ("pay_status", "paid"),
                        ("net_amount__gt", 0),
                        ("paid_on__isnull", False),
                        models.Q(("bank_ref", ""), _negated=True),
                    ),
                    models.Q(
                        ("pay_status", "carried"), ("net_amount__lt", 0), ("paid_on__isnull", True)
                    ),
                    models.Q(("pay_status", "nil"), ("net_amount", 0), ("paid_on__isnull", True)),
                    _connector="OR",
                ),
                name="statement_pay_status_matches_net",
            ),
        ),
    ]
