"""The lessor's asset register at funding (融资租赁资产台账) and the registration of its title.

`lease_asset_open` is called once by funding, right after the lease's loan row is created:

- 直租: the lessor buys the car from the dealer for the amount financed; the purchase carries
  input VAT = round(price × r / (1 + r)) at the dated 13 % rate (the figure lease accounting
  books as VAT_INPUT / 待转销项税额). The car is the lessor's: registered in its name (pending
  until the pre-funding checklist's registration item is done), never mortgaged — the loan's
  mortgage_status is NOT_REQUIRED.
- 售后回租: the lessor buys the car from the customer (paid to their checked card); per the
  product rule ``leaseback_title`` the title moves to the lessor ("transfer", as for 直租) or a
  mortgage is registered to the lessor ("mortgage", the default): then the loan's own mortgage
  tracking (mortgage_status / mortgage_deadline, the nightly overdue task) applies unchanged.
  No input VAT (a person selling their car issues no VAT invoice).

A registration still to be made after funding is a `LoanTask` (lease_registration, ref_date =
the deadline the checklist allowed) until `lease_asset_registered` records it. When the contract
finances the insurance (an insurer payee) an `InsurancePolicy` row is opened with the lessor as
first beneficiary; operations enter its policy number later (`insurance_policy_number_record`).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, quantize_fen
from autofin.roles import Role, user_has_role
from servicing.models.collections import LoanTask, TaskKind
from servicing.models.invoices import VatKind
from servicing.models.leases import InsurancePolicy, LeaseAsset, RegistrationStatus, TitleHolder
from servicing.models.loans import CollateralStatus, Loan
from servicing.services.insurance.policies import insurance_policy_open
from servicing.services.invoicing import vat_rate
from servicing.services.leases.vat import tax_inclusive_part
from servicing.services.loans.account import LoanError

LEASE_TYPES = ("direct_lease", "sale_leaseback")
ASSET_ROLES = (Role.OPERATIONS, Role.SERVICING_AGENT)


def leaseback_title(rules: dict) -> str:
    """The product's rule for a sale-leaseback car: "transfer" or "mortgage" (the default)."""
    return "transfer" if (rules or {}).get("leaseback_title") == "transfer" else "mortgage"


def _payee(facts: dict, payee_type: str) -> dict | None:
    return next((p for p in facts.get("payees") or [] if p.get("payee_type") == payee_type), None)


def _title_route(loan: Loan, facts: dict) -> bool:
    """The car is registered in the lessor's name (not mortgaged to it)."""
    return loan.contract_type == "direct_lease" or (
        leaseback_title(facts.get("product_rules") or {}) == "transfer"
    )


def lease_asset_open(*, loan: Loan, facts: dict, on: dt.date, actor: Any) -> LeaseAsset | None:
    """The lease's asset (and its insurance policy) at funding; None for a loan. Idempotent."""
    if loan.contract_type not in LEASE_TYPES:
        return None
    existing = LeaseAsset.objects.filter(loan=loan).first()
    if existing is not None:
        return existing
    collateral = facts.get("collateral") or {}
    title = _title_route(loan, facts)
    if loan.contract_type == "direct_lease":
        dealer = _payee(facts, "dealer")
        seller = (dealer or {}).get("name") or ""
        price = loan.amount_financed
        purchase_vat = tax_inclusive_part(price, vat_rate(kind=VatKind.TANGIBLE_LEASE, on=on))
    else:
        customer = _payee(facts, "customer")
        seller = (customer or {}).get("name") or facts.get("customer_name") or ""
        price = quantize_fen(Decimal(str((customer or {}).get("amount") or loan.amount_financed)))
        purchase_vat = ZERO
    if title:
        done = collateral.get("title_status") == "done"
        status = RegistrationStatus.REGISTERED_TO_LESSOR if done else RegistrationStatus.PENDING
        deadline = None if done else collateral.get("title_deadline")
        # the car is the lessor's, not mortgaged: the loan's mortgage tracking does not apply
        loan.mortgage_status = CollateralStatus.NOT_REQUIRED
        loan.mortgage_deadline = None
        loan.save(update_fields=["mortgage_status", "mortgage_deadline", "updated_at"])
    else:
        done = loan.mortgage_status == CollateralStatus.DONE
        status = RegistrationStatus.MORTGAGED if done else RegistrationStatus.PENDING
        deadline = None  # the loan's mortgage_deadline and the nightly check track it
    asset = LeaseAsset.objects.create(
        loan=loan,
        vin=(collateral.get("vin") or loan.vin or "")[:17],
        plate=(collateral.get("plate") or loan.plate or "")[:20],
        vehicle=(loan.vehicle or "")[:200],
        seller_name=str(seller)[:200],
        purchase_price=price,
        purchase_vat=purchase_vat,
        # 留购价 billed with the last rent (end_of_term.lease_buyout_bill); a residual lease's
        # residual is its balloon
        buyout_price=quantize_fen(settings.LEASE_BUYOUT_PRICE, ROUND_HALF_UP),
        residual_value=loan.balloon_amount,
        title_holder=TitleHolder.LESSOR if title else TitleHolder.CUSTOMER,
        registration_status=status,
        registered_on=on if done else None,
        status_date=on,
    )
    if deadline:
        LoanTask.objects.get_or_create(
            loan=loan, kind=TaskKind.LEASE_REGISTRATION, ref_date=_date(deadline),
            defaults={"business_date": on, "detail": {"title_holder": asset.title_holder}},
        )  # fmt: skip
    _policy_open(loan, facts, asset=asset, on=on)
    audit_record(
        actor=actor, obj=asset, action="lease_asset_open", to_state=asset.registration_status,
        data={"purchase_price": str(price), "purchase_vat": str(purchase_vat),
              "title_holder": asset.title_holder},
    )  # fmt: skip
    return asset


