from __future__ import annotations

import io

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def _clean_cache(request):
    # The anonymous-quote throttle counts in the cache (this suite's own Redis db).
    if "django_db_setup" in request.fixturenames or "db" in request.fixturenames:
        # Only the throttle's counters: FLUSHDB would also empty a test worker's Celery queue.
        client = cache._cache.get_client(write=True)
        keys = list(client.scan_iter(match="*throttle*"))
        if keys:
            client.delete(*keys)
    yield


@pytest.fixture
def seeded(db):
    """The demo products (published, v2 for new-std), the LPR and a few quotes."""
    from origination.seed.products import seed_products

    context: dict = {}
    seed_products(stdout=io.StringIO(), context=context)
    return context
