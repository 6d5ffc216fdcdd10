"""Posting to the double-entry ledger: one entry (`journal_post`), many in two statements
(`journal_post_many`), and corrections by reversal (`journal_entry_reverse`).

Every posting is validated here (balanced, at least two lines, amounts > 0 with at most two
decimal places, known accounts) and again by PostgreSQL (migration 0003_ledger_guards), which
checks each INSERT statement of lines as a set. So the lines of one entry - in bulk, the lines of
all entries - are always written by ONE statement here.

Idempotency: the header is inserted with ON CONFLICT (idempotency_key) DO NOTHING. A second
caller with the same key waits on the first one's uncommitted row, then gets nothing back and
reads the committed entry: a replay returns the first entry, and a replay whose source or lines
differ raises IdempotencyConflictError.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.db import connection, transaction
from django.utils.translation import gettext as _

from autofin.audit import SYSTEM_ACTOR, audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import FEN, to_decimal
from servicing.models.ledger import JournalEntry, LedgerAccount, Side

MAX_AMOUNT = Decimal("9999999999999999.99")  # DecimalField(max_digits=18, decimal_places=2)

_SIDES = {
    "D": Side.DEBIT.value,
    "DEBIT": Side.DEBIT.value,
    "C": Side.CREDIT.value,
    "CREDIT": Side.CREDIT.value,
}


class LedgerError(Exception):
    """A posting the ledger refuses; nothing was written."""


class UnbalancedEntryError(LedgerError):
    pass


class UnknownAccountError(LedgerError):
    pass


class InvalidLineError(LedgerError):
    pass


class IdempotencyConflictError(LedgerError):
    """The idempotency key was already used for a different posting."""


# (account_code, side, amount, loan_id); side is "D"/"C" (Side) or "debit"/"credit";
# loan_id may be left off.
LineInput = tuple[str, str, Decimal | str | int, int | None] | tuple[str, str, Decimal | str | int]


@dataclass(frozen=True)
class EntrySpec:
    """One entry for `journal_post_many` (the same fields `journal_post` takes)."""

    business_date: dt.date
    source_type: str
    source_id: str | int
    lines: Sequence[LineInput]
    idempotency_key: str
    description: str = ""
    loan_id: int | None = None
    reverses_id: int | None = field(default=None, repr=False)


@dataclass(frozen=True)
class _Line:
    account_code: str
    side: str
    amount: Decimal
    loan_id: int | None


@dataclass
class _Prepared:
    spec: EntrySpec
    source_id: str
    loan_id: int | None
    lines: list[_Line]

    def signature(self) -> tuple[str, str, Counter]:
        return (self.spec.source_type, self.source_id, Counter(self.lines))


def _actor_fields(actor: Any) -> tuple[int | None, str]:
    user_id = getattr(actor, "pk", None) if hasattr(actor, "get_username") else None
    label = actor.get_username() if user_id is not None else str(actor or SYSTEM_ACTOR)
    return user_id, label[:150]


def _prepare_line(raw: Any, position: int, key: str) -> _Line:
    if not isinstance(raw, tuple | list) or len(raw) not in (3, 4):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行格式错误：应为（科目代码, 借贷方向, 金额[, 贷款账户]）")
            % {"key": key, "n": position}
        )
    code, side, amount = raw[0], raw[1], raw[2]
    loan_id = raw[3] if len(raw) == 4 else None
    side_value = _SIDES.get(str(side).upper())
    if side_value is None:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行借贷方向无效：%(side)s")
            % {"key": key, "n": position, "side": side}
        )
    try:
        value = to_decimal(amount)
    except (TypeError, ValueError) as exc:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额无效：%(amount)r")
            % {"key": key, "n": position, "amount": amount}
        ) from exc
    if not value.is_finite() or value <= 0 or value > MAX_AMOUNT:
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额必须大于零：%(amount)s")
            % {"key": key, "n": position, "amount": value}
        )
    if value != value.quantize(FEN, rounding=ROUND_HALF_UP):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行金额最多两位小数：%(amount)s")
            % {"key": key, "n": position, "amount": value}
        )
    if loan_id is not None and (isinstance(loan_id, bool) or not isinstance(loan_id, int)):
        raise InvalidLineError(
            _("分录 %(key)s 第 %(n)d 行贷款账户编号无效：%(loan)r")
            % {"key": key, "n": position, "loan": loan_id}
        )
    return _Line(str(code), side_value, value.quantize(FEN, rounding=ROUND_HALF_UP), loan_id)


def _prepare(spec: EntrySpec) -> _Prepared:
    key = spec.idempotency_key
    if not key or not isinstance(key, str) or len(key) > 200:
        raise LedgerError(_("幂等键必须是 1 到 200 个字符"))
    if not spec.source_type or len(spec.source_type) > 32:
        raise LedgerError(_("分录 %(key)s 缺少来源单据类型") % {"key": key})
    source_id = str(spec.source_id)
    if not source_id or len(source_id) > 64:
        raise LedgerError(_("分录 %(key)s 的来源单据号必须是 1 到 64 个字符") % {"key": key})
    if not isinstance(spec.business_date, dt.date) or isinstance(spec.business_date, dt.datetime):
        raise LedgerError(_("分录 %(key)s 的营业日必须是日期") % {"key": key})
    if len(spec.description) > 255:
        raise LedgerError(_("分录 %(key)s 的摘要超过 255 个字符") % {"key": key})
    lines = [_prepare_line(raw, n, key) for n, raw in enumerate(spec.lines, start=1)]
    if len(lines) < 2:
        raise UnbalancedEntryError(_("分录 %(key)s 至少需要两行") % {"key": key})
    debit = sum((line.amount for line in lines if line.side == Side.DEBIT), Decimal(0))
    credit = sum((line.amount for line in lines if line.side == Side.CREDIT), Decimal(0))
    if debit != credit:
        raise UnbalancedEntryError(
            _("分录 %(key)s 借贷不平：借方 %(debit)s，贷方 %(credit)s")
            % {"key": key, "debit": debit, "credit": credit}
        )
    loan_id = spec.loan_id
    if loan_id is None:
        line_loans = {line.loan_id for line in lines if line.loan_id is not None}
        loan_id = line_loans.pop() if len(line_loans) == 1 else None
    return _Prepared(spec=spec, source_id=source_id, loan_id=loan_id, lines=lines)


def _account_ids(codes: Iterable[str]) -> dict[str, int]:
    wanted = set(codes)
    found = dict(LedgerAccount.objects.filter(code__in=wanted).values_list("code", "id"))
    missing = sorted(wanted - found.keys())
    if missing:
        raise UnknownAccountError(_("未知会计科目：%(codes)s") % {"codes": ", ".join(missing)})
    return found


# Account codes known to exist. The chart is append-only reference data (accounts are added by
# migrations, never renamed or removed), so a code seen once stays valid for the process. Only
# the codes are cached, never the ids: a single entry's lines resolve code -> id inside their
# INSERT (test databases re-seed the chart with new ids after a flush).
_known_codes: set[str] = set()


def _codes_check(codes: Iterable[str]) -> None:
    """Refuse unknown account codes; reads the chart only for a code not seen before."""
    wanted = set(codes)
    if wanted <= _known_codes:
        return
    _known_codes.update(LedgerAccount.objects.values_list("code", flat=True))
    missing = sorted(wanted - _known_codes)
    if missing:
        raise UnknownAccountError(_("未知会计科目：%(codes)s") % {"codes": ", ".join(missing)})


def _existing_signatures(keys: Sequence[str]) -> dict[str, tuple[int, tuple[str, str, Counter]]]:
    """Entry id and (source_type, source_id, lines) of the entries already posted with these keys."""
    result: dict[str, tuple[int, tuple[str, str, Counter]]] = {}
    if not keys:
        return result
    with connection.cursor() as cursor:
        cursor.execute(
            """
            SELECT e.idempotency_key, e.id, e.source_type, e.source_id,
                   a.code, l.side, l.amount, l.loan_id
              FROM servicing_journalentry e
              JOIN servicing_journalline l ON l.entry_id = e.id
              JOIN servicing_ledgeraccount a ON a.id = l.account_id
             WHERE e.idempotency_key = ANY(%s)
            """,
            [list(keys)],
        )
        for key, entry_id, source_type, source_id, code, side, amount, loan_id in cursor:
            if key not in result:
                result[key] = (entry_id, (source_type, source_id, Counter()))
            result[key][1][2][_Line(code, side, amount, loan_id)] += 1
    return result


def _insert_headers(
    prepared: Sequence[_Prepared], *, created_by_id: int | None, created_by_label: str
) -> dict[str, tuple[int, dt.datetime]]:
    """One INSERT for all headers; returns {key: (id, posted_at)} for the rows it inserted."""
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_journalentry
                (business_date, source_type, source_id, loan_id, description, idempotency_key,
                 reverses_id, created_by_id, created_by_label)
            SELECT h.business_date, h.source_type, h.source_id, h.loan_id, h.description,
                   h.idempotency_key, h.reverses_id, %s, %s
              FROM unnest(%s::date[], %s::varchar[], %s::varchar[], %s::bigint[], %s::varchar[],
                          %s::varchar[], %s::bigint[])
                   AS h(business_date, source_type, source_id, loan_id, description,
                        idempotency_key, reverses_id)
            ON CONFLICT (idempotency_key) DO NOTHING
            RETURNING idempotency_key, id, posted_at
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
            ],
        )
        return {key: (entry_id, posted_at) for key, entry_id, posted_at in cursor.fetchall()}


def _insert_lines(rows: list[tuple[int, int, str, Decimal, int | None]]) -> None:
    """One INSERT for every line given, whatever their number (the DB checks them as one set)."""
    if not rows:
        return
    entry_ids, account_ids, sides, amounts, loan_ids = (
        list(col) for col in zip(*rows, strict=True)
    )
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_journalline (entry_id, account_id, side, amount, loan_id)
            SELECT * FROM unnest(%s::bigint[], %s::bigint[], %s::varchar[], %s::numeric[],
                                 %s::bigint[])
            """,
            [entry_ids, account_ids, sides, amounts, loan_ids],
        )


