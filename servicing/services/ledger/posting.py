"""Writing entries: the headers inserted idempotently (ON CONFLICT on the key; a replay returns the
first entry, a replay that differs raises) and the lines of every entry, all in ONE statement, as
the database's per-statement balance check requires."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.utils.translation import gettext as _

from servicing.models.ledger import JournalEntry
from servicing.services.hotpath import prepared_execute
from servicing.services.ledger.entries import (
    EntrySpec,
    IdempotencyConflictError,
    LedgerError,
    Line,
    LineInput,
    PeriodClosedError,
    Prepared,
    actor_fields,
    codes_check,
    entries_prepare,
)


def _existing_signatures(keys: Sequence[str]) -> dict[str, tuple[int, tuple[str, str, Counter]]]:
    """Entry id and (source_type, source_id, lines) of the entries already posted with these keys."""
    result: dict[str, tuple[int, tuple[str, str, Counter]]] = {}
    if not keys:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.idempotency_key, e.id, e.source_type, e.source_id,
                   a.code, l.side, l.amount, l.loan_id, l.dealer_id, l.floorplan_advance_id
              FROM servicing_journalentry e
              -- the entry's date names the one month partition holding its lines
              JOIN servicing_journalline l
                ON l.entry_id = e.id AND l.business_date = e.business_date
              JOIN servicing_ledgeraccount a ON a.id = l.account_id
             WHERE e.idempotency_key = ANY(%s)
            """,
            [list(keys)],
        )
        for key, entry_id, source_type, source_id, code, *line in cursor:
            if key not in result:
                result[key] = (entry_id, (source_type, source_id, Counter()))
            result[key][1][2][Line(code, *line)] += 1
    return result


def _insert_entries(
    prepared: Sequence[Prepared], *, created_by_id: int | None, created_by_label: str
) -> dict[str, tuple[int, dt.datetime]]:
    """ONE statement for every header and every line, whatever their number; returns
    {key: (id, posted_at)} for the headers it inserted (a key already taken inserts nothing,
    neither header nor lines).

    The lines are a data-modifying CTE reading the headers' RETURNING, so they are in the same
    statement as their header, as the database's balance check asks, and the check (an AFTER
    STATEMENT trigger) sees both. Lines name their account by code, resolved to its id by the
    statement itself (codes were checked by `codes_check`): no look-up round trip. Line ids
    follow the caller's order (debits first, as the entry was written), which statements and
    pages list by."""
    lines = [
        (p.spec.idempotency_key, line.account_code, line.side, line.amount, line.loan_id,
         line.dealer_id, line.floorplan_advance_id)
        for p in prepared
        for line in p.lines
    ]  # fmt: skip
    with connection.cursor() as cursor:
        prepared_execute(
            cursor,
            """
            WITH h AS (
                INSERT INTO servicing_journalentry
                    (business_date, source_type, source_id, loan_id, description,
                     idempotency_key, reverses_id, created_by_id, created_by_label)
                SELECT h.business_date, h.source_type, h.source_id, h.loan_id, h.description,
                       h.idempotency_key, h.reverses_id, %s::bigint, %s::varchar
                  FROM unnest(%s::date[], %s::varchar[], %s::varchar[], %s::bigint[],
                              %s::varchar[], %s::varchar[], %s::bigint[])
                       AS h(business_date, source_type, source_id, loan_id, description,
                            idempotency_key, reverses_id)
                ON CONFLICT (idempotency_key) DO NOTHING
                RETURNING idempotency_key, id, posted_at, business_date
            ), l AS (
                INSERT INTO servicing_journalline
                    (entry_id, account_id, side, amount, loan_id, dealer_id,
                     floorplan_advance_id, business_date)
                SELECT h.id,
                       (SELECT a.id FROM servicing_ledgeraccount a WHERE a.code = l.code),
                       l.side, l.amount, l.loan_id, l.dealer_id, l.floorplan_advance_id,
                       h.business_date
                  FROM unnest(%s::varchar[], %s::varchar[], %s::varchar[], %s::numeric[],
                              %s::bigint[], %s::bigint[], %s::bigint[]) WITH ORDINALITY
                       AS l(idempotency_key, code, side, amount, loan_id, dealer_id,
                            floorplan_advance_id, n)
                  JOIN h ON h.idempotency_key = l.idempotency_key
                 ORDER BY l.n
            )
            SELECT idempotency_key, id, posted_at FROM h
            """,
            [
                created_by_id,
                created_by_label,
                [p.spec.business_date for p in prepared],
                [p.spec.source_type for p in prepared],
                [p.source_id for p in prepared],
                [p.loan_id for p in prepared],
                [p.spec.description for p in prepared],
                [p.spec.idempotency_key for p in prepared],
                [p.spec.reverses_id for p in prepared],
                *([list(col) for col in zip(*lines, strict=True)] if lines else [[]] * 7),
            ],
        )
        return {key: (entry_id, posted_at) for key, entry_id, posted_at in cursor.fetchall()}


