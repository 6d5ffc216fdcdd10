"""Shared test setup: real PostgreSQL and Redis, a hypothesis CI profile, a Playwright browser."""

from __future__ import annotations

import importlib
import os
import shutil
import tempfile

import pytest
from hypothesis import HealthCheck, settings

# Playwright's sync API runs an event loop in the test thread; Django's ORM refuses to run while
# one is active. The tests call the ORM between page steps, never from inside the loop.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

settings.register_profile(
    "ci", deadline=None, suppress_health_check=[HealthCheck.too_slow], print_blob=True
)
settings.register_profile("dev", deadline=None, max_examples=50)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))

# Strict skips: in CI (CI=true, or AUTOFIN_STRICT_SKIPS=1) a test that cannot run for want of a
# tool fails instead of skipping, so a green CI run means every test ran.
STRICT = os.environ.get("AUTOFIN_STRICT_SKIPS") == "1" or os.environ.get("CI") == "true"
CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")


# --- PostgreSQL and Redis: never optional -------------------------------------------------------
# `make test` (autofin/dev/testrun.py) gives every machine both, embedded when no server is running,
# so a test that finds either missing fails everywhere, in CI or not.


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    """A skip for want of PostgreSQL or Redis (from any fixture or module) is a failure."""
    outcome = yield
    report = outcome.get_result()
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = str(report.longrepr[-1]) if isinstance(report.longrepr, tuple) else ""
        if any(word in reason for word in ("PostgreSQL", "Redis")):
            report.outcome = "failed"
            report.longrepr = f"skipped for want of a required server (run `make test`): {reason}"


@pytest.fixture(autouse=True)
def _postgres_required(request):
    # Every test that touches the database must run on PostgreSQL, never silently on anything else.
    if "django_db_setup" in request.fixturenames:
        from django.db import connection

        if connection.vendor != "postgresql":
            pytest.fail(f"PostgreSQL required, got {connection.vendor}")


