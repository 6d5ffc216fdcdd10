"""Funding a released disbursement whose payments all succeeded: the loan created from the
contract's snapshotted values, the funding entry, origination told "funded", the dealer's
commission (the accrual row and its ledger entry) and the notifications; in one transaction,
idempotent, retried by the recovery task if it fails."""

from __future__ import annotations

import datetime as dt
import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.models import User
from autofin.money import ZERO
from autofin.notifications import notification_send
from dealers.models.dealers import Dealer
from dealers.rules import DealerError
from dealers.services import commission_accrue
from origination.selectors.applications import application_salesperson_name
from origination.services.contracts.funding import application_mark_funded
from servicing.memos import memo
from servicing.models import AccountCode, SourceType
from servicing.models.disbursement import Disbursement, PaymentInstruction
from servicing.models.loans import Loan
from servicing.services.commissions.ledger import commission_accrual_post
from servicing.services.disbursement.create import contract_facts_load
from servicing.services.disbursement.states import DS, PAYABLE, S, disbursement_lock
from servicing.services.insurance.policies import (
    insurance_policy_open,
    lender_beneficiary_required,
)
from servicing.services.insurance.renewals import renewal_financed_funded
from servicing.services.leases.accounting import lease_commence
from servicing.services.leases.assets import lease_asset_open
from servicing.services.leases.end_of_term import lease_buyout_bill
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.create import loan_create
from servicing.services.oem.subsidy import oem_subsidy_defer

# --- funding -----------------------------------------------------------------------------------

log = logging.getLogger(__name__)


def disbursement_fund_guarded(
    d: Disbursement, instructions: list[PaymentInstruction], *, business_date: dt.date | None = None
) -> None:
    """Fund inside a savepoint: if funding fails (a loan or origination error), the payment
    stays recorded and the recovery task retries the funding (disbursements_fundable).
    `business_date`: the posting date the caller read in this transaction, if it did."""
    try:
        with transaction.atomic():
            disbursement_fund_locked(
                d, instructions, actor=SYSTEM_ACTOR, business_date=business_date
            )
    except Exception:
        log.exception("funding of disbursement %s failed; left for the recovery task", d.pk)
        d.refresh_from_db()


def disbursement_fund(*, disbursement_id: int, actor: Any = SYSTEM_ACTOR) -> Disbursement:
    """Fund a released disbursement whose instructions all succeeded (idempotent; normally
    called when the last payment succeeds)."""
    with transaction.atomic():
        d, instructions = disbursement_lock(disbursement_id)
        disbursement_fund_locked(d, instructions, actor=actor)
    return d


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


# what of the contract's collateral the loan keeps
LOAN_COLLATERAL_KEYS = ("vehicle", "vin", "plate", "mortgage_status", "mortgage_deadline",
                        "gps_status", "gps_deadline")  # fmt: skip


def _loan_collateral(facts: dict) -> dict:
    collateral = dict(facts.get("collateral") or {})
    vehicle = " ".join(str(collateral.pop(k, "") or "") for k in ("brand", "model")).strip()
    collateral.setdefault("vehicle", vehicle)
    return {k: v for k, v in collateral.items() if k in LOAN_COLLATERAL_KEYS}


