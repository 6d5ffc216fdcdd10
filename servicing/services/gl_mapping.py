"""Changing the product → GL mapping, maker-checked: a finance operator or approver submits a row
(role, product, GL account, effective date, reason), a finance approver who is not the maker
approves or rejects it. Only an approved row is read by the GL (servicing.selectors.gl_mapping).
Rows are never edited after approval; a later row changes the mapping from its own date.

A row may not take effect inside a closed accounting period: that period's GL extract was
filed and must read the same forever.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.roles import MoneyAction, can_move_money
from origination.models.products import VehicleKind
from servicing.models.gl_mapping import GlMapping, GlMappingStatus
from servicing.models.ledger import LedgerAccount
from servicing.models.periods import AccountingPeriod, PeriodStatus


class GlMappingError(Exception):
    """A mapping change refused, with a message for the person; nothing was written."""


def gl_mapping_submit(
    *,
    role: str,
    account: str,
    effective_from: dt.date,
    reason: str,
    actor: Any,
    product_code: str = "",
    vehicle_kind: str = "",
) -> GlMapping:
    if not can_move_money(actor, MoneyAction.GL_MAPPING_SUBMIT):
        raise GlMappingError(_("无权提交总账科目映射。"))
    if product_code and vehicle_kind:
        raise GlMappingError(_("产品代码和产品线只能填写一个。"))
    if vehicle_kind and vehicle_kind not in VehicleKind.values:
        raise GlMappingError(_("产品线无效。"))
    if not reason.strip():
        raise GlMappingError(_("请填写变更原因。"))
    accounts = {a.code: a for a in LedgerAccount.objects.filter(code__in=[role, account])}
    if role not in accounts or account not in accounts:
        raise GlMappingError(_("会计科目不存在。"))
    source, target = accounts[role], accounts[account]
    if (source.account_type, source.normal_side) != (target.account_type, target.normal_side):
        raise GlMappingError(_("总账科目的类别和余额方向必须与默认科目一致。"))
    _open_period_check(effective_from)
    with transaction.atomic():
        mapping = GlMapping.objects.create(
            role=source,
            product_code=product_code,
            vehicle_kind=vehicle_kind,
            account=target,
            effective_from=effective_from,
            reason=reason.strip(),
            created_by=actor,
        )
        audit_record(
            actor=actor,
            obj=mapping,
            action="gl_mapping_submit",
            to_state=GlMappingStatus.PENDING,
            reason=mapping.reason,
            data={"role": role, "account": account, "effective_from": f"{effective_from}"},
        )
    return mapping


def _open_period_check(effective_from: dt.date) -> None:
    last_closed = (
        AccountingPeriod.objects.filter(status=PeriodStatus.CLOSED)
        .order_by("-month")
        .values_list("month", flat=True)
        .first()
    )
    if last_closed is not None:
        first_open = (last_closed + dt.timedelta(days=32)).replace(day=1)
        if effective_from < first_open:
            raise GlMappingError(_("生效日不能早于最后一个已结账期间之后的第一天。"))


def gl_mapping_decide(*, mapping_id: int, approve: bool, actor: Any) -> GlMapping:
    """The checker's decision. Approval is refused to the maker (and by the database's CHECK)."""
    if not can_move_money(actor, MoneyAction.GL_MAPPING_APPROVE):
        raise GlMappingError(_("无权复核总账科目映射。"))
    with transaction.atomic():
        mapping = GlMapping.objects.select_for_update().get(pk=mapping_id)
        if mapping.status != GlMappingStatus.PENDING:
            raise GlMappingError(_("该映射已处理。"))
        if mapping.created_by_id == actor.pk:
            raise GlMappingError(_("经办人不能复核自己提交的映射。"))
        if approve:
            _open_period_check(mapping.effective_from)
        mapping.status = GlMappingStatus.ACTIVE if approve else GlMappingStatus.REJECTED
        mapping.approved_by = actor
        mapping.approved_at = timezone.now()
        try:
            with transaction.atomic():
                mapping.save(update_fields=["status", "approved_by", "approved_at"])
        except IntegrityError as exc:
            raise GlMappingError(_("同一科目、产品和生效日已有生效的映射。")) from exc
        audit_record(
            actor=actor,
            obj=mapping,
            action="gl_mapping_approve" if approve else "gl_mapping_reject",
            from_state=GlMappingStatus.PENDING,
            to_state=mapping.status,
        )
    return mapping
