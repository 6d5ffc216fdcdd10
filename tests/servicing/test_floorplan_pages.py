"""The auditor's pages (phone-first): the audit list and its scheduling form, an audit's
checklist with a photo taken per car, completion; the line statement as CSV for finance."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from autofin.business_date import business_date_set
from autofin.roles import Role
from origination.seed.applications import vin_make
from servicing.models.stock_audits import StockAudit
from tests.factories import UserFactory
from tests.origination.intake_support import PNG
from tests.servicing.floorplan_support import advance_funded_row, dealer_make, line_make, night

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("disbursement_settings")]

D = Decimal
JAN15 = dt.date(2026, 1, 15)
VIN = vin_make("LSVAU218", "N2", "990301")


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    # the audit pages upload photos: each test keeps its own in its own folder
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"


def test_an_auditor_schedules_records_with_a_photo_and_completes(client):
    line = line_make(dealer_make())
    advance_funded_row(line, vin=VIN, amount="100000.00", funded_on=JAN15)
    business_date_set(actor="test", date=JAN15, reason="test")
    client.force_login(UserFactory(roles=[Role.COLLECTOR]))
    assert client.get(reverse("servicing:floorplan_audits")).status_code == 403
    client.force_login(UserFactory(roles=[Role.ACCOUNT_MANAGER]))
    page = client.get(reverse("servicing:floorplan_audits"))
    assert page.status_code == 200 and "安排盘库" in page.content.decode()
    answer = client.post(
        reverse("servicing:floorplan_audits"),
        {"line": line.pk, "kind": "random", "scheduled_on": "2026-01-16"},
    )
    audit = StockAudit.objects.get()
    assert answer.url == reverse("servicing:floorplan_audit", args=[audit.pk])
    client.post(reverse("servicing:floorplan_audit_start", args=[audit.pk]))
    item = audit.items.get()
    detail = client.get(answer.url).content.decode()
    assert VIN in detail and 'capture="environment"' in detail
    # in stock without a photo: refused on the page, nothing recorded
    refused = client.post(
        reverse("servicing:floorplan_audit_item", args=[audit.pk, item.pk]), {"seen": "1"}
    )
    assert refused.status_code == 400 and "在库车辆须拍照留存。" in refused.content.decode()
    item.refresh_from_db()
    assert item.seen is None
    client.post(
        reverse("servicing:floorplan_audit_item", args=[audit.pk, item.pk]),
        {"seen": "1", "photo": SimpleUploadedFile("car.png", PNG, content_type="image/png")},
    )
    item.refresh_from_db()
    assert item.seen is True and item.photo_sha256
    photo = client.get(reverse("servicing:floorplan_audit_photo", args=[audit.pk, item.pk]))
    assert b"".join(photo.streaming_content) == PNG
    client.post(reverse("servicing:floorplan_audit_complete", args=[audit.pk]))
    audit.refresh_from_db()
    assert (audit.status, audit.sold_out_of_trust_count) == ("completed", 0)


def test_the_line_statement_csv_lists_the_advance_and_its_interest(client):
    line = line_make(dealer_make())
    advance_funded_row(line, vin=VIN, amount="100000.00", funded_on=JAN15)
    night(JAN15)
    night(JAN15 + dt.timedelta(days=1))
    business_date_set(actor="test", date=JAN15 + dt.timedelta(days=2), reason="test")
    client.force_login(UserFactory(roles=[Role.FINANCE_OPERATOR]))
    body = client.get(reverse("servicing:floorplan_line_statement_csv", args=[line.pk]))
    text = body.content.decode("utf-8-sig")
    lines = text.splitlines()
    assert "可用额度,1900000.00" in lines  # 2,000,000 limit less 100,000 principal
    assert "应收未收利息,32.87" in lines  # 16.43 + 16.44
    assert f"2026-01-15,放款,{VIN},100000.00,100000.00,0.00" in lines
    assert "2026-01-16,利息计提 2026-01,,32.87,0.00,32.87" in lines
