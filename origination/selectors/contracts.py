"""Read queries of contracts: the customer's contract (through their own application), and the
plain-value reads servicing makes before it disburses (``contract_for_funding``,
``contracts_ready_for_funding``).

The funding reads include the pre-funding checklist's status, a read the checklist service
owns (``checklist_status``): this module imports that one service read, and nothing in services
imports this module back."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q

from origination.models.applications import ApplicationStatus
from origination.models.contracts import Contract, ContractStatus
from origination.selectors.applications import applications_for_customer
from origination.selectors.products import lpr_rate_current
from origination.services.checklist import checklist_status

S = ApplicationStatus


def contract_for_customer(user, contract_ref: str) -> Contract | None:
    """A contract only through an application the customer owns."""
    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Contract.objects.select_related("application", "product_version__product")
        .filter(contract_ref=contract_ref, application__in=applications_for_customer(user))
        .first()
    )


def _collateral_checks(contract: Contract) -> dict:
    """The checklist's mortgage-registration, GPS and (a lease's) registration-to-the-lessor
    items as the loan's collateral status:
    done, pending with the deadline allowed after funding, or not required (no such item)."""
    items = {i.item_kind: i for i in contract.checklist.all()}
    result: dict = {}
    pairs = (("mortgage", "mortgage_registration"), ("gps", "gps_installed"),
             ("title", "title_registration"))  # fmt: skip
    for field, kind in pairs:
        item = items.get(kind)
        if item is None:
            result[f"{field}_status"] = "not_required"
        elif item.status == "done":
            result[f"{field}_status"] = "done"
        else:
            result[f"{field}_status"] = "pending"
            result[f"{field}_deadline"] = item.deadline
    return result


def contract_for_funding(*, contract_id: int) -> dict:
    """A signed contract as plain values for servicing's disbursement: the terms, the product
    rules, the payees (their amounts sum exactly to the amount financed; the dealer's part is
    car price − down payment), the collateral and the pre-funding checklist's status."""
    c = Contract.objects.select_related("application", "product_version__product").get(
        pk=contract_id
    )
    app = c.application
    rows = c.schedule or []
    # A dealer-channel customer confirms by the SMS link without signing in, so the application
    # may have no customer user; the one who signed (signing checks they own it) is the customer.
    signature = getattr(c, "signature", None)
    payees = [
        {
            "payee_type": p["payee_type"],
            "party": p.get("party", p["payee_type"]),
            "item": p.get("item", ""),
            "name": p["name"],
            "amount": Decimal(p["amount"]),
        }
        for p in c.payees
    ]
    return {
        "contract_id": c.pk,
        "contract_ref": c.contract_ref,
        "contract_version": c.version,
        "status": c.status,
        "signed_at": c.signed_at,
        "application_id": app.pk,
        "application_ref": app.reference,
        "customer_user_id": app.customer_id or (signature.signer_id if signature else None),
        "customer_name": app.customer_name,
        "dealer_id": app.dealer_id,
        "product_version_id": c.product_version_id,
        "product_code": c.product_version.product.code,
        # the customer tier the rate table priced: servicing's expected credit loss segments by it
        "tier": c.tier,
        "contract_type": c.contract_type,
        "product_rules": dict(c.product_version.rules or {}),
        "amount_financed": c.amount_financed,
        "vehicle_price": c.vehicle_price,
        "down_payment": c.down_payment,
        "customer_rate": c.customer_rate,
        "lender_rate": c.lender_rate,
        # the OEM's subsidy the pricing engine priced (servicing defers it at funding)
        "subsidy_amount": c.subsidy_amount,
        "apr": c.apr,
        "penalty_rate": c.penalty_rate,
        "term_months": c.term_months,
        "method": c.method,
        "day_count": c.day_count,
        "balloon_amount": c.balloon_amount,
        "balloon_ratio": app.balloon_ratio,
        "monthly_payment": c.monthly_payment,
        "value_date_hint": c.value_date,
        "first_due_date_hint": (dt.date.fromisoformat(rows[0]["due_date"]) if rows else None),
        "schedule": rows,
        "fees": [
            {
                "fee_kind": f["fee_kind"],
                "amount": Decimal(f["amount"]),
                "financed": f["financed"],
                "per_instalment": bool(f.get("per_instalment")),
            }
            for f in c.fees
        ],
        # the fee column of every instalment (a per-instalment fee is in the schedule's rows)
        "fee_per_instalment": sum(
            (Decimal(f["amount"]) for f in c.fees if f.get("per_instalment")), Decimal("0.00")
        ),
        "payees": payees,
        "payees_total": sum((p["amount"] for p in payees), Decimal("0.00")),
        "collateral": {
            "vin": c.vin or app.vin,
            "plate": "",  # not captured at origination; servicing records it at registration
            "brand": app.vehicle_brand,
            "model": app.vehicle_model,
            **_collateral_checks(c),
        },
        "checklist": checklist_status(c),
        "rate_link": contract_rate_link(c),
    }


