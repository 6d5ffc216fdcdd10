"""Run AutoFin with demo data: `python -m autofin.dev.run [--no-seed] [--port 8000] [--host 127.0.0.1]`.

What `make run` calls. In order:

1. PostgreSQL and Redis: the servers named by DATABASE_URL / REDIS_URL when set, else embedded
   ones (autofin.dev.embedded, data under $AUTOFIN_DATA_DIR or .data/), each decided on its own.
   Their URLs go into os.environ, which the children inherit.
2. `manage.py migrate`, then `seed_demo --if-empty` (unless --no-seed); `collectstatic` runs
   alongside them. A failing step stops everything (exit status 1).
3. Children: gunicorn (2 workers), a Celery worker, a Celery worker for documents (PDFs)
   and Celery beat, all from this interpreter.
4. Waits. Ctrl-C or SIGTERM stops the children, then the embedded servers. If a child dies on its
   own, everything stops and the exit status is 1.

Each child runs in its own process group so that Ctrl-C in the terminal reaches only this
launcher, which then stops the children itself (SIGTERM, a grace period, then SIGKILL to the whole
group) before it stops the servers they use; a second Ctrl-C skips the grace period. On Linux each
child also gets SIGTERM if the launcher itself is killed (PR_SET_PDEATHSIG).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType

from autofin.dev.embedded.errors import EmbeddedServicesBusy, EmbeddedServicesError
from autofin.dev.embedded.services import PROJECT_ROOT, EmbeddedServices, default_data_dir

MANAGE_PY = PROJECT_ROOT / "manage.py"
WEB_READY_TIMEOUT_SECONDS = 60
CHILD_STOP_TIMEOUT_SECONDS = 30
STEP_STOP_TIMEOUT_SECONDS = 15
# Where to connect (and what to show) when listening on every interface.
_WILDCARD_TO_LOOPBACK = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}  # noqa: S104


class Interrupted(BaseException):
    """Ctrl-C or SIGTERM: stop everything and exit 0. A BaseException like KeyboardInterrupt."""


class LaunchError(Exception):
    """A step or a child failed; the message says which and what to do."""


def say(message: str) -> None:
    print(f"[autofin.dev.run] {message}", file=sys.stderr, flush=True)


# -- signals ---------------------------------------------------------------------------------


class _Signals:
    """SIGINT/SIGTERM handling that depends on the phase.

    While the embedded servers start, a signal is only noted and acted on once `start()` has
    returned, so that nothing is left half-started; otherwise a first signal raises
    `Interrupted`, and a second one (during shutdown) makes the shutdown stop waiting for the
    children's graceful exit.
    """

    def __init__(self) -> None:
        self.deferring = False
        self.pending = False
        self.stopping = False
        self.hurry = False

    def install(self) -> None:
        signal.signal(signal.SIGINT, self._handle)
        signal.signal(signal.SIGTERM, self._handle)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.stopping:
            if not self.hurry:
                say("stopping without waiting any longer")
            self.hurry = True
        elif self.deferring:
            self.pending = True
        else:
            # From now on a signal only hurries the shutdown, even before main() gets to it.
            self.stopping = True
            raise Interrupted(signal.Signals(signum).name)

    @contextlib.contextmanager
    def deferred(self) -> Iterator[None]:
        self.deferring = True
        try:
            yield
        finally:
            self.deferring = False
        if self.pending:
            raise Interrupted("signal during startup")


# -- child processes -------------------------------------------------------------------------


def _die_with_parent() -> Callable[[], None] | None:
    """A preexec_fn that asks Linux to SIGTERM the child when the launcher dies (even SIGKILL)."""
    if not sys.platform.startswith("linux"):
        return None
    libc_name = ctypes.util.find_library("c")
    if not libc_name:
        return None
    libc = ctypes.CDLL(libc_name, use_errno=True)
    parent = os.getpid()
    pr_set_pdeathsig = 1

    def preexec() -> None:
        libc.prctl(pr_set_pdeathsig, signal.SIGTERM)
        if os.getppid() != parent:  # the launcher died before prctl took effect
            os._exit(1)

    return preexec


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]

    def alive(self) -> bool:
        return self.process.poll() is None

    def signal_group(self, sig: int) -> None:
        # The child leads its own group (process_group=0): this reaches gunicorn's workers and
        # Celery's pool processes too, even after their parent has gone.
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(self.process.pid, sig)


def _python(*args: str) -> list[str]:
    # `python -m celery` / `-m gunicorn`: the same interpreter and venv as this launcher, whether
    # or not the venv's bin/ is on PATH.
    return [sys.executable, *args]


def gunicorn_command(bind: str) -> list[str]:
    command = _python(
        "-m", "gunicorn", "autofin.wsgi:application",
        "--bind", bind, "--workers", "2", "--access-logfile", "-",
    )  # fmt: skip
    from gunicorn.config import KNOWN_SETTINGS

    if any(setting.name == "control_socket_disable" for setting in KNOWN_SETTINGS):
        # Recent gunicorn opens a control socket at ~/.gunicorn/gunicorn.ctl, one path per user:
        # a second AutoFin (another data folder, the smoke test) would fight over it, and the
        # launcher controls gunicorn with signals anyway.
        command.append("--no-control-socket")
    return command


def start_child(name: str, args: list[str]) -> Child:
    say(f"starting {name}: {' '.join(args[1:])}")
    process = subprocess.Popen(
        args,
        cwd=PROJECT_ROOT,
        process_group=0,
        # preexec_fn forces fork+exec, which is safe here: the launcher runs no threads.
        preexec_fn=_die_with_parent(),
    )
    return Child(name, process)


def stop_children(children: list[Child], signals: _Signals) -> None:
    """SIGTERM every child (graceful for gunicorn and Celery), wait, then SIGKILL the groups."""
    for child in children:
        if child.alive():
            with contextlib.suppress(ProcessLookupError):
                child.process.send_signal(signal.SIGTERM)
    deadline = time.monotonic() + CHILD_STOP_TIMEOUT_SECONDS
    while any(child.alive() for child in children):
        if signals.hurry or time.monotonic() > deadline:
            for child in children:
                if child.alive():
                    say(f"{child.name} did not stop in time; killing it")
                    child.signal_group(signal.SIGKILL)
            break
        time.sleep(0.1)
    for child in children:
        # Sweep the group: a worker that outlived its master would otherwise be orphaned.
        child.signal_group(signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            child.process.wait(5)


# -- steps -----------------------------------------------------------------------------------


@dataclass
class Step:
    """A manage.py command run before the children start."""

    args: tuple[str, ...]
    process: subprocess.Popen[str]
    began: float

    def abort(self) -> None:
        # Let the command end itself (a migration rolls back) before we go on.
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(STEP_STOP_TIMEOUT_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


def start_step(steps: list[Step], *args: str, capture: bool = False) -> Step:
    """Start `manage.py *args` in the foreground process group (Ctrl-C reaches it too).

    With `capture`, its stdout is piped for finish_step() to show and collect.
    """
    say(f"manage.py {' '.join(args)}")
    process = subprocess.Popen(
        _python(str(MANAGE_PY), *args),
        cwd=PROJECT_ROOT,
        stdout=subprocess.PIPE if capture else None,
        text=True,
    )
    step = Step(args, process, time.monotonic())
    steps.append(step)  # main() aborts it if we are interrupted meanwhile
    return step


def finish_step(step: Step, tee: list[str] | None = None) -> None:
    """Wait for `step`; with `tee`, echo its stdout as it comes and keep the lines."""
    if step.process.stdout is not None:
        for line in step.process.stdout:
            sys.stdout.write(line)
            sys.stdout.flush()
            if tee is not None:
                tee.append(line.rstrip("\n"))
    returncode = step.process.wait()
    if returncode != 0:
        command = " ".join(step.args)
        raise LaunchError(f"`manage.py {command}` failed with exit status {returncode}.")
    say(f"manage.py {step.args[0]} done in {time.monotonic() - step.began:.1f}s")


def check_port_free(host: str, port: int) -> None:
    """Fail before starting anything if gunicorn could not bind (it would retry for seconds)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as gunicorn does
        try:
            sock.bind((host, port))
        except OSError as exc:
            raise LaunchError(
                f"cannot listen on {host}:{port} ({exc.strerror}); choose another with --port."
            ) from None


