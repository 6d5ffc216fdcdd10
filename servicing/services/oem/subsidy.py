"""A subsidised loan's subsidy: deferred at funding, split into instalment periods by the
effective-interest method (CAS 22), ended per the OEM agreement when the loan ends early.

The split: the lender's carrying amount starts at amount financed - subsidy and earns the
lender's rate / 12 a period (the convention `autofin.pricing.subsidy_amount` prices with); the
subsidy earned in period k is that effective interest less the customer's contractual interest.
Each period's share is rounded ROUND_HALF_UP on the running total and the last period takes the
remainder, so the periods add up to the subsidy to the fen. The nightly step `oem_subsidy`
recognises each period's share day by day over its dates.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Any

from django.db import transaction
from django.db.models import F, Sum
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, quantize_fen, to_decimal
from autofin.roles import MoneyAction, can_move_money
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.loans import Loan
from servicing.models.oem_claims import (
    EarlySettlementOption,
    OemAgreement,
    OemClaim,
    OemClaimStatus,
    OemSubsidy,
    OemSubsidyPeriod,
    OemSubsidyStatus,
)
from servicing.services.invoicing import InvoiceError, buyer_taxpayer_id_clean
from servicing.services.ledger.posting import journal_post


class OemError(Exception):
    """A refused OEM subsidy or claim action; the message is for the person who asked."""


def _fen(value: Fraction) -> Decimal:
    return quantize_fen(Decimal(value.numerator) / Decimal(value.denominator), ROUND_HALF_UP)


def subsidy_periods_split(
    *, amount_financed: Decimal, subsidy: Decimal, lender_rate: Decimal, rows: list
) -> list[Decimal]:
    """The subsidy earned in each instalment period (see the module doc); adds up to `subsidy`."""
    monthly = Fraction(to_decimal(lender_rate)) / 12
    carrying = Fraction(amount_financed) - Fraction(subsidy)
    exact_total = Fraction(0)
    shares: list[Decimal] = []
    given = ZERO
    for i, row in enumerate(rows):
        effective = carrying * monthly
        exact_total += effective - Fraction(row.interest)
        carrying += effective - Fraction(row.principal) - Fraction(row.interest)
        if i == len(rows) - 1:
            share = subsidy - given
        else:
            share = min(max(_fen(exact_total) - given, ZERO), subsidy - given)
        shares.append(share)
        given += share
    return shares


def oem_subsidy_defer(
    *, loan: Loan, subsidy: Decimal, payer: str, customer_rate: Decimal, lender_rate: Decimal,
    business_date: dt.date, actor: Any,
) -> OemSubsidy | None:  # fmt: skip
    """At funding: the subsidy agreed becomes an unclaimed receivable from the OEM and deferred
    income (Dr oem_subsidy_unbilled / Cr oem_subsidy_deferred), with its periods. Idempotent."""
    if subsidy <= 0:
        return None
    existing = OemSubsidy.objects.filter(loan=loan).first()
    if existing:
        return existing
    # The OEM is named by the product's subsidy_payer; finance completes its tax and bank
    # details on the claims page before the first claim is invoiced.
    agreement, _created = OemAgreement.objects.get_or_create(name=payer or _("未指定厂商"))
    rows = list(loan.schedule_rows())
    shares = subsidy_periods_split(
        amount_financed=loan.amount_financed, subsidy=subsidy, lender_rate=lender_rate, rows=rows
    )
    record = OemSubsidy.objects.create(
        loan=loan, agreement=agreement, amount=subsidy, customer_rate=customer_rate,
        lender_rate=lender_rate, funded_on=business_date,
    )  # fmt: skip
    OemSubsidyPeriod.objects.bulk_create(
        OemSubsidyPeriod(
            subsidy=record,
            loan_id=loan.pk,
            seq=row.instalment_no,
            start=row.accrual_start,
            end=row.due_date,
            amount=share,
        )  # fmt: skip
        for row, share in zip(rows, shares, strict=True)
        if share > 0
    )
    journal_post(
        business_date=business_date,
        source_type=SourceType.SUBSIDY,
        source_id=record.pk,
        lines=[
            (A.OEM_SUBSIDY_UNBILLED, "D", subsidy, loan.pk),
            (A.OEM_SUBSIDY_DEFERRED, "C", subsidy, loan.pk),
        ],  # fmt: skip
        idempotency_key=f"oem-defer:{loan.pk}",
        description=memo("oem_subsidy_defer", ref=loan.contract_ref),
        actor=actor,
        loan_id=loan.pk,
    )
    audit_record(actor=actor, obj=record, action="oem_subsidy_defer", data={"amount": str(subsidy)})
    return record


def _sum(qs, expr) -> Decimal:
    return qs.aggregate(s=Sum(expr))["s"] or ZERO


def _clawback_claim(agreement: OemAgreement, on: dt.date) -> OemClaim:
    """The draft claim the clawback is netted on: this month's, or the next if this one left."""
    month = on.replace(day=1)
    for _i in range(2):
        claim, _c = OemClaim.objects.select_for_update().get_or_create(
            agreement=agreement, month=month, defaults={"claimed_on": on}
        )
        if claim.status == OemClaimStatus.DRAFT:
            return claim
        month = (month + dt.timedelta(days=32)).replace(day=1)
    raise OemError(_("本月与下月的索赔单都已发送，无法登记追回。"))


