"""Collections (催收): risk level, cases, contact attempts under the conduct rules, promises to
pay and notes.

Conduct rules enforced here (not in the views):
* contact hours: a call or visit is recorded only between 08:00 and 21:00 Beijing time;
* a daily attempt limit per debtor (EOD_COLLECTIONS_DAILY_ATTEMPTS, default 3) across collectors;
* before a call or SMS to the borrower, a fresh phone status (号码状态) when the last check is
  older than COLLATERAL_CHECKS["phone_stale_days"] (servicing.services.collateral_checks.phone);
* no contact while a collections complaint on the loan awaits its review (the one predicate,
  servicing.services.complaints.pause);
* no disclosure to third parties: an attempt to anyone but the borrower stores only a callback
  request — the outcome becomes `callback_requested`, the note a fixed text with no amounts or
  debt details, whatever the collector typed (and a CHECK constraint holds
  `discloses_debt = false` for them).

The queue order is a simple score of the likelihood to pay, computed by the nightly batch
(servicing.eod.steps.collections: a logistic of DPD, the share of past promises kept and the
share of principal already repaid).
"""

from __future__ import annotations

import datetime as dt
import heapq
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build, audit_record
from autofin.bulk import bulk_insert_new
from autofin.business_date import business_date_current, business_date_for_posting
from autofin.models import AuditEntry
from autofin.money import quantize_fen, to_decimal
from autofin.notifications import QUIET_END, QUIET_START
from autofin.roles import Role
from servicing.models.collections import (
    RISK_ORDER,
    CaseNote,
    CollectionCase,
    ContactAttempt,
    ContactOutcome,
    ContactParty,
    LoanRiskProfile,
    LoanTask,
    PromiseToPay,
    RiskLevel,
    TaskKind,
)
from servicing.services.collateral_checks.phone import phone_status_fresh
from servicing.services.complaints.pause import PAUSED_MESSAGE, collections_paused

CALLBACK_NOTE = "已请对方转告借款人回电（未透露任何欠款信息）"


class CollectionsError(Exception):
    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def daily_attempt_limit() -> int:
    return settings.EOD_COLLECTIONS_DAILY_ATTEMPTS


# --- risk level ---------------------------------------------------------------------------------


def loans_risk_raise(
    *,
    results: list[tuple[int, str, list[str], str]],
    business_date: dt.date,
    actor: Any,
) -> int:
    """Record early-warning evaluations ((loan_id, level, rule codes, facts_hash) each) in a few
    statements: the profiles locked in loan order and upserted in one statement — the level
    only ever goes up, `raised_on` moves when it does —, an early-warning task for each loan
    with hits (one a day: a task already there is kept), one audit row per raise. Returns how
    many levels went up."""
    if not results:
        return 0
    results = sorted(results, key=lambda r: r[0])
    ids = [r[0] for r in results]
    old = dict(
        LoanRiskProfile.objects.select_for_update()
        .filter(loan_id__in=ids)
        .order_by("loan_id")
        .values_list("loan_id", "level")
    )
    profiles, raises = [], []
    for loan_id, level, rules, digest in results:
        before = old.get(loan_id, RiskLevel.NONE)
        up = RISK_ORDER.index(level) > RISK_ORDER.index(before)
        profiles.append(
            LoanRiskProfile(
                loan_id=loan_id,
                level=level if up else before,
                facts_hash=digest,
                evaluated_on=business_date,
                raised_on=business_date if up else None,
            )
        )
        if up:
            raises.append((loan_id, before, level, rules))
    LoanRiskProfile.objects.bulk_create(
        profiles,
        update_conflicts=True,
        unique_fields=["loan"],
        update_fields=["level", "facts_hash", "evaluated_on"],
    )
    if raises:
        LoanRiskProfile.objects.filter(loan_id__in=[r[0] for r in raises]).update(
            raised_on=business_date
        )
    bulk_insert_new(
        [
            LoanTask(
                loan_id=loan_id,
                kind=TaskKind.EARLY_WARNING,
                ref_date=business_date,
                business_date=business_date,
                detail={"rules": rules, "level": level},
            )
            for loan_id, level, rules, _digest in results
            if rules
        ],
        unique_fields=["loan", "kind", "ref_date"],
    )
    if raises:
        audit = [
            audit_entry_build(
                actor=actor,
                obj=LoanRiskProfile(loan_id=loan_id, level=level),
                action="loan_risk_raise",
                from_state=before,
                to_state=level,
                data={"rules": rules},
            )
            for loan_id, before, level, rules in raises
        ]
        AuditEntry.objects.bulk_create(audit)
    return len(raises)


# --- cases ---------------------------------------------------------------------------------------


def collectors_by_workload() -> list[tuple[int, int]]:
    """(collector user id, open cases) for every active collector, lightest first."""

    users = (
        get_user_model()
        .objects.filter(is_active=True, groups__name=Role.COLLECTOR.value)
        .annotate(n=Count("collection_cases", filter=Q(collection_cases__status="open")))
        .order_by("n", "id")
        .values_list("id", "n")
    )
    return list(users)


def cases_assign(*, business_date: dt.date) -> int:
    """Give every unassigned open case to the collector with the lightest workload (best scores
    first), one at a time, so workloads stay level."""

    collectors = collectors_by_workload()
    if not collectors:
        return 0
    heap = [(n, uid) for uid, n in collectors]
    heapq.heapify(heap)
    cases = list(
        CollectionCase.objects.filter(status=CollectionCase.Status.OPEN, assigned_to__isnull=True)
        .order_by("-score", "-dpd", "id")
        .values_list("id", flat=True)
    )
    assignments: dict[int, list[int]] = {}
    for case_id in cases:
        n, uid = heapq.heappop(heap)
        assignments.setdefault(uid, []).append(case_id)
        heapq.heappush(heap, (n + 1, uid))
    for uid, ids in assignments.items():
        CollectionCase.objects.filter(pk__in=ids, assigned_to__isnull=True).update(
            assigned_to_id=uid
        )
    return len(cases)


