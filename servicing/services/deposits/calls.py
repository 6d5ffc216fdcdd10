"""What a dealer must hold as deposit, and the calls for it: when an agreement starts and when
the dealer's channel grade drops. The amount per grade is business policy
(`servicing.deposit_required.<grade>`); a call asks for the shortfall of what is held plus what
earlier calls still ask for, so two calls never ask for the same yuan."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db import transaction
from django.db.models import F, Q, Sum

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.money import ZERO, quantize_fen
from autofin.policy import policy_value
from dealers.models.commissions import Agreement
from dealers.models.dealers import Dealer
from dealers.models.grading import DealerGrade
from dealers.selectors import dealer_summary
from dealers.services.deposits import dealer_deposit_figures_set
from dealers.services.grading import GRADE_ORDER
from servicing.models.deposits import (
    DepositCall,
    DepositCallReason,
    DepositCallStatus,
    DepositMovement,
)

# A dealer not graded yet is held to the middle of the scale, not the best grade.
UNGRADED = "B"


def dealer_deposit_lock(dealer_id: int) -> None:
    """Serialise a dealer's calls, receipts and refunds on the dealer's row (present even when
    the dealer has no call or refund yet), so what is held and called is read once per change."""
    Dealer.objects.select_for_update().filter(pk=dealer_id).values_list("pk").first()


def deposit_required_for(*, grade: str | None, on: dt.date) -> Decimal:
    return quantize_fen(policy_value(f"servicing.deposit_required.{grade or UNGRADED}", on=on))


def dealer_grade_on(*, dealer_id: int, on: dt.date) -> str | None:
    return (
        DealerGrade.objects.filter(dealer_id=dealer_id, as_of__lte=on)
        .order_by("-as_of")
        .values_list("grade", flat=True)
        .first()
    )


def deposit_held(*, dealer_id: int) -> Decimal:
    """The dealer's deposit sub-ledger: what it holds with us."""
    total = DepositMovement.objects.filter(dealer_id=dealer_id).aggregate(s=Sum("amount"))["s"]
    return total or ZERO


def _agreements_in_force(on: dt.date):
    return Agreement.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )


def deposit_required_now(*, dealer_id: int, on: dt.date) -> Decimal:
    """The policy's amount for the dealer's grade while it has an agreement in force; nothing
    once it has none (the whole deposit may then be refunded)."""
    if not _agreements_in_force(on).filter(dealer_id=dealer_id).exists():
        return ZERO
    return deposit_required_for(grade=dealer_grade_on(dealer_id=dealer_id, on=on), on=on)


def deposit_figures_push(*, dealer_id: int, on: dt.date) -> None:
    """Hand the portal its figures (the dealers app keeps no ledger of its own)."""
    dealer_deposit_figures_set(
        dealer_id=dealer_id,
        required=deposit_required_now(dealer_id=dealer_id, on=on),
        held=deposit_held(dealer_id=dealer_id),
        on=on,
    )


def deposit_call_raise(
    *, dealer_id: int, reason: str, source_key: str, on: dt.date
) -> DepositCall | None:
    """Call the shortfall against the grade's amount, once per `source_key`; None when what
    is held and already called covers it."""
    with transaction.atomic():
        existing = DepositCall.objects.filter(source_key=source_key).first()
        if existing is not None:
            return existing
        dealer_deposit_lock(dealer_id)
        open_calls = list(
            DepositCall.objects.filter(dealer_id=dealer_id, status=DepositCallStatus.OPEN)
        )
        grade = dealer_grade_on(dealer_id=dealer_id, on=on)
        required = deposit_required_for(grade=grade, on=on)
        outstanding = sum((c.amount - c.received for c in open_calls), ZERO)
        shortfall = required - deposit_held(dealer_id=dealer_id) - outstanding
        if shortfall <= 0:
            deposit_figures_push(dealer_id=dealer_id, on=on)
            return None
        call = DepositCall.objects.create(
            dealer_id=dealer_id,
            dealer_name=dealer_summary(dealer_id=dealer_id)["legal_name"],
            source_key=source_key,
            reason=reason,
            grade=grade or "",
            required=required,
            amount=shortfall,
            status=DepositCallStatus.OPEN,
            called_on=on,
        )
        audit_record(
            actor=SYSTEM_ACTOR,
            obj=call,
            action="deposit_call",
            to_state=call.status,
            data={"reason": reason, "grade": grade or "", "amount": str(shortfall)},
        )
        deposit_figures_push(dealer_id=dealer_id, on=on)
    return call


def deposit_calls_raise(*, as_of: dt.date) -> int:
    """The nightly pass (after grading): a call for each agreement in force that has none yet,
    and a top-up call for each dealer whose grade dropped today. Returns the calls raised."""
    called = set(DepositCall.objects.values_list("source_key", flat=True))
    raised = 0
    for agreement_id, dealer_id in (
        _agreements_in_force(as_of).order_by("pk").values_list("pk", "dealer_id")
    ):
        key = f"agreement-{agreement_id}"
        if key not in called and deposit_call_raise(
            dealer_id=dealer_id, reason=DepositCallReason.AGREEMENT_START, source_key=key, on=as_of
        ):
            raised += 1
    for dealer_id, dropped in _graded_today(as_of):
        key = f"grade-{dealer_id}-{as_of.isoformat()}"
        if not dropped or key in called:
            # a grade held or raised changes what is required (and so what may be refunded)
            deposit_figures_push(dealer_id=dealer_id, on=as_of)
        elif deposit_call_raise(
            dealer_id=dealer_id, reason=DepositCallReason.GRADE_DROP, source_key=key, on=as_of
        ):
            raised += 1
    return raised


def _graded_today(as_of: dt.date) -> list[tuple[int, bool]]:
    """(dealer, whether its grade dropped) for each dealer graded on `as_of` that holds or
    owes a deposit or has an agreement in force."""
    today = dict(DealerGrade.objects.filter(as_of=as_of).values_list("dealer_id", "grade"))
    concerned = set(_agreements_in_force(as_of).values_list("dealer_id", flat=True)) | set(
        DepositMovement.objects.values_list("dealer_id", flat=True).distinct()
    )
    graded = []
    for dealer_id, grade in sorted(today.items()):
        if dealer_id not in concerned:
            continue
        before = dealer_grade_on(dealer_id=dealer_id, on=as_of - dt.timedelta(days=1))
        graded.append(
            (dealer_id, bool(before) and GRADE_ORDER.index(grade) > GRADE_ORDER.index(before))
        )
    return graded


def open_calls_settle(*, dealer_id: int, amount: Decimal) -> None:
    """A receipt pays the dealer's open calls, oldest first, in the caller's transaction
    (which holds `dealer_deposit_lock`)."""
    left = amount
    for call in DepositCall.objects.filter(
        dealer_id=dealer_id, status=DepositCallStatus.OPEN
    ).order_by("called_on", "pk"):
        if left <= 0:
            break
        paid = min(left, call.amount - call.received)
        DepositCall.objects.filter(pk=call.pk).update(
            received=F("received") + paid,
            status=DepositCallStatus.RECEIVED
            if call.received + paid == call.amount
            else DepositCallStatus.OPEN,
        )
        left -= paid
