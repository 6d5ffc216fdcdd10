"""Set-based writes for hot paths: several model writes in ONE statement (one round trip).

A repayment posting changes four tables after its ledger entry (allocation rows, schedule rows,
the loan, the repayment). Saving each through the ORM costs a round trip and a query compile
apiece; here they become the parts of one statement: data-modifying CTEs
(``WITH a AS (INSERT ...), b AS (UPDATE ...) UPDATE ...``), each part reading its values from
typed arrays (``unnest(%s::numeric(18, 2)[], ...)``), so the SQL text does not depend on the
number of rows and is built once per (model, fields).

The parts must touch different rows (PostgreSQL runs them on one snapshot); the rows updated
must already be locked by the caller (`loan_lock`). Values go through each field's
``pre_save`` and ``get_db_prep_save`` as ``Model.save`` would (``auto_now`` included), so the
instances in memory match the rows written.
"""

from __future__ import annotations

from collections.abc import Sequence
from functools import lru_cache
from typing import Any

from django.db import connection, models
from django.db.models.constants import OnConflict
from django.db.models.sql import InsertQuery

Part = tuple[str, list[Any]]


def _fields(model: type[models.Model], names: Sequence[str]) -> list[models.Field]:
    return [model._meta.get_field(name) for name in names]


@lru_cache(maxsize=64)
def _insert_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    fields = _fields(model, names)
    columns = ", ".join(qn(f.column) for f in fields)
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    table = qn(model._meta.db_table)
    # names come from the model's metadata, values are bound
    return f"INSERT INTO {table} ({columns}) SELECT * FROM unnest({arrays})"  # noqa: S608


@lru_cache(maxsize=64)
def _update_sql(model: type[models.Model], names: tuple[str, ...]) -> str:
    qn = connection.ops.quote_name
    pk = model._meta.pk
    fields = [pk, *_fields(model, names)]
    arrays = ", ".join(f"%s::{f.cast_db_type(connection)}[]" for f in fields)
    aliases = ", ".join(qn(f.column) for f in fields)
    sets = ", ".join(f"{qn(f.column)} = v.{qn(f.column)}" for f in fields[1:])
    table, key = qn(model._meta.db_table), qn(pk.column)
    source = f"unnest({arrays}) AS v({aliases})"
    # names come from the model's metadata, values are bound
    return f"UPDATE {table} AS t SET {sets} FROM {source} WHERE t.{key} = v.{key}"  # noqa: S608


def _columns(fields: list[models.Field], objs: Sequence[models.Model], *, add: bool) -> list:
    return [[f.get_db_prep_save(f.pre_save(obj, add), connection) for obj in objs] for f in fields]


def insert_part(objs: Sequence[models.Model], fields: Sequence[str]) -> Part:
    """INSERT of new instances of one model (their ids are not read back)."""
    model = type(objs[0])
    return _insert_sql(model, tuple(fields)), _columns(_fields(model, fields), objs, add=True)


def update_part(objs: Sequence[models.Model], fields: Sequence[str]) -> Part:
    """UPDATE of `fields` of saved instances of one model, by primary key."""
    model = type(objs[0])
    return _update_sql(model, tuple(fields)), _columns(
        [model._meta.pk, *_fields(model, fields)], objs, add=False
    )


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
        cursor.execute(sql, params)


def insert_unless_conflict(obj: models.Model) -> bool:
    """INSERT one instance with ON CONFLICT DO NOTHING; True (and its pk set) if it was
    inserted, False if a unique constraint already held a row like it (after waiting for a
    concurrent inserter to commit or roll back). One statement, where a look-up for an existing
    row followed by the insert takes two."""
    model = type(obj)
    meta = model._meta
    fields = [f for f in meta.local_concrete_fields if f.generated is False and f is not meta.pk]
    query = InsertQuery(model, on_conflict=OnConflict.IGNORE)
    query.insert_values(fields, [obj])
    compiler = query.get_compiler(connection=connection)
    compiler.returning_fields = [meta.pk]
    [(sql, params)] = compiler.as_sql()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        row = cursor.fetchone()
    if row is None:
        return False
    obj.pk = row[0]
    obj._state.adding = False
    obj._state.db = connection.alias
    return True
