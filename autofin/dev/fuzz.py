"""`make fuzz`: a bounded schemathesis run over /api/schema/ for four roles; any 5xx fails it.

1. PostgreSQL and Redis are chosen as `make test` chooses them (autofin.dev.testrun.choose: the URLs
   given, else the local servers, else embedded ones started for the run).
2. A scratch database `autofin_fuzz` is created afresh on that server, migrated and filled with
   the demo data (`seed_demo`), so the fuzzer meets real products, applications and loans.
3. gunicorn serves it on 127.0.0.1 (a free port) as production does (DEBUG=0, no TESTING), with
   the sandbox rails (AUTOFIN_SANDBOX=1): nothing leaves the machine.
4. `st run` generates requests for every operation of the schema, once per role: anonymous, a
   customer, dealer staff and a back-office servicing agent (API tokens of the demo users), with
   the `not_a_server_error` check only: the run must find no 5xx. Other findings (a response
   that differs from the schema) are reported by schemathesis but are not this target's gate.

Everything is bounded: examples per operation (FUZZ_MAX_EXAMPLES, default 8), a seed
(FUZZ_SEED) so a failure reproduces, request timeouts, and a time budget per role (FUZZ_MAX_TIME).
Reports (JUnit XML, and gunicorn's log with the tracebacks of any 5xx) go to FUZZ_REPORT_DIR
(default `.data/fuzz-report`).

    python -m autofin.dev.fuzz [--max-examples N] [--seed N] [--roles anonymous,customer,...]

Traffic goes to 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from collections.abc import Callable, Sequence
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

from autofin.dev.embedded.postgres_server import postgres_socket_url
from autofin.dev.embedded.processes import free_tcp_port
from autofin.dev.embedded.services import PROJECT_ROOT, EmbeddedServices, default_data_dir
from autofin.dev.run import gunicorn_command
from autofin.dev.testrun import choose

FUZZ_DATABASE = "autofin_fuzz"
# Demo users (autofin/seed/users.py, dealers/seed.py): one per role the API serves.
ROLE_USERS = {"customer": "customer", "dealer": "dealer1_admin", "agent": "agent"}
ROLES = ("anonymous", *ROLE_USERS)
# 5xx already reported in issue #14 and fixed in another change: tolerated, but only in exactly
# the shape reported (the operation, a server error, and a request body the predicate matches);
# every other finding on the same operation still fails. Remove an entry once its fix has landed.
# 5xx findings tolerated while their fix is pending, by operation: (why, a test on the request
# body). Empty: every 5xx fails the run.
KNOWN_5XX: dict[str, tuple[str, Callable[[str], bool]]] = {}
_CURL_BODY = re.compile(r"-d '((?:[^']|'\\'')*)'")


def say(message: str) -> None:
    print(f"[make fuzz] {message}", file=sys.stderr, flush=True)


def _pg_params(url: str) -> dict:
    import environ

    config = environ.Env.db_url_config(url)
    return {
        "host": config.get("HOST") or None,
        "port": config.get("PORT") or None,
        "user": config.get("USER") or None,
        "password": config.get("PASSWORD") or None,
    }


def scratch_database_url(server_url: str, name: str = FUZZ_DATABASE, *, reuse: bool = False) -> str:
    """Drop and create database `name` on the server of `server_url` (with `reuse`, keep it if
    it exists: seeding takes minutes); return its URL."""
    import psycopg2
    from psycopg2 import sql

    params = _pg_params(server_url)
    conn = psycopg2.connect(dbname="postgres", connect_timeout=10, **params)
    try:
        conn.autocommit = True  # CREATE/DROP DATABASE refuse a transaction
        with conn.cursor() as cur:
            cur.execute(
                sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name))
            )
            cur.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    finally:
        conn.close()
    host = params["host"] or ""
    if host.startswith("/"):  # a unix socket folder (the embedded PostgreSQL)
        return postgres_socket_url(Path(host), name, params["user"] or "postgres")
    return urlunsplit(urlsplit(server_url)._replace(path=f"/{name}"))


def _manage(env: dict[str, str], *args: str, capture: bool = False) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=PROJECT_ROOT,
        env=env,
        check=True,
        text=True,
        stdout=subprocess.PIPE if capture else None,
    )
    return done.stdout or ""


TOKENS_CODE = """
import json
from rest_framework.authtoken.models import Token
from autofin.models import User
users = json.loads({users!r})
print(json.dumps({{role: Token.objects.get_or_create(user=User.objects.get(username=name))[0].key
                  for role, name in users.items()}}))
