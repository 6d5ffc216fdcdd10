"""The bank's daily statement file (CSV), written by both adapters for reconciliation."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

from django.conf import settings

_STATEMENT_FIELDS = ["value_date", "bank_ref", "idempotency_key", "account_last4", "amount",
                     "status", "reason"]  # fmt: skip


def statement_file_write(statement_date: dt.date, rows: list[dict]) -> Path:
    directory = Path(settings.SANDBOX_BANK_DIR)
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"statement-{statement_date.isoformat()}.csv"
    tmp = path.with_suffix(".tmp")
    with tmp.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.DictWriter(fh, fieldnames=_STATEMENT_FIELDS, extrasaction="ignore")
        writer.writeheader()
        writer.writerows(rows)
    tmp.replace(path)
    return path
