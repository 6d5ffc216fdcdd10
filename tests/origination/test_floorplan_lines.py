"""Floor-plan lines (库存融资额度) in origination: the suggested limit from grade and funded
volume, a line opened within authority, refusals that write nothing (over authority, above the
suggestion without a reason, a second open line, a bad plan), and freeze / unfreeze / close
audited; the underwriters' page shows a refusal on its form."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from autofin.models import AuditEntry
from autofin.roles import Role
from dealers.models.grading import DealerGrade
from dealers.services import dealer_kpis_record, grading_policy_active
from origination.models.floorplan import FloorplanLine
from origination.selectors.floorplan import dealer_line_suggestion, lines_board
from origination.services.floorplan import (
    FloorplanLineError,
    curtailment_plan_parse,
    line_change,
    line_close,
    line_freeze,
    line_open,
    line_unfreeze,
    lines_freeze_many,
)
from tests.factories import UserFactory

PLAN = [[90, 10], [120, 30], [180, 100]]
RATE = Decimal("0.055000")


def _grade(dealer, letter: str, as_of: dt.date) -> None:
    DealerGrade.objects.create(
        dealer=dealer,
        as_of=as_of,
        policy=grading_policy_active(),
        score=Decimal("80"),
        grade=letter,
        inputs={},
        contributions={},
    )


def _volume(dealer, today: dt.date, amounts: list[str]) -> None:
    """One KPI row per month before today's month, newest first."""
    month = dt.date(today.year, today.month, 1)
    for amount in amounts:
        month = (month - dt.timedelta(days=1)).replace(day=1)
        dealer_kpis_record(dealer_id=dealer.pk, month=month, figures={"funded_amount": amount})


@pytest.fixture
def graded_dealer(dealer, business_today):
    # six months averaging ¥1,234,567.83: grade A holds 3 months → ¥3,703,703.49 → ¥3,700,000
    _grade(dealer, "A", business_today - dt.timedelta(days=3))
    _volume(
        dealer,
        business_today,
        # a seventh, older month is not averaged
        ["1000000.00", "1200000.00", "1400000.00", "1300000.00", "1107406.98", "1400000.00"]
        + ["9000000.00"],
    )
    return dealer


def test_the_suggestion_is_six_months_of_volume_times_the_grades_months(graded_dealer):
    s = dealer_line_suggestion(graded_dealer.pk)
    assert s["grade"] == "A"
    assert s["average_funded"] == Decimal("1234567.83")
    assert s["stock_months"] == Decimal("3")
    assert s["suggested"] == Decimal("3700000.00")


def test_an_ungraded_dealer_with_two_months_is_held_to_grade_b_over_six(dealer, business_today):
    _volume(dealer, business_today, ["600000.00", "300000.00"])
    s = dealer_line_suggestion(dealer.pk)
    # (600,000 + 300,000) / 6 = 150,000 a month × 2 months (grade B) = 300,000
    assert (s["grade"], s["grade_used"], s["suggested"]) == (None, "B", Decimal("300000.00"))


def test_an_underwriter_opens_a_line_within_authority(graded_dealer, underwriter):
    line = line_open(
        dealer_id=graded_dealer.pk,
        limit=Decimal("2500000.00"),
        annual_rate=RATE,
        curtailment_plan=PLAN,
        oem_buyback_agreement="SAIC-BB-2026-0042",
        by=underwriter,
    )
    line.refresh_from_db()
    assert (line.status, line.limit, line.annual_rate) == ("active", Decimal("2500000.00"), RATE)
    assert line.approved_by == underwriter and line.approved_at is not None
    assert line.curtailment_plan == PLAN
    entry = AuditEntry.objects.get(action="floorplan_line_open", object_id=str(line.pk))
    assert entry.actor == underwriter
    assert entry.data["suggested"] == "3700000.00"
    row = next(r for r in lines_board() if r["dealer"]["dealer_id"] == graded_dealer.pk)
    assert row["line"] == line
    assert row["use"] == {
        "limit": Decimal("2500000.00"),
        "used": Decimal("0.00"),
        "available": Decimal("2500000.00"),
        "percent": 0,
    }


def _nothing_written():
    assert not FloorplanLine.objects.exists()
    assert not AuditEntry.objects.filter(action__startswith="floorplan_line").exists()


def test_over_authority_is_refused_and_nothing_is_written(graded_dealer, underwriter):
    # the underwriter's floor-plan authority is ¥3,000,000 (policy); the suggestion would allow
    # ¥3,700,000, the authority does not
    with pytest.raises(FloorplanLineError) as exc:
        line_open(
            dealer_id=graded_dealer.pk,
            limit=Decimal("3000000.01"),
            annual_rate=RATE,
            curtailment_plan=PLAN,
            by=underwriter,
        )
    assert exc.value.message == (
        "额度 ¥3,000,000.01 超出您的审批权限（¥3,000,000.00），请提交高级审批员。"
    )
    assert exc.value.field == "limit"
    _nothing_written()


