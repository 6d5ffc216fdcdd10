"""Counter-offers: changed terms (down payment, term) priced as a Quote, offered by an
underwriter or recorded from risk's automated decision; the customer accepts (approved, the
contract issued) or rejects (withdrawn)."""

from __future__ import annotations

import logging
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from origination.models.applications import Application, ApplicationStatus, FinancedItemKind
from origination.models.underwriting import CounterOffer, CounterOfferStatus
from origination.quoting.deal import AddOn, Deal
from origination.selectors.payees import application_payees_unregistered
from origination.services.contracts.issue import contract_issue
from origination.services.contracts.pricing import application_tier
from origination.services.contracts.signing import customer_owns_application
from origination.services.quotes import QuoteRejectedError, quote_create, violations_messages
from origination.services.state import application_transition
from origination.services.underwriting.authority import (
    UnderwritingError,
    check_amount,
    lock_for_decision,
)
from origination.services.underwriting.notices import underwriting_notify

S = ApplicationStatus
log = logging.getLogger(__name__)


def _offer_deal(
    app: Application, *, down_payment: Decimal, term_months: int, tier: str = ""
) -> Deal:
    """The application's deal on changed terms (down payment, term): the same car, add-ons
    and method, at `tier` (else the tier risk decided)."""
    return Deal(
        vehicle_kind=app.vehicle_kind,
        vehicle_use=app.vehicle_use,
        vehicle_price=app.vehicle_price,
        term_months=term_months,
        method=app.method,
        tier=tier if tier in ("A", "B", "C", "D") else application_tier(app),
        down_payment=down_payment,
        balloon_ratio=app.balloon_ratio if app.method == "balloon" else None,
        add_ons=tuple(
            AddOn(item_kind=i.item_kind, amount=i.amount)
            for i in app.items.exclude(item_kind=FinancedItemKind.CAR).order_by("id")
        ),
        first_registration_date=app.first_registration_date,
    )


def underwriting_counter_offer(
    *,
    application_id: int,
    actor: Any,
    down_payment: Decimal,
    term_months: int,
    note: str = "",
) -> CounterOffer:
    """Offer changed terms: priced and saved as a Quote on the application's product version
    at risk's tier; the application waits in counter_offered for the customer's answer."""
    with transaction.atomic():
        app, case = lock_for_decision(application_id, actor)
        unregistered = application_payees_unregistered(app)
        if unregistered:  # the customer's acceptance issues the contract: it must be issuable
            raise UnderwritingError(
                _("以下收款方尚未在收款方登记簿登记或核验：%(names)s。请先从登记簿选择收款方。")
                % {"names": "、".join(unregistered)}
            )
        deal = _offer_deal(app, down_payment=Decimal(down_payment), term_months=int(term_months))
        try:
            quote = quote_create(actor=actor, version=app.product_version, deal=deal)
        except QuoteRejectedError as exc:
            raise UnderwritingError(violations_messages(exc.violations)) from None
        check_amount(actor, quote.amount_financed)
        if quote.down_payment == app.down_payment and quote.term_months == app.term_months:
            raise UnderwritingError(_("调整方案与原申请相同，请直接批准。"))
        offer = CounterOffer.objects.create(
            application=app,
            quote=quote,
            down_payment=quote.down_payment,
            term_months=quote.term_months,
            amount_financed=quote.amount_financed,
            note=note[:300],
            created_by=actor,
        )
        app = application_transition(
            application=app,
            to_status=S.COUNTER_OFFERED,
            actor=actor,
            reason=note or "counter offer",
            data={
                "counter_offer": offer.pk,
                "down_payment": str(offer.down_payment),
                "term_months": offer.term_months,
                "amount_financed": str(offer.amount_financed),
                "monthly_payment": str(quote.monthly_payment),
                "apr": str(quote.apr),
            },
        )
        underwriting_notify(
            app,
            _(
                "【AutoFin】您的申请 %(ref)s 有调整后的方案：首付 ¥%(dp)s，期限 %(term)s 期，"
                "月供 ¥%(pay)s。请登录 AutoFin 确认是否接受。"
            )
            % {
                "ref": app.reference,
                "dp": f"{offer.down_payment:,.2f}",
                "term": offer.term_months,
                "pay": f"{quote.monthly_payment:,.2f}",
            },
            purpose="underwriting_counter_offer",
        )
        return offer


