"""Stock audits (盘库): a dealer's financed cars looked for on its lot, one by one.

An audit is scheduled (every line at its interval, by the nightly batch or by hand) or random
(by hand or the night's draw); it lists every funded advance of the line. The auditor opens it
(the list is brought up to date: cars financed since it was scheduled join it), records each
VIN seen — with a photo of the car — or not seen, and completes it. A car not seen, or one a
retail loan was funded for while its advance is still unpaid, is **sold out of trust**
(违规售车): the items are flagged, the dealer's account manager alerted (dealers'
`dealer_sold_out_of_trust_alert`; the nightly grading grades the dealer D) and the line
frozen. A car whose advance was paid off since the audit was scheduled is not looked for.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.policy import policy_value
from autofin.roles import Role, user_has_role
from autofin.uploads import UploadError, upload_store
from dealers.services import dealer_sold_out_of_trust_alert
from origination.models.floorplan import FloorplanLine, FloorplanLineStatus
from origination.services.floorplan import line_freeze
from servicing.eod.sql import audit_bulk, content_type_id
from servicing.memos import memo
from servicing.models.stock_audits import (
    StockAudit,
    StockAuditItem,
    StockAuditKind,
    StockAuditStatus,
)

# who audits a dealer's stock: the channel's account managers, operations, risk
AUDITOR_ROLES = (Role.ACCOUNT_MANAGER, Role.OPERATIONS, Role.RISK_ANALYST)
PHOTO_TYPES = frozenset({"image/jpeg", "image/png", "image/webp"})
OPEN = (StockAuditStatus.SCHEDULED, StockAuditStatus.IN_PROGRESS)


class StockAuditError(Exception):
    """An audit action refused (nothing written); `field` names a form field."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


def auditor_check(user: Any) -> None:
    if not user_has_role(user, *AUDITOR_ROLES):
        raise StockAuditError(_("只有渠道客户经理、运营或风险人员可以盘库。"))


def _items_add(audit_id: int, line_id: int) -> int:
    """Every funded advance of the line not yet on the audit joins it (one statement)."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_stockaudititem
                (audit_id, advance_id, vin, seen, photo_name, photo_path, photo_sha256,
                 photo_content_type, photo_size, note, sold_out_of_trust)
            SELECT %s, a.id, a.vin, NULL, '', '', '', '', NULL, '', false
              FROM servicing_floorplanadvance a
             WHERE a.line_id = %s AND a.status = 'funded'
             ORDER BY a.id
            ON CONFLICT (audit_id, advance_id) DO NOTHING
            """,
            [audit_id, line_id],
        )
        return cursor.rowcount


def audit_schedule(
    *, line: FloorplanLine | int, kind: str, scheduled_on: dt.date, by: Any
) -> StockAudit:
    """Schedule an audit of a line's stock (a person, or the nightly batch by its label)."""
    if not isinstance(by, str):
        auditor_check(by)
    if kind not in StockAuditKind.values:
        raise StockAuditError(_("盘库类型无效。"), field="kind")
    line_id = line.pk if isinstance(line, FloorplanLine) else line
    with transaction.atomic():
        line = FloorplanLine.objects.select_for_update().get(pk=line_id)
        if line.status == FloorplanLineStatus.CLOSED:
            raise StockAuditError(_("额度已关闭，无需盘库。"))
        if scheduled_on < business_date_for_posting() - dt.timedelta(days=1):
            raise StockAuditError(_("计划盘库日不能早于今天。"), field="scheduled_on")
        audit = StockAudit.objects.create(
            line=line,
            dealer_id=line.dealer_id,
            kind=kind,
            scheduled_on=scheduled_on,
            created_by=None if isinstance(by, str) else by,
        )
        items = _items_add(audit.pk, line.pk)
        audit_record(
            actor=by,
            obj=audit,
            action="stock_audit_schedule",
            to_state=StockAuditStatus.SCHEDULED,
            data={"kind": kind, "scheduled_on": scheduled_on.isoformat(), "items": items},
        )
    return audit