def _loan_create(d: Disbursement, *, business_date: dt.date, actor: Any) -> Loan:
    """The loan, from the contract's snapshotted plain values."""
    facts = d.contract_facts
    hint = _date(facts.get("value_date_hint"))
    signed = facts
    if signed.get("penalty_rate") in (None, "") or "fee_per_instalment" not in signed:
        # prepared before the facts carried these figures: read them from the signed contract
        signed = contract_facts_load(contract_id=d.contract_id)
    # The schedule is the contract's when funded on its value date; on another day the same
    # terms are re-dated to the funding date (no row of the contract can be kept then).
    on_contract_date = hint == business_date
    return loan_create(
        contract_ref=d.contract_ref,
        application_id=d.application_id,
        customer_user_id=facts["customer_user_id"],
        product_version_id=facts.get("product_version_id"),
        product_rules=facts.get("product_rules") or {},
        amount_financed=d.amount_financed,
        annual_rate=facts.get("lender_rate") or facts.get("annual_rate") or facts["customer_rate"],
        customer_rate=facts.get("customer_rate"),
        penalty_rate=signed["penalty_rate"],
        contract_schedule=(facts.get("schedule") or None) if on_contract_date else None,
        term_months=int(facts["term_months"]),
        method=facts["method"],
        value_date=business_date,
        # no first due date forced: from the contract's own value date the engine gives the
        # contract's dates (a forced 28 Feb after 31 Jan would move every later due date to the 28th)
        first_due_date=None,
        day_count=facts.get("day_count") or "30/360",
        balloon_amount=facts.get("balloon_amount") or ZERO,
        fee_per_instalment=signed.get("fee_per_instalment") or ZERO,
        fees=facts.get("fees") or [],
        payees=facts.get("payees") or [],
        collateral=_loan_collateral(facts),
        dealer_id=d.dealer_id,
        rate_link=facts.get("rate_link"),
        business_date=business_date,
        actor=actor,
    )


def _funding_entry_post(
    d: Disbursement, instructions: list[PaymentInstruction], *, loan_id: int,
    business_date: dt.date, actor: Any,
) -> None:  # fmt: skip
    """Dr principal receivable the amount financed / Cr each payee's payable what it was paid."""
    credits: dict[str, Decimal] = {}
    for i in instructions:
        code = PAYABLE[i.payee_kind]
        credits[code] = credits.get(code, ZERO) + i.amount
    journal_post(
        business_date=business_date,
        source_type=SourceType.DISBURSEMENT,
        source_id=d.pk,
        lines=[(AccountCode.PRINCIPAL_RECEIVABLE, "D", d.amount_financed, loan_id)]
        + [(code, "C", amount, loan_id) for code, amount in credits.items()],
        idempotency_key=f"disb-fund:{d.pk}",
        description=memo("disbursement", ref=d.contract_ref),
        actor=actor,
        loan_id=loan_id,
    )


def _subsidy_defer(d: Disbursement, *, loan: Loan, business_date: dt.date, actor: Any) -> None:
    """A subsidised contract's OEM subsidy is deferred income from the day it funds."""
    facts = d.contract_facts
    subsidy = Decimal(str(facts.get("subsidy_amount") or "0"))
    if subsidy <= 0:
        return
    payer = ((facts.get("product_rules") or {}).get("subsidy") or {}).get("payer") or ""
    oem_subsidy_defer(
        loan=loan, subsidy=subsidy, payer=payer, customer_rate=Decimal(str(facts["customer_rate"])),
        lender_rate=Decimal(str(facts["lender_rate"])), business_date=business_date, actor=actor,
    )  # fmt: skip


def disbursement_fund_locked(
    d: Disbursement, instructions: list[PaymentInstruction], *, actor: Any,
    business_date: dt.date | None = None,
) -> None:  # fmt: skip
    """Fund a locked disbursement once every instruction succeeded; nothing otherwise.
    `business_date`: the posting date already read in this transaction (else read here)."""
    if d.status == DS.FUNDED or d.status != DS.RELEASED:
        return
    if not all(i.status == S.SUCCEEDED for i in instructions):
        return
    business_date = business_date or business_date_for_posting()
    now = timezone.now()
    loan = _loan_create(d, business_date=business_date, actor=actor)
    lease_asset_open(loan=loan, facts=d.contract_facts, on=business_date, actor=actor)
    if loan.contract_type == "loan" and lender_beneficiary_required(loan):
        # a secured loan's financed insurance is recorded too (a lease's by lease_asset_open)
        insurance_policy_open(loan=loan, facts=d.contract_facts, vin=loan.vin, on=business_date)
    _funding_entry_post(d, instructions, loan_id=loan.pk, business_date=business_date, actor=actor)
    lease_commence(loan=loan, on=business_date, actor=actor)
    if loan.contract_type != "loan":
        lease_buyout_bill(loan_id=loan.pk, actor=actor)
    _subsidy_defer(d, loan=loan, business_date=business_date, actor=actor)
    if d.application_id:
        application_mark_funded(application_id=d.application_id, funded_at=now, actor=actor)
        # a financed renewal premium is now paid to its insurer: the chosen quote is bound
        renewal_financed_funded(application_id=d.application_id, on=business_date, actor=actor)
    if d.dealer_id:
        product_line = d.contract_facts.get("product_line")
        _commission(d, business_date=business_date, product_line=product_line)
    d.status = DS.FUNDED
    d.funded_at = now
    d.funded_on = business_date
    d.loan_id = loan.pk
    d.save(update_fields=["status", "funded_at", "funded_on", "loan_id"])
    audit_record(
        actor=actor,
        obj=d,
        action="disbursement_fund",
        from_state=DS.RELEASED,
        to_state=DS.FUNDED,
        data={"loan_id": loan.pk, "business_date": business_date.isoformat()},
    )
    _notify(d, loan_id=loan.pk)


