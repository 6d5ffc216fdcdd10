"""The policy record per financed car (`InsurancePolicy`): opened at funding from the contract's
insurance item, recorded or edited by operations, recorded by the customer when bought elsewhere.

The beneficiary rule has one place, `beneficiary_checked`: a lease or a secured loan needs the
lender as first beneficiary (第一受益人), whoever sold the policy."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import quantize_fen
from autofin.pricing import add_months
from autofin.roles import Role, user_has_role
from origination.selectors.payees import payee_match
from origination.services.contracts.pricing import lender_name
from servicing.models.insurance import QuoteStatus, RenewalQuote
from servicing.models.leases import InsurancePolicy, PolicyStatus
from servicing.models.loans import CLOSED_STATUSES, Loan
from servicing.services.loans.account import LoanError

POLICY_ROLES = (Role.OPERATIONS, Role.SERVICING_AGENT)
LEASE_TYPES = ("direct_lease", "sale_leaseback")


def lender_beneficiary_required(loan: Loan) -> bool:
    """A lease (the lessor owns the car) or a loan secured on the car."""
    return loan.contract_type in LEASE_TYPES or bool(
        (loan.product_rules or {}).get("secured", True)
    )


def beneficiary_checked(loan: Loan, beneficiary_name: str) -> bool:
    """Whether the lender is the first beneficiary; refuses a policy that must name it and does not."""
    is_lender = (beneficiary_name or "").strip() == lender_name()
    if lender_beneficiary_required(loan) and not is_lender:
        raise LoanError(
            _("抵押贷款和融资租赁车辆的保单须以%(lender)s为第一受益人。")
            % {"lender": lender_name()},
            field="beneficiary_name",
            code="beneficiary",
        )
    return is_lender


def insurance_policy_open(
    *, loan: Loan, facts: dict, vin: str, on: dt.date
) -> InsurancePolicy | None:
    """At funding: the policy the contract financed (its insurer payee item), lender first
    beneficiary; operations enter the number later. None when the contract has no insurance."""
    insurer = next((p for p in facts.get("payees") or [] if p.get("payee_type") == "insurer"), None)
    if insurer is None or InsurancePolicy.objects.filter(loan=loan).exists():
        return None
    registered = payee_match("insurer", str(insurer.get("name") or ""))
    return InsurancePolicy.objects.create(
        loan=loan,
        vin=(vin or "")[:17],
        insurer_payee_id=registered.pk if registered else None,
        insurer_name=str(insurer.get("name") or "")[:200],
        policy_number="",
        premium=quantize_fen(Decimal(str(insurer["amount"]))),
        starts_on=on,
        ends_on=add_months(on, 12) - dt.timedelta(days=1),
        beneficiary_name=lender_name()[:200],
        lender_is_beneficiary=True,
    )


def _money(value: Any) -> Decimal:
    try:
        amount = quantize_fen(Decimal(str(value)))
    except (InvalidOperation, ValueError) as exc:
        raise LoanError(_("请填写正确的保费。"), field="premium") from exc
    if amount <= 0:
        raise LoanError(_("保费须大于零。"), field="premium")
    return amount


def insurance_policy_record(
    *, loan: Loan, insurer_name: str, policy_number: str, premium: Any, starts_on: dt.date,
    ends_on: dt.date, beneficiary_name: str, actor: Any, renews: InsurancePolicy | None = None,
    cover: list | None = None,
) -> InsurancePolicy:  # fmt: skip
    """A policy bought anywhere (the customer chooses the insurer freely): recorded by operations
    or by the loan's own customer; a renewal closes the policy it renews and its open quotes."""
    own = getattr(actor, "pk", None) == loan.customer_id
    if not (own or user_has_role(actor, *POLICY_ROLES)):
        raise LoanError(_("您无权为该合同录入保单。"), code="forbidden")
    insurer_name, number = (insurer_name or "").strip(), (policy_number or "").strip()
    if not insurer_name or not number or len(number) > 40:
        raise LoanError(_("请填写保险公司和保单号（不超过 40 位）。"), field="policy_number")
    if not starts_on or not ends_on or ends_on <= starts_on:
        raise LoanError(_("终保日须晚于起保日。"), field="ends_on")
    is_lender = beneficiary_checked(loan, beneficiary_name)
    amount = _money(premium)
    try:
        with transaction.atomic():
            if renews is not None:
                renews = InsurancePolicy.objects.select_for_update().get(pk=renews.pk)
                if renews.loan_id != loan.pk or renews.status != PolicyStatus.ACTIVE:
                    raise LoanError(_("该保单已续保或已失效。"), code="not_active")
            policy = InsurancePolicy.objects.create(
                loan=loan, vin=(renews.vin if renews else loan.vin)[:17],
                insurer_payee_id=getattr(payee_match("insurer", insurer_name), "pk", None),
                insurer_name=insurer_name[:200], policy_number=number, cover=cover or [],
                premium=amount, starts_on=starts_on, ends_on=ends_on,
                beneficiary_name=beneficiary_name.strip()[:200], lender_is_beneficiary=is_lender,
                renews=renews,
            )  # fmt: skip
            if renews is not None:
                policy_renewed(renews)
            audit_record(
                actor=actor, obj=policy, action="insurance_policy_record",
                data={"insurer": insurer_name, "number": number, "premium": str(amount),
                      "renews": renews.pk if renews else None},
            )  # fmt: skip
    except IntegrityError as exc:
        raise LoanError(
            _("该保险公司已有相同保单号的保单。"), field="policy_number", code="duplicate"
        ) from exc
    return policy


def policy_renewed(old: InsurancePolicy) -> None:
    """The old term is renewed: its quotes still open are closed (inside the caller's atomic)."""
    old.status = PolicyStatus.RENEWED
    old.save(update_fields=["status"])
    RenewalQuote.objects.filter(
        policy=old, status__in=(QuoteStatus.OFFERED, QuoteStatus.PAYING, QuoteStatus.FINANCING)
    ).update(status=QuoteStatus.CLOSED)


def policies_expiring(*, on: dt.date, days: int):
    """Active policies on live loans ending within `days` of `on` (the agents' list)."""
    return (
        InsurancePolicy.objects.filter(
            status=PolicyStatus.ACTIVE,
            ends_on__gte=on,
            ends_on__lte=on + dt.timedelta(days=days),
        )
        .exclude(loan__status__in=CLOSED_STATUSES)
        .select_related("loan")
        .order_by("ends_on", "id")
    )