def _audit_lock(audit: StockAudit | int) -> StockAudit:
    audit_id = audit.pk if isinstance(audit, StockAudit) else audit
    return StockAudit.objects.select_for_update().get(pk=audit_id)


def audit_start(*, audit: StockAudit | int, by: Any) -> StockAudit:
    """The auditor opens the audit on the lot: it is theirs, and its list is brought up to
    date (idempotent; an audit already in progress is only refreshed)."""
    auditor_check(by)
    with transaction.atomic():
        audit = _audit_lock(audit)
        if audit.status not in OPEN:
            raise StockAuditError(_("该盘库已结束。"))
        _items_add(audit.pk, audit.line_id)
        if audit.status == StockAuditStatus.SCHEDULED:
            audit.status = StockAuditStatus.IN_PROGRESS
            audit.auditor = by
            audit.save(update_fields=["status", "auditor", "updated_at"])
            audit_record(
                actor=by,
                obj=audit,
                action="stock_audit_start",
                from_state=StockAuditStatus.SCHEDULED,
                to_state=StockAuditStatus.IN_PROGRESS,
            )
    return audit


def audit_record_item(
    *, item: StockAuditItem | int, seen: bool, photo=None, note: str = "", by: Any
) -> StockAuditItem:
    """Record one car: seen (a photo of it is required) or not seen (a note says what the
    dealer said). Recording again replaces the answer until the audit is completed."""
    auditor_check(by)
    item_id = item.pk if isinstance(item, StockAuditItem) else item
    note = (note or "").strip()[:255]
    if seen and photo is None:
        raise StockAuditError(_("在库车辆须拍照留存。"), field="photo")
    if not seen and not note:
        raise StockAuditError(_("车辆不在库时请填写说明（如经销商的解释）。"), field="note")
    stored = None
    if photo is not None:
        try:
            stored = upload_store(file=photo, subdir="stock_audits", allowed=PHOTO_TYPES)
        except UploadError as exc:
            raise StockAuditError(exc.messages[0], field="photo") from exc
    with transaction.atomic():
        audit_id = StockAuditItem.objects.values_list("audit_id", flat=True).get(pk=item_id)
        audit = _audit_lock(audit_id)
        if audit.status not in OPEN:
            raise StockAuditError(_("该盘库已结束，不能再修改。"))
        item = StockAuditItem.objects.select_for_update().get(pk=item_id)
        item.seen = seen
        item.note = note
        if stored is not None:
            item.photo_name = (getattr(photo, "name", "") or "")[:200]
            item.photo_path = stored.relative_path
            item.photo_sha256 = stored.sha256
            item.photo_content_type = stored.content_type
            item.photo_size = stored.size
        item.recorded_by = by
        item.recorded_at = timezone.now()
        item.save()
        audit_record(
            actor=by,
            obj=item,
            action="stock_audit_item",
            to_state="seen" if seen else "not_seen",
            data={"vin": item.vin, "photo": item.photo_sha256},
        )
    return item


def audit_complete(*, audit: StockAudit | int, by: Any) -> StockAudit:
    """Close the audit once every car is recorded; flag the cars sold out of trust (not seen,
    or a retail loan funded for the VIN while its advance is unpaid), alert and freeze."""
    auditor_check(by)
    today = business_date_for_posting()
    with transaction.atomic():
        audit = _audit_lock(audit)
        if audit.status not in OPEN:
            raise StockAuditError(_("该盘库已结束。"))
        if audit.items.filter(seen__isnull=True).exists():
            raise StockAuditError(_("还有车辆未登记在库情况，不能完成盘库。"))
        with connection.cursor() as cursor:
            cursor.execute(
                """
                UPDATE servicing_stockaudititem i SET sold_out_of_trust = true
                  FROM servicing_floorplanadvance a
                 WHERE i.audit_id = %s AND a.id = i.advance_id AND a.status = 'funded'
                   AND (NOT i.seen
                        OR EXISTS (SELECT 1 FROM servicing_loan l
                                    WHERE l.vin = a.vin AND l.value_date >= a.funded_on))
                RETURNING i.vin
                """,
                [audit.pk],
            )
            vins = sorted(r[0] for r in cursor.fetchall())
        audit.status = StockAuditStatus.COMPLETED
        audit.performed_on = today
        audit.auditor = audit.auditor or by
        audit.sold_out_of_trust_count = len(vins)
        audit.save()
        audit_record(
            actor=by,
            obj=audit,
            action="stock_audit_complete",
            from_state=StockAuditStatus.IN_PROGRESS,
            to_state=StockAuditStatus.COMPLETED,
            data={"sold_out_of_trust": vins},
        )
        if vins:
            # frozen by the audit as a process (the credit decision to lift it is origination's)
            line_freeze(
                line=audit.line_id,
                reason=memo("floorplan_sold_out_of_trust", date=today, vins="、".join(vins)),
                by=f"stock_audit#{audit.pk}",
            )
            dealer_sold_out_of_trust_alert(
                dealer_id=audit.dealer_id, as_of=today, vins=vins, audit_ref=f"#{audit.pk}"
            )
    return audit


