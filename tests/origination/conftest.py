"""Fixtures for the origination tests: seeded demo products; for intake, the business date,
published intake products, customers, dealers and their salespeople, a draft; for the
workbench and contracts, underwriters and referred applications; and three autouse set-ups
(the quote throttle's counters cleared, private files in the test's own folder with a fast
password hasher, a stand-in for contract PDFs), each saying why it is autouse.

Plain helpers (cars, applicant data, filling a draft, reading an SMS code) are imported by name
from intake_support.py and workbench_support.py."""

from __future__ import annotations

import io
import itertools
from decimal import Decimal

import pytest
from django.core.cache import cache

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models.dealers import Dealer, DealerStatus
from dealers.seed import uscc_make
from dealers.services import staff_create
from origination.models import RegulatoryLimits
from origination.seed.applications import intake_products_ensure
from origination.services.applications.start import application_start
from origination.services.contracts import pdf
from tests.factories import UserFactory
from tests.origination.intake_support import TODAY, consent_texts_ensure, new_car, next_phone
from tests.origination.workbench_support import make_referred

_serial = itertools.count(1)


@pytest.fixture(autouse=True)
def _clean_cache(request):
    # Autouse: any database test may post an anonymous quote, and the quote throttle counts in
    # the cache (this suite's own Redis db), so a test must not inherit another's counters.
    if "django_db_setup" in request.fixturenames or "db" in request.fixturenames:
        # Only the throttle's counters: FLUSHDB would also empty a test worker's Celery queue.
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match="*throttle*"))
        if keys:
            client.delete(*keys)
    yield


@pytest.fixture
def seeded(db):
    """The demo products (published, v2 for new-std), the LPR and a few quotes."""
    from origination.seed.products import seed_products

    context: dict = {}
    seed_products(stdout=io.StringIO(), context=context)
    return context


# --- Autouse for the workbench and contract tests, harmless for the rest ------------------------


@pytest.fixture(autouse=True)
def private_media_tmp(settings, tmp_path):
    # Autouse: documents uploaded and contracts issued are private files; every test keeps
    # them in its own folder, never the checkout's .data/.
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    # users are made by the dozen here: a fast hasher (PBKDF2 costs ~0.5 s per user)
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def real_pdf():
    """Ask for this to render contract PDFs with WeasyPrint (~1-2 s each)."""
    return True


@pytest.fixture(autouse=True)
def fast_pdf_stub(request, monkeypatch):
    """Tests that do not look at the PDF get a tiny stand-in (the PDF tests ask for real_pdf).

    Autouse: issuing or signing a contract renders a PDF (1-2 s with WeasyPrint), and most
    workbench and contract tests issue one without reading it; the few that read the PDF
    opt out by asking for `real_pdf`."""
    if "real_pdf" in request.fixturenames:
        return
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


# --- Intake: products, customers, dealers, a draft --------------------------------------------


@pytest.fixture
def business_today(db):
    business_date_set(actor="test", date=TODAY, reason="tests")
    return TODAY


@pytest.fixture
def products(db, business_today):
    """{"new": version, "used": version} — published intake demo products."""
    # transactional tests flush the row the migration made; an unsaved default instance
    # carries string defaults that the regulatory checks cannot compare
    RegulatoryLimits.objects.get_or_create(pk=1)
    consent_texts_ensure()
    return intake_products_ensure(actor="test")


@pytest.fixture
def customer(db):
    return UserFactory(roles=[Role.CUSTOMER], phone=next_phone(), display_name="王小明")


@pytest.fixture
def other_customer(db):
    return UserFactory(roles=[Role.CUSTOMER], phone=next_phone(), display_name="李四")


@pytest.fixture
def make_dealer(db):
    def _make(*, status=DealerStatus.ACTIVE) -> Dealer:
        n = next(_serial)
        return Dealer.objects.create(
            legal_name=f"测试汽车销售服务有限公司{n:03d}",
            uscc=uscc_make("310115", 7000 + n),
            dealer_type="four_s",
            province="上海市",
            city="上海市",
            status=status,
        )

    return _make


@pytest.fixture
def dealer(make_dealer):
    return make_dealer()


@pytest.fixture
def salesperson(dealer):
    user = UserFactory(roles=[Role.DEALER_SALES], email="sales@example.com")
    staff_create(actor="seed", dealer=dealer, user=user, role="dealer_sales")
    return user


@pytest.fixture
def other_dealer_sales(make_dealer):
    other = make_dealer()
    user = UserFactory(roles=[Role.DEALER_SALES])
    staff_create(actor="seed", dealer=other, user=user, role="dealer_sales")
    return user


@pytest.fixture
def draft(products, customer):
    return application_start(
        actor=customer,
        channel="direct",
        product_version=products["new"],
        vehicle=new_car(),
        customer=customer,
    )


# --- Workbench and contracts: underwriters, referred applications ------------------------------


@pytest.fixture
def underwriter(db):
    return UserFactory(roles=[Role.UNDERWRITER], display_name="审批员甲")


@pytest.fixture
def underwriter2(db):
    return UserFactory(roles=[Role.UNDERWRITER], display_name="审批员乙")


@pytest.fixture
def senior(db):
    return UserFactory(roles=[Role.SENIOR_UNDERWRITER], display_name="高级审批员")


@pytest.fixture
def referred(products):
    return make_referred(products=products)


@pytest.fixture
def big_referred(products):
    """Amount financed above the underwriter's ¥200,000: 400,000 − 100,000 + 6,000."""
    return make_referred(
        products=products, vehicle_price=Decimal("400000.00"), down_payment=Decimal("100000.00")
    )
