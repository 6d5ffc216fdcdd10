"""Loading a watch list from its file (CSV) into the one store (`WatchListEntry`).

The file's columns (UTF-8, a header row; the sandbox sample is risk/data/watch_list_sandbox.csv):

| column | meaning |
| --- | --- |
| list_type | sanctions / pep / internal / court_enforcement / dishonest_debtor |
| external_ref | the entry's number in its source list (unique per source) |
| name | the name as the list writes it: Chinese characters or pinyin/Latin letters |
| name_variants | other spellings and aliases, separated by "|" |
| id_number | resident ID number if the list has one; hashed on load, never stored |
| birth_date | YYYY-MM-DD, if known |
| note | free text (programme, position, case number) |

A load replaces one source's list: entries in the file are added or updated, entries of the
same source missing from it are deactivated. A load that changed anything is screened against
the whole book by the nightly task (`watch_list_rescreen`).
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import keyed_hash
from risk.models import WatchListEntry, WatchListLoad, WatchListType
from risk.name_matching import name_keys

SANDBOX_FILE = Path(__file__).resolve().parents[1] / "data" / "watch_list_sandbox.csv"
SANDBOX_SOURCE = "沙箱示例名单"  # the source name shown to compliance beside each entry
COLUMNS = ("list_type", "external_ref", "name", "name_variants", "id_number", "birth_date", "note")
# The fields whose change makes an entry worth screening the book against again.
_COMPARED = ("list_type", "name", "name_variants", "id_hash", "birth_date", "active")
_STORED = (
    "list_type",
    "name",
    "name_variants",
    "name_keys",
    "id_hash",
    "birth_date",
    "note",
    "active",
)


def watch_list_entry_values(row: dict, line: int) -> dict:
    list_type = (row.get("list_type") or "").strip()
    if list_type not in WatchListType.values:
        raise ValidationError(
            _("第 %(line)s 行：未知的名单类型 %(t)s。") % {"line": line, "t": list_type}
        )
    ref, name = (row.get("external_ref") or "").strip(), (row.get("name") or "").strip()
    if not ref or not name:
        raise ValidationError(_("第 %(line)s 行：名单编号和姓名不能为空。") % {"line": line})
    birth = (row.get("birth_date") or "").strip()
    try:
        birth_date = dt.date.fromisoformat(birth) if birth else None
    except ValueError:
        raise ValidationError(
            _("第 %(line)s 行：出生日期格式应为 YYYY-MM-DD。") % {"line": line}
        ) from None
    variants = [v.strip() for v in (row.get("name_variants") or "").split("|") if v.strip()]
    return {
        "list_type": list_type,
        "external_ref": ref,
        "name": name,
        "name_variants": variants,
        "name_keys": name_keys(name, variants),
        "id_hash": keyed_hash((row.get("id_number") or "").strip()),
        "birth_date": birth_date,
        "note": (row.get("note") or "").strip()[:300],
        "active": True,
    }


def watch_list_parse(content: bytes) -> list[dict]:
    """The entries of a list file; the whole file is refused on the first bad row."""
    reader = csv.DictReader(io.StringIO(content.decode("utf-8-sig")))
    missing = set(COLUMNS) - set(reader.fieldnames or ())
    if missing:
        raise ValidationError(_("名单文件缺少列：%(c)s") % {"c": ", ".join(sorted(missing))})
    return [watch_list_entry_values(row, n) for n, row in enumerate(reader, start=2)]


def watch_list_load(*, path: Path, source: str, actor: Any) -> WatchListLoad:
    """Load one source's list file: add, update, deactivate; audited, in one transaction."""
    content = Path(path).read_bytes()
    return watch_list_store(
        content=content,
        file_name=Path(path).name,
        parsed=watch_list_parse(content),
        source=source,
        actor=actor,
    )


def watch_list_store(
    *, content: bytes, file_name: str, parsed: list[dict], source: str, actor: Any
) -> WatchListLoad:
    """Replace one source's entries with `parsed` (entry values as `watch_list_parse` gives
    them): set-based, so a court list of a million rows is a few statements."""
    with transaction.atomic():
        load = WatchListLoad.objects.create(
            source=source,
            file_name=file_name,
            sha256=hashlib.sha256(content).hexdigest(),
            loaded_by=str(actor),
        )
        existing = {
            e.external_ref: e
            for e in WatchListEntry.objects.select_for_update().filter(source=source)
        }
        seen, new, changed = set(), [], []
        for values in parsed:
            if values["external_ref"] in seen:
                continue  # a file naming an entry twice: the first row counts
            seen.add(values["external_ref"])
            entry = existing.get(values["external_ref"])
            if entry is None:
                new.append(WatchListEntry(source=source, load=load, **values))
            elif any(getattr(entry, f) != values[f] for f in _COMPARED):
                for f, v in values.items():
                    setattr(entry, f, v)
                entry.load = load
                changed.append(entry)
        WatchListEntry.objects.bulk_create(new, batch_size=2000)
        WatchListEntry.objects.bulk_update(changed, [*_STORED, "load"], batch_size=2000)
        load.added, load.changed = len(new), len(changed)
        gone = [e.pk for ref, e in existing.items() if ref not in seen and e.active]
        load.removed = WatchListEntry.objects.filter(pk__in=gone).update(active=False, load=load)
        load.save(update_fields=["added", "changed", "removed"])
        audit_record(
            actor=actor,
            obj=load,
            action="watch_list_load",
            data={
                "source": source,
                "file": load.file_name,
                "sha256": load.sha256,
                "added": load.added,
                "changed": load.changed,
                "removed": load.removed,
            },
        )
    return load