def entries_post(
    specs: Sequence[EntrySpec], *, actor: Any
) -> list[tuple[int, dt.datetime | None, Prepared]]:
    """Validate and write; returns (entry id, posted_at or None if replayed, prepared) per spec.

    ONE statement writes every header and line (`_insert_entries`); a replayed key is then
    checked against the entry first posted with it (one more read, only when some key was
    taken). One entry posted inside the caller's transaction (a repayment, a reversal) takes
    that one statement, no savepoint: a replay or a conflict writes nothing, and a database
    error aborts the caller's transaction, which rolls back as a whole. Several entries, or an
    entry posted outside a transaction, run in their own atomic block (all or nothing).
    """
    prepared = [entries_prepare(spec) for spec in specs]
    seen: dict[str, Prepared] = {}
    for p in prepared:
        first = seen.setdefault(p.spec.idempotency_key, p)
        if first is not p:
            raise IdempotencyConflictError(
                _("同一批次中幂等键 %(key)s 重复") % {"key": p.spec.idempotency_key}
            )
    codes_check(line.account_code for p in prepared for line in p.lines)
    created_by_id, created_by_label = actor_fields(actor)
    # One entry inside the caller's transaction needs no savepoint: a replay or a conflict wrote
    # nothing (its header insert did nothing, so did its lines).
    inline = len(prepared) == 1 and connection.in_atomic_block
    try:
        with contextlib.nullcontext() if inline else transaction.atomic():
            return _write(prepared, created_by_id, created_by_label)
    except IntegrityError as exc:
        # The database holds the period rule (migration 0018); it names the closed month.
        diag = getattr(exc.__cause__, "diag", None)
        if getattr(diag, "constraint_name", None) != "accounting_period_closed":
            raise
        raise PeriodClosedError(
            _("会计期间 %(period)s 已结账，不能再记入；调整请在下一个未结账期间记账并注明该期间。")
            % {"period": diag.message_detail}
        ) from exc


def _write(
    prepared: list[Prepared], created_by_id: int | None, created_by_label: str
) -> list[tuple[int, dt.datetime | None, Prepared]]:
    # Headers go in key order: two batches sharing keys wait on each other's unique-index
    # entries in one order, never crosswise (no deadlock).
    inserted = _insert_entries(
        sorted(prepared, key=lambda p: p.spec.idempotency_key),
        created_by_id=created_by_id,
        created_by_label=created_by_label,
    )
    replayed = [p.spec.idempotency_key for p in prepared if p.spec.idempotency_key not in inserted]
    existing = _existing_signatures(replayed)
    results: list[tuple[int, dt.datetime | None, Prepared]] = []
    for p in prepared:
        key = p.spec.idempotency_key
        if key in inserted:
            entry_id, posted_at = inserted[key]
            results.append((entry_id, posted_at, p))
            continue
        if key not in existing:  # pragma: no cover - a header without lines cannot commit
            raise LedgerError(_("幂等键 %(key)s 对应的分录没有明细") % {"key": key})
        entry_id, signature = existing[key]
        if signature != p.signature():
            raise IdempotencyConflictError(
                _("幂等键 %(key)s 已用于另一笔分录（#%(id)d），本次内容不同")
                % {"key": key, "id": entry_id}
            )
        results.append((entry_id, None, p))
    return results


def entry_from_result(
    result: tuple[int, dt.datetime | None, Prepared], *, actor: Any
) -> JournalEntry:
    entry_id, posted_at, p = result
    if posted_at is None:  # replayed: the stored entry, as first posted
        return JournalEntry.objects.get(pk=entry_id)
    created_by_id, created_by_label = actor_fields(actor)
    entry = JournalEntry(
        id=entry_id,
        business_date=p.spec.business_date,
        posted_at=posted_at,
        source_type=p.spec.source_type,
        source_id=p.source_id,
        loan_id=p.loan_id,
        description=p.spec.description,
        idempotency_key=p.spec.idempotency_key,
        reverses_id=p.spec.reverses_id,
        created_by_id=created_by_id,
        created_by_label=created_by_label,
    )
    entry._state.adding = False
    entry._state.db = "default"
    return entry


def journal_post(
    *,
    business_date: dt.date,
    source_type: str,
    source_id: str | int,
    lines: Sequence[LineInput],
    idempotency_key: str,
    description: str = "",
    actor: Any = None,
    loan_id: int | None = None,
) -> JournalEntry:
    """Post one balanced entry, or return the entry already posted with `idempotency_key`.

    `lines`: (account_code, side, amount, loan_id) with side "D"/"C" (or "debit"/"credit") and
    amount a Decimal or str > 0 with at most two decimal places. The entry's `loan_id` is the
    one given, else the single loan the lines name, else None.
    Raises LedgerError (UnbalancedEntryError, UnknownAccountError, InvalidLineError,
    IdempotencyConflictError, PeriodClosedError) with nothing written.
    """
    spec = EntrySpec(
        business_date=business_date,
        source_type=source_type,
        source_id=source_id,
        lines=lines,
        idempotency_key=idempotency_key,
        description=description,
        loan_id=loan_id,
    )
    return journal_post_spec(spec, actor=actor)


def journal_post_spec(spec: EntrySpec, *, actor: Any = None) -> JournalEntry:
    """`journal_post` for an entry already described as an EntrySpec."""
    return entry_from_result(entries_post([spec], actor=actor)[0], actor=actor)


def journal_post_many(
    *, entries: Sequence[EntrySpec | Mapping[str, Any]], actor: Any = None
) -> list[int]:
    """Post many entries set-based: one statement for the headers and all their lines.

    `entries`: EntrySpec objects, or dicts with journal_post's keyword arguments (less actor).
    All or nothing: one invalid entry refuses the whole batch. Entries whose key was posted
    before are replayed (checked for conflicts, not written again). Returns the entry ids in the
    order given. Used by the nightly batch.
    """
    if not entries:
        return []
    specs = [e if isinstance(e, EntrySpec) else EntrySpec(**e) for e in entries]
    return [entry_id for entry_id, _posted_at, _p in entries_post(specs, actor=actor)]
