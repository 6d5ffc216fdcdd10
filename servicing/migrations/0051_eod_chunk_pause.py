"""Each nightly-batch chunk keeps the throttle's pause after it (milliseconds; 0: none), so the
日结 page can say how often and how long the batch yielded to online traffic."""

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [("servicing", "0050_guard_plans_per_row")]

    operations = [
        migrations.AddField(
            model_name="chunkrun",
            name="pause_ms",
            field=models.PositiveIntegerField(default=0, verbose_name="让行暂停（毫秒）"),
        ),
    ]
