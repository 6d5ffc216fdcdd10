"""Regulatory reports (监管报表) for a month: set-based reads of the book as the nightly batch left
it at the month's last closed business date, each report with the definitions it is built on.

The book is the daily snapshot (servicing.eod.steps.snapshot) of that date: a loan's principal,
five-category class and dealer as they stood at the close, not as they stand now. The allowance
is the month's provision run (its ECL, posted or not, and which).
Everything reads the primary database ("default", named explicitly): a report filed with a
regulator must see the postings that just committed, never a lagging replica.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from django.db import DEFAULT_DB_ALIAS, connections
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.money import ZERO
from origination.models.products import VehicleKind
from servicing import loan_rules
from servicing.models.collections import Classification
from servicing.models.provisions import ProvisionStatus

PRIMARY = DEFAULT_DB_ALIAS
RATIO = Decimal("0.0001")
RATE = Decimal("0.000001")
TERM = Decimal("0.1")
LARGE_EXPOSURE_TOP_N = 10
NEW_BUSINESS_MONTHS = 12
CLOSED = loan_rules.closed_sql()
# 次级, 可疑, 损失: the classes stage 3 is made of (declared constants, never input)
NPL_SQL = "(" + ", ".join(f"'{c}'" for c in loan_rules.ECL_IMPAIRED_CLASSES) + ")"
UNKNOWN = "—"


def _ratio(num: Decimal, den: Decimal, places: Decimal = RATIO) -> Decimal | None:
    return (Decimal(num) / Decimal(den)).quantize(places, rounding=ROUND_HALF_UP) if den else None


def _fetch(sql: str, params: dict) -> list[tuple]:
    with connections[PRIMARY].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def report_date(month: dt.date) -> dt.date | None:
    """The month's last snapshot date (its last closed business date), None before any."""
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    rows = _fetch(
        "SELECT max(business_date) FROM servicing_loansnapshot"
        " WHERE business_date BETWEEN %(first)s AND %(last)s",
        {"first": month, "last": last},
    )
    return rows[0][0]


# the book at the report date: one row per open loan (aliases s snapshot, l loan, g dealer)
BOOK = f"""
    FROM servicing_loansnapshot s
    JOIN servicing_loan l ON l.id = s.loan_id
    LEFT JOIN dealers_dealer g ON g.id = s.dealer_id
   WHERE s.business_date = %(as_of)s AND s.status NOT IN {CLOSED}
"""  # noqa: S608 - built from constants


@dataclass(frozen=True)
class Report:
    code: str
    title: object
    definitions: tuple
    header: Callable[[], list]
    rows: Callable[[dt.date, dt.date], list[list]]


def _dimension_label(dimension: str, value: str | None) -> str:
    if dimension == "classification":
        return str(Classification(value).label) if value in Classification.values else UNKNOWN
    if dimension == "vehicle_kind":
        return str(VehicleKind(value).label) if value in VehicleKind.values else UNKNOWN
    if dimension == "region" and not value:
        return _("直销（无经销商）")
    return value or UNKNOWN


DIMENSIONS = {
    "classification": gettext_lazy("五级分类"),
    "product": gettext_lazy("产品"),
    "vehicle_kind": gettext_lazy("车辆类型"),
    "region": gettext_lazy("地区（省份）"),
}


def balances_rows(month: dt.date, as_of: dt.date) -> list[list]:  # noqa: ARG001 - one signature
    """Counts and principal by each dimension, and the total, in one GROUPING SETS statement."""
    found = _fetch(
        f"""
        SELECT s.classification, l.product_rules ->> 'product_code',
               l.product_rules ->> 'vehicle_kind', g.province,
               GROUPING(s.classification), GROUPING(l.product_rules ->> 'product_code'),
               GROUPING(l.product_rules ->> 'vehicle_kind'), GROUPING(g.province),
               count(*), sum(s.principal_outstanding)
        {BOOK}
         GROUP BY GROUPING SETS ((s.classification), (l.product_rules ->> 'product_code'),
                                 (l.product_rules ->> 'vehicle_kind'), (g.province), ())
        """,  # noqa: S608 - built from constants; values are bound
        {"as_of": as_of},
    )
    count, total = next(((r[8], r[9]) for r in found if all(r[4:8])), (0, ZERO))
    out, order = [], list(DIMENSIONS)
    for row in found:
        flags = row[4:8]
        if all(flags):
            continue
        i = flags.index(0)
        dimension = order[i]
        out.append((i, row[i] or "", dimension, row[i], row[8], row[9]))
    out.sort(key=lambda r: (r[0], r[1]))
    rows = [
        [str(DIMENSIONS[d]), _dimension_label(d, v), n, amount, _ratio(amount, total)]
        for _i, _key, d, v, n, amount in out
    ]
    rows.append([_("合计"), "", count, total, Decimal(1) if count else None])
    return rows


