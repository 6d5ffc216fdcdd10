"""Helpers for the workbench and contract tests: a referred application made through intake's
real services, and the SMS code last sent to a phone. Imported by name; the fixtures built on
them (underwriters, `referred`, the PDF stand-in) live in tests/origination/conftest.py."""

from __future__ import annotations

import itertools

from autofin.crypto import decrypt
from autofin.models import OutboundMessage
from autofin.roles import Role
from origination.services.applications.decision import application_decision_apply
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.signup import sms_code_in
from origination.services.state import application_transition
from tests.factories import UserFactory
from tests.origination.intake_support import SELLER, complete_draft, new_car, next_phone

_keys = itertools.count(1)


def make_referred(
    *, products, customer=None, dealer=None, salesperson=None, items=None, by_engine=False, **car
):
    """A referred application through intake's services: start, fill, submit, refer. ``items``
    (direct channel) replaces the default add-ons as step 3 would, before submission;
    ``by_engine`` refers it as the decision worker does (its messages sent)."""
    if customer is None:
        customer = UserFactory(roles=[Role.CUSTOMER], phone=next_phone(), display_name="王小明")
    if dealer is not None:
        app = application_start(
            actor=salesperson,
            channel="dealer",
            product_version=products["new"],
            vehicle=new_car(**car),
            customer_name="王小明",
            customer_mobile=customer.phone,
            dealer=dealer,
            salesperson=salesperson,
        )
        app = complete_draft(app, actor=salesperson, consents=False)
        from origination.services.applications.confirmation import (
            application_confirm_code_send,
            application_customer_confirm,
            confirmation_token,
        )

        token = confirmation_token(app)
        application_confirm_code_send(token=token)
        application_customer_confirm(
            token=token,
            kinds=["credit_bureau", "sensitive_info", "automated_decision"],
            code=last_sms_code(decrypt(app.customer_mobile_enc)),  # the applicant's mobile
        )
        app.refresh_from_db()
        actor = salesperson
    else:
        app = application_start(
            actor=customer,
            channel="direct",
            product_version=products["new"],
            vehicle=new_car(**car),
            customer=customer,
        )
        app = complete_draft(app, actor=customer)
        if items is not None:
            application_items_save(
                actor=customer, application=app, items=items, car_payee_name=SELLER
            )
            app.refresh_from_db()
        actor = customer
    application_submit(actor=actor, application=app, key=f"k{next(_keys)}", queue_decision=False)
    if by_engine:
        app = application_decision_apply(application_id=app.pk, outcome="refer", reasons=["x"])
    else:
        application_transition(application=app, to_status="under_review", actor="test")
        app = application_transition(application=app, to_status="referred", actor="test")
    app.customer_user = customer
    return app


def last_sms_code(phone: str) -> str:
    msg = OutboundMessage.objects.filter(to=phone, channel="sms").order_by("-id").first()
    return sms_code_in(msg.body)