def automated_counter_offer_record(
    *, application_id: int, offer: dict, tier: str = "", note: str = ""
) -> CounterOffer | None:
    """The counter-offer of an automated decision (risk's offered down payment and term), priced
    as a Quote on the application's product version at risk's tier, so the customer answers it
    on the same page as an underwriter's. Idempotent: an open offer is returned as it is. None
    when the terms no longer price (the application stays counter_offered for a person)."""
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        existing = CounterOffer.objects.filter(
            application=app, status=CounterOfferStatus.OPEN
        ).first()
        if existing is not None or app.status != S.COUNTER_OFFERED:
            return existing
        deal = _offer_deal(
            app,
            down_payment=Decimal(str(offer["down_payment"])),
            term_months=int(offer["term_months"]),
            tier=tier,
        )
        try:
            quote = quote_create(actor=None, version=app.product_version, deal=deal)
        except QuoteRejectedError:
            log.warning("automated counter-offer for %s no longer prices", app.reference)
            return None
        return CounterOffer.objects.create(
            application=app,
            quote=quote,
            down_payment=quote.down_payment,
            term_months=quote.term_months,
            amount_financed=quote.amount_financed,
            note=note[:300],
            created_by=None,
        )


def counter_offer_respond(*, counter_offer_id: int, actor: Any, accept: bool) -> Application:
    """The customer accepts (the application takes the offered terms, is approved and the
    contract issued) or rejects (the application is withdrawn)."""
    with transaction.atomic():
        offer = CounterOffer.objects.select_related("quote").get(pk=counter_offer_id)
        app = Application.objects.select_for_update().get(pk=offer.application_id)
        offer = CounterOffer.objects.select_for_update().select_related("quote").get(pk=offer.pk)
        if not customer_owns_application(actor, app.pk):
            raise UnderwritingError(_("只有申请人本人可以答复调整方案。"))
        if offer.status != CounterOfferStatus.OPEN or app.status != S.COUNTER_OFFERED:
            raise UnderwritingError(_("该调整方案已答复或已失效。"))
        offer.status = CounterOfferStatus.ACCEPTED if accept else CounterOfferStatus.REJECTED
        offer.responded_at = timezone.now()
        offer.save(update_fields=["status", "responded_at"])
        if not accept:
            return application_transition(
                application=app,
                to_status=S.WITHDRAWN,
                actor=actor,
                reason="counter_offer_rejected",
                data={"counter_offer": offer.pk},
            )
        quote = offer.quote
        app.down_payment = offer.down_payment
        app.term_months = offer.term_months
        app.amount_financed = quote.amount_financed
        app.ltv = quote.ltv
        app.monthly_payment = quote.monthly_payment
        app.apr = quote.apr
        app.customer_rate = quote.customer_rate
        app.save(
            update_fields=[
                "down_payment",
                "term_months",
                "amount_financed",
                "ltv",
                "monthly_payment",
                "apr",
                "customer_rate",
                "updated_at",
            ]
        )
        _car_item_apply_terms(app)
        app = application_transition(
            application=app,
            to_status=S.APPROVED,
            actor=actor,
            reason="counter_offer_accepted",
            data={"counter_offer": offer.pk, "amount_financed": str(offer.amount_financed)},
        )
        contract_issue(application_id=app.pk, actor=actor)
    app.refresh_from_db()
    return app


def _car_item_apply_terms(app: Application) -> None:
    """Keep the car item (the dealer's part) equal to car price − down payment."""
    app.items.filter(item_kind=FinancedItemKind.CAR).update(
        amount=app.vehicle_price - app.down_payment
    )