def _commission(d: Disbursement, *, business_date: dt.date, product_line: str | None) -> None:
    # No savepoint of its own: commission_accrue refuses "no_agreement" before it writes
    # anything (and writes its row in its own savepoint); any other failure is raised and rolls
    # the funding back with everything else.
    try:
        commission = commission_accrue(
            dealer=d.dealer_id,
            contract_ref=d.contract_ref,
            amount_financed=d.amount_financed,
            funded_on=business_date,
            product_line=product_line or "new",
            salesperson_name=application_salesperson_name(d.application_id),
        )
    except DealerError as exc:
        if getattr(exc, "code", "") != "no_agreement":
            raise
        # No agreement in force: funding goes ahead; the channel team sees why (audit row).
        audit_record(
            actor=SYSTEM_ACTOR,
            obj=d,
            action="commission_not_accrued",
            reason=str(exc),
            data={"dealer_id": d.dealer_id},
        )
        return
    commission_accrual_post(
        commission_id=commission.pk,
        dealer_id=commission.dealer_id,
        amount=commission.amount,
        contract_ref=commission.contract_ref,
        on=commission.funded_on,
    )


def _notify(d: Disbursement, *, loan_id: int) -> None:

    amount = f"{d.amount_financed:,.2f}"
    customer = (
        User.objects.filter(pk=d.contract_facts.get("customer_user_id"))
        .values("phone", "email")
        .first()
    )
    if customer and (customer["phone"] or customer["email"]):
        channel, to = (
            ("sms", customer["phone"]) if customer["phone"] else ("email", customer["email"])
        )
        notification_send(
            channel=channel,
            to=to,
            subject=_("放款成功"),
            body=_("您的合同 %(ref)s 已放款，融资额 ¥%(amount)s，请按还款计划按时还款。")
            % {"ref": d.contract_ref, "amount": amount},
            purpose="disbursement_funded",
            dedupe_key=f"disbursement:{d.pk}:funded:customer",
        )
    if d.dealer_id:
        phone = (
            Dealer.objects.filter(pk=d.dealer_id).values_list("contact_phone", flat=True).first()
        )
        if phone:
            notification_send(
                channel="sms",
                to=phone,
                body=_("合同 %(ref)s（%(name)s）已放款，车款已付至贵司结算账户。")
                % {"ref": d.contract_ref, "name": d.customer_name},
                purpose="disbursement_funded_dealer",
                dedupe_key=f"disbursement:{d.pk}:funded:dealer",
            )


def disbursements_fundable() -> list[int]:
    """Released disbursements whose payments all succeeded but which are not funded (a funding
    that failed, e.g. a loan_create error, is retried by the recovery task)."""
    return list(
        Disbursement.objects.filter(status=DS.RELEASED)
        .exclude(instructions__status__in=[s for s in S.values if s != S.SUCCEEDED])
        .order_by("pk")
        .values_list("pk", flat=True)[:1000]
    )
