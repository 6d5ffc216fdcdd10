"""The application timeline shows a batch of uploaded files as one line with its count (#16):
consecutive upload events fold into "上传资料（N 份）"; an upload after another step is a line
of its own."""

from __future__ import annotations

import pytest

from autofin.roles import Role
from origination.models.documents import ApplicationDocument
from origination.selectors.applications import application_timeline
from origination.services.applications.start import application_start
from origination.services.state import event_record
from tests.factories import UserFactory
from tests.origination.intake_support import complete_draft, new_car, next_phone

pytestmark = pytest.mark.django_db


def test_consecutive_uploads_are_one_line_with_their_count(products):
    customer = UserFactory(roles=[Role.CUSTOMER], phone=next_phone(), display_name="王小明")
    app = application_start(actor=customer, channel="direct", product_version=products["new"],
                            vehicle=new_car(), customer=customer)  # fmt: skip
    app = complete_draft(app, actor=customer, consents=False)
    files = ApplicationDocument.objects.filter(application=app).count()
    assert files >= 2
    event_record(application=app, kind="consent", actor=customer)
    event_record(application=app, kind="document", actor=customer, reason="other")

    rows = application_timeline(app)
    uploads = [r for r in rows if r["kind"] == "document"]
    assert [(r["title"], r["count"]) for r in uploads] == [
        (f"上传资料（{files} 份）", files),
        ("上传资料", 1),
    ]
    assert [r["kind"] for r in rows][-3:] == ["document", "consent", "document"]
    assert uploads[0]["by"] == str(customer)