@pytest.fixture
def redis_client():
    """The Redis behind the cache and the broker; unreachable is a failure, never a skip."""
    from django.conf import settings
    from redis import Redis

    client = Redis.from_url(settings.REDIS_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except Exception as exc:  # noqa: BLE001
        pytest.fail(f"Redis not reachable at REDIS_URL (run `make test`): {exc}")
    return client


# The RabbitMQ the multi-broker tests use (CI and the dev machine run one on 5672).
AMQP_URL = os.environ.get("TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672//")


def _port_open(url: str) -> bool:
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    try:
        with socket.create_connection((parts.hostname, parts.port or 5672), timeout=1):
            return True
    except OSError:
        return False


# --- Tools a bare machine may lack: @pytest.mark.requires_service("chromium") -------------------
# The one marker for a test that needs a program outside Python (a browser, a broker, an OCR
# engine...). Without the tool the test is skipped and named in the summary ("skipped for want
# of: chromium (12 tests)"); in CI it fails. Add a probe here for each new name.
SERVICE_PROBES = {
    "chromium": lambda: bool(shutil.which(CHROMIUM) or os.path.exists(CHROMIUM)),
    "pdftotext": lambda: bool(shutil.which("pdftotext")),
    "rabbitmq": lambda: _port_open(AMQP_URL),
    "msgfmt": lambda: bool(shutil.which("msgfmt")),
}
_missing_services: dict[str, int] = {}


# Run by root, the embedded PostgreSQL (pgserver) runs as its own `pgserver` user, which must
# traverse tmp_path's parents: pgserver opens them up, but any other root pytest session starting
# on the machine resets /tmp/pytest-of-root to 0700, and an initdb under way fails with
# "Permission denied" (seen in a full run beside other sessions). So as root each session gets
# its own base folder directly under /tmp, which no other session touches.
_OWN_BASETEMP: list[str] = []


@pytest.hookimpl(tryfirst=True)  # before the tmp_path plugin reads the option
def pytest_configure(config):
    if os.geteuid() == 0 and not config.option.basetemp:
        _OWN_BASETEMP.append(tempfile.mkdtemp(prefix="autofin-pytest-"))
        config.option.basetemp = _OWN_BASETEMP[0]
    config.addinivalue_line(
        "markers",
        "requires_service(*names): needs programs a bare machine may lack (probes in "
        "tests/conftest.py SERVICE_PROBES); skipped and named without them, a failure in CI",
    )


def pytest_unconfigure(config):
    for folder in _OWN_BASETEMP:
        shutil.rmtree(folder, ignore_errors=True)


def _in_slow_group(item) -> bool:
    return (
        "browser" in item.fixturenames
        or "live_server" in item.fixturenames
        or item.get_closest_marker("slow") is not None
    )


def pytest_collection_modifyitems(config, items):
    # `make test` runs the suite as two groups at once (autofin/dev/testrun.py): keep this one's.
    group = os.environ.get("AUTOFIN_TEST_GROUP")
    if group in ("slow", "rest"):
        keep = [item for item in items if _in_slow_group(item) == (group == "slow")]
        kept = {id(item) for item in keep}
        config.hook.pytest_deselected(items=[item for item in items if id(item) not in kept])
        items[:] = keep
    # Every test that drives the browser needs chromium, whether or not its author said so.
    for item in items:
        if "browser" in item.fixturenames and not any(
            "chromium" in m.args for m in item.iter_markers("requires_service")
        ):
            item.add_marker(pytest.mark.requires_service("chromium"))


def pytest_runtest_setup(item):
    for marker in item.iter_markers("requires_service"):
        for name in marker.args:
            probe = SERVICE_PROBES.get(name)
            if probe is None:
                pytest.fail(f"requires_service({name!r}): no probe in SERVICE_PROBES")
            if probe():
                continue
            if STRICT:
                pytest.fail(f"requires {name}, which is not installed (strict skips in CI)")
            _missing_services[name] = _missing_services.get(name, 0) + 1
            pytest.skip(f"requires {name}, which is not installed")


def pytest_terminal_summary(terminalreporter):
    if _missing_services:
        counts = ", ".join(
            f"{name} ({n} test{'s' if n != 1 else ''})"
            for name, n in sorted(_missing_services.items())
        )
        terminalreporter.write_sep("=", f"skipped for want of: {counts}", yellow=True, bold=True)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by Playwright (never a downloaded browser). Tests using it
    carry requires_service("chromium") (added at collection), which handles its absence."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(
            executable_path=CHROMIUM,
            headless=True,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
            ],
        )
        yield b
        b.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="zh-CN", viewport={"width": 1280, "height": 900})
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


@pytest.fixture
def phone_page(browser):
    context = browser.new_context(
        locale="zh-CN",
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
    )
    p = context.new_page()
    p.set_default_timeout(15000)
    yield p
    context.close()


@pytest.fixture
def browser_login(live_server):
    """Log a page in through the real login form: browser_login(page, username, password)."""

    def _login(page, username: str, password: str):
        page.goto(f"{live_server.url}/accounts/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", password)
        page.click("form.form button[type=submit]")
        page.wait_for_load_state("networkidle")
        return page

    return _login


# --- The ledger under pytest-django -------------------------------------------------------
# * The chart of accounts comes from a data migration; a transactional test's teardown (flush)
#   empties it, so it is seeded again before each database test that finds it missing.
# * The ledger refuses TRUNCATE of tables holding rows (an append-only guard). A transactional
#   test's teardown flushes the database with TRUNCATE, so before that flush the session sets
#   the named switch `autofin.ledger_maintenance = on`. Every app's live-server and
#   transactional tests may post to the ledger (disbursement, repayments), hence here.

