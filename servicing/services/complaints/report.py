"""The monthly complaint report (投诉月报): complaints received in the month by category and by
channel; the acknowledge and resolve SLA met % (of the month's complaints whose deadline has
passed or which were done: done on time / all of them); repeat complainants (customers with a
complaint in the month and 2+ complaints in the 12 months to its end); the month's average
satisfaction score of answered surveys (complaint ones and all)."""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Avg, Count, F, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from servicing.models.customers import Complaint, ComplaintCategory, ComplaintChannel
from servicing.models.surveys import SurveyInvitation, SurveyOccasion


def _start(month: dt.date) -> dt.datetime:
    return timezone.make_aware(dt.datetime.combine(month.replace(day=1), dt.time.min))


def _next_month(month: dt.date) -> dt.date:
    return (month.replace(day=1) + dt.timedelta(days=32)).replace(day=1)


def _pct(met: int, total: int) -> Decimal | None:
    if not total:
        return None
    return (Decimal(met) * 100 / total).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP)


def _met(qs, done: str, due: str, now: dt.datetime) -> tuple[int, int]:
    figures = qs.filter(Q(**{f"{done}__isnull": False}) | Q(**{f"{due}__lt": now})).aggregate(
        total=Count("id"),
        met=Count("id", filter=Q(**{f"{done}__isnull": False, f"{done}__lte": F(due)})),
    )
    return figures["met"], figures["total"]


def complaint_report(*, month: dt.date, now: dt.datetime | None = None) -> dict:
    now = now or timezone.now()
    start, end = _start(month), _start(_next_month(month))
    qs = Complaint.objects.filter(received_at__gte=start, received_at__lt=end)
    by_cat = dict(qs.values_list("category").annotate(n=Count("id")).values_list("category", "n"))
    by_ch = dict(qs.values_list("channel").annotate(n=Count("id")).values_list("channel", "n"))
    ack_met, ack_total = _met(qs, "acknowledged_at", "acknowledge_due_at", now)
    res_met, res_total = _met(qs, "resolved_at", "resolve_due_at", now)
    following = _next_month(month)
    year_ago = _start(following.replace(year=following.year - 1))
    repeat = (
        Complaint.objects.filter(
            customer__in=qs.values("customer"), received_at__gte=year_ago, received_at__lt=end
        )
        .values("customer")
        .annotate(n=Count("id"))
        .filter(n__gte=2)
        .count()
    )
    answered = SurveyInvitation.objects.filter(answered_at__gte=start, answered_at__lt=end)
    scores = answered.aggregate(
        all=Avg("score"),
        complaints=Avg("score", filter=Q(occasion=SurveyOccasion.COMPLAINT_CLOSED)),
    )
    return {
        "month": month.replace(day=1),
        "total": qs.count(),
        "by_category": [(label, by_cat.get(code, 0)) for code, label in ComplaintCategory.choices],
        "by_channel": [(label, by_ch.get(code, 0)) for code, label in ComplaintChannel.choices],
        "ack": {"met": ack_met, "total": ack_total, "pct": _pct(ack_met, ack_total)},
        "resolve": {"met": res_met, "total": res_total, "pct": _pct(res_met, res_total)},
        "repeat_complainants": repeat,
        "survey_avg": _avg(scores["all"]),
        "survey_avg_complaints": _avg(scores["complaints"]),
        "survey_count": answered.count(),
    }


def _avg(value) -> Decimal | None:
    if value is None:
        return None
    return Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def complaint_report_csv_rows(report: dict) -> list[list[str]]:
    """The report as rows for the downloadable file (the page's figures, in its order)."""

    def pct(p) -> str:
        return "" if p is None else f"{p}%"

    rows = [[_("投诉月报"), f"{report['month']:%Y-%m}"], [_("投诉总数"), str(report["total"])], []]
    rows += [[_("按类别"), _("件数")]] + [
        [str(label), str(n)] for label, n in report["by_category"]
    ]
    rows += [[], [_("按渠道"), _("件数")]] + [
        [str(label), str(n)] for label, n in report["by_channel"]
    ]
    rows += [
        [],
        [_("受理时效达标率"), pct(report["ack"]["pct"]), f"{report['ack']['met']}/{report['ack']['total']}"],
        [_("办结时效达标率"), pct(report["resolve"]["pct"]),
         f"{report['resolve']['met']}/{report['resolve']['total']}"],
        [_("重复投诉客户数（12个月内2次及以上）"), str(report["repeat_complainants"])],
        [_("满意度平均分"), "" if report["survey_avg"] is None else str(report["survey_avg"])],
    ]  # fmt: skip
    return rows
