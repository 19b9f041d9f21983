"""What the PostgreSQL benchmarks share: a throw-away database of their own, COPY, and
pages served as a production worker serves them.

Each benchmark creates its database on the server of ``DATABASE_URL``, migrates it, loads
it with COPY, and drops it again at the end, also on Ctrl-C or SIGTERM (``throwaway``).
"""

from __future__ import annotations

import datetime
import gc
import os
import signal
from collections.abc import Callable, Iterable, Sequence
from itertools import islice
from typing import Any
from urllib.parse import urlsplit, urlunsplit


def database_urls(name: str, script: str) -> tuple[str, str]:
    """The server's maintenance database, and the benchmark's own database ``name``."""
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(
            f"{script} measures PostgreSQL only: set DATABASE_URL=postgres://… "
            f"(it creates and drops its own database, {name})."
        )
    admin = urlunsplit(parts._replace(path="/postgres"))
    bench = urlunsplit(parts._replace(path=f"/{name}"))
    return admin, bench


def admin(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def throwaway(name: str, script: str, run: Callable[[], None]) -> None:
    """Run ``run`` with Django set up on a fresh database ``name``, dropped afterwards."""
    import time

    admin_url, bench_url = database_urls(name, script)
    signal.signal(signal.SIGTERM, _stop)  # so the database is dropped on the way out
    started = time.monotonic()
    admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    admin(admin_url, f"CREATE DATABASE {name}")
    try:
        os.environ["DATABASE_URL"] = bench_url
        os.environ.setdefault("DJANGO_SETTINGS_MODULE", "haven.settings")
        import django

        django.setup()
        from django.test.utils import setup_test_environment

        setup_test_environment()  # the test client's "testserver" host, quick password hashing
        run()
    finally:
        from django.db import connections

        connections.close_all()
        admin(admin_url, f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        print(f"dropped {name}; whole run {time.monotonic() - started:.0f} s")


def serve_as_in_production(urlconf: str | None = None) -> None:
    """Undo what the shared setup does for tests but a production worker never does.

    ``setup_test_environment`` sends a signal with a copy of the context for every template
    rendered, and the bench runs with DEBUG on, which logs every query; a production worker
    does neither. The test client's host stays allowed. Then, as ``haven.wsgi`` does when
    a worker starts, what is loaded is frozen out of garbage collection; here that also
    keeps the bench's own large lists out of every collection, which a worker would not hold.
    """
    from django.conf import settings
    from django.test.utils import teardown_test_environment

    teardown_test_environment()
    settings.DEBUG = False
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if urlconf:
        settings.ROOT_URLCONF = urlconf
    gc.collect()
    gc.freeze()


def copy(model: Any, columns: Sequence[str], rows: Iterable[Sequence[Any]]) -> int:
    """COPY rows into the model's table; other columns get their field's default."""
    from django.db import connection, models
    from psycopg.types.json import Jsonb

    fields = {field.attname: field for field in model._meta.concrete_fields}
    unknown = set(columns) - set(fields)
    if unknown:
        raise SystemExit(f"{model.__name__} has no columns {sorted(unknown)}")
    rest = [name for name in fields if name not in columns]
    constants: list[Any] = []
    for name in rest:
        field = fields[name]
        value = field.get_default()
        if value is None and not field.null and isinstance(field, models.DateTimeField):
            value = datetime.datetime.now(tz=datetime.UTC)
        constants.append(Jsonb(value) if isinstance(field, models.JSONField) else value)
    names = ", ".join(f'"{fields[name].column}"' for name in (*columns, *rest))
    count = 0
    rows = iter(rows)
    while chunk := list(islice(rows, 50_000)):
        # Rows are made before COPY starts: making one may query (encryption keys), and
        # the connection answers nothing else while a COPY is open.
        with (
            connection.cursor() as cursor,
            cursor.cursor.copy(f'COPY "{model._meta.db_table}" ({names}) FROM STDIN') as copying,
        ):
            for row in chunk:
                copying.write_row((*row, *constants))
        count += len(chunk)
    return count