_chart = importlib.import_module("servicing.migrations.0002_ledger_chart_of_accounts")
# Accounts added to the chart by later migrations: (migration, its list of account rows, the
# function that seeds them). A migration adding accounts adds one line here.
_CHART_ADDITIONS = [
    ("0016_provisions", "ECL_ACCOUNTS", "ecl_accounts"),
    # OEM subsidy accounts and output VAT, with the dated VAT rate table (oem)
    ("0022_oem_subsidy", "OEM_ACCOUNTS", "oem_accounts"),
    # the dealer's recourse receivable (回购): one row
    ("0023_repurchases", "RECOURSE_ACCOUNT", "recourse_account"),
    ("0025_floorplan", "FLOORPLAN_ACCOUNTS", "floorplan_accounts"),
    # financing leases: unearned income pair, input and deferred output VAT, customer payable
    ("0028_leases_base", "LEASE_ACCOUNTS", "lease_accounts"),
    # repossession: recoverable costs, the vendors' payable (repo)
    ("0032_repossession", "REPOSSESSION_ACCOUNTS", "repossession_accounts"),
    # insurance agency commission: receivable and income, with the 6 % agency VAT rate (insurance)
    ("0038_insurance_renewals", "INSURANCE_ACCOUNTS", "insurance_accounts"),
    # maintenance credit: the partner service centres' payable (offers)
    ("0040_service_centre_payable", "SERVICE_CENTRE_ACCOUNTS", "service_centre_accounts"),
]
_chart_additions = [
    (importlib.import_module(f"servicing.migrations.{name}"), rows, seed)
    for name, rows, seed in _CHART_ADDITIONS
]


def _rows_count(rows) -> int:
    return 1 if isinstance(rows[0], str) else len(rows)


_consents = importlib.import_module("origination.migrations.0004_consent_texts_v1")
_income_consents = importlib.import_module("origination.migrations.0010_income_consents")
_location_consent = importlib.import_module("origination.migrations.0014_location_consent")


def _db_kind(request) -> str | None:
    names = request.fixturenames
    marker = request.node.get_closest_marker("django_db")
    if "transactional_db" in names or "live_server" in names:
        return "transactional"
    if marker is not None and (marker.kwargs.get("transaction") or (marker.args[:1] == (True,))):
        return "transactional"
    if "db" in names or "django_db_setup" in names or marker is not None:
        return "db"
    return None


def ledger_flush_allowed() -> None:
    """Let the teardown flush TRUNCATE the ledger (session setting on this connection)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SET autofin.ledger_maintenance = 'on'")


@pytest.fixture(autouse=True)
def _ledger_database(request):
    """Autouse: a database test in any app may post to the ledger. It needs the chart of
    accounts (and the consent texts) that a transactional test's flush removed, and that flush
    must get through the ledger's guard against TRUNCATE."""
    kind = _db_kind(request)
    if kind is None:
        yield
        return
    # Requesting it here sets it up before this fixture and tears it down after it.
    request.getfixturevalue("transactional_db" if kind == "transactional" else "db")
    from django.apps import apps
    from django.db import connection

    from servicing.models import LedgerAccount

    with connection.cursor() as cursor:
        cursor.execute("RESET autofin.ledger_maintenance")
    expected = len(_chart.CHART) + sum(
        _rows_count(getattr(module, rows)) for module, rows, _seed in _chart_additions
    )
    if LedgerAccount.objects.count() != expected:
        _chart.seed(apps, None)
        for module, _rows, seed in _chart_additions:
            getattr(module, seed)(apps, None)
    # Other reference rows from data migrations that a transactional test's flush removes.
    from origination.models.privacy import ConsentText

    if not ConsentText.objects.exists():
        _consents.forwards(apps, None)
        _income_consents.forwards(apps, None)
        _location_consent.forwards(apps, None)
    yield
    if kind == "transactional":
        ledger_flush_allowed()


# --- A real Celery worker for tests where the broker's behaviour matters ------------------------


def _celery_pools_reset(app) -> None:
    """Drop the connection and producer pools so the next send connects to the current broker.

    Celery's pools live in kombu's process-wide registry: closing one there leaves a producer
    pool bound to it ("Acquire on closed pool" in every later test), so the registry is reset
    whole and the app's references dropped."""
    from kombu import pools

    pools.reset()
    app._pool = None
    app.amqp._producer_pool = None