def audits_due_schedule(*, as_of: dt.date, actor: str) -> int:
    """The night's audits, set-based: a line with cars financed and no open audit gets a
    scheduled one when its last audit is older than `servicing.floorplan_audit_interval_days`,
    or a random one when the night's draw (a hash of line and date: a re-run draws the same)
    picks it, `servicing.floorplan_random_audit_per_mille` lines in a thousand. Planned for the
    next business date, listing the line's funded advances. Returns how many were scheduled."""
    params = {
        "d": as_of,
        "next": as_of + dt.timedelta(days=1),
        "interval": policy_value("servicing.floorplan_audit_interval_days", on=as_of),
        "per_mille": policy_value("servicing.floorplan_random_audit_per_mille", on=as_of),
    }
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_stockaudit
                (line_id, dealer_id, kind, status, scheduled_on, performed_on, auditor_id,
                 created_by_id, sold_out_of_trust_count, note, created_at, updated_at)
            SELECT l.id, l.dealer_id,
                   CASE WHEN last.on_ IS NULL OR last.on_ <= %(d)s::date - %(interval)s
                        THEN 'scheduled' ELSE 'random' END,
                   'scheduled', %(next)s, NULL, NULL, NULL, 0, '', now(), now()
              FROM origination_floorplanline l
              LEFT JOIN LATERAL (SELECT max(a.scheduled_on) AS on_ FROM servicing_stockaudit a
                                  WHERE a.line_id = l.id AND a.status <> 'cancelled') last ON TRUE
             WHERE l.status IN ('active', 'frozen')
               AND EXISTS (SELECT 1 FROM servicing_floorplanadvance f
                            WHERE f.line_id = l.id AND f.status = 'funded')
               AND NOT EXISTS (SELECT 1 FROM servicing_stockaudit a WHERE a.line_id = l.id
                                  AND a.status IN ('scheduled', 'in_progress'))
               AND (last.on_ IS NULL OR last.on_ <= %(d)s::date - %(interval)s
                    OR abs(hashtext(l.id || ':' || %(d)s::text)) %% 1000 < %(per_mille)s)
            RETURNING id, line_id, kind
            """,
            params,
        )
        made = cursor.fetchall()
        if not made:
            return 0
        cursor.execute(
            """
            INSERT INTO servicing_stockaudititem
                (audit_id, advance_id, vin, seen, photo_name, photo_path, photo_sha256,
                 photo_content_type, photo_size, note, sold_out_of_trust)
            SELECT u.audit_id, f.id, f.vin, NULL, '', '', '', '', NULL, '', false
              FROM unnest(%s::bigint[], %s::bigint[]) AS u(audit_id, line_id)
              JOIN servicing_floorplanadvance f ON f.line_id = u.line_id AND f.status = 'funded'
            """,
            [[m[0] for m in made], [m[1] for m in made]],
        )
    audit_bulk(
        ct=content_type_id(StockAudit),
        ids=[m[0] for m in made],
        reprs=[f"#{m[0]}" for m in made],
        action="stock_audit_schedule",
        froms=["" for _m in made],
        tos=[StockAuditStatus.SCHEDULED for _m in made],
        actor=actor,
        reason="",
    )
    return len(made)
