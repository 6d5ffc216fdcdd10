"""Legal cases (诉讼 / 仲裁 / 实现担保物权): opened with the court and the filing date, decided
with the date and outcome; their costs are the case's legal costs (`payments.py`)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ROUND_HALF_UP, quantize_fen
from autofin.roles import MoneyAction
from servicing.models.loans import Loan
from servicing.models.repossession import LegalCase, LegalKind, LegalOutcome, RepossessionCase
from servicing.services.repossession.cases import RepossessionError, amount_parse, require


def legal_case_open(
    *,
    loan_id: int,
    kind: str,
    court: str,
    filed_on: dt.date,
    actor: Any,
    case_number: str = "",
    repossession_id: int | None = None,
    note: str = "",
) -> LegalCase:
    require(actor, MoneyAction.REPOSSESSION_WORK)
    if kind not in LegalKind.values:
        raise RepossessionError(_("请选择案件类型。"), field="kind")
    if not (court or "").strip():
        raise RepossessionError(_("请填写法院或仲裁机构。"), field="court")
    with transaction.atomic():
        loan = Loan.objects.filter(pk=loan_id).first()
        if loan is None:
            raise RepossessionError(_("贷款不存在。"))
        repossession = None
        if repossession_id is not None:
            repossession = RepossessionCase.objects.filter(pk=repossession_id, loan=loan).first()
            if repossession is None:
                raise RepossessionError(_("收车案件不属于该贷款。"), field="repossession")
        case = LegalCase.objects.create(
            loan=loan, repossession=repossession, kind=kind, court=court.strip(),
            case_number=case_number.strip(), filed_on=filed_on, note=note, opened_by=actor,
        )  # fmt: skip
        audit_record(actor=actor, obj=case, action="legal_case_open", data={"kind": kind})
    return case


def legal_case_decide(
    *,
    legal_case_id: int,
    outcome: str,
    decided_on: dt.date,
    actor: Any,
    awarded: Any = None,
    hearing_on: dt.date | None = None,
) -> LegalCase:
    require(actor, MoneyAction.REPOSSESSION_WORK)
    if outcome not in LegalOutcome.values or outcome == LegalOutcome.PENDING:
        raise RepossessionError(_("请选择案件结果。"), field="outcome")
    amount = amount_parse(awarded, "awarded")
    with transaction.atomic():
        case = LegalCase.objects.select_for_update().get(pk=legal_case_id)
        if case.outcome != LegalOutcome.PENDING:
            raise RepossessionError(_("该案件已有结果。"), code="decided")
        if decided_on < case.filed_on:
            raise RepossessionError(_("判决日不能早于立案日。"), field="decided_on")
        case.outcome, case.decided_on = outcome, decided_on
        case.hearing_on = hearing_on or case.hearing_on
        case.awarded = quantize_fen(amount, ROUND_HALF_UP) if amount is not None else None
        case.save()
        audit_record(
            actor=actor, obj=case, action="legal_case_decide", from_state=LegalOutcome.PENDING,
            to_state=outcome,
        )  # fmt: skip
    return case