def test_a_senior_may_and_the_policy_moves_the_authority(graded_dealer, senior, policy):
    policy("origination.floorplan_limit_authority.senior_underwriter", "3500000.00")
    with pytest.raises(FloorplanLineError):
        line_open(
            dealer_id=graded_dealer.pk,
            limit=Decimal("3600000.00"),
            annual_rate=RATE,
            curtailment_plan=PLAN,
            by=senior,
        )
    _nothing_written()
    line = line_open(
        dealer_id=graded_dealer.pk,
        limit=Decimal("3500000.00"),
        annual_rate=RATE,
        curtailment_plan=PLAN,
        by=senior,
    )
    assert line.limit == Decimal("3500000.00")


def test_above_the_suggestion_needs_a_reason(dealer, business_today, underwriter):
    _volume(dealer, business_today, ["600000.00"])  # suggests ¥200,000 (grade B)
    kwargs = {
        "dealer_id": dealer.pk,
        "limit": Decimal("200000.01"),
        "annual_rate": RATE,
        "curtailment_plan": PLAN,
        "by": underwriter,
    }
    with pytest.raises(FloorplanLineError) as exc:
        line_open(**kwargs)
    assert exc.value.message == "额度高于建议额度 ¥200,000.00，请填写理由。"
    _nothing_written()
    line = line_open(**kwargs, reason="新开业品牌店，厂家提供三方回购")
    assert AuditEntry.objects.get(object_id=str(line.pk)).reason == "新开业品牌店，厂家提供三方回购"


def test_refusals_write_nothing(graded_dealer, make_dealer, underwriter):
    agent = UserFactory(roles=[Role.SERVICING_AGENT])
    cases = [
        ({"by": agent}, "只有审批员可以审批或调整库存融资额度。"),
        ({"limit": Decimal("0")}, "额度须为大于零的金额（精确到分）。"),
        ({"annual_rate": Decimal("1.2")}, "年利率须大于 0 且小于 100%。"),
        ({"curtailment_plan": [[90, 10], [80, 30]]}, None),
        ({"curtailment_plan": [[90, 10], [180, 90]]}, "还款计划最后一段须还清 100%。"),
        ({"dealer_id": make_dealer(status="suspended").pk}, None),
    ]
    for override, message in cases:
        kwargs = {
            "dealer_id": graded_dealer.pk,
            "limit": Decimal("1000000.00"),
            "annual_rate": RATE,
            "curtailment_plan": PLAN,
            "by": underwriter,
            **override,
        }
        with pytest.raises(FloorplanLineError) as exc:
            line_open(**kwargs)
        if message:
            assert exc.value.message == message
    _nothing_written()


def test_one_open_line_per_dealer(graded_dealer, underwriter):
    kwargs = {
        "dealer_id": graded_dealer.pk,
        "limit": Decimal("1000000.00"),
        "annual_rate": RATE,
        "curtailment_plan": PLAN,
        "by": underwriter,
    }
    first = line_open(**kwargs)
    with pytest.raises(FloorplanLineError) as exc:
        line_open(**kwargs)
    assert exc.value.message == "该经销商已有未关闭的库存融资额度。"
    assert list(FloorplanLine.objects.values_list("pk", flat=True)) == [first.pk]


def test_the_plan_is_read_from_text():
    assert curtailment_plan_parse("90:10， 120：30,180:100") == PLAN
    with pytest.raises(FloorplanLineError):
        curtailment_plan_parse("90-10")


@pytest.fixture
def line(graded_dealer, underwriter):
    return line_open(
        dealer_id=graded_dealer.pk,
        limit=Decimal("1000000.00"),
        annual_rate=RATE,
        curtailment_plan=PLAN,
        by=underwriter,
    )


def test_raising_a_limit_is_within_authority_lowering_is_not_limited(line, underwriter):
    with pytest.raises(FloorplanLineError):
        line_change(
            line=line,
            limit=Decimal("3000000.01"),
            annual_rate=RATE,
            curtailment_plan=PLAN,
            by=underwriter,
        )
    line.refresh_from_db()
    assert line.limit == Decimal("1000000.00")
    assert not AuditEntry.objects.filter(action="floorplan_line_change").exists()
    line_change(
        line=line,
        limit=Decimal("800000.00"),
        annual_rate=Decimal("0.06"),
        curtailment_plan=[[60, 20], [150, 100]],
        by=underwriter,
    )
    line.refresh_from_db()
    assert (line.limit, line.annual_rate) == (Decimal("800000.00"), Decimal("0.060000"))
    entry = AuditEntry.objects.get(action="floorplan_line_change")
    assert entry.data["before"]["limit"] == "1000000.00"
    assert entry.data["after"]["curtailment_plan"] == [[60, 20], [150, 100]]


