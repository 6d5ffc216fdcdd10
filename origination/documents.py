"""The repayment schedule as a document: printable HTML, CSV (Excel-friendly) and PDF.

Built either from a priced calculator option or from a saved quote, so both download the same
layout. The PDF is WeasyPrint with the Noto Sans CJK SC font (fonts-noto-cjk)."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from decimal import Decimal

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from autofin.money import format_cny
from autofin.pricing import ReadOutRow, apr_percent
from origination.models import ProductVersion, Quote, RepaymentMethod
from origination.quoting.deal import Deal, QuoteEvaluation


@dataclass
class ScheduleDocument:
    title: str
    subtitle: str
    summary: list[tuple[str, str]]
    # A calculator option's rows are the engine's read-out (columns as attributes), a saved
    # quote's are its stored JSON (columns as keys): templates read both as row.column.
    rows: list[ReadOutRow] | list[dict]
    notes: list[str] = field(default_factory=list)
    filename: str = "schedule"


def _rate(value: Decimal | None) -> str:
    return "" if value is None else f"{apr_percent(value)}%"


def _summary(
    *,
    version: ProductVersion,
    price: Decimal,
    down_payment: Decimal,
    amount_financed: Decimal,
    term_months: int,
    method: str,
    customer_rate: Decimal,
    lender_rate: Decimal,
    subsidy: Decimal,
    apr: Decimal,
    monthly_payment: Decimal,
    total_interest: Decimal,
    financed_fees: Decimal,
    upfront_fees: Decimal,
    balloon_amount: Decimal,
) -> list[tuple[str, str]]:
    items = [
        (_("产品"), f"{version.product.name}（{_('版本')} {version.number}）"),
        (_("车价"), format_cny(price)),
        (_("首付"), format_cny(down_payment)),
        (_("融资额"), format_cny(amount_financed)),
        (_("期限"), _("%(n)s 期") % {"n": term_months}),
        (_("还款方式"), str(RepaymentMethod(method).label)),
        (_("客户年利率"), _rate(customer_rate)),
        (_("年化利率（IRR 法）"), f"{apr_percent(apr)}%"),
        (_("首期月供"), format_cny(monthly_payment)),
        (_("总利息"), format_cny(total_interest)),
        (_("融资费用"), format_cny(financed_fees)),
        (_("签约时缴纳的费用"), format_cny(upfront_fees)),
    ]
    if balloon_amount:
        items.append((_("尾款"), format_cny(balloon_amount)))
    if customer_rate < lender_rate:
        items.append((_("资金方收益率"), _rate(lender_rate)))
        items.append((_("厂商贴息金额"), format_cny(subsidy)))
    return items


NOTES = [
    gettext_noop(
        "年化利率按 IRR 法计算（中国人民银行公告〔2021〕第 3 号），已计入手续费等全部费用。"
    ),
    gettext_noop("本计划为试算结果，以最终签署的合同为准。"),
]


def document_from_evaluation(
    *, version: ProductVersion, deal: Deal, evaluation: QuoteEvaluation
) -> ScheduleDocument:
    schedule = evaluation.schedule
    totals = schedule.totals
    return ScheduleDocument(
        title=_("还款计划表"),
        subtitle=_("试算日期 %(date)s") % {"date": deal.value_date.isoformat()},
        summary=_summary(
            version=version,
            price=deal.vehicle_price,
            down_payment=evaluation.down_payment,
            amount_financed=evaluation.amount_financed,
            term_months=deal.term_months,
            method=deal.method,
            customer_rate=evaluation.customer_rate,
            lender_rate=evaluation.lender_rate,
            subsidy=evaluation.subsidy_amount,
            apr=evaluation.apr,
            monthly_payment=evaluation.monthly_payment,
            total_interest=totals.interest,
            financed_fees=evaluation.financed_fees,
            upfront_fees=evaluation.upfront_fees,
            balloon_amount=evaluation.balloon_amount,
        ),
        rows=schedule.rows_read_out(),
        notes=[_(n) for n in NOTES],
        filename=f"schedule-{version.product.code}-{deal.term_months}m",
    )


def document_from_quote(quote: Quote) -> ScheduleDocument:
    version = quote.product_version
    return ScheduleDocument(
        title=_("还款计划表"),
        subtitle=_("报价编号 %(ref)s · 报价日期 %(date)s")
        % {"ref": str(quote.reference)[:8], "date": quote.value_date.isoformat()},
        summary=_summary(
            version=version,
            price=quote.vehicle_price,
            down_payment=quote.down_payment,
            amount_financed=quote.amount_financed,
            term_months=quote.term_months,
            method=quote.method,
            customer_rate=quote.customer_rate,
            lender_rate=quote.lender_rate,
            subsidy=quote.subsidy_amount,
            apr=quote.apr,
            monthly_payment=quote.monthly_payment,
            total_interest=quote.total_interest,
            financed_fees=quote.financed_fees,
            upfront_fees=quote.upfront_fees,
            balloon_amount=quote.balloon_amount,
        ),
        rows=quote.schedule,
        notes=[_(n) for n in NOTES],
        filename=f"quote-{str(quote.reference)[:8]}",
    )


COLUMNS = (
    ("instalment_no", gettext_noop("期数")),
    ("due_date", gettext_noop("还款日")),
    ("opening_balance", gettext_noop("期初本金")),
    ("principal", gettext_noop("本金")),
    ("interest", gettext_noop("利息")),
    ("fee", gettext_noop("费用")),
    ("instalment", gettext_noop("月供")),
    ("closing_balance", gettext_noop("期末本金")),
)


def document_csv(doc: ScheduleDocument) -> bytes:
    """UTF-8 with a byte-order mark, so Excel on a Chinese Windows opens it correctly."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([doc.title, doc.subtitle])
    for label, value in doc.summary:
        writer.writerow([label, value])
    writer.writerow([])
    writer.writerow([_(label) for _key, label in COLUMNS])
    for row in doc.rows:
        writer.writerow([str(_cell(row, key)) for key, _label in COLUMNS])
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _cell(row: ReadOutRow | dict, column: str) -> object:
    return row[column] if isinstance(row, dict) else getattr(row, column)


def document_html(doc: ScheduleDocument, *, for_pdf: bool) -> str:
    return render_to_string(
        "origination/schedule_document.html",
        {"doc": doc, "columns": [(k, _(label)) for k, label in COLUMNS], "for_pdf": for_pdf},
    )


def document_pdf(doc: ScheduleDocument) -> bytes:
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    return HTML(string=document_html(doc, for_pdf=True)).write_pdf()
