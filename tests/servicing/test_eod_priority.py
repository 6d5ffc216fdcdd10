"""A chunk's database backend runs at background priority when the database is on this host,
and gets its priority back (or its connection closed) afterwards."""

from __future__ import annotations

import os

import pytest
from django.db import connection

from servicing.eod.priority import background_priority, local_backend_pid

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_backend_is_niced_for_the_block_and_restored(settings):
    settings.EOD_NICE = 10
    pid = local_backend_pid()
    assert pid is not None  # the tests' PostgreSQL is on 127.0.0.1
    before = os.getpriority(os.PRIO_PROCESS, pid)
    with background_priority() as niced:
        assert niced == pid
        assert os.getpriority(os.PRIO_PROCESS, pid) == 10
        with connection.cursor() as cursor:  # and the connection works as before
            cursor.execute("SELECT 1")
    if connection.connection is not None:
        assert os.getpriority(os.PRIO_PROCESS, pid) == before
    else:  # the OS refused to raise it back: the connection was closed instead
        assert local_backend_pid() != pid


def test_off_when_configured_off_or_the_database_is_elsewhere(settings):
    settings.EOD_NICE = 0
    with background_priority() as niced:
        assert niced is None
    settings.EOD_NICE = 10
    host = connection.settings_dict["HOST"]
    connection.settings_dict["HOST"] = "db.internal"
    try:
        assert local_backend_pid() is None
    finally:
        connection.settings_dict["HOST"] = host