def _insert_lines_by_code(rows: list[tuple[int, str, str, Decimal, int | None]]) -> None:
    """One INSERT for the lines of one entry, the account named by its code and resolved to its
    id by the statement itself (no look-up round trip; codes were checked by `_codes_check`)."""
    entry_ids, codes, sides, amounts, loan_ids = (list(col) for col in zip(*rows, strict=True))
    with connection.cursor() as cursor:
        cursor.execute(
            """
            INSERT INTO servicing_journalline (entry_id, account_id, side, amount, loan_id)
            SELECT l.entry_id,
                   (SELECT a.id FROM servicing_ledgeraccount a WHERE a.code = l.code),
                   l.side, l.amount, l.loan_id
              FROM unnest(%s::bigint[], %s::varchar[], %s::varchar[], %s::numeric[],
                          %s::bigint[]) AS l(entry_id, code, side, amount, loan_id)
            """,
            [entry_ids, codes, sides, amounts, loan_ids],
        )


def _post(
    specs: Sequence[EntrySpec], *, actor: Any
) -> list[tuple[int, dt.datetime | None, _Prepared]]:
    """Validate and write; returns (entry id, posted_at or None if replayed, prepared) per spec.

    One entry posted inside the caller's transaction (a repayment, a reversal) takes two
    statements: the header, then the lines naming their accounts by code. No savepoint: a
    replay or a conflict writes nothing (the header insert did nothing), and a database error
    aborts the caller's transaction, which rolls back as a whole. A batch, or an entry posted
    outside a transaction, runs in its own atomic block (all or nothing) with the account ids
    read once.
    """
    prepared = [_prepare(spec) for spec in specs]
    seen: dict[str, _Prepared] = {}
    for p in prepared:
        first = seen.setdefault(p.spec.idempotency_key, p)
        if first is not p:
            raise IdempotencyConflictError(
                _("同一批次中幂等键 %(key)s 重复") % {"key": p.spec.idempotency_key}
            )
    inline = len(prepared) == 1 and connection.in_atomic_block
    codes = (line.account_code for p in prepared for line in p.lines)
    if inline:
        _codes_check(codes)
        accounts = None
    else:
        accounts = _account_ids(codes)
    created_by_id, created_by_label = _actor_fields(actor)
    with contextlib.nullcontext() if inline else transaction.atomic():
        # Headers go in key order: two batches sharing keys wait on each other's unique-index
        # entries in one order, never crosswise (no deadlock).
        inserted = _insert_headers(
            sorted(prepared, key=lambda p: p.spec.idempotency_key),
            created_by_id=created_by_id,
            created_by_label=created_by_label,
        )
        replayed = [
            p.spec.idempotency_key for p in prepared if p.spec.idempotency_key not in inserted
        ]
        existing = _existing_signatures(replayed)
        results: list[tuple[int, dt.datetime | None, _Prepared]] = []
        rows: list[tuple[int, int | str, str, Decimal, int | None]] = []
        for p in prepared:
            key = p.spec.idempotency_key
            if key in inserted:
                entry_id, posted_at = inserted[key]
                rows.extend(
                    (
                        entry_id,
                        line.account_code if accounts is None else accounts[line.account_code],
                        line.side,
                        line.amount,
                        line.loan_id,
                    )
                    for line in p.lines
                )
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
        if accounts is None:
            if rows:
                _insert_lines_by_code(rows)  # type: ignore[arg-type]
        else:
            _insert_lines(rows)  # type: ignore[arg-type]
    return results


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
    IdempotencyConflictError) with nothing written.
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
    return _entry_from_result(_post([spec], actor=actor)[0], actor=actor)


