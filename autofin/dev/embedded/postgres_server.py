"""The embedded PostgreSQL (pgserver): start or adopt the server of a PGDATA, create the
database, stop it. See `autofin.dev.embedded.services` for the ownership rules.

psutil, psycopg2 and pgserver are imported where they are used: the first and last come with the
[embedded] extra, and the launchers import this module before they know whether it is needed.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import signal
import subprocess
import warnings
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import quote

from autofin.dev.embedded.errors import EmbeddedServicesError
from autofin.dev.embedded.processes import process_tree, signal_quietly, wait_gone

logger = logging.getLogger(__name__)

POSTGRES_USER = "postgres"  # pgserver's initdb superuser; trust auth, so no password
STOP_TIMEOUT_SECONDS = 30


def postgres_socket_url(socket_dir: Path, database: str, user: str = POSTGRES_USER) -> str:
    """A DATABASE_URL for a unix-socket PostgreSQL that django-environ 0.14 parses.

    django-environ treats a path starting with "/" as `<HOST>/<NAME>`, so the empty host plus an
    absolute path gives HOST=<socket dir>, which psycopg2 and `psql -h` both accept. Quote
    everything but "/" because django-environ unquotes the path (a "+" would become a space).
    """
    return f"postgres://{quote(user)}@/{quote(str(socket_dir), safe='/')}/{quote(database)}"


def start_postgres(pgdata: Path, database: str) -> tuple[Any, str]:
    """Start (or adopt) the server of `pgdata` with `database` in it: (pgserver handle, URL)."""
    pgdata.mkdir(exist_ok=True)
    _remove_stale_postmaster_files(pgdata)
    pgserver = _import_pgserver()
    if postmaster_pid(pgdata) is not None:
        logger.warning("adopting the PostgreSQL left running in %s", pgdata)
    # initdb takes its locale from LANG/LC_*; with a locale the OS lacks (LANG=zh_CN.UTF-8 in
    # a slim container) it refuses to run. C collation with UTF-8 encoding exists everywhere.
    with _environ(LC_ALL="C", LANG="C"):
        # cleanup_mode=None: we stop the server ourselves in stop(). pgserver's own mode
        # counts handle pids in PGDATA and skips the stop while a dead pid lingers there.
        # The constructor (not get_server) so a start after stop() in the same process does
        # not get a cached handle to the server that was stopped.
        pg_server = pgserver.PostgresServer(pgdata, cleanup_mode=None)
    info = pg_server.get_postmaster_info()
    if info.socket_dir is None:
        raise EmbeddedServicesError(f"PostgreSQL in {pgdata} has no unix socket")
    # pgserver puts the socket in PGDATA, or under its runtime dir when that path would be
    # longer than a unix socket path may be (~107 bytes); the pid file says which.
    _create_database(Path(info.socket_dir), int(info.port), database)
    database_url = postgres_socket_url(Path(info.socket_dir), database)
    logger.info("embedded PostgreSQL ready at %s", database_url)
    return pg_server, database_url


def _create_database(socket_dir: Path, port: int, database: str) -> None:
    import psycopg2
    from psycopg2 import sql

    conn = psycopg2.connect(host=str(socket_dir), port=port, user=POSTGRES_USER, dbname="postgres")
    try:
        conn.autocommit = True  # CREATE DATABASE cannot run inside a transaction
        with conn.cursor() as cur:
            cur.execute("SELECT 1 FROM pg_database WHERE datname = %s", [database])
            if cur.fetchone() is None:
                cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(database)))
    finally:
        conn.close()


def stop_postgres(pgdata: Path, pg_server: Any) -> None:
    """Stop the server of `pgdata` (fast shutdown, then signals, then kill) and forget
    `pg_server`, the handle start_postgres() returned (None for a server we did not start)."""
    import psutil

    pid = postmaster_pid(pgdata)
    if pid is not None:
        procs = process_tree(pid)
        system_user = "pgserver" if os.geteuid() == 0 else None
        if pg_server is not None:
            system_user = pg_server.system_user
        try:
            pgserver = _import_pgserver()
            # -m fast: roll back open transactions and disconnect clients, then exit.
            pgserver.pg_ctl(
                ["-w", "-m", "fast", "-t", str(STOP_TIMEOUT_SECONDS), "stop"],
                pgdata=pgdata,
                user=system_user,
                timeout=STOP_TIMEOUT_SECONDS + 5,
            )
        except (subprocess.SubprocessError, OSError):
            logger.warning("pg_ctl stop failed; signalling PostgreSQL %s directly", pid)
            signal_quietly(pid, signal.SIGINT)  # SIGINT = fast shutdown for postmaster
        for proc in wait_gone(procs, STOP_TIMEOUT_SECONDS):
            logger.warning("killing leftover PostgreSQL process %s", proc.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
    if pg_server is not None:
        _forget_server(pgdata, pg_server)


def _forget_server(pgdata: Path, pg_server: Any) -> None:
    socket_dir = pg_server.get_postmaster_info().socket_dir
    if socket_dir is not None and Path(socket_dir) != pgdata:
        # The short fallback folder pgserver made for a too-long path (0777 when root);
        # rmdir only succeeds once postgres has removed its socket and lock from it.
        with contextlib.suppress(OSError):
            Path(socket_dir).rmdir()
    # Only pgserver's bookkeeping (our pid out of .handle_pids.json): cleanup_mode=None.
    pg_server.cleanup()
    # ...and no second round at exit: its atexit hook would log into streams that may
    # be closed by then (pytest's capture), printing "--- Logging error ---" noise.
    atexit.unregister(pg_server._cleanup)


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


def postmaster_pid(pgdata: Path) -> int | None:
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
    if not pid_file.exists() or postmaster_pid(pgdata) is not None:
        return
    lines = pid_file.read_text().splitlines()
    logger.warning("removing stale %s", pid_file)
    if len(lines) >= 5 and lines[3].strip() and lines[4].strip():
        socket_dir, port = Path(lines[4].strip()), lines[3].strip()
        for name in (f".s.PGSQL.{port}.lock", f".s.PGSQL.{port}"):
            with contextlib.suppress(FileNotFoundError):
                (socket_dir / name).unlink()
    pid_file.unlink()
