"""Set-based writes of model rows: inserting rows that may exist already (naming which unique
key makes them "already there"), and updating many rows in one statement (`rows_update`).

Django's `bulk_create(ignore_conflicts=True)` writes `ON CONFLICT DO NOTHING` with no target:
ANY unique violation is then silently skipped, so a row refused for another reason (a second
row for a key that must be unique, a reused primary key) vanishes as if it were a replay.
`bulk_insert_new` names the target: only a row holding the same values of `unique_fields` is
skipped; every other violation raises IntegrityError.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connections, models, router


def bulk_insert_new(
    objs: Sequence[models.Model], *, unique_fields: Sequence[str], where: str = ""
) -> int:
    """INSERT the instances in one statement, skipping those whose `unique_fields` (a unique
    constraint or index on exactly them; `where`: a partial index's predicate, SQL on its
    columns) a row holds already. Returns how many rows were inserted. Values go through each
    field's `pre_save` and `get_db_prep_save` as `save()` would; the pks are not read back."""
    if not objs:
        return 0
    if not unique_fields:
        raise ValueError("name the unique fields whose conflict is a replay")
    model = type(objs[0])
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    qn = connection.ops.quote_name
    fields = [
        f
        for f in meta.concrete_fields
        if f is not meta.auto_field and not getattr(f, "generated", False)
    ]
    target = ", ".join(qn(meta.get_field(name).column) for name in unique_fields)
    columns = ", ".join(qn(f.column) for f in fields)
    row = "(" + ", ".join(["%s"] * len(fields)) + ")"
    sql = (
        f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 - names from metadata
        f"VALUES {', '.join([row] * len(objs))} "
        f"ON CONFLICT ({target}){f' WHERE {where}' if where else ''} DO NOTHING"
    )
    params = [f.get_db_prep_save(f.pre_save(obj, True), connection) for obj in objs for f in fields]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.rowcount


def rows_update(rows: list[models.Model], fields: list[str]) -> None:
    """Write `fields` of `rows` (one model) in ONE statement, UPDATE ... FROM (VALUES ...): what
    QuerySet.bulk_update does, without its CASE WHEN per field and row, whose compiling cost
    more CPU than the rest of a release's settlement."""
    if not rows:
        return
    meta = rows[0]._meta
    connection = connections[router.db_for_write(type(rows[0]))]
    columns = [meta.get_field(f) for f in fields]
    values, params = [], []
    for row in rows:
        values.append("(" + ", ".join(["%s"] * (len(columns) + 1)) + ")")
        params.append(row.pk)
        params.extend(c.get_db_prep_save(getattr(row, c.attname), connection) for c in columns)
    names = ", ".join(connection.ops.quote_name(c.column) for c in columns)
    sets = ", ".join(
        f"{connection.ops.quote_name(c.column)} = v.{connection.ops.quote_name(c.column)}"
        f"::{c.db_type(connection)}"
        for c in columns
    )
    table, pk = connection.ops.quote_name(meta.db_table), connection.ops.quote_name(meta.pk.column)
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {table} SET {sets} FROM (VALUES {', '.join(values)}) AS v(_pk, {names}) "  # noqa: S608 - names from the model
            f"WHERE {table}.{pk} = v._pk",
            params,
        )


def rows_insert(
    model: type[models.Model], fields: Sequence[str], rows: Sequence[Sequence[object]]
) -> int:
    """INSERT plain rows of `model` in one statement: each row a tuple of `fields`' values (by
    attname, in that order, each a value the driver sends as it is: int, date, Decimal, str);
    every other field gets its model default. What `bulk_create` writes, without a model
    instance and a `get_db_prep_save` per value, which for a loan's 36 schedule rows cost more
    CPU than the rest of opening the loan. Returns the row count; pks are not read back."""
    if not rows:
        return 0
    meta = model._meta
    connection = connections[router.db_for_write(model)]
    given = [meta.get_field(name) for name in fields]
    rest = [
        f
        for f in meta.concrete_fields
        if f is not meta.auto_field and f not in given and not getattr(f, "generated", False)
    ]
    for f in rest:
        if not (f.has_default() or f.null):
            raise ValueError(f"{meta.label}.{f.name} has no default: give its value")
    defaults = [f.get_db_prep_save(f.get_default(), connection) for f in rest]
    qn = connection.ops.quote_name
    columns = ", ".join(qn(f.column) for f in [*given, *rest])
    row = "(" + ", ".join(["%s"] * (len(given) + len(rest))) + ")"
    params = [value for r in rows for value in (*r, *defaults)]
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {qn(meta.db_table)} ({columns}) "  # noqa: S608 - names from metadata
            f"VALUES {', '.join([row] * len(rows))}",
            params,
        )
        return cursor.rowcount
