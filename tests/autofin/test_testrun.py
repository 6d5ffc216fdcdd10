"""`make test` (autofin.dev.testrun) uses the servers it is given or finds, else starts embedded ones."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys

import pytest

from autofin.dev.embedded.services import PROJECT_ROOT
from autofin.dev.testrun import (
    EMBEDDED,
    LOCAL_DATABASE_URL,
    LOCAL_POSTGRES,
    LOCAL_REDIS,
    LOCAL_REDIS_URL,
    Choice,
    choose,
    listening,
)


def listening_on(*addresses):
    return lambda address: address in addresses


def test_urls_in_the_environment_win_over_anything_listening():
    env = {"DATABASE_URL": "postgres://u@db.internal/x", "REDIS_URL": "redis://cache:6379/3"}

    database, redis = choose(env, listening_on(LOCAL_POSTGRES, LOCAL_REDIS))

    assert database == Choice("DATABASE_URL", "postgres://u@db.internal/x", "environment")
    assert redis == Choice("REDIS_URL", "redis://cache:6379/3", "environment")


def test_local_servers_are_used_when_they_answer():
    database, redis = choose({}, listening_on(LOCAL_POSTGRES, LOCAL_REDIS))

    assert database == Choice("DATABASE_URL", LOCAL_DATABASE_URL, "local server")
    assert redis == Choice("REDIS_URL", LOCAL_REDIS_URL, "local server")
    assert not database.embedded and not redis.embedded


def test_nothing_given_and_nothing_listening_means_both_embedded():
    database, redis = choose({"DATABASE_URL": ""}, listening_on())

    assert (database.url, database.source, database.embedded) == (None, EMBEDDED, True)
    assert (redis.url, redis.source, redis.embedded) == (None, EMBEDDED, True)


def test_each_server_is_decided_on_its_own():
    # PostgreSQL running, Redis not; and the reverse with a URL given for the database
    database, redis = choose({}, listening_on(LOCAL_POSTGRES))
    assert (database.source, redis.source) == ("local server", EMBEDDED)

    database, redis = choose({"DATABASE_URL": "postgres://x@h/d"}, listening_on(LOCAL_REDIS))
    assert (database.source, redis.source) == ("environment", "local server")


def test_listening_probes_a_real_port():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        address = server.getsockname()
        assert listening(address) is True
    assert listening(address) is False  # closed now


def _can_unshare() -> bool:
    if os.geteuid() != 0 or not (shutil.which("unshare") and shutil.which("ip")):
        return False
    return subprocess.run(["unshare", "-n", "true"], capture_output=True).returncode == 0


@pytest.mark.slow
@pytest.mark.timeout(240)
@pytest.mark.skipif(not _can_unshare(), reason="needs root and unshare (a network namespace)")
def test_with_no_server_listening_the_run_starts_embedded_servers_and_passes(tmp_path):
    # Given a network namespace where nothing listens and no URL in the environment
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL")}
    env |= {"AUTOFIN_DATA_DIR": str(tmp_path / "data"), "PYTHONPATH": str(PROJECT_ROOT)}
    probe = "tests/autofin/test_servers.py"
    script = (
        f"ip link set lo up && cd {PROJECT_ROOT} && "
        f"{sys.executable} -m autofin.dev.testrun -q -p no:cacheprovider --no-header {probe}"
    )

    # When the test command runs there
    done = subprocess.run(
        ["unshare", "-n", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=220
    )

    # Then it started both embedded servers, ran the tests on them, and stopped them
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "DATABASE_URL (embedded): postgres://postgres@/" in output
    assert "REDIS_URL (embedded): redis://***@127.0.0.1:" in output
    assert "2 passed" in output
    assert not (tmp_path / "data" / "test" / "pg" / "postmaster.pid").exists()
