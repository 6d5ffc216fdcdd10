"""What the issue-21 browser walk found: the segment builder shouted 请填写条件的值 at a row the
marketer had not typed in yet (the new-segment page opened with an error; 添加条件 added a row
with one); the customer's 我的专属额度 page was missing from the portal menu; the complaint queue
linked 投诉月报 for agents, who get 403 there."""

from __future__ import annotations

import pytest

from autofin.navigation import nav_for
from autofin.roles import Role
from servicing.models.marketing import Segment
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db(transaction=False)

MISSING = "请填写条件的值"


def _marketer(client):
    user = UserFactory(roles=[Role.MARKETING])
    client.login(username=user.username, password=PASSWORD)
    return user


def test_a_new_segment_opens_without_an_error(client):
    _marketer(client)
    page = client.get("/marketing/segments/new/").content.decode()
    assert 'data-testid="rule-row"' in page and MISSING not in page


def test_an_added_row_waits_for_its_value_but_an_earlier_empty_one_is_named(client):
    _marketer(client)
    base = {"row": ["0"], "fact_0": "instalments_paid", "op_0": "gte", "action": "add"}
    filled = client.post("/marketing/segments/preview/", {**base, "value_0": "24"})
    assert filled.content.decode().count('data-testid="rule-row"') == 2
    assert MISSING not in filled.content.decode()
    # the first row left empty is still an error once another is added
    empty = client.post("/marketing/segments/preview/", base).content.decode()
    assert MISSING in empty


def test_saving_with_an_empty_value_still_refuses(client):
    _marketer(client)
    response = client.post(
        "/marketing/segments/new/",
        {"name": "空条件", "row": ["0"], "fact_0": "instalments_paid", "op_0": "gte",
         "action": "save"},
    )  # fmt: skip
    assert response.status_code == 200 and MISSING in response.content.decode()
    assert not Segment.objects.filter(name="空条件").exists()


def test_the_customer_menu_names_the_offers_page():
    customer = UserFactory(roles=[Role.CUSTOMER])
    assert "/my/offers/" in [item["url"] for item in nav_for(customer)]
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    assert "/my/offers/" not in [item["url"] for item in nav_for(agent)]


@pytest.mark.parametrize(
    ("role", "shown"), [(Role.SERVICING_AGENT, False), (Role.CARE_SUPERVISOR, True)]
)
def test_the_queue_links_the_report_only_for_who_may_open_it(client, role, shown):
    user = UserFactory(roles=[role])
    client.login(username=user.username, password=PASSWORD)
    assert (
        "/servicing/complaints/report/" in client.get("/servicing/complaints/").content.decode()
    ) is shown
    assert (client.get("/servicing/complaints/report/").status_code == 200) is shown
