"""New rows written with one INSERT whose SQL is built once per model and number of rows.

``Model.save()`` and ``bulk_create()`` rebuild their INSERT on every call: compiling the
query, and walking each field through the compiler, cost more than the statement itself on
the public rushes, where a signature or a registration is one INSERT of a wide row
(bench/petition_rush.py, bench/registration_rush.py; decision 13). Here the SQL is cached,
and each value still goes through its field's own ``pre_save`` and ``get_db_prep_save``,
as the compiler does it: ``auto_now_add`` stamps, foreign keys, dates on SQLite and
encrypted fields (sealed with the row's id and organisation) come out the same.

Only for models whose primary key has a Python default (every model with encrypted
fields has one), so nothing has to come back from the database; no signals are sent, as
with ``bulk_create``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import connections, models, router
from django.db.models.fields import NOT_PROVIDED

_STATEMENTS: dict[
    tuple[str, type[models.Model], int], tuple[str, list[models.Field[Any, Any]]]
] = {}


def _statement(
    alias: str, model: type[models.Model], count: int
) -> tuple[str, list[models.Field[Any, Any]]]:
    key = (alias, model, count)
    found = _STATEMENTS.get(key)
    if found is None:
        meta = model._meta
        if meta.pk is None or not meta.pk.has_default():
            raise TypeError(f"{meta.label}'s primary key has no default: use save()")
        fields = [field for field in meta.local_concrete_fields if not field.generated]
        if any(field.db_default is not NOT_PROVIDED for field in fields):
            raise TypeError(f"{meta.label} has database defaults: use save()")
        quote = connections[alias].ops.quote_name
        columns = ", ".join(quote(field.column) for field in fields)
        row = "(" + ", ".join(["%s"] * len(fields)) + ")"
        # Only quoted names of the model's own table and columns are written in; every
        # value is a parameter.
        values = ", ".join([row] * count)
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608
        found = _STATEMENTS[key] = (sql, fields)
    return found


def insert_rows(rows: Sequence[models.Model]) -> None:
    """INSERT new rows of one model in one statement (their primary keys set by default)."""
    if not rows:
        return
    model = type(rows[0])
    alias = router.db_for_write(model)
    connection = connections[alias]
    sql, fields = _statement(alias, model, len(rows))
    params = [
        field.get_db_prep_save(field.pre_save(row, True), connection=connection)
        for row in rows
        for field in fields
    ]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
    for row in rows:
        row._state.adding = False
        row._state.db = alias
