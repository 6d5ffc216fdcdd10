"""Stock audits (盘库): the auditor records each financed car seen (with its photo) or not seen;
completing the audit finds the cars sold out of trust — not seen, or a retail loan funded for
the VIN while its advance is unpaid — freezes the line, alerts the account manager and grades
the dealer D. Refusals change nothing."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.business_date import business_date_set
from autofin.roles import Role
from dealers.models.grading import DealerAlert
from dealers.services.grading import grade_compute, grading_policy_active
from origination.models.floorplan import FloorplanLine
from origination.seed.applications import vin_make
from servicing.eod.steps.dealer_metrics import dealer_metrics_gather
from servicing.models.stock_audits import StockAudit, StockAuditItem
from servicing.services.floorplan.audits import (
    StockAuditError,
    audit_complete,
    audit_record_item,
    audit_schedule,
    audit_start,
)
from tests.factories import UserFactory
from tests.origination.intake_support import PNG
from tests.servicing import loan_factory
from tests.servicing.floorplan_support import advance_funded_row, dealer_make, line_make

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("disbursement_settings")]

D = Decimal
JAN15 = dt.date(2026, 1, 15)
AUDIT_DAY = dt.date(2026, 3, 2)
VINS = sorted(vin_make("LSVAU218", "N2", f"{n:06d}") for n in (990201, 990202, 990203))


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # every audit here stores photos: each test keeps its own in its own folder
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def photo(name: str = "car.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, PNG, content_type="image/png")


def test_an_audit_finds_cars_sold_out_of_trust_freezes_the_line_and_grades_the_dealer_d():
    dealer = dealer_make()
    line = line_make(dealer)
    seen, missing, sold = (
        advance_funded_row(line, vin=v, amount="150000.00", funded_on=JAN15) for v in VINS
    )
    # the third car is sold to a retail customer (through another seller: no payoff was made)
    with mock.patch.object(loan_factory, "vin_make", lambda *a: sold.vin):
        loan_factory.loan_through_funding(value_date=dt.date(2026, 2, 20))
    business_date_set(actor="test", date=AUDIT_DAY, reason="audit day")
    am = UserFactory(roles=[Role.ACCOUNT_MANAGER])
    audit = audit_schedule(line=line, kind="random", scheduled_on=AUDIT_DAY, by=am)
    assert sorted(audit.items.values_list("vin", flat=True)) == VINS
    audit_start(audit=audit, by=am)
    items = {i.vin: i for i in audit.items.all()}

    # refusals: a car in stock without its photo, a missing car without a word, an audit with a
    # car not yet recorded — nothing changes
    with pytest.raises(StockAuditError):
        audit_record_item(item=items[seen.vin], seen=True, by=am)
    with pytest.raises(StockAuditError):
        audit_record_item(item=items[missing.vin], seen=False, by=am)
    with pytest.raises(StockAuditError):
        audit_complete(audit=audit, by=am)
    assert not StockAuditItem.objects.filter(audit=audit, seen__isnull=False).exists()
    assert StockAudit.objects.get(pk=audit.pk).status == "in_progress"
    with pytest.raises(StockAuditError):  # not an auditor
        audit_record_item(
            item=items[seen.vin], seen=True, photo=photo(), by=UserFactory(roles=[Role.COLLECTOR])
        )

    audit_record_item(item=items[seen.vin], seen=True, photo=photo(), by=am)
    audit_record_item(item=items[missing.vin], seen=False, note="经销商称在外展示", by=am)
    audit_record_item(item=items[sold.vin], seen=True, photo=photo("sold.png"), by=am)
    audit = audit_complete(audit=audit, by=am)

    assert (audit.status, audit.performed_on, audit.sold_out_of_trust_count) == (
        "completed", AUDIT_DAY, 2,
    )  # fmt: skip
    flagged = dict(audit.items.values_list("vin", "sold_out_of_trust"))
    assert flagged == {seen.vin: False, missing.vin: True, sold.vin: True}
    line = FloorplanLine.objects.get(pk=line.pk)
    assert line.status == "frozen"
    assert missing.vin in line.frozen_reason and sold.vin in line.frozen_reason
    alert = DealerAlert.objects.get(dealer=dealer, metric="sold_out_of_trust")
    assert alert.as_of == AUDIT_DAY and alert.data["vins"] == sorted([missing.vin, sold.vin])
    # the nightly grading is handed the count, and grades the dealer D whatever its score
    metrics = dealer_metrics_gather(as_of=AUDIT_DAY)
    assert metrics[dealer.pk]["sold_out_of_trust"] == 2
    graded = grade_compute(policy=grading_policy_active(), raw=metrics[dealer.pk])
    assert graded["grade"] == "D"
    assert (
        grade_compute(policy=grading_policy_active(), raw={"approval_rate": "0.90"})["grade"] == "A"
    )
    # a completed audit is closed to changes
    with pytest.raises(StockAuditError):
        audit_record_item(item=items[missing.vin], seen=True, photo=photo(), by=am)
