"""servicing test setup: the ledger's chart and its append-only guards under pytest-django.

* The chart of accounts comes from a data migration; a transactional test's teardown (flush)
  empties it, so it is seeded again before each database test that finds it missing.
* The ledger refuses TRUNCATE of tables holding rows (an append-only guard). A transactional
  test's teardown flushes the database with TRUNCATE, so before that flush the session sets the
  named switch `autofin.ledger_maintenance = on`. Another app whose transactional or live-server
  tests post to the ledger needs the same (`ledger_flush_allowed` below; it could move to the
  root conftest).
"""

from __future__ import annotations

import importlib

import pytest

_chart = importlib.import_module("servicing.migrations.0002_ledger_chart_of_accounts")


def _db_kind(request) -> str | None:
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        return "transactional"
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,))):
        return "transactional"
    if "db" in names or "django_db_setup" in names or marker is not None:
        return "db"
    return None


def ledger_flush_allowed() -> None:
    """Let the teardown flush TRUNCATE the ledger (session setting on this connection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET autofin.ledger_maintenance = 'on'")


@pytest.fixture(autouse=True)
def _ledger_database(request):
    kind = _db_kind(request)
    if kind is None:
        yield
        return
    # Requesting it here sets it up before this fixture and tears it down after it.
    request.getfixturevalue("transactional_db" if kind == "transactional" else "db")
    from django.apps import apps
    from django.db import connection

    from servicing.models import LedgerAccount

    with connection.cursor() as cursor:
        cursor.execute("RESET autofin.ledger_maintenance")
    if LedgerAccount.objects.count() != len(_chart.CHART):
        _chart.seed(apps, None)
    yield
    if kind == "transactional":
        ledger_flush_allowed()