@pytest.fixture
def celery_workers(transactional_db, redis_client):
    """Start `celery worker` processes on this test database and a private queue.

    `start(count=1, broker=None)` launches `count` workers (each its own process and node name,
    as on separate hosts) on `broker` (the settings' broker when None) and returns the queue name;
    tasks sent from the test process go there, through the same broker, because the app's
    default queue and broker are switched for the duration of the test. Data the test wants the
    workers to see must be committed (hence transactional_db).
    """
    import subprocess
    import sys
    import time
    import uuid

    from django.conf import settings as dj
    from django.db import connection

    from autofin.celery import app

    procs: list[subprocess.Popen] = []
    saved = (app.conf.task_default_queue, app.conf.broker_url)

    def start(count: int = 1, broker: str | None = None) -> str:
        queue = f"test-{uuid.uuid4().hex[:8]}"
        db = connection.settings_dict
        host = db.get("HOST") or "127.0.0.1"
        user = db.get("USER") or "postgres"
        if host.startswith("/"):  # the embedded PostgreSQL of `make test`: a unix socket folder
            from pathlib import Path

            from autofin.dev.embedded.postgres_server import postgres_socket_url

            url = postgres_socket_url(Path(host), db["NAME"], user)
        else:
            url = f"postgres://{user}@{host}:{db.get('PORT') or 5432}/{db['NAME']}"
        broker = broker or dj.CELERY_BROKER_URL
        env = {
            **os.environ,
            "DATABASE_URL": url,
            "REDIS_URL": dj.REDIS_URL,
            "CELERY_BROKER_URL": broker,
            "CELERY_RESULT_BACKEND": dj.CELERY_RESULT_BACKEND,
            "TEST_DATABASE_NAME": db["NAME"],
            "TESTING": "1",
            "CONN_MAX_AGE": "0",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
        }
        nodes = [f"{queue}-{n}@%h" for n in range(count)]
        for node in nodes:
            cmd = [
                sys.executable, "-m", "celery", "-A", "autofin", "worker", "-P", "solo",
                "-Q", queue, "--without-gossip", "--without-mingle", "-n", node, "-l", "warning",
            ]  # fmt: skip
            procs.append(
                subprocess.Popen(cmd, env=env, cwd=os.path.dirname(os.path.dirname(__file__)))
            )
        # the app's producer pool is bound to the broker it first connected to: switch both
        app.conf.task_default_queue = queue
        if broker != app.conf.broker_url:
            app.conf.broker_url = broker
            _celery_pools_reset(app)
        names = [node.replace("%h", os.uname().nodename) for node in nodes]
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if any(proc.poll() is not None for proc in procs):
                pytest.fail("a celery worker exited at start")
            answered = app.control.ping(destination=names, timeout=0.5)
            if len(answered) == len(names):
                return queue
        pytest.fail(f"{count} celery worker(s) did not start within 60 s on {broker}")

    try:
        yield start
    finally:
        app.conf.task_default_queue, broker_url = saved[0], saved[1]
        if app.conf.broker_url != broker_url:
            app.conf.broker_url = broker_url
            _celery_pools_reset(app)
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


@pytest.fixture
def amqp_url() -> str:
    """The RabbitMQ the broker tests use (requires_service("rabbitmq") probes it)."""
    return AMQP_URL


@pytest.fixture
def celery_worker_process(celery_workers):
    """One real worker on the settings' broker; yields its queue name."""
    return celery_workers()


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the default language (zh-hans): a request in English activates
    English for the thread, and messages built after it would otherwise leak that language."""
    from django.utils import translation

    translation.activate("zh-hans")
    yield
    translation.activate("zh-hans")


@pytest.fixture
def policy(db):
    """Set a business-policy value for the test (a row in force from just after the initial one,
    so every business date sees it); rolled back with the test."""
    import datetime as dt

    from autofin.models import PolicyValue
    from autofin.policy import POLICIES, POLICY_EPOCH

    def _set(key: str, value: str) -> None:
        POLICIES[key].parse(value)
        PolicyValue.objects.update_or_create(
            key=key,
            effective_from=POLICY_EPOCH + dt.timedelta(days=1),
            defaults={"value": value, "reason": "test"},
        )

    return _set


@pytest.fixture(autouse=True)
def _eod_calendar_clock(monkeypatch):
    """The batch refuses a business date the real calendar has not finished
    (servicing.eod.runner.closable_until); tests close dates of their own making, so their wall
    clock is set far ahead. A test of the refusal sets it back with `eod_calendar_at`."""
    import datetime as dt

    from django.utils import timezone

    from servicing.eod import runner  # an app module: imported once Django is set up

    monkeypatch.setattr(
        runner, "calendar_now", lambda: timezone.make_aware(dt.datetime(2100, 1, 1, 12, 0))
    )
