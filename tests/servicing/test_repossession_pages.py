"""The repossession pages: who may see and act (the same money actions as the services), a
collector's request from the M4+ case page approved by another person through the page, and a
refused action writing nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from autofin.roles import Role
from servicing.models import JournalLine
from servicing.models.repossession import RepossessionCase
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan, set_day
from tests.servicing.test_repossession import OPEN_DAY, in_field_queue

pytestmark = pytest.mark.usefixtures("disbursement_settings")


def test_a_collector_asks_from_the_case_page_and_another_person_approves(client, today):
    loan = make_loan()
    set_day(OPEN_DAY)
    collection = in_field_queue(loan)
    collector = UserFactory(roles=[Role.COLLECTOR])
    client.force_login(collector)
    case_page = client.get(reverse("servicing:collections_case", args=[collection.pk]))
    assert "申请收车" in case_page.content.decode()
    new = reverse("servicing:repossession_new", args=[collection.pk])
    for _ in range(2):  # a double submit asks once
        client.post(new, {"token": "n1", "route": "voluntary", "reason": "客户同意交车"})
    case = RepossessionCase.objects.get()
    assert (case.status, case.requested_by_id) == ("requested", collector.pk)
    detail = reverse("servicing:repossession_detail", args=[case.pk])
    act = reverse("servicing:repossession_act", args=[case.pk])
    page = client.get(detail).content.decode()
    assert "待审批" in page and 'id="approve"' not in page
    # the collector cannot approve, even by posting
    assert client.post(act, {"token": "a0", "action": "approve"}).status_code == 403

    ops = UserFactory(roles=[Role.OPERATIONS])
    client.force_login(ops)
    assert 'id="approve"' in client.get(detail).content.decode()
    client.post(act, {"token": "a1", "action": "approve"})
    case.refresh_from_db()
    assert (case.status, case.approved_by_id) == ("approved", ops.pk)


def test_pages_refuse_other_roles_and_a_sale_before_intake_changes_nothing(client, today, maker):
    loan = make_loan()
    set_day(OPEN_DAY)
    in_field_queue(loan)
    collector = UserFactory(roles=[Role.COLLECTOR])
    client.force_login(collector)
    client.post(
        reverse("servicing:repossession_new", args=[loan.collection_cases.get().pk]),
        {"token": "n1", "route": "voluntary", "reason": "交车"},
    )
    case = RepossessionCase.objects.get()
    for role in (Role.CUSTOMER, Role.SERVICING_AGENT, Role.DEALER_ADMIN):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:repossession_list")).status_code == 403
        assert (
            client.get(reverse("servicing:repossession_detail", args=[case.pk])).status_code == 403
        )
    # another collector does not see this case
    client.force_login(UserFactory(roles=[Role.COLLECTOR]))
    assert client.get(reverse("servicing:repossession_detail", args=[case.pk])).status_code == 404
    lines = JournalLine.objects.count()
    client.force_login(maker)
    response = client.post(
        reverse("servicing:repossession_act", args=[case.pk]),
        {"token": "s1", "action": "sale", "method": "auction", "buyer_name": "x",
         "amount": "1000.00", "bank_ref": "b"},
    )  # fmt: skip
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == "requested" and JournalLine.objects.count() == lines