def _niced() -> list[str]:
    """The prefix that starts a command at a lower CPU priority (nice 10), where ``nice`` exists."""
    nice = shutil.which("nice")
    return [nice, "-n", "10"] if nice else []


def start_children(host: str, port: int, data_dir: Path, children: list[Child]) -> None:
    """Append to `children` as each starts, so a failure midway still stops the earlier ones.

    The web server goes first: wait_for_web() treats children[0] as the web.
    """
    bind = f"[{host}]:{port}" if ":" in host else f"{host}:{port}"
    celery = _python("-m", "celery", "-A", "autofin")
    schedule = str(data_dir / "celerybeat-schedule")
    children.append(start_child("web (gunicorn)", gunicorn_command(bind)))

    def worker(queues: str, name: str, concurrency: int) -> list[str]:
        return [*celery, "worker", "-l", "info", "--concurrency", str(concurrency),
                "-Q", queues, "-n", f"{name}@%h"]  # fmt: skip

    # decisions wait on PostgreSQL half their time (docker-compose.yml says more); its queues in
    # the order it reads them (settings.CELERY_TASK_QUEUES)
    children.append(start_child("celery worker", worker("celery,notifications", "main", 4)))
    # Document OCR reads on their own worker (settings.CELERY_TASK_ROUTES).
    children.append(start_child("celery documents worker", worker("documents", "documents", 1)))
    # Contract PDFs on theirs, at a lower CPU priority (settings.CELERY_TASK_ROUTES says why).
    children.append(
        start_child("celery contracts worker", [*_niced(), *worker("contracts", "contracts", 1)])
    )
    children.append(
        start_child("celery beat", [*celery, "beat", "-l", "info", "--schedule", schedule])
    )


