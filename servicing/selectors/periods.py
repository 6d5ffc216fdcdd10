"""Month-end close reads: the periods with their status, each period's close checklist (computed
from what the books and the nightly batch say, never ticked by hand), and the trial balance and
GL extract for a period's CSV downloads (the extract's lines: servicing.selectors.gl_mapping).

Everything here reads the primary database ("default", named explicitly): a close must see the
postings that just committed, never a lagging replica.
"""

from __future__ import annotations

import calendar
import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db import DEFAULT_DB_ALIAS
from django.db.models import Count, Min, Q, Sum
from django.utils.translation import gettext as _

from autofin.business_date import business_date_current
from autofin.money import ZERO
from servicing.models.eod import BatchRun, LedgerBreak, RunStatus
from servicing.models.gl_mapping import RegulatoryReportFile
from servicing.models.invoices import Invoice
from servicing.models.ledger import AccountCode, JournalEntry, JournalLine, Side
from servicing.models.periods import AccountingPeriod, PeriodStatus
from servicing.models.provisions import ProvisionRun, ProvisionStatus
from servicing.selectors.ledger import TrialBalance, trial_balance
from servicing.selectors.regulatory import REPORTS

PRIMARY = DEFAULT_DB_ALIAS


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return month.replace(day=calendar.monthrange(month.year, month.month)[1])


@dataclass(frozen=True)
class PeriodRow:
    month: dt.date
    status: str
    period: AccountingPeriod | None

    @property
    def status_label(self) -> str:
        return str(PeriodStatus(self.status).label)


def periods_list() -> list[PeriodRow]:
    """Every month from the first posting to the current business month, newest first; a month
    without a stored row is open."""
    today = business_date_current()
    first = JournalEntry.objects.using(PRIMARY).aggregate(d=Min("business_date"))["d"] or today
    stored = {p.month: p for p in AccountingPeriod.objects.using(PRIMARY).all()}
    months, month = [], month_start(first)
    while month <= today:
        months.append(month)
        month = (month + dt.timedelta(days=32)).replace(day=1)
    return [
        PeriodRow(m, stored[m].status if m in stored else PeriodStatus.OPEN, stored.get(m))
        for m in reversed(months)
    ]


def period_status(month: dt.date) -> str:
    found = (
        AccountingPeriod.objects.using(PRIMARY)
        .filter(month=month)
        .values_list("status", flat=True)
        .first()
    )
    return found or PeriodStatus.OPEN


@dataclass(frozen=True)
class CheckItem:
    code: str  # stable, for tests and the page's test ids; never shown
    label: str
    passed: bool
    detail: str


@dataclass(frozen=True)
class VatReport:
    """The month's output VAT (销项税额) as the VAT return needs it: the tax on the invoices issued
    in the month (red-letter ones negative), and what the ledger's vat_output account moved by."""

    invoices: int
    invoiced_tax: Decimal
    ledger_tax: Decimal

    @property
    def agrees(self) -> bool:
        return self.invoiced_tax == self.ledger_tax


def vat_report_for(month: dt.date) -> VatReport:
    last = month_end(month)
    issued = (
        Invoice.objects.using(PRIMARY)
        .filter(issued_on__range=(month, last))
        .aggregate(n=Count("id"), tax=Sum("tax"))
    )
    moved = (
        JournalLine.objects.using(PRIMARY)
        .filter(account__code=AccountCode.VAT_OUTPUT, entry__business_date__range=(month, last))
        .aggregate(
            c=Sum("amount", filter=Q(side=Side.CREDIT)),
            d=Sum("amount", filter=Q(side=Side.DEBIT)),
        )
    )
    return VatReport(
        invoices=issued["n"],
        invoiced_tax=issued["tax"] or ZERO,
        ledger_tax=(moved["c"] or ZERO) - (moved["d"] or ZERO),
    )


def period_checklist(month: dt.date) -> list[CheckItem]:
    """What must hold before `month` closes; each item says what it found."""
    last = month_end(month)
    days = (last - month).days + 1
    closed_days = (
        BatchRun.objects.using(PRIMARY)
        .filter(business_date__range=(month, last), status=RunStatus.SUCCEEDED)
        .count()
    )
    breaks = (
        LedgerBreak.objects.using(PRIMARY)
        .filter(business_date__lte=last, resolved_on__isnull=True)
        .count()
    )
    provision = (
        ProvisionRun.objects.using(PRIMARY)
        .filter(month=month)
        .values_list("status", flat=True)
        .first()
    )
    tb = trial_balance_for(month)
    vat = vat_report_for(month)
    generated = set(
        RegulatoryReportFile.objects.using(PRIMARY)
        .filter(month=month, report__in=list(REPORTS))
        .values_list("report", flat=True)
    )
    return [
        CheckItem(
            "batch_days",
            _("本月每个营业日均已日结"),
            closed_days == days,
            _("已日结 %(done)d / %(days)d 天") % {"done": closed_days, "days": days},
        ),
        CheckItem(
            "reconciliation",
            _("对账无未解决差异"),
            breaks == 0,
            _("未解决差异 %(n)d 条") % {"n": breaks},
        ),
        CheckItem(
            "provisions",
            _("本月减值准备已过账"),
            provision == ProvisionStatus.POSTED,
            {
                ProvisionStatus.POSTED: _("已过账"),
                ProvisionStatus.COMPUTED: _("已计算，尚未过账"),
            }.get(provision, _("尚未计算")),
        ),
        CheckItem(
            "trial_balance",
            _("试算平衡（借贷差额为零）"),
            tb.total == 0,
            _("借贷差额 %(total)s") % {"total": tb.total},
        ),
        CheckItem(
            "vat_report",
            _("本期销项税额与已开发票一致（增值税申报）"),
            vat.agrees,
            _("发票 %(n)d 张，税额 %(invoiced)s；销项税额科目 %(ledger)s")
            % {"n": vat.invoices, "invoiced": vat.invoiced_tax, "ledger": vat.ledger_tax},
        ),
        CheckItem(
            "regulatory_reports",
            _("本期监管报表已生成"),
            len(generated) == len(REPORTS),
            _("已生成 %(done)d / %(all)d 张") % {"done": len(generated), "all": len(REPORTS)},
        ),
    ]


def trial_balance_for(month: dt.date) -> TrialBalance:
    """The trial balance as the period left it: every entry dated up to its last day."""
    return trial_balance(as_of=month_end(month))
