"""`make fuzz` fails on every 5xx except a known one in exactly its reported shape."""

from __future__ import annotations

from autofin.dev.fuzz import ROLES, judge, st_command

CALLBACK = "POST /api/v1/loans/payments/callback/"


def junit(tmp_path, *cases: str):
    path = tmp_path / "junit.xml"
    path.write_text(
        '<?xml version="1.0" encoding="utf-8"?><testsuites><testsuite name="schemathesis">'
        + "".join(cases)
        + "</testsuite></testsuites>",
        encoding="utf-8",
    )
    return path


def server_error(operation: str, body: str) -> str:
    return (
        f'<testcase name="{operation}"><failure type="failure" message="ST101">'
        "1. Test Case ID: x\n- ST101 Server error\n[500] Internal Server Error:\n"
        f"    curl -X POST -H 'Content-Type: application/json' -d '{body}' http://127.0.0.1:1/"
        "</failure></testcase>"
    )


def test_a_clean_report_has_no_findings(tmp_path):
    assert judge(junit(tmp_path, '<testcase name="GET /api/v1/loans/" />')) == []


def test_nothing_is_tolerated_now_the_callback_500_is_fixed(tmp_path):
    lines = judge(junit(tmp_path, server_error(CALLBACK, "[null, null]")))

    assert lines == [f"FAILED {CALLBACK}: ST101"]


def test_a_known_5xx_is_tolerated_only_in_its_reported_shape(tmp_path, monkeypatch):
    import autofin.dev.fuzz

    monkeypatch.setitem(
        autofin.dev.fuzz.KNOWN_5XX,
        CALLBACK,
        ("a JSON body that is not an object", lambda body: not body.lstrip().startswith("{")),
    )
    assert judge(junit(tmp_path, server_error(CALLBACK, "[null, null]"))) == [
        f"tolerated known 5xx on {CALLBACK}: a JSON body that is not an object"
    ]
    lines = judge(junit(tmp_path, server_error(CALLBACK, '{"amount": "1"}')))

    assert lines == [f"FAILED {CALLBACK}: ST101"]


def test_a_5xx_anywhere_else_and_runtime_errors_fail(tmp_path):
    lines = judge(
        junit(
            tmp_path,
            server_error("POST /api/v1/quotes/", "[1]"),
            '<testcase name="GET /api/v1/loans/"><error type="error">boom</error></testcase>',
        )
    )

    assert lines == ["FAILED POST /api/v1/quotes/: ST101", "FAILED GET /api/v1/loans/: error"]


def test_a_missing_report_fails(tmp_path):
    assert judge(tmp_path / "none.xml")[0].startswith("FAILED: no readable report")


def test_the_run_checks_for_server_errors_with_a_bounded_budget_and_each_roles_token():
    command = st_command(
        "http://127.0.0.1:9/", token="abc", max_examples=5, seed=14, max_time=30, report="r.xml"
    )

    assert command[1:3] == ["run", "http://127.0.0.1:9/api/schema/"]
    assert command[command.index("--checks") + 1] == "not_a_server_error"
    assert command[command.index("--max-examples") + 1] == "5"
    assert command[command.index("--max-time") + 1] == "30"
    assert command[-2:] == ["--header", "Authorization: Token abc"]
    assert "--header" not in st_command(
        "http://127.0.0.1:9/", token=None, max_examples=5, seed=14, max_time=30, report="r.xml"
    )
    assert ROLES == ("anonymous", "customer", "dealer", "agent")


def test_discovered_identifiers_become_a_schemathesis_config(tmp_path):
    import tomllib

    from autofin.dev.fuzz import config_file

    path = config_file({"path.loan_id": 7, "path.reference": "A-1"}, tmp_path, "customer")

    assert tomllib.loads(path.read_text()) == {
        "parameters": {"path.loan_id": 7, "path.reference": "A-1"}
    }
    command = st_command(
        "http://127.0.0.1:9/",
        token="t",
        max_examples=5,
        seed=14,
        max_time=30,
        report="r",
        config=path,
    )
    assert command[1:4] == ["--config-file", str(path), "run"]
