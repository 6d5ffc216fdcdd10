"""The servers every test run has (local, given, or embedded by `make test`) answer."""

from __future__ import annotations

import pytest
from django.db import connection

pytestmark = pytest.mark.django_db


def test_postgresql_answers_with_the_extensions_the_schema_needs():
    with connection.cursor() as cursor:
        cursor.execute("SELECT extname FROM pg_extension WHERE extname = 'btree_gist'")
        assert cursor.fetchone() == ("btree_gist",)
    assert connection.vendor == "postgresql"


def test_redis_answers_for_the_cache(redis_client):
    from django.core.cache import cache

    cache.set("freshci:probe", "1234.56", 30)
    assert cache.get("freshci:probe") == "1234.56"
    assert redis_client.ping() is True
