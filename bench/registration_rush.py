"""A rush of registrations on one event, against gunicorn + PostgreSQL on this machine.

Reuses bench/petition_rush.py's server, settings (bench/rush_settings.py), baseline view
(bench/rush_urls.py) and load generator; only the event and the checks are its own.
Creates the database ``haven_bench_events`` on the server of ``DATABASE_URL`` (dropped
again at the end, whatever happens), publishes one in-person event with a capacity
(``HAVEN_BENCH_CAPACITY``, default 2,000) and a waiting list, and starts gunicorn on
127.0.0.1. Then, for ``HAVEN_BENCH_SECONDS`` each (default 15), bounded in time:

1. baseline: POST to a minimal Django view that does one INSERT, same stack;
2. registrations: POST to the public API (``/api/events/<org>/<event>/registrations``),
   each with a new address: rate limits, e-mail validation, the event looked up, the
   answers checked, name/e-mail/answers encrypted, one conditional UPDATE of the event's
   counter and one INSERT in a transaction; the e-mails are queued as one dispatch task
   per rush. The capacity is reached during the first phase: later registrations go to
   the waiting list;
3. baseline again, then registrations again (interleaved: the machine is shared).

Then it checks there is no overbooking (``places_taken`` equals the confirmed rows and is
at most the capacity), that every accepted registration is a row (confirmed or waiting),
and how many e-mail tasks were queued; and prints the figures.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    HAVEN_REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/registration_rush.py
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
from datetime import timedelta
from pathlib import Path

sys.path[:0] = [str(Path(__file__).resolve().parent.parent)]

from bench import petition_rush as rush  # noqa: E402
from bench.postgres import admin, database_urls  # noqa: E402

BENCH_DB = "haven_bench_events"
CAPACITY = int(os.environ.get("HAVEN_BENCH_CAPACITY", "2000"))
TARGET_RATE = 300.0
TARGET_RATIO = 0.6
ORG = "rush"
PATH = ""  # set once the event exists


def _prepare() -> str:
    """Migrate, create the cache table and the baseline's table, publish the event."""
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone
    from django_scopes import scopes_disabled

    from bench.rush_urls import BASELINE_TABLE
    from haven.accounts.models import RoleAssignment, User
    from haven.accounts.permissions import Role
    from haven.events import actions
    from haven.organisations.models import Organisation

    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TABLE {BASELINE_TABLE} "
            "(id bigserial PRIMARY KEY, payload text NOT NULL, created_at timestamptz NOT NULL)"
        )
    owner = Organisation.objects.create(slug=ORG, name="Rush Shelter Network", country="FR")
    officer = User.objects.create_user(username="officer", email="officer@example.org")
    RoleAssignment.objects.create(user=officer, organisation=owner, role=Role.ADVOCACY_OFFICER)
    start = timezone.now().replace(microsecond=0) + timedelta(days=7)
    with scopes_disabled():
        event = actions.create_event(
            actor=officer,
            owner=owner,
            title="Evening debate on shelters",
            language="en",
            starts_at=start,
            ends_at=start + timedelta(hours=3),
            values={
                "timezone": "Europe/Paris",
                "venue_name": "Salle Victor Hugo",
                "city": "Paris",
                "country": "FR",
                "capacity": CAPACITY,
                "waiting_list": True,
                "interpretation": ["fr"],
            },
        )
        actions.save_question(actor=officer, event=event, label="Organisation", kind="text")
        event = actions.move_event(actor=officer, event=event, move="publish")
    return f"/api/events/{ORG}/{event.slug}/registrations"


async def register(connection: rush.Connection, number: int) -> int:
    body = json.dumps(
        {"name": f"Registrant {number}", "email": f"registrant.{rush.RUN}.{number}@example.org"}
    ).encode()
    status, _h, _c = await connection.request("POST", PATH, body, "application/json")
    return status


def _run(step: rush.Step, seconds: float) -> rush.Tally:
    return asyncio.run(rush._run(step, rush.USERS, seconds, prepare_csrf=False))


