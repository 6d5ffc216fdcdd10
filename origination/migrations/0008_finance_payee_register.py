"""The payee register moves from servicing into origination (state only): the tables
`servicing_payee` and `servicing_payeechange` stay as they are, with their constraints; this app
now owns the models. servicing 0014 then repoints its foreign key and drops them from its state."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('servicing', '0013_contract_loan_rates_gte_0'),
        ('origination', '0007_uw_case_escalation'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            database_operations=[],
            state_operations=[
                migrations.CreateModel(
                    name='Payee',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('payee_type', models.CharField(choices=[('insurer', '保险公司'), ('tax', '税款账户'), ('warranty', '延保服务商'), ('accessory', '精品供应商'), ('gps', 'GPS 服务商')], max_length=16, verbose_name='收款方类型')),
                        ('name', models.CharField(max_length=200, verbose_name='名称')),
                        ('account_name', models.CharField(max_length=200, verbose_name='户名')),
                        ('bank_name', models.CharField(max_length=100, verbose_name='开户行')),
                        ('account_number_enc', models.TextField()),
                        ('account_number_hash', models.CharField(db_index=True, max_length=64)),
                        ('account_number_masked', models.CharField(max_length=40, verbose_name='账号')),
                        ('verified', models.BooleanField(default=False, verbose_name='已核验')),
                        ('active', models.BooleanField(default=True, verbose_name='启用')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='创建时间')),
                        ('updated_at', models.DateTimeField(auto_now=True, verbose_name='更新时间')),
                    ],
                    options={
                        'verbose_name': '收款方',
                        'verbose_name_plural': '收款方登记簿',
                        'db_table': 'servicing_payee',
                        'ordering': ['payee_type', 'name'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('active', True)), fields=('payee_type', 'name'), name='payee_active_unique'), models.CheckConstraint(condition=models.Q(('payee_type__in', ['insurer', 'tax', 'warranty', 'accessory', 'gps'])), name='payee_type_valid')],
                    },
                ),
                migrations.CreateModel(
                    name='PayeeChange',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('payee_type', models.CharField(choices=[('insurer', '保险公司'), ('tax', '税款账户'), ('warranty', '延保服务商'), ('accessory', '精品供应商'), ('gps', 'GPS 服务商')], max_length=16, verbose_name='收款方类型')),
                        ('name', models.CharField(max_length=200, verbose_name='名称')),
                        ('account_name', models.CharField(max_length=200, verbose_name='户名')),
                        ('bank_name', models.CharField(max_length=100, verbose_name='开户行')),
                        ('account_number_enc', models.TextField()),
                        ('account_number_hash', models.CharField(max_length=64)),
                        ('account_number_masked', models.CharField(max_length=40, verbose_name='账号')),
                        ('reason', models.CharField(blank=True, max_length=255, verbose_name='原因')),
                        ('status', models.CharField(choices=[('pending', '待复核'), ('approved', '已批准'), ('rejected', '已驳回')], default='pending', max_length=10, verbose_name='状态')),
                        ('decision_reason', models.CharField(blank=True, max_length=255, verbose_name='复核意见')),
                        ('created_at', models.DateTimeField(auto_now_add=True, verbose_name='提交时间')),
                        ('decided_at', models.DateTimeField(blank=True, null=True, verbose_name='复核时间')),
                        ('approved_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='复核人')),
                        ('payee', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='changes', to='origination.payee', verbose_name='收款方')),
                        ('prepared_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='经办人')),
                    ],
                    options={
                        'verbose_name': '收款方变更',
                        'verbose_name_plural': '收款方变更',
                        'db_table': 'servicing_payeechange',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('approved_by__isnull', True), models.Q(('approved_by', models.F('prepared_by')), _negated=True), _connector='OR'), name='payee_change_maker_not_checker'), models.CheckConstraint(condition=models.Q(('status', 'pending'), ('approved_by__isnull', False), _connector='OR'), name='payee_change_decided_has_checker'), models.UniqueConstraint(condition=models.Q(('payee__isnull', False), ('status', 'pending')), fields=('payee',), name='payee_change_one_pending')],
                    },
                ),
            ],
        ),
    ]