def ratio_figures(month: dt.date, as_of: dt.date) -> dict:
    """Loans and NPL at `as_of`, the month's allowance, and the three ratios (four places,
    half-up). The allowance is the ECL of the month's provision run (servicing.services.
    provisions): its posting is dated on the next business date, which may fall in the next
    month, so the run, not the ledger at `as_of`, is the month's figure."""
    loans, npl = _fetch(
        f"""
        SELECT coalesce(sum(s.principal_outstanding), 0),
               coalesce(sum(s.principal_outstanding)
                        FILTER (WHERE s.classification IN {NPL_SQL}), 0)
        {BOOK}
        """,  # noqa: S608 - built from constants; values are bound
        {"as_of": as_of},
    )[0]
    run = _fetch(
        "SELECT ecl, status FROM servicing_provisionrun WHERE month = %(month)s",
        {"month": month},
    )
    allowance, status = run[0] if run else (None, None)
    return {
        "loans": loans,
        "npl": npl,
        "allowance": allowance,
        "provision_status": status,
        "npl_ratio": _ratio(npl, loans),
        "coverage": _ratio(allowance, npl) if allowance is not None else None,
        "provision_ratio": _ratio(allowance, loans) if allowance is not None else None,
    }


def ratios_rows(month: dt.date, as_of: dt.date) -> list[list]:
    f = ratio_figures(month, as_of)
    status = {
        ProvisionStatus.POSTED: _("已过账"),
        ProvisionStatus.COMPUTED: _("已计算，尚未过账"),
    }.get(f["provision_status"], _("尚未计算"))
    return [
        [_("贷款余额"), f["loans"]],
        [_("不良贷款余额（次级＋可疑＋损失）"), f["npl"]],
        [_("贷款损失准备"), f["allowance"]],
        [_("本月减值准备"), status],
        [_("不良贷款率"), f["npl_ratio"]],
        [_("拨备覆盖率"), f["coverage"]],
        [_("贷款拨备率"), f["provision_ratio"]],
    ]


def large_exposures_rows(month: dt.date, as_of: dt.date, top: int = LARGE_EXPOSURE_TOP_N):  # noqa: ARG001
    """The `top` borrowers by principal at `as_of`, their share of all loans and the running share."""
    found = _fetch(
        f"""
        WITH b AS (SELECT l.customer_id, count(*) AS n, sum(s.principal_outstanding) AS amount
                   {BOOK} GROUP BY l.customer_id),
             t AS (SELECT coalesce(sum(amount), 0) AS total FROM b)
        SELECT b.customer_id, b.n, b.amount, t.total
          FROM b CROSS JOIN t
         ORDER BY b.amount DESC, b.customer_id LIMIT %(top)s
        """,  # noqa: S608 - built from constants; values are bound
        {"as_of": as_of, "top": top},
    )
    rows, running = [], ZERO
    for rank, (customer, n, amount, total) in enumerate(found, start=1):
        running += amount
        rows.append([rank, customer, n, amount, _ratio(amount, total), _ratio(running, total)])
    return rows


