"""The demo's floor-plan: two active dealers get a line from the senior underwriter (at least
¥2,000,000, with a reason above a thin record's suggestion) and the first dealer's admin has
one car waiting for finance's approval, its amount taken from the line."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest

from dealers.services import staff_create
from origination.models.floorplan import FloorplanLine
from servicing.models.floorplan import FloorplanAdvance
from servicing.seed.floorplan import floorplan_seed
from tests.factories import UserFactory

pytestmark = pytest.mark.usefixtures("disbursement_settings")


def test_the_demo_opens_two_lines_and_requests_one_car(dealer, today):
    admin = UserFactory()
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")
    out = io.StringIO()
    floorplan_seed(stdout=out, context={"dealers": [dealer]})
    line = FloorplanLine.objects.get()
    assert (line.dealer, line.limit, line.status) == (dealer, Decimal("2000000.00"), "active")
    advance = FloorplanAdvance.objects.get()
    assert (advance.status, advance.amount, advance.requested_by) == (
        "requested",
        Decimal("194220.00"),
        admin,
    )
    line.refresh_from_db()
    assert line.used_amount == Decimal("194220.00")
    floorplan_seed(stdout=out, context={"dealers": [dealer]})  # a second run adds nothing
    assert (FloorplanLine.objects.count(), FloorplanAdvance.objects.count()) == (1, 1)
    assert "floor-plan lines: 1, advances requested: 1" in out.getvalue()
