"""Read-only lists and dashboards read the replica alias when one is configured; writes, the
period close and its trial balance stay on the primary. The replica here is a second alias to
the same test database (settings: a test mirror), switched on per test."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connections
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from autofin.roles import Role
from servicing.selectors.loans import loan_search
from servicing.selectors.periods import trial_balance_for
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan

pytestmark = pytest.mark.django_db(transaction=True, databases=["default", "replica"])


def _tables(ctx: CaptureQueriesContext) -> str:
    return " ".join(q["sql"] for q in ctx.captured_queries)


@pytest.fixture
def loan():
    return make_loan(customer=UserFactory(roles=[Role.CUSTOMER], phone="13900017001"))


def test_the_agents_loan_search_reads_the_replica_when_configured(client, loan):
    client.force_login(UserFactory(roles=[Role.SERVICING_AGENT]))
    url = reverse("servicing:loan_search") + f"?q={loan.contract_ref}"
    with (
        override_settings(READ_REPLICA_ALIAS="replica"),
        CaptureQueriesContext(connections["replica"]) as replica,
        CaptureQueriesContext(connections["default"]) as primary,
    ):
        response = client.get(url)
    assert response.status_code == 200
    assert loan.contract_ref in response.content.decode()
    assert '"servicing_loan"' in _tables(replica)
    assert '"servicing_loan"' not in _tables(primary)

    # without a replica configured the same page reads the primary only
    with CaptureQueriesContext(connections["replica"]) as replica:
        assert client.get(url).status_code == 200
    assert replica.captured_queries == []


def test_a_row_read_from_the_replica_is_saved_to_the_primary(loan):
    with override_settings(READ_REPLICA_ALIAS="replica"):
        found = loan_search(query=loan.contract_ref).get()
    assert found._state.db == "replica"
    customer = found.customer
    customer.display_name = "王小明"
    with CaptureQueriesContext(connections["replica"]) as replica:
        customer.save(update_fields=["display_name"])
    assert not any(q["sql"].startswith("UPDATE") for q in replica.captured_queries)
    assert type(customer).objects.using("default").get(pk=customer.pk).display_name == "王小明"


def test_portfolio_curves_read_the_replica(client):
    client.force_login(UserFactory(roles=[Role.OPERATIONS]))
    with (
        override_settings(READ_REPLICA_ALIAS="replica"),
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        assert client.get(reverse("servicing:eod_curves")).status_code == 200
    assert "servicing_loansnapshot" in _tables(replica)


def test_the_period_trial_balance_never_reads_the_replica(loan):
    month = dt.date(2026, 2, 1)
    with (
        override_settings(READ_REPLICA_ALIAS="replica"),
        CaptureQueriesContext(connections["replica"]) as replica,
    ):
        trial_balance_for(month)
    assert replica.captured_queries == []
