from django.db import migrations

# Frozen copy of the defaults at the time of this migration.
DEFAULT_POLICY_METRICS = {
    "approval_rate": {"weight": 10, "good": "0.60", "bad": "0.20", "alert": "0.25"},
    "fraud_hit_rate": {"weight": 25, "good": "0", "bad": "0.05", "alert": "0.03"},
    "fpd_rate": {"weight": 20, "good": "0.01", "bad": "0.08", "alert": "0.05"},
    "dpd30_rate": {"weight": 25, "good": "0.01", "bad": "0.06", "alert": "0.04"},
    "document_rejection_rate": {"weight": 10, "good": "0.02", "bad": "0.20", "alert": "0.15"},
    "cancellation_after_funding_rate": {
        "weight": 10,
        "good": "0",
        "bad": "0.05",
        "alert": "0.03",
    },
}
DEFAULT_CUTOFFS = {"A": 85, "B": 70, "C": 50}


def create_default_policy(apps, schema_editor):
    GradingPolicy = apps.get_model("dealers", "GradingPolicy")
    if not GradingPolicy.objects.exists():
        GradingPolicy.objects.create(
            version=1,
            active=True,
            metrics=DEFAULT_POLICY_METRICS,
            cutoffs=DEFAULT_CUTOFFS,
            note="默认策略",
        )


class Migration(migrations.Migration):
    dependencies = [("dealers", "0001_initial")]

    operations = [migrations.RunPython(create_default_policy, migrations.RunPython.noop)]