def oem_subsidy_end(*, loan_id: int, on: dt.date, actor: Any) -> OemSubsidy | None:
    """The loan ended early (settled or charged off): settle the rest of its subsidy per the
    agreement's option, exactly (amounts in docs/integrations.md "OEM claims"). Nothing for an
    unsubsidised loan or one already ended."""
    record = OemSubsidy.objects.select_for_update().filter(loan_id=loan_id).first()
    if record is None or record.status != OemSubsidyStatus.ACTIVE:
        return None
    periods = OemSubsidyPeriod.objects.filter(subsidy=record, cancelled=False)
    option = record.agreement.early_settlement_option
    unrecognised = _sum(periods, F("amount") - F("recognised"))
    unbilled_qs = periods.filter(claim_line__isnull=True)
    billed_qs = periods.filter(claim_line__isnull=False)
    lines: list[tuple] = []
    if unrecognised:
        lines.append((A.OEM_SUBSIDY_DEFERRED, "D", unrecognised, loan_id))
    if option == EarlySettlementOption.KEEPS_PAYING:
        # the OEM pays on as scheduled: nothing is left to earn, everything is still claimed
        income = unrecognised
        periods.update(recognised=F("amount"))
    elif option == EarlySettlementOption.STOPS:
        # claimed periods are earned in full; what was earned of unclaimed ones is given up
        unbilled = _sum(unbilled_qs, F("amount"))
        given_up = _sum(unbilled_qs, F("recognised"))
        income = _sum(billed_qs, F("amount") - F("recognised")) - given_up
        if unbilled:
            lines.append((A.OEM_SUBSIDY_UNBILLED, "C", unbilled, loan_id))
        billed_qs.update(recognised=F("amount"))
        unbilled_qs.update(cancelled=True)
    else:
        # clawback: the OEM takes back what it was billed; nothing of the subsidy is earned
        unbilled = _sum(unbilled_qs, F("amount"))
        billed = _sum(billed_qs, F("amount"))
        income = -_sum(periods, F("recognised"))
        if unbilled:
            lines.append((A.OEM_SUBSIDY_UNBILLED, "C", unbilled, loan_id))
        if billed:
            lines.append((A.OEM_SUBSIDY_RECEIVABLE, "C", billed))
            claim = _clawback_claim(record.agreement, on)
            OemClaim.objects.filter(pk=claim.pk).update(clawed_back=F("clawed_back") + billed)
        periods.update(cancelled=True)
    if income > 0:
        lines.append((A.OEM_SUBSIDY_INCOME, "C", income, loan_id))
    elif income < 0:
        lines.append((A.OEM_SUBSIDY_INCOME, "D", -income, loan_id))
    if lines:
        journal_post(
            business_date=on,
            source_type=SourceType.SUBSIDY,
            source_id=record.pk,
            lines=lines,
            idempotency_key=f"oem-end:{loan_id}",
            description=memo(
                "oem_subsidy_end", option=record.agreement.get_early_settlement_option_display()
            ),
            actor=actor,
            loan_id=loan_id,
        )
    record.status = OemSubsidyStatus.ENDED
    record.ended_on = on
    record.end_option = option
    record.save(update_fields=["status", "ended_on", "end_option"])
    audit_record(actor=actor, obj=record, action="oem_subsidy_end", to_state=option)
    return record


def oem_subsidy_end_locked(*, loan: Loan, on: dt.date, actor: Any) -> None:
    """Called inside the transaction that settled or charged off `loan`; an error rolls that
    transaction back as a whole (no savepoint: two statements on every settlement, for the
    one-in-many loan that is subsidised)."""
    with transaction.atomic(savepoint=False):
        oem_subsidy_end(loan_id=loan.pk, on=on, actor=actor)


def oem_agreement_update(
    *, agreement_id: int, taxpayer_id: str, bank_name: str, bank_account: str, option: str,
    actor: Any,
) -> OemAgreement:  # fmt: skip
    """Finance completes an OEM's details: the taxpayer ID its invoices need (checked), its bank
    account, and what happens to the subsidy when a loan ends early."""
    if not isinstance(actor, str) and not can_move_money(actor, MoneyAction.OEM_CLAIM_WORK):
        raise OemError(_("您没有厂商贴息索赔的操作权限。"))
    try:
        taxpayer_id = buyer_taxpayer_id_clean(taxpayer_id)
    except InvoiceError as exc:
        raise OemError(str(exc)) from exc
    with transaction.atomic():
        agreement = OemAgreement.objects.select_for_update().get(pk=agreement_id)
        before = agreement.early_settlement_option
        agreement.taxpayer_id = taxpayer_id
        agreement.bank_name = bank_name.strip()
        agreement.bank_account = bank_account.strip()
        agreement.early_settlement_option = EarlySettlementOption(option)
        agreement.save()
        audit_record(actor=actor, obj=agreement, action="oem_agreement_update", from_state=before,
                     to_state=agreement.early_settlement_option)  # fmt: skip
    return agreement