def _case_for(*, case_id: int, collector: Any, lock: bool = True) -> CollectionCase:
    qs = CollectionCase.objects.select_related("loan", "loan__customer")
    if lock:
        qs = qs.select_for_update(of=("self",))
    case = qs.filter(pk=case_id).first()
    if case is None:
        raise CollectionsError(_("案件不存在。"))
    if case.assigned_to_id not in (None, collector.pk) and not collector.is_superuser:
        raise CollectionsError(_("该案件未分配给您。"))
    return case


def contact_hours_open(at: dt.datetime) -> bool:
    local = timezone.localtime(at)
    return QUIET_END <= local.time() < QUIET_START


def contact_attempt_record(
    *,
    case_id: int,
    collector: Any,
    party: str,
    channel: str,
    outcome: str,
    note: str = "",
    at: dt.datetime | None = None,
) -> ContactAttempt:
    """Record a contact attempt under the conduct rules (see the module doc). Raises
    CollectionsError (nothing written) outside contact hours or past the daily limit."""
    at = at or timezone.now()
    if party not in ContactParty.values:
        raise CollectionsError(_("请选择联系对象。"), field="party")
    if channel not in ContactAttempt.Channel.values:
        raise CollectionsError(_("请选择联系方式。"), field="channel")
    if outcome not in ContactOutcome.values:
        raise CollectionsError(_("请选择联系结果。"), field="outcome")
    if channel in (ContactAttempt.Channel.PHONE, ContactAttempt.Channel.VISIT, "sms") and (
        not contact_hours_open(at)
    ):
        raise CollectionsError(_("只能在北京时间 08:00–21:00 之间联系客户。"), field="channel")
    loan_id = _case_for(case_id=case_id, collector=collector, lock=False).loan_id
    if collections_paused(loan_id):
        raise CollectionsError(str(PAUSED_MESSAGE), field="channel")
    if party == ContactParty.BORROWER and channel in (ContactAttempt.Channel.PHONE, "sms"):
        # before calling the borrower: a fresh phone status when the last check is stale
        phone_status_fresh(loan_id=loan_id, business_date=business_date_current())
    with transaction.atomic():
        case = _case_for(case_id=case_id, collector=collector)
        # the debtor's attempts today (any case of the same customer), under the case lock
        day = timezone.localtime(at).date()
        start = timezone.make_aware(dt.datetime.combine(day, dt.time.min))
        today = ContactAttempt.objects.filter(
            case__loan__customer_id=case.loan.customer_id,
            at__gte=start,
            at__lt=start + dt.timedelta(days=1),
        ).count()
        if today >= daily_attempt_limit():
            raise CollectionsError(
                _("该客户今日联系次数已达上限（%(n)d 次）。") % {"n": daily_attempt_limit()},
                field="channel",
            )
        discloses = party == ContactParty.BORROWER
        if not discloses:
            outcome = ContactOutcome.CALLBACK_REQUESTED
            note = CALLBACK_NOTE
        attempt = ContactAttempt.objects.create(
            case=case,
            collector=collector,
            party=party,
            channel=channel,
            outcome=outcome,
            note=note.strip(),
            discloses_debt=discloses,
            business_date=business_date_for_posting(),
            at=at,
        )
        audit_record(
            actor=collector,
            obj=case,
            action="collection_contact",
            to_state=outcome,
            data={"attempt": attempt.pk, "party": party, "channel": channel},
        )
    return attempt


def promise_to_pay_create(
    *, case_id: int, collector: Any, promised_date: dt.date, amount: Any
) -> PromiseToPay:
    today = business_date_for_posting()
    try:
        value = quantize_fen(to_decimal(amount))
    except (TypeError, ValueError, ArithmeticError):
        raise CollectionsError(_("请输入有效金额。"), field="amount") from None
    if value <= 0:
        raise CollectionsError(_("承诺金额必须大于零。"), field="amount")
    if promised_date < today:
        raise CollectionsError(_("承诺还款日不能早于今天。"), field="promised_date")
    if promised_date > today + dt.timedelta(days=30):
        raise CollectionsError(_("承诺还款日不能晚于 30 天后。"), field="promised_date")
    with transaction.atomic():
        case = _case_for(case_id=case_id, collector=collector)
        if case.status != CollectionCase.Status.OPEN:
            raise CollectionsError(_("案件已结案。"))
        ptp = PromiseToPay.objects.create(
            case=case, promised_date=promised_date, amount=value, made_on=today,
            created_by=collector,
        )  # fmt: skip
        audit_record(
            actor=collector,
            obj=case,
            action="promise_to_pay",
            to_state="pending",
            data={"ptp": ptp.pk, "date": promised_date.isoformat(), "amount": str(value)},
        )
    return ptp


def case_note_add(*, case_id: int, collector: Any, body: str) -> CaseNote:
    body = (body or "").strip()
    if not body:
        raise CollectionsError(_("请填写备注内容。"), field="body")
    with transaction.atomic():
        case = _case_for(case_id=case_id, collector=collector)
        note = CaseNote.objects.create(case=case, author=collector, body=body)
        audit_record(actor=collector, obj=case, action="case_note_add", data={"note": note.pk})
    return note
