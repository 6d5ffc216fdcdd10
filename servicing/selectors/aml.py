"""Reads for the compliance pages: AML alerts, one alert with its loan, customer and the
repayments it is about, and the report file of a confirmed alert.

The report file (CSV, UTF-8 with BOM, one header row then one row per transaction), modelled
on the fields of the PBoC reporting format for 大额交易报告 (BH) and 可疑交易报告 (BS):

| column | meaning |
| --- | --- |
| 报告类型 | BH 大额交易报告 / BS 可疑交易报告 |
| 报告编号 | AML-<alert id>, stable: a corrected file keeps the number |
| 报告机构 | the reporting institution (setting AML_REPORTING_INSTITUTION) |
| 预警类型 | the rule that raised the alert (Chinese label) |
| 客户姓名 / 证件类型 / 证件号码 | the borrower: name, 居民身份证, the full ID number |
| 合同编号 | the loan contract |
| 交易日期 / 交易流水号 / 交易金额 / 币种 / 资金渠道 / 交易用途 | one row per repayment |
| 调查结论 | the compliance officer's decision text |
| 结论日期 / 报告截止日 | the decision's business date; due 5 working days after the transaction (BH) or after the decision (BS) |
"""

from __future__ import annotations

import csv
import io

from django.conf import settings
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from autofin.crypto import decrypt
from autofin.money import format_cny
from origination.models.applications import Applicant, ApplicantRole
from servicing.models.aml import LARGE_VALUE_KINDS, AmlAlert, AmlAlertKind, AmlAlertStatus
from servicing.models.repayments import Repayment

HEADER = [
    "报告类型",
    "报告编号",
    "报告机构",
    "预警类型",
    "客户姓名",
    "证件类型",
    "证件号码",
    "合同编号",
    "交易日期",
    "交易流水号",
    "交易金额",
    "币种",
    "资金渠道",
    "交易用途",
    "调查结论",
    "结论日期",
    "报告截止日",
]


def aml_alerts(*, status: str | None = None) -> QuerySet[AmlAlert]:
    qs = AmlAlert.objects.select_related("loan", "loan__customer")
    return qs.filter(status=status) if status else qs


def _borrower(alert: AmlAlert) -> Applicant | None:
    return Applicant.objects.filter(
        application_id=alert.loan.application_id, role=ApplicantRole.PRIMARY
    ).first()


def aml_alert_view(alert: AmlAlert) -> dict:
    """The case page's facts: the borrower (ID masked), the repayments, the rule's evidence."""
    borrower = _borrower(alert)
    return {
        "alert": alert,
        "borrower_name": borrower.name if borrower else str(alert.loan.customer),
        "borrower_id": borrower.id_number_masked if borrower else "",
        "repayments": Repayment.objects.filter(pk__in=alert.repayment_ids).order_by("id"),
        "large_value": alert.kind in LARGE_VALUE_KINDS,
        "reportable": alert.status == AmlAlertStatus.CONFIRMED,
        "explained": aml_alert_explained(alert),
    }


def aml_report_file(alert: AmlAlert) -> tuple[str, bytes]:
    """The report of a confirmed alert: (file name, CSV bytes)."""
    if alert.status != AmlAlertStatus.CONFIRMED:
        raise ValueError("only a confirmed alert is reported")
    borrower = _borrower(alert)
    kind = "BH" if alert.kind in LARGE_VALUE_KINDS else "BS"
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(HEADER)
    for r in Repayment.objects.filter(pk__in=alert.repayment_ids).order_by("id"):
        writer.writerow(
            [
                kind,
                f"AML-{alert.pk}",
                settings.AML_REPORTING_INSTITUTION,
                alert.get_kind_display(),
                borrower.name if borrower else str(alert.loan.customer),
                "居民身份证" if borrower else "",
                decrypt(borrower.id_number_enc) if borrower else "",
                alert.loan.contract_ref,
                r.received_on.isoformat() if r.received_on else "",
                r.external_ref or f"R{r.pk}",
                str(r.amount),
                "CNY",
                r.get_payment_channel_display(),
                r.get_purpose_display(),
                alert.decision_text,
                alert.decided_on.isoformat() if alert.decided_on else "",
                alert.report_due.isoformat() if alert.report_due else "",
            ]
        )
    name = f"{kind}-AML-{alert.pk}-{alert.business_date:%Y%m%d}.csv"
    return name, ("\ufeff" + out.getvalue()).encode("utf-8")


def aml_alert_explained(alert: AmlAlert) -> list[str]:
    """Why the rule fired, in the officer's words (the stored facts are codes and figures)."""
    f = alert.facts or {}
    if alert.kind in LARGE_VALUE_KINDS:
        return [
            _("当日累计 %(total)s（%(n)s 笔），达到大额交易标准 %(t)s（%(from)s 起施行的标准）。")
            % {
                "total": format_cny(alert.amount),
                "n": f.get("count", 1),
                "t": format_cny(f.get("threshold")),
                "from": f.get("table_from", ""),
            }
        ]
    if alert.kind == AmlAlertKind.STRUCTURING:
        if f.get("rule") == "just_under":
            first = _("%(n)s 天的单日合计均略低于大额标准 %(t)s（不低于 %(floor)s）：%(days)s。")
        else:
            first = _("%(n)s 天的单日合计均低于大额标准 %(t)s，但合计已达到：%(days)s。")
        return [
            first
            % {
                "n": len(f.get("days", [])),
                "t": format_cny(f.get("threshold")),
                "floor": format_cny(f.get("floor")),
                "days": _("、").join(f.get("days", [])),
            }
        ]
    if alert.kind == AmlAlertKind.EARLY_SETTLEMENT:
        return [
            _("放款日 %(funded)s，放款后第 %(days)s 天提前结清（预警线 %(limit)s 天）。")
            % {"funded": f.get("funded_on"), "days": f.get("days"), "limit": f.get("limit")}
        ]
    if alert.kind == AmlAlertKind.THIRD_PARTY_PAYER:
        return [
            _("还款来自 %(n)s 个非借款人本人登记账户的付款账户。")
            % {"n": f.get("payer_accounts", 1)}
        ]
    return [
        _("%(days)s 日内人工入账 %(n)s 笔（预警线 %(limit)s 笔）。")
        % {"days": f.get("days"), "n": f.get("count"), "limit": f.get("limit")}
    ]
