"""SQL helpers for hot paths (repayment posting): fewer round trips, no per-call query compile.

Two tools, both producing exactly what the ORM would (same SQL text for reads, same rows for
writes, same instances in memory):

* `select_compiled`: an ORM queryset compiled ONCE per shape, then run with other values. The
  ORM spends more time building and compiling a `select_for_update()` query than the database
  spends running it; here the queryset is built with stand-in values, compiled, and its SQL,
  column list and field converters kept; each call binds the real values, runs the SQL and
  makes the instances with `Model.from_db`, as the ORM's iterator does.

* `parts_execute` with `insert_part` / `update_part`: several model writes in ONE statement.
  A repayment posting changes five tables after its ledger entry (allocation rows, schedule
  rows, the loan, the repayment, the audit trail); saving each through the ORM costs a round
  trip and a query compile apiece. Here they are the parts of one statement, data-modifying
  CTEs (``WITH w0 AS (INSERT ...), w1 AS (UPDATE ...) UPDATE ...``). A part for one instance
  is a plain ``INSERT ... VALUES`` / ``UPDATE ... WHERE pk`` (cheapest to plan); for several it
  reads typed arrays (``unnest(%s::numeric(18, 2)[], ...)``), so its SQL text does not depend
  on the number of rows. SQL texts are built once per (model, fields). The parts must touch
  different rows (PostgreSQL runs them on one snapshot), and rows updated must be locked by
  the caller (`loan_lock`). Values go through each field's ``pre_save`` and ``get_db_prep_save`` as
  ``Model.save`` would (``auto_now`` / ``auto_now_add`` included): plain values only, no
  expressions. Like bulk_create / QuerySet.update, no pre_save / post_save signals are sent
  (nothing in the project listens to them).

Django interfaces used. Reads: the queryset's SQL from ``QuerySet.query.sql_with_params()``,
checked to be the plain ``SELECT <every concrete column> FROM <table> ...`` (else the ORM runs
the query each time), rows made by ``Model.from_db`` and each field's ``from_db_value``.
Writes: ``_meta.db_table``, fields' ``column``, ``pre_save``, ``get_db_prep_save``; and three
undocumented ones, pinned by tests against the installed Django (tests/servicing/
test_hotpath.py::test_the_django_internals_the_hot_path_uses_still_behave): ``Field.cast_db_type``
(its length cut off for array casts: a cast to varchar(n) silently truncates),
``_meta.local_concrete_fields`` and ``_meta.auto_field``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db import connection, models
from django.db.transaction import TransactionManagementError

Part = tuple[str, list[Any]]


# --- statements prepared once per session ------------------------------------------------------

# Server-side prepared statements a connection keeps (a bound on the memory a session holds;
# beyond it statements run unprepared).
PREPARED_MAX = 256
_PLACEHOLDER = re.compile(r"%%|%s")


def _numbered(sql: str) -> tuple[str, int]:
    """psycopg2's ``%s`` placeholders as PostgreSQL's ``$1, $2, ...`` (``%%`` as ``%``)."""
    count = 0

    def number(match: re.Match) -> str:
        nonlocal count
        if match.group() == "%%":
            return "%"
        count += 1
        return f"${count}"

    return _PLACEHOLDER.sub(number, sql), count


def prepared_execute(cursor: Any, sql: str, params: Sequence[Any]) -> None:
    """``cursor.execute(sql, params)`` as a server-side prepared statement of this session.

    psycopg2 sends every statement as text, so PostgreSQL parses, analyses and plans a hot
    posting's five statements afresh each time - about a third of the backend's CPU a posting.
    The first call on a connection PREPAREs the text (its placeholders numbered); every call then
    sends ``EXECUTE <name>(<values>)``, which PostgreSQL answers from its plan cache (custom
    plans first, a generic one once it is as cheap). A PREPARE is not undone by a rollback, so
    the names held stay true for the connection's life; a new connection starts a new set.
    For fixed SQL texts only (names and shapes from code, values bound). With
    ``DATABASE_PREPARED_STATEMENTS`` off (behind a transaction-mode pooler, where the next
    transaction may run on another server session) the text is sent as it is."""
    if not settings.DATABASE_PREPARED_STATEMENTS:
        cursor.execute(sql, params)
        return
    raw = connection.connection
    held = getattr(connection, "_hotpath_prepared", None)
    if held is None or held[0] is not raw:
        held = (raw, {})
        connection._hotpath_prepared = held
    names: dict[str, tuple[str, int]] = held[1]
    found = names.get(sql)
    if found is None:
        if len(names) >= PREPARED_MAX:
            cursor.execute(sql, params)
            return
        numbered, count = _numbered(sql)
        found = (f"hotpath_{len(names)}", count)
        cursor.execute(f"PREPARE {found[0]} AS {numbered}")
        names[sql] = found
    name, count = found
    if count != len(params):
        raise ValueError(f"{count} placeholders, {len(params)} values")
    if not count:
        cursor.execute(f"EXECUTE {name}")
        return
    cursor.execute(f"EXECUTE {name}({', '.join(['%s'] * count)})", params)


def statements_run(captured: Sequence[Mapping[str, Any]]) -> list[str]:
    """The SQL of each statement in captured queries (CaptureQueriesContext), an ``EXECUTE`` of
    a prepared statement shown as the SQL it prepared, the PREPAREs themselves left out: what
    ran, whether or not this connection had prepared it before."""
    return [prepared_sql(q["sql"]) for q in captured if not q["sql"].startswith("PREPARE ")]


def prepared_sql(executed: str) -> str:
    """The SQL behind an ``EXECUTE hotpath_<n>(...)`` this connection ran (for tests and
    diagnostics reading captured queries); any other text unchanged."""
    match = re.match(r"EXECUTE (hotpath_\d+)\b", executed)
    held = getattr(connection, "_hotpath_prepared", None)
    if match is None or held is None:
        return executed
    for sql, (name, _count) in held[1].items():
        if name == match.group(1):
            return sql
    return executed


# --- reads: compiled once ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Compiled:
    sql: str
    slots: tuple[
        tuple[str | None, Any], ...
    ]  # per parameter: (value name, None) or (None, constant)
    model: type[models.Model]
    attnames: tuple[str, ...]
    converters: tuple[tuple[int, Callable], ...]  # (column, the field's from_db_value)
    for_update: bool


_compiled: dict[Hashable, _Compiled | None] = {}


def _stand_in(value: Any, n: int) -> Any:
    """A value of the same type that no real query uses, to find its parameter slot."""
    if isinstance(value, bool):
        raise TypeError("booleans cannot be told apart from constants")
    if isinstance(value, int):
        return -7_340_032_000_000 - n
    if isinstance(value, dt.datetime):
        raise TypeError("datetimes are not supported")
    if isinstance(value, dt.date):
        return dt.date(1, 1, 1) + dt.timedelta(days=n)
    if isinstance(value, str):
        return f"\x01stand-in {n}\x01"
    raise TypeError(f"unsupported value type {type(value).__name__}")


_FOR_UPDATE = re.compile(r" FOR (?:NO KEY )?UPDATE(?: OF [^()]+)?(?: NOWAIT| SKIP LOCKED)?$")


def _plain_select(model: type[models.Model], qn: Callable[[str], str]) -> str:
    """The start of the SQL the ORM writes for a query of whole rows of one model."""
    table = qn(model._meta.db_table)
    columns = ", ".join(f"{table}.{qn(f.column)}" for f in model._meta.concrete_fields)
    return f"SELECT {columns} FROM {table} "  # noqa: S608 - names from the model's metadata


def _compile(build: Callable[..., models.QuerySet], values: Mapping[str, Any]) -> _Compiled | None:
    """Compile through public interfaces only: the queryset's own SQL (`sql_with_params`),
    checked to select exactly the model's concrete columns in their order (so rows map to
    `Model.from_db` by the fields' attnames, converted by each field's `from_db_value`)."""
    if connection.vendor != "postgresql":
        return None  # other backends convert values of their own: let the ORM do it
    stand_ins = {name: _stand_in(value, n) for n, (name, value) in enumerate(values.items())}
    queryset = build(**stand_ins)
    model = queryset.model
    sql, params = queryset.query.sql_with_params()
    by_value = {v: name for name, v in stand_ins.items()}
    slots = tuple((by_value[p], None) if p in by_value else (None, p) for p in params)
    if sorted(name for name, _c in slots if name) != sorted(values) or not sql.startswith(
        _plain_select(model, connection.ops.quote_name)
    ):
        return None  # not a plain single-model query: run it through the ORM each time
    fields = model._meta.concrete_fields
    return _Compiled(
        sql=sql,
        slots=slots,
        model=model,
        attnames=tuple(f.attname for f in fields),
        converters=tuple(
            (i, f.from_db_value) for i, f in enumerate(fields) if hasattr(f, "from_db_value")
        ),
        for_update=_FOR_UPDATE.search(sql) is not None,
    )


def select_compiled(
    key: Hashable, build: Callable[..., models.QuerySet], **values: Any
) -> list[models.Model]:
    """``list(build(**values))``, the queryset compiled once per `key`.

    `build` must make the same query shape for every call with this `key` (put what changes
    the shape - an optional filter - into the key); `values` are ints, dates or strings that
    end up as query parameters. Must run where the query may run (a select_for_update inside
    a transaction).
    """
    full_key = (connection.vendor, key)
    if full_key not in _compiled:
        _compiled[full_key] = _compile(build, values)
    compiled = _compiled[full_key]
    if compiled is None:
        return list(build(**values))
    if compiled.for_update and connection.get_autocommit():
        # the ORM's own guard, which a query compiled earlier would skip
        raise TransactionManagementError(
            "select_for_update cannot be used outside of a transaction."
        )
    params = [values[name] if name else constant for name, constant in compiled.slots]
    with connection.cursor() as cursor:
        prepared_execute(cursor, compiled.sql, params)
        rows = cursor.fetchall()
    result = []
    for row in rows:
        if compiled.converters:
            row = list(row)
            for i, from_db_value in compiled.converters:
                row[i] = from_db_value(row[i], None, connection)
        result.append(compiled.model.from_db(connection.alias, compiled.attnames, row))
    return result


# --- writes: several in one statement ----------------------------------------------------------


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


def _insertable(model: type[models.Model]) -> tuple[str, ...]:
    meta = model._meta
    return tuple(
        f.name
        for f in meta.local_concrete_fields
        if f is not meta.auto_field and not getattr(f, "generated", False)
    )


_LENGTH = re.compile(r"^(varchar|char)\(\d+\)$")


def _array_type(field: models.Field) -> str:
    """The element type of the array a column's values are sent in: the column's type without a
    length, since an explicit cast to varchar(n) silently cuts a longer value; the INSERT or
    UPDATE then checks the length and refuses one too long, as `save()` would."""
    return _LENGTH.sub(r"\1", field.cast_db_type(connection))


@lru_cache(maxsize=64)
def _insert_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    fields = _fields(model, names)
    columns = ", ".join(qn(f.column) for f in fields)
    arrays = ", ".join(f"%s::{_array_type(f)}[]" for f in fields)
    table = qn(model._meta.db_table)
    # names come from the model's metadata, values are bound
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608


@lru_cache(maxsize=64)
def _update_sql(
    model: type[models.Model], names: tuple[str, ...], by: tuple[str, ...], shared: bool
) -> str:
    qn = connection.ops.quote_name
    keys = [model._meta.pk, *_fields(model, by)]
    fields = [*keys, *_fields(model, names)]
    arrays = ", ".join(f"%s::{_array_type(f)}[]" for f in fields)
    aliases = ", ".join(qn(f.column) for f in fields)
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[len(keys) :])
    table = qn(model._meta.db_table)
    match = " AND ".join(f"t.{qn(f.column)} = v.{qn(f.column)}" for f in keys)
    # the partition key's one value as a constant too: the planner then opens one partition
    constant = "".join(f" AND t.{qn(f.column)} = %s" for f in keys[1:]) if shared else ""
    source = f"unnest({arrays}) AS v({aliases})"
    # names come from the model's metadata, values are bound
    return f"UPDATE {table} AS t SET {sets} FROM {source} WHERE {match}{constant}"  # noqa: S608


def _columns(fields: list[models.Field], objs: Sequence[models.Model], *, add: bool) -> list:
    return [[f.get_db_prep_save(f.pre_save(obj, add), connection) for obj in objs] for f in fields]


@lru_cache(maxsize=64)
def _insert_one_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    fields = _fields(model, names)
    columns = ", ".join(qn(f.column) for f in fields)
    values = ", ".join(["%s"] * len(fields))
    table = qn(model._meta.db_table)
    # names come from the model's metadata, values are bound
    return f"INSERT INTO {table} ({columns}) VALUES ({values})"  # noqa: S608


@lru_cache(maxsize=64)
def _do_nothing_on(model: type[models.Model], unique_fields: tuple[str, ...], where: str) -> str:
    """`ON CONFLICT (<columns>) [WHERE <predicate>] DO NOTHING RETURNING <pk>`: only a row that
    holds these values is a replay; any other unique violation raises (IntegrityError)."""
    if not unique_fields:
        raise ValueError("name the unique fields whose conflict is a replay")
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in _fields(model, unique_fields))
    predicate = f" WHERE {where}" if where else ""
    return f" ON CONFLICT ({columns}){predicate} DO NOTHING RETURNING {qn(model._meta.pk.column)}"


@lru_cache(maxsize=64)
def _update_one_sql(model: type[models.Model], names: tuple[str, ...], by: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    sets = ", ".join(f"{qn(f.column)} = %s" for f in _fields(model, names))
    table = qn(model._meta.db_table)
    match = " AND ".join(f"{qn(f.column)} = %s" for f in [model._meta.pk, *_fields(model, by)])
    return f"UPDATE {table} SET {sets} WHERE {match}"  # noqa: S608 - names from metadata


def _row(fields: list[models.Field], obj: models.Model, *, add: bool) -> list:
    return [f.get_db_prep_save(f.pre_save(obj, add), connection) for f in fields]


def insert_part(objs: Sequence[models.Model], fields: Sequence[str] | None = None) -> Part:
    """INSERT of new instances of one model (all their fields but the auto pk by default; their
    ids are not read back). One instance: VALUES (cheaper to plan); more: unnest of arrays."""
    model = type(objs[0])
    names = tuple(fields) if fields is not None else _insertable(model)
    if len(objs) == 1:
        return _insert_one_sql(model, names), _row(_fields(model, names), objs[0], add=True)
    return _insert_sql(model, names), _columns(_fields(model, names), objs, add=True)


def update_part(
    objs: Sequence[models.Model], fields: Sequence[str], *, by: Sequence[str] = ()
) -> Part:
    """UPDATE of `fields` of saved instances of one model, by primary key. One instance: a plain
    UPDATE ... WHERE pk (cheaper to plan); more: UPDATE ... FROM unnest of arrays.

    `by`: fields matched as well as the pk - a partitioned table's partition key (unchanged by
    the update), so the planner opens the row's partition alone instead of every partition's
    indexes (LoanScheduleRow by loan: 16 hash partitions, ~1 ms of planning a statement)."""
    model = type(objs[0])
    names, by = tuple(fields), tuple(by)
    keys = [model._meta.pk, *_fields(model, by)]
    if len(objs) == 1:
        obj = objs[0]
        values = _row(_fields(model, names), obj, add=False)
        return _update_one_sql(model, names, by), [*values, *_row(keys, obj, add=False)]
    params = _columns([*keys, *_fields(model, names)], objs, add=False)
    shared = bool(by) and all(len(set(column)) == 1 for column in params[1 : len(keys)])
    if shared:
        params += [column[0] for column in params[1 : len(keys)]]
    return _update_sql(model, names, by, shared), params


def parts_execute(parts: Sequence[Part | None]) -> None:
    """Run the parts (None: nothing to write) as one statement: each but the last as a CTE."""
    given = [p for p in parts if p is not None]
    if not given:
        return
    *ctes, (last_sql, last_params) = given
    sql = last_sql
    params: list[Any] = []
    if ctes:
        sql = (
            "WITH "
            + ", ".join(f"w{n} AS ({part_sql})" for n, (part_sql, _p) in enumerate(ctes))
            + " "
            + last_sql
        )
        for _sql, part_params in ctes:
            params.extend(part_params)
    params.extend(last_params)
    with connection.cursor() as cursor:
        prepared_execute(cursor, sql, params)


def insert_unless_conflict(
    obj: models.Model, *, unique_fields: Sequence[str], where: str = ""
) -> bool:
    """INSERT one instance unless a row holds its `unique_fields` already: True (and its pk set)
    if inserted, False if such a row exists (after waiting for a concurrent inserter to commit or
    roll back). `unique_fields` name a unique constraint or index exactly; `where` is the
    predicate of a partial one (SQL on its columns). A violation of any other unique constraint
    raises IntegrityError: it is not a replay. One statement where a look-up then an insert take
    two."""
    model = type(obj)
    names = _insertable(model)
    sql = _insert_one_sql(model, names) + _do_nothing_on(model, tuple(unique_fields), where)
    with connection.cursor() as cursor:
        prepared_execute(cursor, sql, _row(_fields(model, names), obj, add=True))
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True


def insert_many_unless_conflict(objs: Sequence[models.Model], *, key: str) -> set:
    """INSERT the instances in ONE statement, doing nothing for those whose `key` (a unique
    field, set on every instance, distinct) a row holds already; those inserted get their pk.
    Returns the `key` values of the rows inserted. A violation of any other unique constraint
    raises IntegrityError (nothing inserted)."""
    if not objs:
        return set()
    values = [getattr(obj, key) for obj in objs]
    if None in values or len(set(values)) != len(values):
        raise ValueError(f"every instance needs a distinct {key}")
    model = type(objs[0])
    names = _insertable(model)
    column = connection.ops.quote_name(model._meta.get_field(key).column)
    sql = f"{_insert_sql(model, names)}{_do_nothing_on(model, (key,), '')}, {column}"
    with connection.cursor() as cursor:
        cursor.execute(sql, _columns(_fields(model, names), objs, add=True))
        inserted = {value: pk_value for pk_value, value in cursor.fetchall()}
    for obj, value in zip(objs, values, strict=True):
        if value in inserted:
            obj.pk = inserted[value]
            obj._state.adding = False
            obj._state.db = connection.alias
    return set(inserted)
