"""The collections pause (暂停催收): a complaint about collections on a loan stops collection
contact on that loan until a care supervisor or compliance officer records the review.

ONE definition, as SQL, used by every place that contacts a debtor: the collector's contact
recording (servicing.services.collections), the overdue reminders of the nightly batch
(servicing.eod.steps.reminders) and the collections queue's badge (servicing.selectors)."""

from __future__ import annotations

from django.db import connection
from django.utils.translation import gettext_lazy as _

PAUSED_MESSAGE = _("该合同有未复核的催收类投诉，暂停催收联系，请待客服主管或合规专员复核后再联系。")


def collections_paused_sql(loan_column: str) -> str:
    """A boolean SQL expression: collection contact on the loan in `loan_column` is paused."""
    return (
        "EXISTS (SELECT 1 FROM servicing_complaint cp"  # noqa: S608 - a column name, no value
        f" WHERE cp.loan_id = {loan_column} AND cp.pauses_collections"
        " AND cp.collections_reviewed_at IS NULL)"
    )


def collections_paused(loan_id: int) -> bool:
    with connection.cursor() as cur:
        cur.execute(f"SELECT {collections_paused_sql('%s')}", [loan_id])  # noqa: S608
        return bool(cur.fetchone()[0])
