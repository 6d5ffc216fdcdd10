"""Offers (issue 21): the payable of a maintenance loan's bill to its partner service centre
(维修保养服务商), credited at funding and debited when the bank pays it, like every payee's."""

from django.db import migrations

SERVICE_CENTRE_ACCOUNTS = [
    (
        "service_centre_payable",
        "应付维修保养服务商款",
        "liability",
        "C",
        2110,
        "保养分期放款时确认、尚未支付给合作维修保养服务商的款项",
    ),
]


def service_centre_accounts(apps, schema_editor):
    LedgerAccount = apps.get_model("servicing", "LedgerAccount")
    for code, name, account_type, side, order, description in SERVICE_CENTRE_ACCOUNTS:
        LedgerAccount.objects.update_or_create(
            code=code,
            defaults={
                "name": name,
                "account_type": account_type,
                "normal_side": side,
                "sort_order": order,
                "description": description,
            },
        )


def service_centre_accounts_remove(apps, schema_editor):
    codes = [row[0] for row in SERVICE_CENTRE_ACCOUNTS]
    apps.get_model("servicing", "LedgerAccount").objects.filter(code__in=codes).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("servicing", "0039_nbo_model"),
    ]

    operations = [
        migrations.RunPython(service_centre_accounts, service_centre_accounts_remove),
    ]