def _database_counts() -> dict[str, int]:
    from django.db import connection
    from django_scopes import scopes_disabled

    from bench.rush_urls import BASELINE_TABLE
    from haven.events.models import Event, Registration, RegistrationStatus

    with scopes_disabled():
        event = Event.objects.get(owner__slug=ORG)
        rows = Registration.objects.filter(event=event)
        counts = {
            "capacity": int(event.capacity or 0),
            "places_taken": event.places_taken,
            "rows": rows.count(),
            "confirmed": rows.filter(status=RegistrationStatus.CONFIRMED).count(),
            "waiting": rows.filter(status=RegistrationStatus.WAITING).count(),
        }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BASELINE_TABLE}")
        counts["baseline_rows"] = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult")
        counts["queued_tasks"] = int(cursor.fetchone()[0])
    return counts


def _profile(registrations: int = 300) -> str:
    """cProfile of the register operation in-process (test client, same settings, database)."""
    import cProfile
    import io
    import pstats

    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(registrations):
        body = {"name": "P", "email": f"profile.{rush.RUN}.{number}@example.org"}
        client.post(PATH, json.dumps(body), content_type="application/json")
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(r"haven|django/(db|core/handlers)|ninja|psycopg|redis|cryptography", 60)
    return out.getvalue()


def main() -> None:
    global PATH
    admin_url, bench_url = database_urls(BENCH_DB, "bench/registration_rush.py")
    signal.signal(signal.SIGTERM, rush._stop)
    signal.signal(signal.SIGALRM, rush._stop)
    signal.alarm(rush.DEADLINE_SECONDS)
    admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    admin(admin_url, f"CREATE DATABASE {BENCH_DB}")
    rush.BENCH_DB_NAME[0] = BENCH_DB
    environment = rush._environment(bench_url)
    server = None
    try:
        rush._setup_django(environment)
        PATH = _prepare()
        from django.conf import settings

        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(
            f"load average before: {rush._load_average()}; gunicorn {rush.WORKERS} sync "
            f"workers; {rush.USERS} clients; {rush.SECONDS:.0f} s per phase; cache {cache}; "
            f"capacity {CAPACITY:,} with a waiting list"
        )
        server = rush._serve(environment)
        _run(rush.baseline, rush.WARM_UP_SECONDS)
        warm = _run(register, rush.WARM_UP_SECONDS)
        base, registering = rush.Tally(), rush.Tally()
        base_cpu, registering_cpu = rush.CpuMeter(), rush.CpuMeter()
        for _round in range(2):
            with base_cpu:
                base.extend(_run(rush.baseline, rush.SECONDS))
            with registering_cpu:
                registering.extend(_run(register, rush.SECONDS))
        counts = _database_counts()
        print(f"load average after: {rush._load_average()}")
        print()
        print("| what | throughput | p50 | p99 | answered as expected | other answers |")
        print("|---|---|---|---|---|---|")
        print(rush._row("baseline: one INSERT", base, 204))
        print(rush._row("registration (API POST, 202)", registering, 202))
        ratio = registering.rate(202) / base.rate(204)
        print()
        print(
            f"registrations per second: {registering.rate(202):,.0f} (target {TARGET_RATE:,.0f}); "
            f"registrations / baseline throughput: {ratio:.2f} (target {TARGET_RATIO})"
        )
        print(f"CPU, baseline: {base_cpu.per_request(sum(base.statuses.values()))}")
        registrations = sum(registering.statuses.values())
        print(f"CPU, registrations: {registering_cpu.per_request(registrations)}")
        other = {k: v for k, v in registering.statuses.items() if k != 202}
        print(f"registration answers other than 202: {other or 'none'}")
        accepted = warm.ok(202) + registering.ok(202)
        exact = counts["places_taken"] == counts["confirmed"] <= counts["capacity"]
        print(
            f"database: capacity {counts['capacity']:,}, places_taken {counts['places_taken']:,}, "
            f"confirmed rows {counts['confirmed']:,}, waiting {counts['waiting']:,}; "
            f"no overbooking: {exact}; accepted {accepted:,}, rows {counts['rows']:,}, "
            f"lost {accepted - counts['rows']}; e-mail tasks queued {counts['queued_tasks']}; "
            f"baseline rows {counts['baseline_rows']:,}"
        )
        if not exact or accepted != counts["rows"]:
            raise SystemExit("registration rush: overbooked or lost registrations")
        print()
        print(_profile())
    finally:
        if server is not None:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        if "django" in sys.modules:
            from django.db import connections

            with contextlib.suppress(Exception):
                connections.close_all()
        admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
