"""The demo seed fills the compliance queue: one screening hit waiting for review, a large-value
cash alert and a structuring alert; a second run adds nothing."""

from __future__ import annotations

import datetime as dt
import io

import pytest

from risk.models import ScreeningHit
from risk.services.watch_list import SANDBOX_FILE, SANDBOX_SOURCE, watch_list_load
from servicing.models.aml import AmlAlert
from servicing.seed.compliance import compliance_seed
from tests.factories import UserFactory
from tests.servicing.loan_helpers import D, make_loan, set_day

pytestmark = pytest.mark.django_db


def test_the_demo_compliance_queue_is_not_empty():
    watch_list_load(path=SANDBOX_FILE, source=SANDBOX_SOURCE, actor="seed")
    small = make_loan()
    big = make_loan(customer=UserFactory(phone="13700099003"), amount="180000.00")
    set_day(dt.date(2026, 3, 12))
    compliance_seed(stdout=io.StringIO(), context={})
    [hit] = ScreeningHit.objects.all()
    assert (hit.subject_name, hit.status, hit.entry.name) == ("欧阳子珊", "open", "OUYANG Zhishan")
    alerts = sorted(AmlAlert.objects.values_list("kind", "loan_id", "amount", "business_date"))
    assert alerts == [
        ("large_cash", big.pk, D("60000.00"), dt.date(2026, 3, 11)),
        ("structuring", small.pk, D("97500.00"), dt.date(2026, 3, 11)),
    ]
    compliance_seed(stdout=io.StringIO(), context={})
    assert (ScreeningHit.objects.count(), AmlAlert.objects.count()) == (1, 2)
