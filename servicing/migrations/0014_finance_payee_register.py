"""The payee register now belongs to origination (origination 0007, state only): repoint
PaymentInstruction.payee to origination.Payee and drop Payee/PayeeChange from this app's state.
Nothing changes in the database: the column, its constraint and both tables stay."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('origination', '0008_finance_payee_register'),
        ('servicing', '0013_contract_loan_rates_gte_0'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.RemoveField(
                    model_name='payeechange',
                    name='payee',
                ),
                migrations.AlterField(
                    model_name='paymentinstruction',
                    name='payee',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='instructions', to='origination.payee', verbose_name='收款方'),
                ),
                migrations.RemoveField(
                    model_name='payeechange',
                    name='approved_by',
                ),
                migrations.RemoveField(
                    model_name='payeechange',
                    name='prepared_by',
                ),
                migrations.DeleteModel(
                    name='Payee',
                ),
                migrations.DeleteModel(
                    name='PayeeChange',
                ),
            ],
        ),
    ]