def new_business_rows(month: dt.date, as_of: dt.date) -> list[list]:  # noqa: ARG001 - one signature
    """Loans funded (by value date) in each of the twelve months ending with `month`."""
    back = month.year * 12 + month.month - NEW_BUSINESS_MONTHS  # months counted from year 0
    first = dt.date(back // 12, back % 12 + 1, 1)
    last = month.replace(day=calendar.monthrange(month.year, month.month)[1])
    found = _fetch(
        """
        SELECT date_trunc('month', l.value_date)::date, count(*), sum(l.amount_financed),
               sum(l.amount_financed * l.customer_rate), sum(a.ltv), count(a.ltv),
               sum(l.term_months)
          FROM servicing_loan l
          LEFT JOIN origination_application a ON a.id = l.application_id
         WHERE l.value_date BETWEEN %(first)s AND %(last)s
         GROUP BY 1 ORDER BY 1
        """,
        {"first": first, "last": last},
    )
    return [
        [
            f"{m:%Y-%m}",
            n,
            amount,
            _ratio(rate_amount, amount, RATE),
            _ratio(ltv_sum, Decimal(ltv_n)) if ltv_n else None,
            _ratio(Decimal(term_sum), Decimal(n), TERM),
        ]
        for m, n, amount, rate_amount, ltv_sum, ltv_n, term_sum in found
    ]


def _as_of_line(as_of: dt.date) -> str:
    return _("口径日：%(date)s（该月最后一个已日结营业日的贷款日快照）。") % {
        "date": f"{as_of:%Y-%m-%d}"
    }


REPORTS = {
    "balances": Report(
        "balances",
        gettext_lazy("贷款余额与笔数（按五级分类、产品、车辆类型、地区）"),
        (
            gettext_lazy("贷款余额：未结清贷款的剩余本金，不含应收利息、费用和罚息。"),
            gettext_lazy(
                "五级分类按逾期天数：正常、关注、次级、可疑、损失（规则见贷款规则模块）。"
            ),
            gettext_lazy(
                "产品：放款时合同所用产品的代码；车辆类型：新车、二手车、新能源车、商用车。"
            ),
            gettext_lazy("地区：经销商所在省份；直销贷款没有经销商，单列。"),
            gettext_lazy("占比：该行余额除以全部贷款余额，保留四位小数，四舍五入。"),
        ),
        lambda: [_("维度"), _("分组"), _("笔数"), _("贷款余额"), _("余额占比")],
        balances_rows,
    ),
    "ratios": Report(
        "ratios",
        gettext_lazy("不良贷款率、拨备覆盖率、贷款拨备率"),
        (
            gettext_lazy("不良贷款：五级分类为次级、可疑、损失的贷款的剩余本金。"),
            gettext_lazy("不良贷款率＝不良贷款余额÷贷款余额。"),
            gettext_lazy(
                "贷款损失准备：本月减值准备计提（预期信用损失）的合计，并注明是否已过账。"
            ),
            gettext_lazy(
                "拨备覆盖率＝贷款损失准备÷不良贷款余额；贷款拨备率＝贷款损失准备÷贷款余额。"
            ),
            gettext_lazy("比率保留四位小数，四舍五入；分母为零时留空。"),
        ),
        lambda: [_("指标"), _("数值")],
        ratios_rows,
    ),
    "large_exposures": Report(
        "large_exposures",
        gettext_lazy("大额风险暴露（前十大借款人）"),
        (
            gettext_lazy("风险暴露：同一借款人（客户编号）全部未结清贷款的剩余本金之和。"),
            gettext_lazy(
                "占比的分母：口径日全部贷款余额（本表不含资本净额，监管以资本为分母的比例须另算）。"
            ),
            gettext_lazy("累计占比：排名至该行的借款人暴露之和÷全部贷款余额，四位小数，四舍五入。"),
        ),
        lambda: [_("排名"), _("客户编号"), _("贷款笔数"), _("风险暴露"), _("占比"), _("累计占比")],
        large_exposures_rows,
    ),
    "new_business": Report(
        "new_business",
        gettext_lazy("新发放贷款（按月）"),
        (
            gettext_lazy("新发放：起息日在该月的贷款，含此后已结清的；截至报表月份的十二个月。"),
            gettext_lazy("金额：融资额；平均利率：按融资额加权的客户年利率，六位小数。"),
            gettext_lazy("平均贷款价值比：审批时车辆部分融资额÷车价的简单平均，只计有该值的贷款。"),
            gettext_lazy("平均期限：期限（月）的简单平均，一位小数；均四舍五入。"),
        ),
        lambda: [
            _("月份"),
            _("笔数"),
            _("金额"),
            _("平均利率"),
            _("平均贷款价值比"),
            _("平均期限（月）"),
        ],
        new_business_rows,
    ),
}


def report_table(code: str, month: dt.date) -> dict | None:
    """The report's title, definitions, header and rows for `month`; None before any snapshot."""
    report = REPORTS[code]
    as_of = report_date(month)
    if as_of is None:
        return None
    return {
        "code": code,
        "title": str(report.title),
        "definitions": [_as_of_line(as_of), *(str(d) for d in report.definitions)],
        "header": report.header(),
        "rows": report.rows(month, as_of),
        "as_of": as_of,
    }