def _date(value: Any) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value)[:10])


def _policy_open(loan: Loan, facts: dict, *, asset: LeaseAsset, on: dt.date) -> None:
    insurance_policy_open(loan=loan, facts=facts, vin=asset.vin, on=on)


def lease_asset_registered(
    *, loan: Loan, on: dt.date, actor: Any, plate: str = "", evidence: str = ""
) -> LeaseAsset:
    """Operations record the registration: the car now in the lessor's name, or the mortgage
    registered to it (then the loan's mortgage is done too). The registration task closes."""
    if not user_has_role(actor, *ASSET_ROLES):
        raise LoanError(_("只有运营人员可以登记租赁车辆。"), code="forbidden")
    evidence = (evidence or "").strip()
    if not evidence:
        raise LoanError(_("请填写登记依据（如登记证书编号）。"), field="evidence")
    with transaction.atomic():
        asset = LeaseAsset.objects.select_for_update().select_related("loan").get(loan=loan)
        if asset.registration_status != RegistrationStatus.PENDING:
            raise LoanError(_("该车辆已登记，无需重复登记。"), code="already_registered")
        mortgage = asset.title_holder == TitleHolder.CUSTOMER
        asset.registration_status = (
            RegistrationStatus.MORTGAGED if mortgage else RegistrationStatus.REGISTERED_TO_LESSOR
        )
        asset.registered_on = on
        asset.plate = (plate or asset.plate).strip()[:20]
        asset.save(update_fields=["registration_status", "registered_on", "plate", "updated_at"])
        lo = asset.loan
        fields = ["plate"]
        lo.plate = asset.plate or lo.plate
        if mortgage:
            lo.mortgage_status = CollateralStatus.DONE
            fields.append("mortgage_status")
        lo.save(update_fields=[*fields, "updated_at"])
        LoanTask.objects.filter(
            loan=lo, kind=TaskKind.LEASE_REGISTRATION, status=LoanTask.Status.OPEN
        ).update(status=LoanTask.Status.DONE)
        audit_record(
            actor=actor, obj=asset, action="lease_asset_registered",
            from_state=RegistrationStatus.PENDING, to_state=asset.registration_status,
            data={"evidence": evidence[:200], "on": on.isoformat()},
        )  # fmt: skip
    return asset


def insurance_policy_number_record(*, policy_id: int, policy_number: str, actor: Any):
    """Operations enter the policy number of a lease's insurance (opened at funding)."""
    if not user_has_role(actor, *ASSET_ROLES):
        raise LoanError(_("只有运营人员可以录入保单号。"), code="forbidden")
    number = (policy_number or "").strip()
    if not number or len(number) > 40:
        raise LoanError(_("请填写保单号（不超过 40 位）。"), field="policy_number")
    try:
        with transaction.atomic():
            policy = InsurancePolicy.objects.select_for_update().get(pk=policy_id)
            old = policy.policy_number
            policy.policy_number = number
            policy.save(update_fields=["policy_number"])
            audit_record(
                actor=actor, obj=policy, action="insurance_policy_number",
                data={"from": old, "to": number},
            )  # fmt: skip
    except IntegrityError as exc:
        raise LoanError(
            _("该保险公司已有相同保单号的保单。"), field="policy_number", code="duplicate"
        ) from exc
    return policy
