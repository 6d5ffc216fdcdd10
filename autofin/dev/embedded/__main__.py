"""`python -m autofin.dev.embedded`: a small command line for a shell or a test run next to the
demo.

    python -m autofin.dev.embedded env             # `export ...` lines for the running owner's URLs
    python -m autofin.dev.embedded exec -- CMD...  # start what is missing, run CMD with the URLs, stop
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from autofin.dev.embedded.errors import EmbeddedServicesBusy
from autofin.dev.embedded.services import EmbeddedServices, default_data_dir, read_running_state


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autofin.dev.embedded", description=__doc__)
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
        return _print_env(data_dir)
    cmd = args.cmd[1:] if args.cmd[:1] == ["--"] else args.cmd
    if not cmd:
        parser.error("exec needs a command, e.g. exec -- pytest")
    return _exec_with_servers(data_dir, cmd)


def _print_env(data_dir: Path) -> int:
    state = read_running_state(data_dir)
    if not state:
        print(f"no embedded servers are running under {data_dir}", file=sys.stderr)
        return 1
    for key in ("DATABASE_URL", "REDIS_URL"):
        if state.get(key):
            print(f"export {key}='{state[key]}'")
    return 0


def _exec_with_servers(data_dir: Path, cmd: list[str]) -> int:
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
