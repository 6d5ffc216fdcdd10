"""Waiting for and signalling server processes (daemons, so never our children), and a free
port for one.

psutil is imported where it is used: it comes with the [embedded] extra (pgserver needs it), and
`make test` against servers of one's own imports this package without that extra.
"""

from __future__ import annotations

import contextlib
import os
import socket
import time
from typing import Any


def process_tree(pid: int) -> list[Any]:
    import psutil

    try:
        proc = psutil.Process(pid)
        return [proc, *proc.children(recursive=True)]
    except psutil.NoSuchProcess:
        return []


def wait_gone(procs: list[Any], timeout: float) -> list[Any]:
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


def signal_quietly(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.kill(pid, sig)


def free_tcp_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])
