"""Floor-plan lines (库存融资额度): an underwriter opens a dealer's wholesale line and changes it
within their authority; the line is frozen (with a reason), unfrozen and closed. Every change is
audited in its own transaction; a refusal raises `FloorplanLineError` (Chinese message) before
anything is written.

Authority: the largest limit each underwriting role may set is business policy
(`origination.floorplan_limit_authority.<role>`); a limit above the grade-and-volume suggestion
(origination.selectors.floorplan) needs a written reason. Lowering a limit, changing the rate or
freezing protects the lender and needs no more authority than being an underwriter; unfreezing
is a credit decision again, so it needs authority for the line's limit.

Freezing is also done by servicing's processes (an overdue advance, stock sold out of trust):
they pass a label as `by` and freeze set-based with `lines_freeze_many`.
"""

from __future__ import annotations

import datetime as dt
import re
from decimal import ROUND_DOWN, Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Case, CharField, Value, When
from django.utils import timezone
from django.utils.timezone import now
from django.utils.translation import gettext as _

from autofin.audit import audit_entry_build, audit_record
from autofin.models import AuditEntry
from autofin.money import FEN, format_cny
from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from dealers.selectors import dealer_can_submit
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus
from origination.selectors.floorplan import dealer_line_suggestion

S = FloorplanLineStatus
UNDERWRITING_ROLES = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)
MAX_STAGES = 6
RATE_PLACES = Decimal("0.000001")


class FloorplanLineError(Exception):
    """A line action the rules refuse; `field` names the form field it belongs to, if one."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# --- authority and the plan ---------------------------------------------------------------------


def floorplan_authority_for(user) -> Decimal | None:
    """The largest line limit `user` may set: the highest of their underwriting roles' policy
    values; None: no limit (a superuser); 0: not an underwriter."""
    if getattr(user, "is_superuser", False):
        return None
    limits = [
        policy_value(f"origination.floorplan_limit_authority.{role.value}")
        for role in UNDERWRITING_ROLES
        if user_has_role(user, role)
    ]
    return max(limits) if limits else Decimal("0.00")


def _require_underwriter(by) -> None:
    if not user_has_role(by, *UNDERWRITING_ROLES):
        raise FloorplanLineError(_("只有审批员可以审批或调整库存融资额度。"))


def _check_authority(by, limit: Decimal) -> None:
    authority = floorplan_authority_for(by)
    if authority is not None and limit > authority:
        raise FloorplanLineError(
            _("额度 %(limit)s 超出您的审批权限（%(authority)s），请提交高级审批员。")
            % {"limit": format_cny(limit), "authority": format_cny(authority)},
            field="limit",
        )


def curtailment_plan_parse(text: str) -> list[list[int]]:
    """ "90:10, 120:30, 180:100" (age in days : cumulative percent due) as the stored list.
    Full-width colons and commas are read too (a Chinese keyboard types them)."""
    plan = []
    for part in re.split(r"[,，;；\s]+", (text or "").strip()):
        if not part:
            continue
        match = re.fullmatch(r"(\d{1,4})[:：](\d{1,3})", part)
        if match is None:
            raise FloorplanLineError(
                _("还款计划格式为“库龄天数：累计比例”，如 90:10, 120:30, 180:100。"),
                field="curtailment_plan",
            )
        plan.append([int(match.group(1)), int(match.group(2))])
    curtailment_plan_check(plan)
    return plan


def curtailment_plan_check(plan: list) -> None:
    """Stages by increasing age, cumulative percents increasing to exactly 100 at the last."""
    field = "curtailment_plan"
    if not plan or len(plan) > MAX_STAGES:
        raise FloorplanLineError(
            _("还款计划应有 1 至 %(n)s 个阶段。") % {"n": MAX_STAGES}, field=field
        )
    last_age, last_percent = 0, 0
    for stage in plan:
        age, percent = stage
        if age <= last_age or percent <= last_percent or percent > 100:  # noqa: PLR2004
            raise FloorplanLineError(
                _("还款计划的库龄天数和累计比例须逐段递增，比例不超过 100。"), field=field
            )
        last_age, last_percent = age, percent
    if last_percent != 100:  # noqa: PLR2004
        raise FloorplanLineError(_("还款计划最后一段须还清 100%。"), field=field)


def _check_terms(*, limit: Decimal, annual_rate: Decimal, plan: list) -> None:
    if limit is None or limit <= 0 or limit != limit.quantize(FEN, rounding=ROUND_DOWN):
        raise FloorplanLineError(_("额度须为大于零的金额（精确到分）。"), field="limit")
    if annual_rate is None or not Decimal("0") < annual_rate < Decimal("1"):
        raise FloorplanLineError(_("年利率须大于 0 且小于 100%。"), field="annual_rate")
    if annual_rate != annual_rate.quantize(RATE_PLACES, rounding=ROUND_DOWN):
        raise FloorplanLineError(_("年利率最多精确到 0.0001%。"), field="annual_rate")
    curtailment_plan_check(plan)


def _check_suggestion(*, dealer_id: int, limit: Decimal, reason: str) -> dict:
    suggestion = dealer_line_suggestion(dealer_id)
    if limit > suggestion["suggested"] and not reason.strip():
        raise FloorplanLineError(
            _("额度高于建议额度 %(s)s，请填写理由。") % {"s": format_cny(suggestion["suggested"])},
            field="reason",
        )
    return suggestion


def _lock(line: FloorplanLine | int) -> FloorplanLine:
    pk = line.pk if isinstance(line, FloorplanLine) else int(line)
    return FloorplanLine.objects.select_for_update().get(pk=pk)


def _terms(line: FloorplanLine) -> dict:
    return {
        "limit": str(line.limit),
        "annual_rate": str(line.annual_rate),
        "curtailment_plan": line.curtailment_plan,
        "oem_buyback_agreement": line.oem_buyback_agreement,
        "oem_buyback_signed_on": (
            line.oem_buyback_signed_on.isoformat() if line.oem_buyback_signed_on else None
        ),
    }


# --- open and change ----------------------------------------------------------------------------


def line_open(
    *,
    dealer_id: int,
    limit: Decimal,
    annual_rate: Decimal,
    curtailment_plan: list,
    by: Any,
    oem_buyback_agreement: str = "",
    oem_buyback_signed_on: dt.date | None = None,
    reason: str = "",
) -> FloorplanLine:
    """Open an active line for an active dealer with no open line, within `by`'s authority."""
    _require_underwriter(by)
    _check_terms(limit=limit, annual_rate=annual_rate, plan=curtailment_plan)
    _check_authority(by, limit)
    if not dealer_can_submit(dealer_id):
        raise FloorplanLineError(_("该经销商当前状态不能开立库存融资额度。"))
    suggestion = _check_suggestion(dealer_id=dealer_id, limit=limit, reason=reason)
    now = timezone.now()
    try:
        with transaction.atomic():
            line = FloorplanLine.objects.create(
                dealer_id=dealer_id,
                limit=limit,
                annual_rate=annual_rate,
                curtailment_plan=curtailment_plan,
                status=S.ACTIVE,
                approved_by=by,
                approved_at=now,
                oem_buyback_agreement=oem_buyback_agreement.strip(),
                oem_buyback_signed_on=oem_buyback_signed_on,
            )
            audit_record(
                actor=by,
                obj=line,
                action="floorplan_line_open",
                to_state=S.ACTIVE,
                reason=reason,
                data={**_terms(line), "suggested": str(suggestion["suggested"])},
            )
    except IntegrityError as exc:  # the one-open-line constraint, against a concurrent open
        raise FloorplanLineError(_("该经销商已有未关闭的库存融资额度。")) from exc
    return line


