"""Watch-list screening in risk: the list loaded from its file, a person screened at
application with an explained score, the whole book screened again when a list changes, the
customer's risk rating, and compliance's decision on a hit."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command

from autofin.crypto import keyed_hash
from autofin.models import AuditEntry
from autofin.roles import Role
from risk.models import (
    CustomerRiskRating,
    ScreeningHit,
    WatchListEntry,
    WatchListLoad,
)
from risk.selectors.aml import customer_rating_current, screening_block, screening_hit_explained
from risk.services import customer_risk_rate, screening_hit_decide, screening_run
from risk.services.screening import watch_list_rescreen
from risk.services.watch_list import watch_list_load
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
HEADER = "list_type,external_ref,name,name_variants,id_number,birth_date,note\n"


def _list(tmp_path, rows: str, name: str = "list.csv"):
    path = tmp_path / name
    path.write_text(HEADER + rows, encoding="utf-8")
    return path


def test_sandbox_list_loads_every_list_type_and_a_reload_changes_nothing():
    call_command("load_watch_list")
    types = set(WatchListEntry.objects.values_list("list_type", flat=True))
    assert types == {"sanctions", "pep", "internal", "court_enforcement", "dishonest_debtor"}
    internal = WatchListEntry.objects.get(external_ref="SBX-INT-0001")
    assert internal.id_hash == keyed_hash("110101198805050017")  # the number itself is not kept
    call_command("load_watch_list")
    second = WatchListLoad.objects.order_by("-id").first()
    assert (second.added, second.changed, second.removed) == (0, 0, 0)


def test_a_load_updates_changed_entries_and_deactivates_missing_ones(tmp_path):
    watch_list_load(
        path=_list(tmp_path, "pep,P1,司马光华,,,1962-07-01,\npep,P2,诸葛明远,,,,\n"),
        source="t",
        actor="test",
    )
    load = watch_list_load(
        path=_list(tmp_path, "pep,P1,司马光华,Sima Guanghua,,1962-07-01,\n", "v2.csv"),
        source="t",
        actor="test",
    )
    assert (load.added, load.changed, load.removed) == (0, 1, 1)
    assert list(
        WatchListEntry.objects.filter(active=True).values_list("external_ref", flat=True)
    ) == ["P1"]


def test_a_bad_row_refuses_the_whole_file(tmp_path):
    with pytest.raises(ValidationError, match="第 3 行"):
        watch_list_load(
            path=_list(tmp_path, "pep,P1,司马光华,,,,\nnobody,P2,诸葛明远,,,,\n"),
            source="t",
            actor="test",
        )
    assert WatchListEntry.objects.count() == 0
    assert WatchListLoad.objects.count() == 0


def test_a_pinyin_spelling_variant_on_the_sanctions_list_is_a_hit_with_its_explanation(tmp_path):
    watch_list_load(
        path=_list(tmp_path, "sanctions,S1,OUYANG Zhishan,,,1975-03-08,\n"),
        source="t",
        actor="test",
    )
    hits = screening_run(
        subject_ref="APP-1",
        name="欧阳子珊",
        id_hash=keyed_hash("1"),
        birth_date=dt.date(1975, 3, 8),
    )
    assert [(h.entry.external_ref, h.score, h.threshold, h.status) for h in hits] == [
        ("S1", 100, 85, "open")
    ]
    assert [p["label"] for p in screening_hit_explained(hits[0])] == [
        "拼音为常见拼写变体（平翘舌、前后鼻音、n/l）",
        "出生日期一致",
    ]
    assert screening_block(subject_ref="APP-1") == hits[0]
    # screening again finds nothing new and reopens nothing
    assert screening_run(subject_ref="APP-1", name="欧阳子珊", id_hash="", birth_date=None) == []
    assert ScreeningHit.objects.count() == 1


def test_the_threshold_is_policy(tmp_path, policy):
    watch_list_load(
        path=_list(tmp_path, "sanctions,S1,OUYANG Zhishan,,,1975-03-08,\n"), source="t", actor="t"
    )
    born_else = dt.date(1990, 1, 1)  # 95 - 20 = 75: under the initial 85
    assert screening_run(subject_ref="A", name="欧阳子珊", id_hash="", birth_date=born_else) == []
    policy("risk.aml_screening_threshold", "75")
    hits = screening_run(subject_ref="B", name="欧阳子珊", id_hash="", birth_date=born_else)
    assert [(h.score, h.threshold) for h in hits] == [(75, 75)]


def test_the_book_is_screened_again_when_a_list_changes_and_only_then(tmp_path):
    watch_list_load(path=_list(tmp_path, "pep,P1,司马光华,,,,\n"), source="t", actor="t")
    screening_run(subject_ref="A1", name="慕容子衿", id_hash=keyed_hash("440101198512120048"),
                  birth_date=None)  # fmt: skip
    screening_run(subject_ref="A2", name="王小明", id_hash="", birth_date=None)
    assert watch_list_rescreen()["hits"] == 0  # the first load: nobody on it
    assert ScreeningHit.objects.count() == 0
    watch_list_load(
        path=_list(
            tmp_path, "pep,P1,司马光华,,,,\ndishonest_debtor,D1,慕容子衿,,440101198512120048,,\n"
        ),
        source="t",
        actor="t",
    )
    result = watch_list_rescreen()
    assert result == {"loads": 1, "subjects": 2, "hits": 1}
    hit = ScreeningHit.objects.get()
    assert (hit.subject_ref, hit.entry.external_ref, hit.trigger, hit.score) == (
        "A1",
        "D1",
        "rescreen",
        100,
    )
    assert watch_list_rescreen() == {"loads": 0, "subjects": 0, "hits": 0}


def test_rating_from_occupation_region_product_channel_and_pep_with_reasons(tmp_path):
    facts = {
        "occupation": "employed",
        "region": "上海市",
        "product_line": "new",
        "channel": "dealer",
    }
    low = customer_risk_rate(subject_ref="R1", facts=facts, actor="t")
    assert (low.level, low.points, low.reasons) == ("low", 0, [])
    assert customer_risk_rate(subject_ref="R1", facts=facts, actor="t") == low  # nothing changed
    risky = {
        "occupation": "self_employed",
        "region": "云南省",
        "product_line": "used",
        "channel": "direct",
    }
    high = customer_risk_rate(subject_ref="R1", facts=risky, actor="t")
    assert (high.level, high.points) == ("high", 6)
    assert customer_rating_current(subject_ref="R1")["reasons"] == [
        "职业或经营类型现金密集",
        "居住地为边境高风险地区",
        "产品类型（二手车/商用车）",
        "非面对面渠道（直销线上申请）",
    ]
    # a PEP hit makes a low-points customer high, and clearing it re-rates
    watch_list_load(path=_list(tmp_path, "pep,P1,司马光华,,,,\n"), source="t", actor="t")
    customer_risk_rate(subject_ref="R2", facts=facts, actor="t")
    [hit] = screening_run(subject_ref="R2", name="司马光华", id_hash="", birth_date=None)
    assert customer_risk_rate(subject_ref="R2", actor="t").level == "high"
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="cleared", reason="同名不同人")
    assert customer_rating_current(subject_ref="R2")["level_code"] == "low"
    assert CustomerRiskRating.objects.filter(subject_ref="R2").count() == 3


def test_only_compliance_decides_a_hit_with_a_reason_and_a_refusal_changes_nothing(tmp_path):
    watch_list_load(path=_list(tmp_path, "pep,P1,司马光华,,,,\n"), source="t", actor="t")
    [hit] = screening_run(subject_ref="C1", name="司马光华", id_hash="", birth_date=None)
    audits = AuditEntry.objects.count()
    with pytest.raises(PermissionDenied):
        screening_hit_decide(hit_id=hit.pk, actor=UserFactory(roles=[Role.RISK_ANALYST]),
                             to_status="cleared", reason="x")  # fmt: skip
    officer = UserFactory(roles=[Role.COMPLIANCE_OFFICER])
    with pytest.raises(ValidationError):
        screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="cleared", reason=" ")
    hit.refresh_from_db()
    assert (hit.status, hit.decided_by, AuditEntry.objects.count()) == ("open", None, audits)
    screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="confirmed", reason="本人")
    assert screening_block(subject_ref="C1").status == "confirmed"
    screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="cleared", reason="已移出名单")
    assert screening_block(subject_ref="C1") is None
    entry = AuditEntry.objects.filter(action="aml_hit_decide").order_by("id").last()
    assert (entry.from_state, entry.to_state, entry.reason) == (
        "confirmed",
        "cleared",
        "已移出名单",
    )
    with pytest.raises(ValidationError):
        screening_hit_decide(hit_id=hit.pk, actor=officer, to_status="confirmed", reason="再确认")
