"""Court lists (法院名单) into the one watch-list store: the enforcement list (被执行人) and the
dishonest-debtor list (失信被执行人), each a file from the court feed.

The file (CSV, UTF-8, a header row; one file per list; a sample: risk/data/court_list_sample.csv):

| column | meaning |
| --- | --- |
| case_no | the enforcement case number (案号), e.g. (2026)沪0115执1234号; unique in the list |
| name | the debtor's name as the court writes it |
| id_number | the debtor's full resident ID number; required (the book is matched by its keyed hash); hashed on load, never stored |
| court | the enforcing court (执行法院) |
| filed_on | the case's filing date (立案日期), YYYY-MM-DD |
| amount | the amount to be enforced (执行标的, CNY), optional |

A load replaces its list (entries in the file added or updated, entries missing deactivated) as
`watch_list_store` does for every list; loading the same file again changes nothing. Matching
the book against the list and raising the early warning is servicing's nightly step
(servicing.eod.steps.court_lists).
"""

from __future__ import annotations

import csv
import hashlib
import io
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

from risk.models import WatchListLoad, WatchListType
from risk.services.watch_list import watch_list_entry_values, watch_list_store

COURT_COLUMNS = ("case_no", "name", "id_number", "court", "filed_on", "amount")
# One source per list: a reload replaces that list only.
COURT_SOURCES = {
    WatchListType.COURT_ENFORCEMENT: "法院被执行人名单",
    WatchListType.DISHONEST_DEBTOR: "失信被执行人名单",
}
SAMPLE_FILE = Path(__file__).resolve().parents[1] / "data" / "court_list_sample.csv"


def court_list_parse(content: bytes, *, list_type: str) -> list[dict]:
    """The entries of a court file; the whole file is refused on the first bad row."""
    if list_type not in COURT_SOURCES:
        raise ValidationError(_("不是法院名单类型：%(t)s") % {"t": list_type})
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    missing = set(COURT_COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(_("法院名单文件缺少列：%(c)s") % {"c": ", ".join(sorted(missing))})
    parsed = []
    for line, row in enumerate(reader, start=2):
        if not (row.get("id_number") or "").strip():
            raise ValidationError(_("第 %(line)s 行：法院名单须有身份证号。") % {"line": line})
        note = "；".join(
            x
            for x in (
                (row.get("court") or "").strip(),
                (row.get("filed_on") or "").strip()
                and _("立案 %(d)s") % {"d": row["filed_on"].strip()},
                (row.get("amount") or "").strip()
                and _("执行标的 ¥%(a)s") % {"a": row["amount"].strip()},
            )
            if x
        )
        parsed.append(
            watch_list_entry_values(
                {
                    "list_type": list_type,
                    "external_ref": row.get("case_no"),
                    "name": row.get("name"),
                    "id_number": row.get("id_number"),
                    "note": note,
                },
                line,
            )
        )
    return parsed


def court_list_load(
    *, path: Path, list_type: str, actor: Any, skip_known: bool = False
) -> WatchListLoad | None:
    """Load one court list file. With `skip_known` (the nightly drop folder) a file already
    loaded byte for byte is not loaded again (None)."""
    content = Path(path).read_bytes()
    source = COURT_SOURCES.get(list_type, "")
    digest = hashlib.sha256(content).hexdigest()
    if skip_known and WatchListLoad.objects.filter(source=source, sha256=digest).exists():
        return None
    return watch_list_store(
        content=content,
        file_name=Path(path).name,
        parsed=court_list_parse(content, list_type=list_type),
        source=source,
        actor=actor,
    )