"""


def role_tokens(env: dict[str, str]) -> dict[str, str]:
    out = _manage(
        env, "shell", "-c", TOKENS_CODE.format(users=json.dumps(ROLE_USERS)), capture=True
    )
    return json.loads(out.strip().splitlines()[-1])


def wait_for_health(port: int, server: subprocess.Popen, timeout: float = 90) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status == 200:
                return
        except OSError:
            pass
        time.sleep(0.3)
    raise RuntimeError("gunicorn did not answer /healthz in time")


# Path parameters filled with an object the role can see (found through the API as that role),
# so requests reach the business logic instead of stopping at 404: (list URL, field, parameter).
DISCOVER = (
    ("/api/v1/loans/", "id", "loan_id"),
    ("/api/v1/applications/", "reference", "reference"),
    ("/api/v1/dealer/statements/", "id", "id"),
    ("/api/v1/products/", "code", "code"),
)


def _get_json(port: int, path: str, token: str) -> object:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    try:
        conn.request("GET", path, headers={"Authorization": f"Token {token}"})
        response = conn.getresponse()
        body = response.read()
    finally:
        conn.close()
    return json.loads(body) if response.status == 200 else None


def discover_parameters(port: int, token: str) -> dict[str, object]:
    """{"path.loan_id": 7, ...} for the first object of each list the role may read."""
    found: dict[str, object] = {}
    for path, field, parameter in DISCOVER:
        data = _get_json(port, path, token)
        rows = data.get("results") if isinstance(data, dict) else data
        if isinstance(rows, list) and rows and isinstance(rows[0], dict) and field in rows[0]:
            found[f"path.{parameter}"] = rows[0][field]
    return found


def config_file(parameters: dict[str, object], folder: Path, role: str) -> Path:
    path = folder / f"schemathesis-{role}.toml"
    lines = ["[parameters]"] + [f"{json.dumps(k)} = {json.dumps(v)}" for k, v in parameters.items()]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def st_command(
    url: str,
    *,
    token: str | None,
    max_examples: int,
    seed: int,
    max_time: int,
    report: Path,
    config: Path | None = None,
) -> list[str]:
    st = Path(sys.executable).with_name("st")
    command = [str(st) if st.exists() else "st"]
    if config is not None:
        command += ["--config-file", str(config)]
    command += [
        "run", f"{url}api/schema/",
        "--checks", "not_a_server_error",
        "--phases", "examples,coverage,fuzzing",
        "--max-examples", str(max_examples),
        "--seed", str(seed),
        # One worker: with two, Python 3.11's ast (used by hypothesis to describe strategies) is
        # not thread-safe and schemathesis reports "AST constructor recursion depth mismatch".
        "--workers", "1",
        "--max-time", str(max_time),
        "--request-timeout", "20",
        "--continue-on-failure",
        "--suppress-health-check", "all",
        "--report", "junit", "--report-junit-path", str(report),
        "--no-color",
    ]  # fmt: skip
    if token:
        command += ["--header", f"Authorization: Token {token}"]
    return command


def run(args: argparse.Namespace, services: EmbeddedServices | None, env: dict[str, str]) -> int:
    report_dir = Path(args.report_dir)
    report_dir.mkdir(parents=True, exist_ok=True)
    media = Path(tempfile.mkdtemp(prefix="autofin-fuzz-media-"))
    began = time.perf_counter()
    env = {
        **env,
        "DATABASE_URL": scratch_database_url(env["DATABASE_URL"], reuse=args.reuse_db),
        "DEBUG": "0",
        "HTTPS": "0",
        "TESTING": "0",
        "AUTOFIN_SANDBOX": "1",
        "CONN_MAX_AGE": "0",
        "STATIC_COMPRESS": "false",
        "PRIVATE_MEDIA_ROOT": str(media),
        "ALLOWED_HOSTS": "127.0.0.1",
        "PYTHONUNBUFFERED": "1",
    }
    server = None
    try:
        _manage(env, "migrate", "--noinput", "-v", "0")
        _manage(env, "seed_demo", "--if-empty", capture=True)
        tokens = role_tokens(env)
        say(f"database migrated and seeded in {time.perf_counter() - began:.0f}s")
        port = free_tcp_port()
        log = (report_dir / "gunicorn.log").open("w")
        # The same gunicorn as `make run` (2 workers, access log on stdout).
        server = subprocess.Popen(
            gunicorn_command(f"127.0.0.1:{port}"),
            cwd=PROJECT_ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            process_group=0,
        )
        wait_for_health(port, server)
        url = f"http://127.0.0.1:{port}/"
        failed: list[str] = []
        for role in args.roles:
            started = time.perf_counter()
            token = tokens.get(role)
            parameters = discover_parameters(port, token) if token else {}
            say(f"role {role}: path parameters {parameters or 'generated'}")
            command = st_command(
                url,
                token=token,
                max_examples=args.max_examples,
                seed=args.seed,
                max_time=args.max_time,
                report=report_dir / f"junit-{role}.xml",
                config=config_file(parameters, report_dir, role) if parameters else None,
            )
            say(
                f"role {role}: {' '.join(c if 'Token ' not in c else 'Authorization: ***' for c in command[1:])}"
            )
            code = subprocess.call(command, cwd=PROJECT_ROOT)
            verdict = judge(report_dir / f"junit-{role}.xml") if code != 0 else []
            for line in verdict:
                say(f"role {role}: {line}")
            say(f"role {role}: exit {code} in {time.perf_counter() - started:.0f}s")
            if code != 0 and (not verdict or any(not v.startswith("tolerated") for v in verdict)):
                failed.append(role)
        server_errors = _server_errors(report_dir / "gunicorn.log")
        say(
            f"total {time.perf_counter() - began:.0f}s; 5xx in gunicorn's access log: {server_errors}"
        )
        if failed:
            say(f"FAILED for: {', '.join(failed)} (see above and {report_dir})")
            return 1
        return 0
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGTERM)
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
        shutil.rmtree(media, ignore_errors=True)


def judge(junit: Path) -> list[str]:
    """One line per finding in a schemathesis JUnit report: "tolerated ..." for a KNOWN_5XX in
    its reported shape, "FAILED ..." for anything else (another failure, a runtime error)."""
    try:
        suites = ET.parse(junit).getroot()  # noqa: S314 - our own report, written by st just now
    except (OSError, ET.ParseError) as exc:
        return [f"FAILED: no readable report {junit} ({exc})"]
    lines = []
    for case in suites.iter("testcase"):
        operation = case.get("name", "?")
        for problem in [*case.findall("failure"), *case.findall("error")]:
            text = problem.text or ""
            known = KNOWN_5XX.get(operation)
            bodies = _CURL_BODY.findall(text)
            if (
                known is not None
                and problem.tag == "failure"
                and problem.get("message") == "ST101"
                and "[500]" in text
                and bodies
                and all(known[1](body) for body in bodies)
            ):
                lines.append(f"tolerated known 5xx on {operation}: {known[0]}")
            else:
                lines.append(f"FAILED {operation}: {problem.get('message') or problem.tag}")
    return lines


def _server_errors(log: Path) -> int:
    # gunicorn's access log: `... "GET /path HTTP/1.1" 500 ...`
    count = 0
    for line in log.read_text(errors="replace").splitlines():
        parts = line.split('" ')
        if len(parts) > 1 and parts[1][:1] == "5" and parts[1][:3].isdigit():
            count += 1
    return count


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m autofin.dev.fuzz", description=__doc__)
    parser.add_argument(
        "--max-examples", type=int, default=int(os.environ.get("FUZZ_MAX_EXAMPLES", "8"))
    )
    parser.add_argument("--seed", type=int, default=int(os.environ.get("FUZZ_SEED", "14")))
    parser.add_argument(
        "--max-time",
        type=int,
        default=int(os.environ.get("FUZZ_MAX_TIME", "30")),
        help="seconds per role",
    )
    parser.add_argument(
        "--roles", type=lambda s: [r for r in s.split(",") if r], default=list(ROLES)
    )
    parser.add_argument(
        "--reuse-db",
        action="store_true",
        default=os.environ.get("FUZZ_REUSE_DB") == "1",
        help=f"keep {FUZZ_DATABASE} (migrated and seeded) from an earlier run",
    )
    parser.add_argument(
        "--report-dir",
        default=os.environ.get("FUZZ_REPORT_DIR") or str(default_data_dir() / "fuzz-report"),
    )
    args = parser.parse_args(argv)
    unknown = set(args.roles) - set(ROLES)
    if unknown:
        parser.error(f"unknown roles {sorted(unknown)}; choose from {', '.join(ROLES)}")

    database, redis = choose(os.environ)
    env = dict(os.environ)
    for choice in (database, redis):
        if not choice.embedded:
            env[choice.name] = choice.url  # type: ignore[assignment]
    if not (database.embedded or redis.embedded):
        return run(args, None, env)
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    services = EmbeddedServices(
        default_data_dir() / "fuzz", postgres=database.embedded, redis=redis.embedded
    )
    try:
        services.start()
        env.update(services.env())
        return run(args, services, env)
    except KeyboardInterrupt:
        return 130
    finally:
        services.stop()


if __name__ == "__main__":
    sys.exit(main())
