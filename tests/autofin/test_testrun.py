"""`make test` (autofin.dev.testrun) uses the servers it is given or finds, else starts embedded ones."""

from __future__ import annotations

import ast
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


# --- the whole suite as two groups at once ------------------------------------------------------


def test_a_whole_suite_run_splits_and_a_run_naming_tests_does_not(tmp_path):
    from autofin.dev.testrun import split_wanted

    assert split_wanted([], {})
    assert split_wanted(["-q", "-p", "no:cacheprovider", "--junitxml=/tmp/x.xml"], {})
    assert not split_wanted(["tests/autofin/test_testrun.py", "-x"], {})
    assert not split_wanted([f"{tmp_path}::test_x"], {})
    assert not split_wanted([], {"AUTOFIN_TEST_GROUPS": "1"})


def test_the_slow_group_gets_its_own_test_database_and_redis_database():
    from autofin.dev.testrun import group_args, group_env, redis_db_next

    env = {"REDIS_URL": "redis://127.0.0.1:6379/1", "TEST_DATABASE_NAME": "test_x", "A": "b"}
    slow, rest = group_env(env, "slow"), group_env(env, "rest")
    assert slow["TEST_DATABASE_NAME"] == "test_x_slow"
    assert slow["REDIS_URL"] == "redis://127.0.0.1:6379/2"
    assert rest == {**env, "AUTOFIN_TEST_GROUP": "rest"}
    assert group_env({"REDIS_URL": "redis://h:1"}, "slow")["TEST_DATABASE_NAME"] == (
        "test_autofin_slow"
    )
    # the embedded Redis's URL carries a password
    assert redis_db_next("redis://:pw@127.0.0.1:7001/0?x=1") == "redis://:pw@127.0.0.1:7001/1?x=1"
    assert redis_db_next("redis://127.0.0.1:6379") == "redis://127.0.0.1:6379/1"
    assert group_args(["-q", "--junitxml=out/j.xml"], "slow") == ["-q", "--junitxml=out/j.slow.xml"]


@pytest.mark.slow
def test_each_group_collects_its_own_tests_and_together_all_of_them():
    # tests/test_journey.py holds no browser or slow test; tests/servicing/test_eod_pages.py
    # browser tests and others; tests/servicing/test_eod_brokers.py is marked slow
    files = [
        "tests/test_journey.py",
        "tests/servicing/test_eod_pages.py",
        "tests/servicing/test_eod_brokers.py",
    ]

    def collected(group: str | None) -> set[str]:
        env = {k: v for k, v in os.environ.items() if k != "AUTOFIN_TEST_GROUP"}
        if group:
            env["AUTOFIN_TEST_GROUP"] = group
        run = subprocess.run(
            [
                sys.executable,
                "-m",
                "pytest",
                "--collect-only",
                "-q",
                "-p",
                "no:cacheprovider",
                *files,
            ],
            cwd=PROJECT_ROOT,
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )
        assert run.returncode == 0, run.stdout + run.stderr
        return {line for line in run.stdout.splitlines() if "::" in line}

    # everything the files define, read without collecting (parameters aside)
    everything = {
        f"{path}::{node.name}"
        for path in files
        for node in ast.parse((PROJECT_ROOT / path).read_text()).body
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test_")
    }
    slow, rest = collected("slow"), collected("rest")
    assert slow and rest
    assert not slow & rest
    assert {test.split("[")[0] for test in slow | rest} == everything
    assert {test.split("::")[0] for test in slow} == set(files[1:])
    assert not any("test_eod_brokers.py" in test for test in rest)