def journal_post_many(
    *, entries: Sequence[EntrySpec | Mapping[str, Any]], actor: Any = None
) -> list[int]:
    """Post many entries set-based: one INSERT for the headers, one for all their lines.

    `entries`: EntrySpec objects, or dicts with journal_post's keyword arguments (less actor).
    All or nothing: one invalid entry refuses the whole batch. Entries whose key was posted
    before are replayed (checked for conflicts, not written again). Returns the entry ids in the
    order given. Used by the nightly batch.
    """
    if not entries:
        return []
    specs = [e if isinstance(e, EntrySpec) else EntrySpec(**e) for e in entries]
    return [entry_id for entry_id, _posted_at, _p in _post(specs, actor=actor)]


def _entry_from_result(
    result: tuple[int, dt.datetime | None, _Prepared], *, actor: Any
) -> JournalEntry:
    entry_id, posted_at, p = result
    if posted_at is None:  # replayed: the stored entry, as first posted
        return JournalEntry.objects.get(pk=entry_id)
    created_by_id, created_by_label = _actor_fields(actor)
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


def journal_entry_reverse(
    *,
    entry_id: int,
    reason: str,
    actor: Any,
    business_date: dt.date | None = None,
) -> JournalEntry:
    """Post the mirror of an entry (every line on the other side), linked to it.

    Idempotent: reversing an entry again returns its reversal. A reversal itself cannot be
    reversed (post the original again instead). `business_date` defaults to the posting date.

    The original is not locked (a row lock needs UPDATE rights the application's role has not
    on the ledger): two concurrent reversals meet on the reversal's idempotency key, and the
    second gets the first one's reversal, audited once.
    """
    if not reason or not reason.strip():
        raise LedgerError(_("冲正必须填写原因"))
    with transaction.atomic():
        original = JournalEntry.objects.filter(pk=entry_id).first()
        if original is None:
            raise LedgerError(_("分录 #%(id)s 不存在") % {"id": entry_id})
        existing = JournalEntry.objects.filter(reverses_id=original.pk).first()
        if existing is not None:
            return existing
        if original.reverses_id is not None:
            raise LedgerError(_("分录 #%(id)s 本身是冲正分录，不能再冲正") % {"id": entry_id})
        flip = {Side.DEBIT.value: Side.CREDIT.value, Side.CREDIT.value: Side.DEBIT.value}
        lines = [
            (code, flip[side], amount, loan_id)
            for code, side, amount, loan_id in original.lines.order_by("id").values_list(
                "account__code", "side", "amount", "loan_id"
            )
        ]
        spec = EntrySpec(
            business_date=business_date or business_date_for_posting(),
            source_type=original.source_type,
            source_id=original.source_id,
            lines=lines,
            idempotency_key=f"reversal:{original.pk}",
            description=(_("冲正 #%(id)s：%(reason)s") % {"id": original.pk, "reason": reason})[
                :255
            ],
            loan_id=original.loan_id,
            reverses_id=original.pk,
        )
        result = _post([spec], actor=actor)[0]
        reversal = _entry_from_result(result, actor=actor)
        if result[1] is None:  # a concurrent reversal posted it first, and audited it
            return reversal
        audit_record(
            actor=actor,
            obj=original,
            action="journal_entry_reverse",
            from_state="posted",
            to_state="reversed",
            reason=reason,
            data={"reversal_entry_id": reversal.pk},
        )
        return reversal
