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

On PostgreSQL the values travel apart from the SQL (``parameter_cursor``).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.db import connections, models, router
from django.db.backends.base.base import BaseDatabaseWrapper
from django.db.backends.utils import CursorDebugWrapper, CursorWrapper
from django.db.models.fields import NOT_PROVIDED

Field = models.Field[Any, Any]


@dataclass(frozen=True)
class InsertStatement:
    """An INSERT of a number of rows: its SQL, and the fields each row gives as parameters."""

    sql: str
    fields: list[Field]

    def values(self, row: models.Model, connection: BaseDatabaseWrapper) -> list[Any]:
        """The parameters of one row, each through its field as ``save()`` prepares it."""
        return [
            field.get_db_prep_save(field.pre_save(row, True), connection=connection)
            for field in self.fields
        ]


_STATEMENTS: dict[
    tuple[str, type[models.Model], int, tuple[tuple[str, str], ...]], InsertStatement
] = {}


def insert_statement(
    model: type[models.Model],
    count: int,
    alias: str,
    computed: tuple[tuple[str, str], ...] = (),
) -> InsertStatement:
    """The INSERT of ``count`` rows of ``model``, built once.

    Each ``(field name, SQL expression)`` in ``computed`` fills its column with that
    expression instead of the row's value; its placeholders follow the row's own values.
    """
    key = (alias, model, count, computed)
    found = _STATEMENTS.get(key)
    if found is None:
        meta = model._meta
        if meta.pk is None or not meta.pk.has_default():
            raise TypeError(f"{meta.label}'s primary key has no default: use save()")
        names = {name for name, _expression in computed}
        fields = [
            field
            for field in meta.local_concrete_fields
            if not field.generated and field.name not in names
        ]
        if any(field.db_default is not NOT_PROVIDED for field in fields):
            raise TypeError(f"{meta.label} has database defaults: use save()")
        quote = connections[alias].ops.quote_name
        filled: list[Field] = []
        for name, _expression in computed:
            column = meta.get_field(name)
            if not isinstance(column, models.Field) or not column.concrete:
                raise TypeError(f"{meta.label}.{name} is not a column")
            filled.append(column)
        columns = ", ".join(quote(str(field.column)) for field in [*fields, *filled])
        row = "(" + ", ".join(["%s"] * len(fields) + [sql for _name, sql in computed]) + ")"
        # Only quoted names of the model's own table and columns, and the caller's
        # expressions, are written in; every value is a parameter.
        values = ", ".join([row] * count)
        sql = f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES {values}"  # noqa: S608
        found = _STATEMENTS[key] = InsertStatement(sql, fields)
    return found


def parameter_cursor(connection: BaseDatabaseWrapper) -> CursorWrapper:
    """A cursor that sends its parameters apart from the SQL on PostgreSQL; elsewhere the
    connection's own cursor.

    Django binds parameters on the client with psycopg 3 (it cannot yet promise that every
    query it compiles is valid with server-side parameters, #20516), which quotes each
    value into the SQL in Python: on a registration, 27 values cost a tenth of the
    request (bench/registration_rush.py). The statements of this module are written out,
    every value a parameter where PostgreSQL knows its type, so they can use the extended
    protocol. Nothing is prepared unless the connection's ``prepare_threshold`` asks for
    it (Django's default leaves it off, for connection poolers).
    """
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    # What BaseDatabaseWrapper.cursor() does around its own cursor: the health check, one
    # connection per thread, queries logged when they are (DEBUG, tests), and database
    # errors turned into Django's by the wrapper.
    connection.close_if_health_check_failed()
    connection.ensure_connection()
    connection.validate_thread_sharing()
    cursor = psycopg.Cursor(connection.connection)
    if connection.queries_logged:
        return CursorDebugWrapper(cursor, connection)
    return CursorWrapper(cursor, connection)


def insert_rows(rows: Sequence[models.Model]) -> None:
    """INSERT new rows of one model in one statement (their primary keys set by default)."""
    if not rows:
        return
    alias = router.db_for_write(type(rows[0]))
    connection = connections[alias]
    statement = insert_statement(type(rows[0]), len(rows), alias)
    params = [value for row in rows for value in statement.values(row, connection)]
    with parameter_cursor(connection) as cursor:
        cursor.execute(statement.sql, params)
    mark_inserted(rows, alias)


def mark_inserted(rows: Sequence[models.Model], alias: str) -> None:
    """Tell Django the rows are in the database now, as ``save()`` does."""
    for row in rows:
        row._state.adding = False
        row._state.db = alias
