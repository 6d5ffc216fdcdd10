"""The nightly batch yields the CPU to online traffic when they share a host.

Customers apply and pay while the batch runs (the system never sleeps), and the batch's work
is set-based SQL: the CPU it takes is the database backend's, not the Celery worker's. When the
database runs on the worker's host (the single-box `make run`, a small deployment), a chunk
lowers the scheduling priority of ITS backend process (nice `EOD_NICE`, default 10) for the
chunk's duration: an online request's backend then gets the CPU first, the batch takes what is
left, and nothing is slower when nothing else runs. Afterwards the backend's priority is put
back; if the OS refuses (raising priority needs privileges), the connection is closed instead
so the next task gets a fresh backend at normal priority.

With the database on another host this does nothing: there, give the batch its own database
resources (a separate instance or resource group) instead.
"""

from __future__ import annotations

import contextlib
import logging
import os
from collections.abc import Iterator

from django.conf import settings
from django.db import connection

log = logging.getLogger(__name__)
LOCAL_HOSTS = ("", "localhost", "127.0.0.1", "::1")


def local_backend_pid() -> int | None:
    """The pid of this connection's PostgreSQL backend if it is a process on this host."""
    host = str(connection.settings_dict.get("HOST") or "")
    if connection.vendor != "postgresql" or not (host in LOCAL_HOSTS or host.startswith("/")):
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:  # the same pid on this host must be that backend (a container may share the name)
        with open(f"/proc/{pid}/comm", encoding="ascii") as f:
            if "postgres" not in f.read():
                return None
    except OSError:
        return None
    return pid


@contextlib.contextmanager
def background_priority() -> Iterator[int | None]:
    """Run the block with this connection's database backend at background priority; yields
    the backend's pid, or None when it cannot be (remote database, EOD_NICE=0, no right)."""
    nice = settings.EOD_NICE
    pid = local_backend_pid() if nice > 0 else None
    before = None
    if pid is not None:
        try:
            before = os.getpriority(os.PRIO_PROCESS, pid)
            if before < nice:
                os.setpriority(os.PRIO_PROCESS, pid, nice)
            else:
                pid = None  # already at least as low: leave it
        except OSError:
            pid = None
    try:
        yield pid
    finally:
        if pid is not None:
            try:
                os.setpriority(os.PRIO_PROCESS, pid, before)
            except OSError:
                log.info("backend %s keeps background priority: closing the connection", pid)
                connection.close()