def wait_for_web(host: str, port: int, children: list[Child]) -> None:
    connect_host = _WILDCARD_TO_LOOPBACK.get(host, host)
    deadline = time.monotonic() + WEB_READY_TIMEOUT_SECONDS
    while time.monotonic() < deadline:
        check_children(children)
        try:
            with socket.create_connection((connect_host, port), timeout=1):
                return
        except OSError:
            time.sleep(0.2)
    raise LaunchError(
        f"{children[0].name} did not accept connections within {WEB_READY_TIMEOUT_SECONDS}s."
    )


def check_children(children: list[Child]) -> None:
    for child in children:
        code = child.process.poll()
        if code is not None:
            raise LaunchError(
                f"{child.name} exited unexpectedly with status {code}; see its log above."
            )


def public_url(host: str, port: int) -> str:
    shown = _WILDCARD_TO_LOOPBACK.get(host, host)
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}/"


def children_environ(host: str, port: int) -> None:
    """The settings the children read from the environment (autofin.settings), where the
    developer set none."""
    os.environ.setdefault("PYTHONUNBUFFERED", "1")  # logs show up as they happen
    # gunicorn here speaks plain HTTP; without this, settings' production default would
    # redirect to https:// and mark cookies Secure, and nobody could log in.
    os.environ.setdefault("HTTPS", "false")
    os.environ.setdefault("STATIC_COMPRESS", "false")
    # The demo pays, verifies and texts through the sandbox rails (and seeds demo users).
    os.environ.setdefault("AUTOFIN_SANDBOX", "1")
    # The links in the demo's texts and e-mails (a customer's confirmation, a contract to sign,
    # an invitation) lead to this server: settings' default names port 8000, whatever --port.
    os.environ.setdefault("SITE_URL", public_url(host, port).rstrip("/"))


