"""A dealer's monthly KPIs as bar charts (the portal page; the managers' dealer page shows two)."""

from __future__ import annotations

from django.utils.translation import gettext

from dealers import selectors
from dealers.charts import bar_chart_svg
from dealers.views.access import portal_render, portal_view


def kpi_charts(dealer_id: int) -> tuple[list[dict], list]:
    series = selectors.dealer_kpi_series(dealer_id, months=12)
    labels = [selectors.month_label(row["month"]) for row in series]

    def col(key):
        return [row.get(key) for row in series]

    def pct(v):
        return f"{v * 100:.1f}%"

    charts = [
        {
            "title": gettext("进件量"),
            "svg": bar_chart_svg(
                title=gettext("进件量"), labels=labels, values=col("applications")
            ),
        },
        {
            "title": gettext("审批通过率"),
            "svg": bar_chart_svg(
                title=gettext("审批通过率"),
                labels=labels,
                values=col("approval_rate"),
                value_format=pct,
            ),
        },
        {
            # the unit in the translated title: the bars carry numbers only, in any language
            "title": gettext("放款金额（万元）"),
            "svg": bar_chart_svg(
                title=gettext("放款金额（万元）"),
                labels=labels,
                values=col("funded_amount"),
                value_format=lambda v: f"{v / 10000:.1f}",
            ),
        },
        {
            "title": gettext("平均审批时长（小时）"),
            "svg": bar_chart_svg(
                title=gettext("平均审批时长（小时）"),
                labels=labels,
                values=col("avg_decision_hours"),
                value_format=lambda v: f"{v:.1f}",
            ),
        },
    ]
    return charts, series


@portal_view
def portal_kpis(request):
    charts, series = kpi_charts(request.dealer.pk)
    return portal_render(request, "dealers/portal_kpis.html", {"charts": charts, "series": series})
