"""The loans table keeps half of each page free (fillfactor 50), so the nightly batch's update
of every open loan (the accrual step: accrued_through and the period's figures) is a HOT update
— the new row version on the same page, none of the table's nine indexes touched — instead of a
new version on another page and an entry in every index.

Measured on the 100,000-loan bench book (an UPDATE of 10,000 loans' accrual columns, load ≈ 9):
1.0–1.6 s at fillfactor 100 (0.5 % of the night's loan updates HOT), 0.18 s at 50 (all HOT);
80 made a quarter of them HOT and saved nothing, because a night rewrites every row of a page,
so a page must hold a second version of each of its rows. The price: the table is twice its
packed size (about 0.5 GB a million loans), and a column the batch updates nightly must stay
unindexed, or its updates stop being HOT.

The setting applies to pages written from now on: an existing book converges as its rows are
rewritten; `VACUUM FULL servicing_loan` in a maintenance window applies it at once."""

from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [("servicing", "0045_partitioning")]

    operations = [
        migrations.RunSQL(
            "ALTER TABLE servicing_loan SET (fillfactor = 50)",
            "ALTER TABLE servicing_loan RESET (fillfactor)",
        )
    ]