def banner(url: str, services: EmbeddedServices | None, seed_output: list[str]) -> str:
    lines = ["", "=" * 72, f"AutoFin is running at {url}"]
    for key, label in (("DATABASE_URL", "database"), ("REDIS_URL", "broker/cache")):
        where = "embedded" if services and key in services.env() else "from the environment"
        lines.append(f"  {label:<13} {where}: {key}={os.environ[key]}")
    if services:
        lines.append(f"  data folder   {services.data_dir}")
    if seed_output:
        lines += ["", "Demo data (from seed_demo):", *(f"  {line}" for line in seed_output)]
    lines += ["", "Press Ctrl-C to stop.", "=" * 72, ""]
    return "\n".join(lines)


# -- main ------------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m autofin.dev.run",
        description="Run AutoFin (web, worker, beat) with demo data.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8000, help="port to listen on (8000)")
    parser.add_argument("--no-seed", action="store_true", help="do not load the demo data")
    return parser.parse_args(argv)


@dataclass
class Launch:
    """What has been started so far, for main() to stop whatever happens."""

    services: EmbeddedServices | None = None
    steps: list[Step] = field(default_factory=list)
    children: list[Child] = field(default_factory=list)


def serve(args: argparse.Namespace, data_dir: Path, signals: _Signals, launch: Launch) -> None:
    """Start everything and watch the children; returns only by raising."""
    check_port_free(args.host, args.port)
    data_dir.mkdir(parents=True, exist_ok=True)  # beat's schedule lives there too
    want_postgres = not os.environ.get("DATABASE_URL")
    want_redis = not os.environ.get("REDIS_URL")
    if want_postgres or want_redis:
        launch.services = EmbeddedServices(data_dir, postgres=want_postgres, redis=want_redis)
        say(f"starting embedded {' and '.join(_names(want_postgres, want_redis))} in {data_dir}")
        with signals.deferred():
            launch.services.start()
        timings = ", ".join(f"{name} {secs:.1f}s" for name, secs in launch.services.timings.items())
        say(f"embedded servers ready ({timings})")
        os.environ.update(launch.services.env())
    children_environ(args.host, args.port)

    # collectstatic needs no database and is the slowest step (whitenoise compresses every
    # file): run it alongside migrate and seed_demo.
    static = start_step(launch.steps, "collectstatic", "--noinput", "--verbosity", "0")
    finish_step(start_step(launch.steps, "migrate", "--noinput"))
    seed_output: list[str] = []
    if not args.no_seed:
        seed = start_step(launch.steps, "seed_demo", "--if-empty", capture=True)
        finish_step(seed, tee=seed_output)
    finish_step(static)

    start_children(args.host, args.port, data_dir, launch.children)
    wait_for_web(args.host, args.port, launch.children)
    print(banner(public_url(args.host, args.port), launch.services, seed_output), flush=True)
    while True:
        check_children(launch.children)
        time.sleep(0.5)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    signals = _Signals()
    signals.install()
    launch = Launch()
    return_code = 1  # anything unforeseen propagates, after the cleanup in `finally`
    try:
        serve(args, default_data_dir(), signals, launch)
    except Interrupted:
        say("stopping")
        return_code = 0
    except EmbeddedServicesBusy as exc:
        say(str(exc))
    except (LaunchError, EmbeddedServicesError) as exc:
        say(f"error: {exc}")
        say("stopping everything")
    finally:
        signals.stopping = True
        for step in launch.steps:
            step.abort()
        stop_children(launch.children, signals)
        if launch.services is not None and launch.services.started:
            try:
                launch.services.stop()
                say("embedded servers stopped")
            except EmbeddedServicesError as exc:
                say(f"error while stopping the embedded servers: {exc}")
                return_code = 1
    return return_code


def _names(postgres: bool, redis: bool) -> list[str]:
    return [name for name, wanted in (("PostgreSQL", postgres), ("Redis", redis)) if wanted]


if __name__ == "__main__":
    sys.exit(main())
