"""`make test`: run pytest on the PostgreSQL and Redis this machine has, or on embedded ones.

For each of the two servers, in this order:

1. its URL is in the environment (`DATABASE_URL`, `REDIS_URL`): use it as given;
2. a server answers on its usual local port (127.0.0.1:5432, 127.0.0.1:6379): use that one
   (CI and developers who run their own servers keep testing on them);
3. otherwise start the embedded one (`autofin.dev.embedded`, as `make run` does) for this run only.

So the README's one command works on a fresh machine with nothing but Python, and nowhere does a
test get skipped for want of a database or a broker. The embedded servers keep their data under
`<data folder>/test` (`.data/test`, apart from the demo's), so a second run skips initdb; when
another `make test` owns that folder, this run uses a temporary one.

    python -m autofin.dev.testrun [pytest arguments...]

No Django import here: the URLs must be settled before Django reads its settings.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from autofin.dev.embedded.errors import EmbeddedServicesBusy
from autofin.dev.embedded.services import EmbeddedServices, default_data_dir

LOCAL_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/autofin"
# Database 1: test traffic stays off the demo's (database 0) on a shared local Redis.
LOCAL_REDIS_URL = "redis://127.0.0.1:6379/1"
LOCAL_POSTGRES = ("127.0.0.1", 5432)
LOCAL_REDIS = ("127.0.0.1", 6379)

EMBEDDED = "embedded"


@dataclass(frozen=True)
class Choice:
    """Where one server comes from: `url` is None when the embedded server must be started."""

    name: str  # DATABASE_URL / REDIS_URL
    url: str | None
    source: str  # "environment", "local server" or EMBEDDED

    @property
    def embedded(self) -> bool:
        return self.url is None


def listening(address: tuple[str, int], timeout: float = 0.5) -> bool:
    """True when something accepts a TCP connection at `address`."""
    try:
        with socket.create_connection(address, timeout=timeout):
            return True
    except OSError:
        return False


def choose(
    environ: Mapping[str, str],
    is_listening: Callable[[tuple[str, int]], bool] = listening,
) -> tuple[Choice, Choice]:
    """The start-or-use decision for PostgreSQL and Redis (see the module docstring)."""

    def one(name: str, address: tuple[str, int], local_url: str) -> Choice:
        if environ.get(name):
            return Choice(name, environ[name], "environment")
        if is_listening(address):
            return Choice(name, local_url, "local server")
        return Choice(name, None, EMBEDDED)

    return (
        one("DATABASE_URL", LOCAL_POSTGRES, LOCAL_DATABASE_URL),
        one("REDIS_URL", LOCAL_REDIS, LOCAL_REDIS_URL),
    )


def say(message: str) -> None:
    print(f"[make test] {message}", file=sys.stderr, flush=True)


def _describe(choice: Choice, url: str) -> str:
    shown = url
    if "@" in url and choice.name == "REDIS_URL":
        shown = "redis://***@" + url.split("@", 1)[1]  # the embedded Redis URL holds a password
    return f"{choice.name} ({choice.source}): {shown}"


# --- two groups at once ---------------------------------------------------------------------
# One pytest process left a core idle (it waits on PostgreSQL, chromium or a child server in
# turn). A whole-suite run is two processes: the tests that drive a browser or a live server or
# are marked slow (they start servers), about half the time, and the rest, each with its own test
# database and Redis database (nothing else is shared: ports are chosen free, scratch folders are
# per process).
GROUP_ENV = "AUTOFIN_TEST_GROUP"
GROUPS = ("slow", "rest")


def split_wanted(pytest_args: Sequence[str], environ: Mapping[str, str]) -> bool:
    """Two groups for a whole-suite run; one process when the arguments name tests (a path) or
    `AUTOFIN_TEST_GROUPS=1` asks for it."""
    if environ.get("AUTOFIN_TEST_GROUPS", "2") == "1":
        return False
    return not any(Path(arg.split("::", 1)[0]).exists() for arg in pytest_args if arg[:1] != "-")


def redis_db_next(url: str) -> str:
    """The same Redis server, the next database number (the second group's)."""
    head, _, query = url.partition("?")
    scheme, _, rest = head.partition("://")
    host, slash, db = rest.partition("/")
    number = int(db) if slash and db.isdigit() else 0
    return f"{scheme}://{host}/{number + 1}" + (f"?{query}" if query else "")


def group_env(env: Mapping[str, str], group: str) -> dict[str, str]:
    """A group's environment: the slow group gets its own test and Redis databases."""
    out = {**env, GROUP_ENV: group}
    if group == "slow":
        out["TEST_DATABASE_NAME"] = f"{env.get('TEST_DATABASE_NAME') or 'test_autofin'}_slow"
        out["REDIS_URL"] = redis_db_next(env["REDIS_URL"])
    return out


def group_args(pytest_args: Sequence[str], group: str) -> list[str]:
    """The arguments for one group; a JUnit report path gets the group's name."""
    out = []
    for arg in pytest_args:
        if arg.startswith("--junitxml="):
            path = Path(arg.split("=", 1)[1])
            arg = f"--junitxml={path.with_name(f'{path.stem}.{group}{path.suffix}')}"
        out.append(arg)
    return out


def run_pytest(pytest_args: Sequence[str], env: dict[str, str]) -> int:
    """pytest on the whole suite as two groups at once, or once as asked."""
    command = [sys.executable, "-m", "pytest"]
    if not split_wanted(pytest_args, env):
        return subprocess.call([*command, *pytest_args], env=env)
    # The slow group writes to a file, shown after the other group's live output, so the log
    # reads as two whole runs; the exit code fails if either did.
    with tempfile.TemporaryFile("w+") as log:
        slow = subprocess.Popen(
            [*command, *group_args(pytest_args, "slow")],
            env=group_env(env, "slow"),
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            say(
                "two groups at once: browser, live-server and slow tests (shown last), the rest (now)"
            )
            rest = subprocess.call(
                [*command, *group_args(pytest_args, "rest")], env=group_env(env, "rest")
            )
            slowed = slow.wait()
        except KeyboardInterrupt:
            slow.terminate()
            slow.wait()
            raise
        log.seek(0)
        sys.stdout.write("\n[make test] the browser, live-server and slow group:\n")
        shutil.copyfileobj(log, sys.stdout)
        sys.stdout.flush()
    say(f"the rest: exit {rest}; the browser, live-server and slow group: exit {slowed}")
    return rest or slowed


def main(argv: Sequence[str] | None = None) -> int:
    pytest_args = list(sys.argv[1:] if argv is None else argv)
    database, redis = choose(os.environ)
    env = dict(os.environ)
    # A run started by a test of a group (test_testrun runs one) is a run of its own: the
    # group's filter would deselect the tests it names.
    env.pop(GROUP_ENV, None)
    for choice in (database, redis):
        if not choice.embedded:
            env[choice.name] = choice.url  # type: ignore[assignment]
    if not (database.embedded or redis.embedded):
        for choice in (database, redis):
            say(_describe(choice, env[choice.name]))
        return run_pytest(pytest_args, env)
    return _run_with_embedded(database, redis, env, pytest_args)


def _run_with_embedded(
    database: Choice, redis: Choice, env: dict[str, str], pytest_args: list[str]
) -> int:
    # SIGTERM ends us like Ctrl-C does, so the servers are stopped on the way out.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    want = {"postgres": database.embedded, "redis": redis.embedded}
    scratch: Path | None = None
    services = EmbeddedServices(default_data_dir() / "test", **want)
    began = time.perf_counter()
    try:
        try:
            services.start()
        except EmbeddedServicesBusy:
            scratch = Path(tempfile.mkdtemp(prefix="autofin-test-"))
            say(f"{services.data_dir} is in use by another run; using {scratch}")
            services = EmbeddedServices(scratch, **want)
            services.start()
        timings = ", ".join(f"{name} {secs:.1f}s" for name, secs in services.timings.items())
        say(f"embedded servers ready in {time.perf_counter() - began:.1f}s ({timings})")
        env.update(services.env())
        for choice in (database, redis):
            say(_describe(choice, env[choice.name]))
        return run_pytest(pytest_args, env)
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop()
        if scratch is not None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