def contract_rate_link(c: Contract) -> dict | None:
    """For an LPR-priced contract, what servicing reprices the loan on: the LPR tenor and the
    spread in basis points (the rate table's cell for the contract's term and tier; else what the
    lender rate is above the LPR in force on the contract's value date)."""
    rules = c.product_version.rules or {}
    if rules.get("rate_basis") != "lpr" or not rules.get("lpr_tenor"):
        return None
    tenor = rules["lpr_tenor"]
    for entry in rules.get("rates") or []:
        if int(entry["term_months"]) == c.term_months and entry["tier"] == c.tier:
            return {"basis": "lpr", "tenor": tenor, "spread_bps": int(entry["spread_bps"])}
    lpr = lpr_rate_current(tenor=tenor, as_of=c.value_date)
    if lpr is None:
        return None
    spread = ((c.lender_rate - lpr.rate) * 10000).quantize(Decimal("1"), rounding=ROUND_HALF_UP)
    return {"basis": "lpr", "tenor": tenor, "spread_bps": int(spread)}


def contracts_ready_for_funding() -> list[dict]:
    """Signed contracts of contract_signed applications whose checklist has nothing pending
    and whose conditions are all satisfied or waived: [{contract_id, contract_ref,
    application_id, amount_financed, signed_at}], oldest signature first."""
    candidates = (
        Contract.objects.filter(status=ContractStatus.SIGNED, application__status=S.CONTRACT_SIGNED)
        .exclude(checklist__status="pending")
        .exclude(Q(application__approval_conditions__status="open"))
        .select_related("application")
        .distinct()
        .order_by("signed_at", "id")
    )
    result = []
    for c in candidates:
        if checklist_status(c)["ready"]:
            result.append(
                {
                    "contract_id": c.pk,
                    "contract_ref": c.contract_ref,
                    "application_id": c.application_id,
                    "amount_financed": c.amount_financed,
                    "signed_at": c.signed_at,
                }
            )
    return result


def contract_live(app) -> Contract | None:
    """The application's contract now: the issued one awaiting signature, or the signed one."""
    return (
        Contract.objects.filter(
            application=app, status__in=(ContractStatus.ISSUED, ContractStatus.SIGNED)
        )
        .order_by("-version")
        .first()
    )


def contract_key_facts(c: Contract) -> dict:
    """What the customer must see before agreeing, read from the contract's own snapshot: the
    APR (IRR), the total cost of credit (interest and every fee), the instalment, the balloon,
    the penalty rate and the prepayment terms (the product version's lock-in and fee)."""
    rules = c.product_version.rules or {}
    zero = Decimal("0.00")
    instalment_fees = sum((Decimal(r.get("fee") or "0") for r in c.schedule or []), zero)
    other_fees = sum(
        (Decimal(f["amount"]) for f in c.fees or [] if not f.get("per_instalment")), zero
    )
    upfront = sum(
        (
            Decimal(f["amount"])
            for f in c.fees or []
            if not f.get("financed") and not f.get("per_instalment")
        ),
        zero,
    )
    return {
        "apr": c.apr,
        "customer_rate": c.customer_rate,
        "amount_financed": c.amount_financed,
        "term_months": c.term_months,
        "monthly_payment": c.monthly_payment,
        "balloon_amount": c.balloon_amount or zero,
        "penalty_rate": c.penalty_rate,
        "total_interest": c.total_interest,
        "total_fees": instalment_fees + other_fees,
        "total_cost": c.total_interest + instalment_fees + other_fees,
        "total_payable": c.total_payable + upfront,
        "lock_in_months": int(rules.get("lock_in_months") or 0),
        "early_settlement_fee_rate": Decimal(str(rules.get("early_settlement_fee_rate") or "0")),
    }
