"""The credit-bureau query log page and its CSV report: who may read them, what they show (in
words, no internal values), the filters; and the migration that puts the court-list rules in
force in a database that already had a rule set."""

from __future__ import annotations

import csv
import datetime as dt
import importlib
import io
import re

import pytest
from django.apps import apps
from django.urls import reverse
from django.utils import timezone

from risk.models import BureauQuery, Rule, RuleSet
from risk.services.rulesets import rules_of
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def queries():
    rows = [
        BureauQuery.objects.create(
            purpose="pre_loan",
            id_hash="a" * 64,
            subject_ref="APP-20260105-0001",
            consent_ref="consent:41",
            requested_by="risk-engine",
            status="answered",
            found=True,
        ),
        BureauQuery.objects.create(
            purpose="post_loan",
            id_hash="b" * 64,
            subject_ref="LN-0007",
            consent_ref="consent:42",
            requested_by="=cmd|' /C calc'!A0",
            status="failed",
            error="ConnectionError: bureau unreachable",
        ),
    ]
    # the first one a month ago, outside a filter on this month
    BureauQuery.objects.filter(pk=rows[0].pk).update(
        queried_at=timezone.now() - dt.timedelta(days=31)
    )
    return rows


def _client(client, *roles):
    user = UserFactory(roles=list(roles))
    assert client.login(username=user.username, password=PASSWORD)
    return client


@pytest.mark.parametrize("role", ["risk_analyst", "auditor", "compliance_officer"])
def test_risk_auditor_and_compliance_read_the_log_in_words(client, queries, role):
    page = _client(client, role).get(reverse("risk:bureau_queries"))
    assert page.status_code == 200
    html = page.content.decode()
    for text in ("征信查询记录", "贷前审批", "贷后管理", "自动审批引擎", "授权书 #41", "查询失败"):
        assert text in html
    assert "APP-20260105-0001" in html and "LN-0007" in html
    shown = re.sub(r"<[^>]+>", " ", html)  # the text a reader sees (option values aside)
    for internal in ("risk-engine", "pre_loan", "post_loan", "consent:41", "answered"):
        assert internal not in shown
    assert 'id="bureau-counts"' in html and "共 2 次查询" in html


@pytest.mark.parametrize("role", ["underwriter", "servicing_agent", "customer"])
def test_other_roles_are_refused(client, queries, role):
    assert _client(client, role).get(reverse("risk:bureau_queries")).status_code == 403
    assert _client(client, role).get(reverse("risk:bureau_queries_csv")).status_code == 403


def test_anonymous_is_sent_to_sign_in(client, queries):
    assert client.get(reverse("risk:bureau_queries")).status_code == 302


def _csv(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body.removeprefix("\ufeff"))))


def test_csv_report_has_every_query_in_words(client, queries):
    response = _client(client, "auditor").get(reverse("risk:bureau_queries_csv"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    rows = _csv(response)
    assert rows[0] == [
        "查询时间",
        "查询原因",
        "业务编号",
        "授权书",
        "查询发起方",
        "状态",
        "征信记录",
        "被查询人身份证哈希",
        "失败原因",
    ]
    newest, older = rows[1], rows[2]
    assert newest[1:] == [
        "贷后管理",
        "LN-0007",
        "授权书 #42",
        "'=cmd|' /C calc'!A0",  # a formula is written as text
        "查询失败",
        "—",
        "b" * 64,
        "ConnectionError: bureau unreachable",
    ]
    assert older[1:7] == [
        "贷前审批",
        "APP-20260105-0001",
        "授权书 #41",
        "自动审批引擎",
        "已返回",
        "有",
    ]
    assert len(rows) == 3


def test_filters_apply_to_page_and_report_alike(client, queries):
    c = _client(client, "risk_analyst")
    today = timezone.localdate()
    params = {"purpose": "post_loan", "date_from": (today - dt.timedelta(days=7)).isoformat()}
    rows = _csv(c.get(reverse("risk:bureau_queries_csv"), params))
    assert [r[2] for r in rows[1:]] == ["LN-0007"]
    html = c.get(reverse("risk:bureau_queries"), params).content.decode()
    assert "LN-0007" in html and "APP-20260105-0001" not in html
    # the export link carries the filter
    assert "purpose=post_loan" in html
    rows = _csv(c.get(reverse("risk:bureau_queries_csv"), {"date_to": today.isoformat()}))
    assert len(rows) == 3
    rows = _csv(
        c.get(
            reverse("risk:bureau_queries_csv"),
            {"date_to": (today - dt.timedelta(days=10)).isoformat()},
        )
    )
    assert [r[2] for r in rows[1:]] == ["APP-20260105-0001"]


def test_the_log_cannot_be_changed_in_the_admin(client, queries):
    c = _client(client, "risk_analyst")
    row = queries[0]
    assert c.get(reverse("admin:risk_bureauquery_changelist")).status_code == 200
    response = c.post(
        reverse("admin:risk_bureauquery_change", args=[row.pk]), {"purpose": "post_loan"}
    )
    assert response.status_code == 403
    assert c.post(reverse("admin:risk_bureauquery_delete", args=[row.pk])).status_code == 403
    row.refresh_from_db()
    assert row.purpose == "pre_loan"
    assert BureauQuery.objects.count() == 2


def test_migration_puts_the_court_rules_in_force_as_a_new_version(db):
    old = RuleSet.objects.create(version=1, name="默认规则", is_active=True)
    Rule.objects.create(
        rule_set=old,
        code="AGE_RANGE",
        rule_kind="decline",
        reason_code="D01_AGE",
        params={"min_age": 18},
        explanation="年龄",
        position=0,
    )
    migration = importlib.import_module("risk.migrations.0003_bureau_list_rules")
    migration.add_rules(apps, None)
    migration.add_rules(apps, None)  # run twice: the set in force already has them

    old.refresh_from_db()
    new = RuleSet.objects.get(is_active=True)
    assert (old.is_active, new.version, RuleSet.objects.count()) == (False, 2, 2)
    assert [(r["code"], r["reason_code"], r["rule_kind"]) for r in rules_of(new)] == [
        ("AGE_RANGE", "D01_AGE", "decline"),
        ("COURT_ENFORCEMENT", "D06_COURT_ENFORCEMENT", "decline"),
        ("DISHONEST_DEBTOR", "D07_DISHONEST_DEBTOR", "decline"),
    ]
    # the old version is untouched, so its decisions replay as they were made
    assert [r["code"] for r in rules_of(old)] == ["AGE_RANGE"]