def line_change(
    *,
    line: FloorplanLine | int,
    limit: Decimal,
    annual_rate: Decimal,
    curtailment_plan: list,
    by: Any,
    oem_buyback_agreement: str = "",
    oem_buyback_signed_on: dt.date | None = None,
    reason: str = "",
) -> FloorplanLine:
    """Change an open line's terms. Raising the limit is a new approval (authority, reason above
    the suggestion); the new plan and rate apply to advances requested from now on."""
    _require_underwriter(by)
    _check_terms(limit=limit, annual_rate=annual_rate, plan=curtailment_plan)
    with transaction.atomic():
        line = _lock(line)
        if line.status == S.CLOSED:
            raise FloorplanLineError(_("额度已关闭，不能调整。"))
        before = _terms(line)
        raised = limit > line.limit
        if raised:
            _check_authority(by, limit)
            _check_suggestion(dealer_id=line.dealer_id, limit=limit, reason=reason)
        line.limit = limit
        line.annual_rate = annual_rate
        line.curtailment_plan = curtailment_plan
        line.oem_buyback_agreement = oem_buyback_agreement.strip()
        line.oem_buyback_signed_on = oem_buyback_signed_on
        if raised:
            line.approved_by, line.approved_at = by, timezone.now()
        if _terms(line) == before:
            raise FloorplanLineError(_("额度条件没有变化。"))
        line.save()
        audit_record(
            actor=by,
            obj=line,
            action="floorplan_line_change",
            from_state=line.status,
            to_state=line.status,
            reason=reason,
            data={"before": before, "after": _terms(line)},
        )
    return line


