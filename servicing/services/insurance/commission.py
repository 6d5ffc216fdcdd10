"""The lender's insurance agency commission (保险代理手续费), only with an agency licence
(INSURANCE_AGENCY_LICENSED):

  binding a renewal   Dr insurance_commission_receivable (premium × rate, half up)
                      Cr insurance_commission_income (the rest) / Cr vat_output (the 6 % inside,
                      from the dated VAT table, kind agency_service)
  the insurer pays    Dr bank_clearing / Cr insurance_commission_receivable (the matched lines)

Reconciliation compares, per insurer and month, the commission booked with the insurer's own
statement (Insurers.commission_statement): matched, differing (its figure kept beside ours),
missing from the statement, and lines on the statement the lender never booked."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, quantize_fen
from servicing.insurer_adapters import StatementLine, insurers_adapter
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.insurance import CommissionStatus, InsuranceCommission
from servicing.models.invoices import VatKind
from servicing.models.leases import InsurancePolicy
from servicing.services.invoicing import tax_of_inclusive, vat_rate
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError

OPEN = (CommissionStatus.POSTED, CommissionStatus.DIFFERING, CommissionStatus.MISSING)


def commission_post(
    *, policy: InsurancePolicy, rate: Decimal, on: dt.date, actor: Any
) -> InsuranceCommission | None:
    """Book the commission on a policy the lender bound; nothing without the licence."""
    if not settings.INSURANCE_AGENCY_LICENSED or rate <= 0:
        return None
    amount = quantize_fen(policy.premium * rate, ROUND_HALF_UP)
    vat = tax_of_inclusive(amount, vat_rate(kind=VatKind.AGENCY_SERVICE, on=on))
    entry = journal_post(
        business_date=on, source_type="insurance_commission", source_id=policy.pk,
        lines=[(A.INSURANCE_COMMISSION_RECEIVABLE, "D", amount, None),
               (A.INSURANCE_COMMISSION_INCOME, "C", amount - vat, None),
               (A.VAT_OUTPUT, "C", vat, None)],
        idempotency_key=f"insurance-commission:{policy.pk}",
        description=memo("insurance_commission", insurer=policy.insurer_name,
                         number=policy.policy_number),
        actor=actor, loan_id=policy.loan_id,
    )  # fmt: skip
    commission, _created = InsuranceCommission.objects.get_or_create(
        policy=policy,
        defaults={"insurer_name": policy.insurer_name, "month": policy.starts_on.replace(day=1),
                  "premium": policy.premium, "rate": rate, "amount": amount, "vat": vat,
                  "entry_id": entry.pk},
    )  # fmt: skip
    return commission


@dataclass
class Reconciliation:
    insurer_name: str
    month: dt.date
    matched: list = field(default_factory=list)
    differing: list = field(default_factory=list)
    missing: list = field(default_factory=list)
    unknown: list[StatementLine] = field(default_factory=list)  # theirs, never booked by us

    @property
    def matched_total(self) -> Decimal:
        return sum((c.amount for c in self.matched), ZERO)


def commission_reconcile(
    *, insurer_name: str, month: dt.date, on: dt.date, actor: Any
) -> Reconciliation:
    """Compare the month's booked commission of one insurer with its statement (re-runnable
    until paid: a received line is never touched again)."""
    month = month.replace(day=1)
    statement = {
        x.policy_number: x for x in insurers_adapter().commission_statement(insurer_name, month)
    }
    result = Reconciliation(insurer_name=insurer_name, month=month)
    with transaction.atomic():
        rows = (
            InsuranceCommission.objects.select_for_update()
            .select_related("policy")
            .filter(insurer_name=insurer_name, month=month)
        )
        known = set()
        rows = list(rows)
        for c in rows:
            line = statement.get(c.policy.policy_number)
            known.add(c.policy.policy_number)
            if c.status == CommissionStatus.RECEIVED:
                continue
            if line is None:
                c.status, c.statement_amount = CommissionStatus.MISSING, None
                result.missing.append(c)
            elif line.commission == c.amount:
                c.status, c.statement_amount = CommissionStatus.MATCHED, line.commission
                result.matched.append(c)
            else:
                c.status, c.statement_amount = CommissionStatus.DIFFERING, line.commission
                result.differing.append(c)
            c.reconciled_on = on
            c.save(update_fields=["status", "statement_amount", "reconciled_on"])
        result.unknown = [x for n, x in statement.items() if n not in known]
        for c in rows[:1]:  # the audit trail hangs on an object: the month's first line
            audit_record(
            actor=actor, obj=c, action="insurance_commission_reconcile",
            data={"insurer": insurer_name, "month": month.isoformat(),
                  "matched": len(result.matched), "differing": len(result.differing),
                  "missing": len(result.missing), "unknown": len(result.unknown)},
        )  # fmt: skip
    return result


def commission_receipt_record(
    *, insurer_name: str, month: dt.date, amount: Decimal, bank_ref: str, on: dt.date, actor: Any
) -> list[InsuranceCommission]:
    """The insurer's payment for its matched lines of a month: it must equal their total to the
    fen (a differing or missing line is settled with the insurer first, never netted here)."""
    bank_ref = (bank_ref or "").strip()
    if not bank_ref:
        raise LoanError(_("请填写银行流水号。"), field="bank_ref")
    with transaction.atomic():
        rows = list(
            InsuranceCommission.objects.select_for_update().filter(
                insurer_name=insurer_name, month=month.replace(day=1),
                status=CommissionStatus.MATCHED,
            )
        )  # fmt: skip
        total = sum((c.amount for c in rows), ZERO)
        if not rows or quantize_fen(amount) != total:
            raise LoanError(
                _("到账金额须等于对账一致的手续费合计 %(total)s。") % {"total": total},
                field="amount", code="amount",
            )  # fmt: skip
        journal_post(
            business_date=on, source_type="insurance_commission_receipt", source_id=bank_ref,
            lines=[(A.BANK_CLEARING, "D", total, None),
                   (A.INSURANCE_COMMISSION_RECEIVABLE, "C", total, None)],
            idempotency_key=f"insurance-commission-receipt:{bank_ref}",
            description=memo("insurance_commission_receipt", insurer=insurer_name, ref=bank_ref),
            actor=actor,
        )  # fmt: skip
        for c in rows:
            c.status, c.receipt_ref = CommissionStatus.RECEIVED, bank_ref
            c.save(update_fields=["status", "receipt_ref"])
    return rows