def test_freeze_unfreeze_close_are_audited(line, underwriter, senior, policy):
    line_freeze(line=line, reason="盘库发现 1 台车不在库", by=underwriter)
    line.refresh_from_db()
    assert (line.status, line.frozen_reason) == ("frozen", "盘库发现 1 台车不在库")
    # freezing again keeps the first reason and writes nothing
    line_freeze(line=line, reason="再次冻结", by="eod")
    assert AuditEntry.objects.filter(action="floorplan_line_freeze").count() == 1

    # unfreezing is a credit decision: within authority for the line's limit
    policy("origination.floorplan_limit_authority.underwriter", "500000.00")
    with pytest.raises(FloorplanLineError):
        line_unfreeze(line=line, reason="已补齐", by=underwriter)
    line.refresh_from_db()
    assert line.status == "frozen"
    line_unfreeze(line=line, reason="经销商已付清该车融资款", by=senior)
    line.refresh_from_db()
    assert (line.status, line.frozen_reason, line.frozen_at) == ("active", "", None)

    FloorplanLine.objects.filter(pk=line.pk).update(used_amount=Decimal("0.01"))
    with pytest.raises(FloorplanLineError) as exc:
        line_close(line=line, reason="经销商终止合作", by=senior)
    assert exc.value.message == "额度下仍有 ¥0.01 未结清或在途的融资，结清后才能关闭。"
    line.refresh_from_db()
    assert line.status == "active"
    FloorplanLine.objects.filter(pk=line.pk).update(used_amount=Decimal("0.00"))
    line_close(line=line, reason="经销商终止合作", by=senior)
    line.refresh_from_db()
    assert line.status == "closed" and line.closed_at is not None
    with pytest.raises(FloorplanLineError):
        line_freeze(line=line, reason="x", by=underwriter)
    actions = list(
        AuditEntry.objects.filter(object_id=str(line.pk), action__startswith="floorplan_line")
        .order_by("id")
        .values_list("action", "actor_label")
    )
    assert [a for a, _ in actions] == [
        "floorplan_line_open",
        "floorplan_line_freeze",
        "floorplan_line_unfreeze",
        "floorplan_line_close",
    ]


def test_the_batch_freezes_many_at_once(line, make_dealer, underwriter):
    other = line_open(
        dealer_id=make_dealer().pk,
        limit=Decimal("100000.00"),
        annual_rate=RATE,
        curtailment_plan=PLAN,
        by=underwriter,
        reason="试点",
    )
    line_freeze(line=other, reason="已冻结", by=underwriter)
    closed = line_open(
        dealer_id=make_dealer().pk,
        limit=Decimal("100000.00"),
        annual_rate=RATE,
        curtailment_plan=PLAN,
        by=underwriter,
        reason="试点",
    )
    line_close(line=closed, reason="终止", by=underwriter)
    frozen = lines_freeze_many(
        reasons={line.pk: "库存融资逾期", other.pk: "x", closed.pk: "y"}, by="eod"
    )
    assert frozen == [line.pk]
    closed.refresh_from_db()
    assert closed.status == "closed"
    assert line_freeze(line=closed, reason="盘库", by="stock_audit").status == "closed"
    line.refresh_from_db()
    other.refresh_from_db()
    assert (line.status, line.frozen_reason) == ("frozen", "库存融资逾期")
    assert other.frozen_reason == "已冻结"
    entry = AuditEntry.objects.get(object_id=str(line.pk), action="floorplan_line_freeze")
    assert entry.actor_label == "eod"


def test_the_page_shows_an_over_authority_refusal_on_the_form(client, graded_dealer, underwriter):
    client.force_login(underwriter)
    page = client.get(reverse("origination:floorplan_lines") + f"?dealer={graded_dealer.pk}")
    assert page.status_code == 200
    assert "¥3,700,000.00" in page.content.decode()
    response = client.post(
        reverse("origination:floorplan_line_open"),
        {
            "dealer": graded_dealer.pk,
            "limit": "3,500,000",
            "rate_percent": "5.5",
            "curtailment_plan": "90:10, 120:30, 180:100",
        },
    )
    assert response.status_code == 400
    assert "超出您的审批权限" in response.content.decode()
    _nothing_written()
    response = client.post(
        reverse("origination:floorplan_line_open"),
        {
            "dealer": graded_dealer.pk,
            "limit": "2,000,000",
            "rate_percent": "5.5",
            "curtailment_plan": "90:10, 120:30, 180:100",
        },
    )
    line = FloorplanLine.objects.get()
    assert response.status_code == 302
    assert (line.limit, line.annual_rate) == (Decimal("2000000.00"), RATE)
    assert client.get(reverse("origination:floorplan_line", args=[line.pk])).status_code == 200


def test_only_underwriters_reach_the_page(client, salesperson):
    client.force_login(salesperson)
    assert client.get(reverse("origination:floorplan_lines")).status_code == 403