# --- status -------------------------------------------------------------------------------------


def _by_process(by) -> bool:
    """A servicing process (the nightly batch, an audit) names itself by a label."""
    return isinstance(by, str)


def _status_set(line: FloorplanLine, to: str, *, by, reason: str, **changes) -> None:
    """Move the locked line to status `to` with its other `changes`, audited as one row."""
    previous = line.status
    for name, value in {"status": to, **changes}.items():
        setattr(line, name, value)
    line.save(update_fields=["status", *changes, "updated_at"])
    audit_record(
        actor=by,
        obj=line,
        action={S.FROZEN: "floorplan_line_freeze", S.CLOSED: "floorplan_line_close"}.get(
            to, "floorplan_line_unfreeze"
        ),
        from_state=previous,
        to_state=to,
        reason=reason,
    )


def line_freeze(*, line: FloorplanLine | int, reason: str, by: Any) -> FloorplanLine:
    """Freeze an active line: no new advance is requested or released on it. A frozen line stays
    frozen (its first reason kept); a closed one cannot be frozen."""
    if not _by_process(by):
        _require_underwriter(by)
    if not (reason or "").strip():
        raise FloorplanLineError(_("请填写冻结原因。"), field="reason")
    with transaction.atomic():
        line = _lock(line)
        if line.status != S.ACTIVE:
            # a process finding a line already stopped has nothing to do; a person is told
            if line.status == S.FROZEN or _by_process(by):
                return line
            raise FloorplanLineError(_("额度已关闭，不能冻结。"))
        reason = reason.strip()
        _status_set(line, S.FROZEN, by=by, reason=reason, frozen_reason=reason, frozen_at=now())
    return line


def lines_freeze_many(*, reasons: dict[int, str], by: str) -> list[int]:
    """The nightly batch's freeze: every active line of `reasons` (line id → why) in one UPDATE,
    with one audit row each in one INSERT. Returns the ids it froze (frozen or closed lines are
    left as they are)."""
    if not reasons:
        return []
    now = timezone.now()
    with transaction.atomic():
        frozen = list(
            FloorplanLine.objects.filter(pk__in=list(reasons), status=S.ACTIVE)
            .order_by("pk")
            .select_for_update()
            .values_list("pk", flat=True)
        )
        if not frozen:
            return []
        FloorplanLine.objects.filter(pk__in=frozen).update(
            status=S.FROZEN,
            frozen_reason=Case(
                *[When(pk=pk, then=Value(reasons[pk])) for pk in frozen],
                output_field=CharField(),
            ),
            frozen_at=now,
            updated_at=now,
        )
        AuditEntry.objects.bulk_create(
            audit_entry_build(
                actor=by,
                obj=FloorplanLine(pk=pk),
                action="floorplan_line_freeze",
                from_state=S.ACTIVE,
                to_state=S.FROZEN,
                reason=reasons[pk],
            )
            for pk in frozen
        )
    return frozen


def line_unfreeze(*, line: FloorplanLine | int, reason: str, by: Any) -> FloorplanLine:
    """Lift a freeze: a credit decision, so within authority for the line's limit."""
    _require_underwriter(by)
    if not (reason or "").strip():
        raise FloorplanLineError(_("请填写解冻理由。"), field="reason")
    with transaction.atomic():
        line = _lock(line)
        if line.status != S.FROZEN:
            raise FloorplanLineError(_("额度未冻结。"))
        _check_authority(by, line.limit)
        if not dealer_can_submit(line.dealer_id):
            raise FloorplanLineError(_("该经销商当前状态不能解冻额度。"))
        # the freeze's own reason stays on its audit row
        _status_set(line, S.ACTIVE, by=by, reason=reason, frozen_reason="", frozen_at=None)
    return line


def line_close(*, line: FloorplanLine | int, reason: str, by: Any) -> FloorplanLine:
    """Close a line for good (a new line is a new approval); only with nothing in use."""
    _require_underwriter(by)
    if not (reason or "").strip():
        raise FloorplanLineError(_("请填写关闭原因。"), field="reason")
    with transaction.atomic():
        line = _lock(line)
        if line.status == S.CLOSED:
            raise FloorplanLineError(_("额度已关闭。"))
        if line.used_amount > 0:  # the use servicing records on the line, under this lock
            raise FloorplanLineError(
                _("额度下仍有 %(used)s 未结清或在途的融资，结清后才能关闭。")
                % {"used": format_cny(line.used_amount)}
            )
        _status_set(line, S.CLOSED, by=by, reason=reason, closed_at=now())
    return line
