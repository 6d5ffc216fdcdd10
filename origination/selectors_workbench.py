"""Read queries of the underwriting workbench and of contracts, including the plain-value
selectors servicing calls before it disburses (``contract_for_funding``,
``contracts_ready_for_funding``)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.conf import settings
from django.db.models import Q, QuerySet
from django.utils import timezone

from origination.models import (
    Application,
    ApplicationStatus,
    Condition,
    Contract,
    ContractStatus,
    CounterOffer,
    CounterOfferStatus,
    UnderwritingCase,
)
from origination.selectors import lpr_rate_current
from origination.services.applications.decision import risk_decision_id
from risk import selectors as risk_selectors

S = ApplicationStatus


def sla_hours() -> int:
    """Hours a referred application may wait for a decision (kept simple: wall-clock hours)."""
    return settings.UNDERWRITING_SLA_HOURS


# --------------------------------------------------------------------------------------------
# The queue
# --------------------------------------------------------------------------------------------


@dataclass
class QueueFilters:
    product_line: str = ""
    dealer_id: int | None = None
    amount_min: Decimal | None = None
    amount_max: Decimal | None = None
    tier: str = ""
    mine: bool = False


@dataclass
class QueueRow:
    application: Application
    case: UnderwritingCase | None
    entered_at: dt.datetime
    due_at: dt.datetime
    waiting: dt.timedelta
    overdue: bool
    tier: str
    returned: bool  # back from a documents request

    @property
    def waiting_text(self) -> str:
        minutes = int(self.waiting.total_seconds() // 60)
        return f"{minutes // 60}h {minutes % 60:02d}m"


def _tiers_by_ref(refs: list[str]) -> dict[str, str]:
    """risk's tier per application reference (the latest decision's)."""
    return risk_selectors.decision_tiers(application_refs=refs)


def workbench_queue(
    *, user, filters: QueueFilters | None = None, now: dt.datetime | None = None
) -> list[QueueRow]:
    """Referred applications (including those back from a documents request), oldest first,
    with SLA timers: time in queue, due time (entered + SLA hours) and overdue."""
    f = filters or QueueFilters()
    now = now or timezone.now()
    qs = (
        Application.objects.filter(status=S.REFERRED)
        .select_related(
            "product_version__product", "dealer", "underwriting_case__assigned_to", "salesperson"
        )
        .order_by("status_changed_at", "id")
    )
    if f.product_line:
        qs = qs.filter(product_version__product__vehicle_kind=f.product_line)
    if f.dealer_id:
        qs = qs.filter(dealer_id=f.dealer_id)
    if f.amount_min is not None:
        qs = qs.filter(amount_financed__gte=f.amount_min)
    if f.amount_max is not None:
        qs = qs.filter(amount_financed__lte=f.amount_max)
    if f.mine:
        qs = qs.filter(underwriting_case__assigned_to=user)
    apps = list(qs[:500])
    tiers = _tiers_by_ref([a.reference for a in apps])
    hours = dt.timedelta(hours=sla_hours())
    rows = []
    for app in apps:
        tier = tiers.get(app.reference, "")
        if f.tier and tier != f.tier:
            continue
        case = getattr(app, "underwriting_case", None)
        entered = app.status_changed_at or app.submitted_at or app.created_at
        rows.append(
            QueueRow(
                application=app,
                case=case,
                entered_at=entered,
                due_at=entered + hours,
                waiting=now - entered,
                overdue=now > entered + hours,
                tier=tier,
                returned=bool(case and case.documents_received_at),
            )
        )
    return rows


def queue_dealers() -> list[tuple[int, str]]:
    return list(
        Application.objects.filter(status=S.REFERRED, dealer__isnull=False)
        .order_by("dealer__legal_name")
        .values_list("dealer_id", "dealer__legal_name")
        .distinct()
    )


# --------------------------------------------------------------------------------------------
# The case page
# --------------------------------------------------------------------------------------------


def decision_for_application(application: Application) -> dict | None:
    """What risk decided on this application, as plain values (risk's selector), or None."""
    return risk_selectors.decision_details(
        application_ref=application.reference,
        decision_id=risk_decision_id(application.decision_ref),
    )


def case_detail(application: Application) -> dict:
    """Everything the case page shows, as far as it exists (never made up)."""
    app = application
    dealer = None
    if app.dealer_id:
        from dealers.selectors import dealer_risk_facts, dealer_summary

        dealer = {
            **dealer_summary(dealer_id=app.dealer_id),
            **dealer_risk_facts(dealer_id=app.dealer_id),
        }
    case = UnderwritingCase.objects.select_related("assigned_to").filter(application=app).first()
    return {
        "app": app,
        "case": case,
        "applicants": list(app.applicants.all()),
        "items": list(app.items.order_by("id")),
        "documents": list(app.documents.order_by("doc_kind", "-uploaded_at")),
        "decision": decision_for_application(app),
        "dealer": dealer,
        "conditions": list(Condition.objects.filter(application=app).order_by("id")),
        "counter_offers": list(
            CounterOffer.objects.filter(application=app).select_related("quote").order_by("-id")
        ),
        "contracts": list(Contract.objects.filter(application=app).order_by("-version")),
        "events": list(app.events.order_by("created_at", "id")),
    }


def quote_schedule_for(application: Application) -> dict | None:
    """The application's current priced schedule (the contract pricing), or None if it does
    not price."""
    from origination.services.contracts.errors import ContractError
    from origination.services.contracts.pricing import contract_price

    try:
        priced = contract_price(application=application)
    except (ContractError, ValueError):
        return None
    ev = priced.evaluation
    return {
        "tier": priced.deal.tier,
        "amount_financed": ev.amount_financed,
        "customer_rate": ev.customer_rate,
        "apr": ev.apr,
        "monthly_payment": ev.monthly_payment,
        "fees": ev.fees,
        "rows": [r.as_dict() for r in ev.schedule.rows],
    }


def counter_offer_open(application: Application) -> CounterOffer | None:
    return (
        CounterOffer.objects.select_related("quote")
        .filter(application=application, status=CounterOfferStatus.OPEN)
        .first()
    )


# --------------------------------------------------------------------------------------------
# Contracts
# --------------------------------------------------------------------------------------------


def contract_live(application: Application) -> Contract | None:
    return (
        Contract.objects.filter(
            application=application,
            status__in=(ContractStatus.DRAFT, ContractStatus.ISSUED, ContractStatus.SIGNED),
        )
        .order_by("-version")
        .first()
    )


def contract_for_customer(user, contract_ref: str) -> Contract | None:
    """A contract only through an application the customer owns."""
    from origination.selectors_applications import applications_for_customer

    if not getattr(user, "is_authenticated", False):
        return None
    return (
        Contract.objects.select_related("application", "product_version__product")
        .filter(contract_ref=contract_ref, application__in=applications_for_customer(user))
        .first()
    )


def contracts_for_customer(user) -> QuerySet[Contract]:
    from origination.selectors_applications import applications_for_customer

    return Contract.objects.filter(
        application__in=applications_for_customer(user),
        status__in=(ContractStatus.ISSUED, ContractStatus.SIGNED),
    ).order_by("-created_at")


def _collateral_checks(contract: Contract) -> dict:
    """The checklist's mortgage-registration and GPS items as the loan's collateral status:
    done, pending with the deadline allowed after funding, or not required (no such item)."""
    items = {i.item_kind: i for i in contract.checklist.all()}
    result: dict = {}
    for field, kind in (("mortgage", "mortgage_registration"), ("gps", "gps_installed")):
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
    from origination.services.checklist import checklist_status

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
        "contract_type": c.contract_type,
        "product_rules": dict(c.product_version.rules or {}),
        "amount_financed": c.amount_financed,
        "vehicle_price": c.vehicle_price,
        "down_payment": c.down_payment,
        "customer_rate": c.customer_rate,
        "lender_rate": c.lender_rate,
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
    from origination.services.checklist import checklist_status

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


def checklist_overdue(*, as_of: dt.date) -> list[dict]:
    """Items allowed after funding whose deadline has passed (for the nightly batch)."""
    from origination.models import FundingChecklistItem

    return [
        {
            "item_id": i.pk,
            "contract_id": i.contract_id,
            "contract_ref": i.contract.contract_ref,
            "item_kind": i.item_kind,
            "deadline": i.deadline,
        }
        for i in FundingChecklistItem.objects.filter(
            status="after_funding", deadline__lt=as_of
        ).select_related("contract")
    ]
