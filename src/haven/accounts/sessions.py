"""Django's database sessions, read with SQL written once instead of an ORM query.

Every signed-in request loads its session first. Building and compiling
``Session.objects.get(session_key=…, expire_date__gt=…)`` cost about 0.4 ms of CPU each
time, a tenth of an empty page (bench/casework.py's floor); the same SELECT written out
costs a third of that. Everything else (saving, the idle deadline, signing out) is
Django's own.
"""

from __future__ import annotations

from functools import cache

from django.contrib.sessions.backends import db
from django.contrib.sessions.models import Session
from django.db import connections, router
from django.utils import timezone


@cache
def _session_sql(alias: str) -> str:
    """The SELECT of a session that has not expired, by key (written once per database)."""
    quote = connections[alias].ops.quote_name
    meta = Session._meta
    columns = ", ".join(quote(field.column) for field in meta.concrete_fields)
    key = quote(meta.get_field("session_key").column)
    expires = quote(meta.get_field("expire_date").column)
    # Only the model's own table and column names are written in; the values are parameters.
    return f"SELECT {columns} FROM {quote(meta.db_table)} WHERE {key} = %s AND {expires} > %s"  # noqa: S608


class SessionStore(db.SessionStore):
    """``django.contrib.sessions.backends.db``, its session read with SQL written once."""

    def _get_session_from_db(self) -> Session | None:
        alias = router.db_for_read(Session)
        found = list(
            Session.objects.using(alias).raw(
                _session_sql(alias), [self.session_key, timezone.now()]
            )
        )
        if not found:
            # As Django does: a key with no live session is forgotten, and a new one is
            # made if anything is saved.
            self._session_key = None
            return None
        return found[0]
