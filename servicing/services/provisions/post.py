"""Posting a provision run: one ledger entry moves the loan-loss allowance to the run's ECL.

Movement = the run's ECL − the allowance's ledger balance now (what the last posting left, less
what charge-offs used since): Dr impairment expense / Cr loan-loss allowance when it grows, the
reverse (a release) when it shrinks, no entry when it is unchanged. The entry's idempotency key
is the month, and a posted run is never posted again, so re-running a month posts nothing twice.
The roll-forward is fixed on the run in the same transaction.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from servicing import loan_rules
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.provisions import ProvisionRun, ProvisionStatus
from servicing.selectors.ledger import account_balance
from servicing.selectors.provisions import ROLL_FIELDS, rollforward_figures
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import posting_date
from servicing.services.provisions.parameters import ProvisionError

PROVISION_POST = "provision_post"
CLOSED = loan_rules.closed_sql()


def _closed_since(run: ProvisionRun) -> int:
    """Loans the run counted that have been charged off or repaid since it was computed."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            SELECT count(*) FROM servicing_loanprovision p
              JOIN servicing_loan l ON l.id = p.loan_id
             WHERE p.run_id = %s AND l.status IN {CLOSED}
            """,  # noqa: S608 - SQL built from constants; values are bound
            [run.pk],
        )
        return cursor.fetchone()[0]


def provision_run_post(*, run_id: int, actor: Any) -> ProvisionRun:
    """Post the run's allowance movement (once). Refuses a run made stale by later closures."""
    four_eyes_gate(PROVISION_POST)
    with transaction.atomic():
        run = ProvisionRun.objects.select_for_update().get(pk=run_id)
        if run.status == ProvisionStatus.POSTED:
            return run
        latest = ProvisionRun.objects.order_by("-month").values_list("pk", flat=True).first()
        if latest != run.pk:
            raise ProvisionError(_("只能过账最近一个月的减值准备。"))
        if _closed_since(run):
            raise ProvisionError(_("计算后有贷款已结清或核销，请重新计算后再过账。"))
        roll = rollforward_figures(run)
        movement = run.ecl - account_balance(account_code=A.LOAN_LOSS_ALLOWANCE)
        entry = None
        if movement:
            grow = movement > 0
            entry = journal_post(
                business_date=posting_date(None),
                source_type=SourceType.PROVISION,
                source_id=run.pk,
                lines=[
                    (A.IMPAIRMENT_EXPENSE, "D" if grow else "C", abs(movement), None),
                    (A.LOAN_LOSS_ALLOWANCE, "C" if grow else "D", abs(movement), None),
                ],
                idempotency_key=f"provision:{run.month:%Y-%m}",
                description=_("减值准备计提 %(month)s") % {"month": f"{run.month:%Y-%m}"},
                actor=actor,
            )
        for field in ROLL_FIELDS:
            setattr(run, field, roll[field])
        run.movement = movement
        run.journal_entry_id = entry.pk if entry else None
        run.status = ProvisionStatus.POSTED
        run.posted_at = timezone.now()
        run.posted_by = actor if getattr(actor, "pk", None) else None
        run.save()
        audit_record(
            actor=actor,
            obj=run,
            action="provision_post",
            from_state=ProvisionStatus.COMPUTED,
            to_state=ProvisionStatus.POSTED,
            data={"movement": str(movement), "ecl": str(run.ecl)},
        )
    return run
