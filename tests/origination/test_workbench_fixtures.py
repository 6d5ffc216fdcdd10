"""Fixtures for the workbench and contract tests (no tests here): referred applications made
through intake's real services, underwriters, and helpers to read the SMS code sent."""

from __future__ import annotations

import itertools
import re
from decimal import Decimal

import pytest

from autofin.models import OutboundMessage
from autofin.roles import Role
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.state import application_transition
from tests.factories import UserFactory
from tests.origination.intake_fixtures import *  # noqa: F403
from tests.origination.intake_fixtures import complete_draft, new_car, next_phone

_keys = itertools.count(1)


@pytest.fixture(autouse=True)
def private_media_tmp(settings, tmp_path):
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # users are made by the dozen here: a fast hasher (PBKDF2 costs ~0.5 s per user)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_pdf():
    """Ask for this to render contract PDFs with WeasyPrint (~1-2 s each)."""
    return True


@pytest.fixture(autouse=True)
def fast_pdf_stub(request, monkeypatch):
    """Tests that do not look at the PDF get a tiny stand-in (the PDF tests ask for real_pdf)."""
    if "real_pdf" in request.fixturenames:
        return
    from origination.services.contracts import pdf

    monkeypatch.setattr(
        pdf,
        "contract_pdf_render",
        lambda c: f"%PDF-1.4 stand-in {c.contract_ref} {c.amount_financed}".encode(),
    )
    monkeypatch.setattr(
        pdf,
        "contract_signed_pdf_render",
        lambda c, sig: f"%PDF-1.4 signed {c.contract_ref} {sig['document_sha256']}".encode(),
    )


@pytest.fixture
def underwriter(db):
    return UserFactory(roles=[Role.UNDERWRITER], display_name="审批员甲")


@pytest.fixture
def underwriter2(db):
    return UserFactory(roles=[Role.UNDERWRITER], display_name="审批员乙")


@pytest.fixture
def senior(db):
    return UserFactory(roles=[Role.SENIOR_UNDERWRITER], display_name="高级审批员")


def make_referred(*, products, customer=None, dealer=None, salesperson=None, **car):
    """A referred application through intake's services: start, fill, submit, refer."""
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
            application_customer_confirm,
            confirmation_token,
        )

        application_customer_confirm(
            token=confirmation_token(app),
            kinds=["credit_bureau", "sensitive_info", "automated_decision"],
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
        actor = customer
    application_submit(actor=actor, application=app, key=f"k{next(_keys)}", queue_decision=False)
    application_transition(application=app, to_status="under_review", actor="test")
    app = application_transition(application=app, to_status="referred", actor="test")
    app.customer_user = customer
    return app


@pytest.fixture
def referred(products):
    return make_referred(products=products)


@pytest.fixture
def big_referred(products):
    """Amount financed above the underwriter's ¥200,000: 400,000 − 100,000 + 6,000."""
    return make_referred(
        products=products, vehicle_price=Decimal("400000.00"), down_payment=Decimal("100000.00")
    )


def last_sms_code(phone: str) -> str:
    msg = OutboundMessage.objects.filter(to=phone, channel="sms").order_by("-id").first()
    match = re.search(r"(\d{6})", msg.body)
    return match.group(1)
