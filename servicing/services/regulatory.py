"""Generating a month's regulatory report: the figures (servicing.selectors.regulatory) and a
record that it was generated, by whom and at which date its figures stand — what the period's
close checklist asks for."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db import transaction

from autofin.audit import audit_record
from servicing.models.gl_mapping import RegulatoryReportFile
from servicing.selectors.regulatory import report_table


def regulatory_report_generate(*, code: str, month: dt.date, actor: Any) -> dict | None:
    """The report's table for `month` (None when the month has no closed business day yet),
    recorded as generated."""
    table = report_table(code, month)
    if table is None:
        return None
    with transaction.atomic():
        record, _created = RegulatoryReportFile.objects.update_or_create(
            month=month,
            report=code,
            defaults={"as_of": table["as_of"], "rows": len(table["rows"]), "generated_by": actor},
        )
        audit_record(
            actor=actor,
            obj=record,
            action="regulatory_report_generate",
            data={"as_of": f"{table['as_of']}", "rows": len(table["rows"])},
        )
    return table
