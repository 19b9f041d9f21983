"""Casework pages with 100,000 persons and 1,000,000 services in one organisation.

Creates a database ``haven_bench`` on the PostgreSQL server of ``DATABASE_URL`` (dropped
again at the end, whatever happens), migrates it, and loads one organisation with COPY:
100,000 persons (given name, family name and phone encrypted with their blind indexes;
the other identifying fields stay empty to keep loading short), 10,000 households,
casework consent for each, 20,000 cases with 40,000 encrypted notes, 1,000,000 service
deliveries over two years, 50,000 helpline calls and 5,000 shelter stays.

Then, through Django's test client (in-process, so a figure is the server's time without
the network) and with DEBUG off and no test instrumentation of templates, as a production
worker runs, it requests each page at least 200 times as a caseworker: the caseworker
home, the person page, the person search by code and by exact name (blind index), and
the services list filtered by service and month. Each request runs inside a transaction
that is rolled back, so every request meets the same data. The baseline, interleaved in
the same run, replays the exact statements Django sent for that request, with their
parameters, on a bare psycopg cursor, fetching every row: what the page costs the
database alone. Each request is made once untimed just before, so the page and its
replay both read warm caches. Targets: p95 under 50 ms, and at most 1.5 times the
baseline's p95. A floor, an organisation page with nothing on it (bench/casework_urls.py),
is measured the same way: what the stack costs before a page reads anything.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.casework
"""

from __future__ import annotations

import datetime
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import Any

from bench.postgres import copy, serve_as_in_production, throwaway

BENCH_DB = "haven_bench"
# HAVEN_BENCH_SCALE=0.01 tries the whole run quickly on a hundredth of the data.
SCALE = float(os.environ.get("HAVEN_BENCH_SCALE", "1"))
PERSONS = int(100_000 * SCALE)
HOUSEHOLDS = int(10_000 * SCALE)
SERVICES = int(1_000_000 * SCALE)
CASES = int(20_000 * SCALE)
NOTES = int(40_000 * SCALE)
CALLS = int(50_000 * SCALE)
STAYS = int(5_000 * SCALE)
REQUESTS = int(os.environ.get("HAVEN_BENCH_REQUESTS", "200"))
DEADLINE_SECONDS = 40 * 60
SLUG = "bench"
TARGET_MS = 50.0
TARGET_RATIO = 1.5

GIVEN = ("Amina", "Ioana", "Marta", "Chloe", "Lucia", "Grace", "Nneka", "Priya", "Mei", "Ana")
FAMILY = ("Quill", "Marrow", "Thistle", "Ember", "Larkin", "Wren", "Fable", "Solace", "Brook")


def main() -> None:
    started = time.monotonic()
    throwaway(BENCH_DB, "bench/casework.py", lambda: _run(started))


def _run(started: float) -> None:
    from django.core.management import call_command

    step = time.monotonic()
    call_command("migrate", verbosity=0)
    print(f"migrated in {time.monotonic() - step:.0f} s", flush=True)
    step = time.monotonic()
    world = _load()
    print(f"loaded in {time.monotonic() - step:.0f} s", flush=True)
    results = _measure(world, started)
    _report(results)


# Loading


class World:
    def __init__(self) -> None:
        self.organisation: Any = None
        self.caseworker: Any = None
        self.person_ids: list[uuid.UUID] = []
        self.family_names: list[str] = []
        self.service_type_ids: list[int] = []


def _load() -> World:
    from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
    from django.db import connection
    from django_scopes import scopes_disabled
    from psycopg.types.json import Jsonb

    from haven.accounts.models import RoleAssignment, User
    from haven.casework.models import Case, CaseNote, Consent, Household, Person
    from haven.demo_casework import keys_held_in_memory
    from haven.helpline.models import HelplineCall
    from haven.organisations.models import Organisation
    from haven.privacy import crypto
    from haven.services.models import ServiceDelivery, ServiceType
    from haven.shelter.models import Facility, Stay

    rng = random.Random(2026)
    world = World()
    today = datetime.date.today()
    now = datetime.datetime.now(tz=datetime.UTC)
    organisation = Organisation.objects.create(
        slug=SLUG, name="Bench Shelter", kind="ngo", country="GB", city="Bristol"
    )
    world.organisation = organisation
    staff = []
    for index in range(10):
        user = User.objects.create_user(username=f"bench-{index}", password="bench-password")
        RoleAssignment.objects.create(user=user, organisation=organisation, role="caseworker")
        TOTP.activate(user, generate_totp_secret())
        staff.append(user.pk)
    world.caseworker = User.objects.get(username="bench-0")
    org_id = organisation.pk
    crypto.data_key(org_id)  # created and committed (autocommit), so cached from now on
    sealed_fields = ("given_name", "family_name", "phone")
    encrypted: dict[str, Any] = {name: Person._meta.get_field(name) for name in sealed_fields}
    indexes: dict[str, Any] = {
        name: Person._meta.get_field(f"{name}_index") for name in sealed_fields
    }

    def seal(field_name: str, pk: uuid.UUID, value: str) -> tuple[str, str]:
        aad = encrypted[field_name].associated_data(pk)
        return crypto.encrypt(org_id, aad, value), indexes[field_name].digest(org_id, value)

    def moment(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(
            day, datetime.time(rng.randint(8, 20), rng.randint(0, 59)), tzinfo=datetime.UTC
        )

    def day_ago(limit: int = 730) -> datetime.date:
        return today - datetime.timedelta(days=rng.randint(0, limit))

    with scopes_disabled(), keys_held_in_memory():
        household_ids = [uuid.uuid4() for _ in range(HOUSEHOLDS)]
        copy(
            Household,
            ("id", "organisation_id", "code", "other_members", "created_at"),
            (
                (pk, org_id, f"H-{n:06d}", rng.randint(0, 3), now)
                for n, pk in enumerate(household_ids)
            ),
        )
        world.person_ids = [uuid.uuid4() for _ in range(PERSONS)]
        household_of: dict[uuid.UUID, uuid.UUID] = {}

        def persons() -> Iterator[tuple[Any, ...]]:
            for number, pk in enumerate(world.person_ids):
                family = f"{rng.choice(FAMILY)}-{number:06d}"
                world.family_names.append(family)
                given, given_index = seal("given_name", pk, rng.choice(GIVEN))
                family_token, family_index = seal("family_name", pk, family)
                phone, phone_index = seal("phone", pk, f"+000 555 {number:06d}")
                household = rng.choice(household_ids) if rng.random() < 0.1 else None
                if household is not None:
                    household_of[pk] = household
                yield (
                    pk, org_id, f"B-{number:06d}", given, family_token, phone,
                    given_index, family_index, phone_index, "Feminine", "25-34",
                    Jsonb(["GB"]), Jsonb(["en"]), household, moment(day_ago()), now, now,
                    rng.random() < 0.4,
                )  # fmt: skip

        copy(
            Person,
            (
                "id", "organisation_id", "code", "given_name", "family_name", "phone",
                "given_name_index", "family_name_index", "phone_index", "gender", "age_band",
                "citizenship", "languages", "household_id", "last_activity_at", "created_at",
                "updated_at", "in_sex_work",
            ),
            persons(),
        )  # fmt: skip
        copy(
            Consent,
            ("id", "organisation_id", "person_id", "purpose", "given_on", "method", "recorded_at"),
            (
                (uuid.uuid4(), org_id, pk, "casework", day_ago(), "written", now)
                for pk in world.person_ids
            ),
        )
        case_ids: list[uuid.UUID] = []
        case_person: dict[uuid.UUID, uuid.UUID] = {}

        def cases() -> Iterator[tuple[Any, ...]]:
            for index in range(CASES):
                pk, person = uuid.uuid4(), world.person_ids[index * 5]
                case_ids.append(pk)
                case_person[pk] = person
                # The measured caseworker has 60 open cases; the rest are spread out.
                assigned = staff[0] if index < 60 else rng.choice(staff[1:])
                status = "Active" if index < 60 or rng.random() < 0.5 else "Closed"
                opened = day_ago(700)
                closed = today if status == "Closed" else None
                follow_up = today - datetime.timedelta(days=rng.randint(-5, 5))
                yield (
                    pk, org_id, person, status, opened, closed, assigned,
                    Jsonb(["food", "housing"]), "medium",
                    follow_up if status == "Active" else None, now,
                )  # fmt: skip

        copy(
            Case,
            (
                "id", "organisation_id", "person_id", "status", "opened_on", "closed_on",
                "assigned_to_id", "needs", "risk_level", "follow_up_on", "created_at",
            ),
            cases(),
        )  # fmt: skip
        text_field: Any = CaseNote._meta.get_field("text")

        def notes() -> Iterator[tuple[Any, ...]]:
            for _ in range(NOTES):
                pk, case = uuid.uuid4(), rng.choice(case_ids)
                token = crypto.encrypt(
                    org_id, text_field.associated_data(pk), "Met at the drop-in; next steps agreed."
                )
                yield pk, org_id, case, token, rng.choice(staff), moment(day_ago())

        copy(
            CaseNote,
            ("id", "organisation_id", "case_id", "text", "author_id", "written_at"),
            notes(),
        )
        world.service_type_ids = list(
            ServiceType.objects.filter(organisation=None).values_list("pk", flat=True)
        )
        money = set(
            ServiceType.objects.filter(organisation=None, counts_money=True).values_list(
                "pk", flat=True
            )
        )

        def services() -> Iterator[tuple[Any, ...]]:
            person_ids, types = world.person_ids, world.service_type_ids
            for _ in range(SERVICES):
                kind = rng.random()
                service_type = rng.choice(types)
                person = household = people = None
                if kind < 0.9:
                    person = rng.choice(person_ids)
                elif kind < 0.93:
                    household = rng.choice(household_ids)
                else:
                    people = rng.randint(3, 40)
                paid = service_type in money
                yield (
                    uuid.uuid4(), org_id, service_type, day_ago(), person, household,
                    Decimal(1), Decimal(rng.randint(10, 400)) if paid else None,
                    "GBP" if paid else "", people, None, "in_person", "en", "Bristol",
                    rng.choice(staff), now,
                )  # fmt: skip

        copy(
            ServiceDelivery,
            (
                "id", "organisation_id", "service_type_id", "delivered_on", "person_id",
                "household_id", "quantity", "amount", "currency", "people_reached",
                "households_reached", "channel", "language", "city", "staff_id", "created_at",
            ),
            services(),
        )  # fmt: skip
        copy(
            HelplineCall,
            (
                "id", "organisation_id", "started_at", "duration_minutes", "channel", "language",
                "caller_type", "topics", "outcome", "follow_up_on", "follow_up_done", "person_id",
                "operator_id", "created_at",
            ),
            (
                (
                    uuid.uuid4(), org_id, moment(day := day_ago()), 8, "phone", "en",
                    "person_concerned", Jsonb(["housing"]), "support_given",
                    day + datetime.timedelta(days=2) if rng.random() < 0.05 else None,
                    rng.random() < 0.9,
                    rng.choice(world.person_ids) if rng.random() < 0.2 else None,
                    rng.choice(staff), now,
                )
                for _ in range(CALLS)
            ),
        )  # fmt: skip
        facilities = [
            Facility.objects.create(
                organisation=organisation, name=f"House {n}", beds=40, family_rooms=10
            )
            for n in range(5)
        ]
        copy(
            Stay,
            (
                "id", "organisation_id", "facility_id", "person_id", "accompanying",
                "family_room", "starts_on", "ends_on", "created_at",
            ),
            (
                (
                    uuid.uuid4(), org_id, facilities[n % 5].pk, rng.choice(world.person_ids),
                    0, False, (start := day_ago()), start + datetime.timedelta(days=1),
                    now,
                )
                for n in range(STAYS)
            ),
        )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    print(
        f"{PERSONS:,} persons, {HOUSEHOLDS:,} households, {CASES:,} cases, {NOTES:,} notes, "
        f"{SERVICES:,} services, {CALLS:,} calls, {STAYS:,} stays",
        flush=True,
    )
    return world


# Measuring


Page = tuple[str, Callable[[random.Random], str]]


def _pages(world: World) -> list[Page]:
    today = datetime.date.today()
    people = world.person_ids

    def services_filtered(rng: random.Random) -> str:
        start = today - datetime.timedelta(days=rng.randint(30, 700))
        end = start + datetime.timedelta(days=30)
        service_type = rng.choice(world.service_type_ids)
        return (
            f"/o/{SLUG}/services/?service_type={service_type}"
            f"&date_from={start.isoformat()}&date_to={end.isoformat()}"
        )

    return [
        ("floor (empty page)", lambda rng: f"/bench/o/{SLUG}/floor/"),
        ("caseworker home", lambda rng: f"/o/{SLUG}/work/"),
        ("person page", lambda rng: f"/o/{SLUG}/people/{rng.choice(people)}/"),
        (
            "search by code",
            lambda rng: f"/o/{SLUG}/people/?code=B-{rng.randrange(len(people)):06d}",
        ),
        (
            "search by exact name",
            lambda rng: f"/o/{SLUG}/people/?name={rng.choice(world.family_names)}",
        ),
        ("services, filtered", services_filtered),
    ]


class Result:
    def __init__(self, name: str) -> None:
        self.name = name
        self.page: list[float] = []
        self.baseline: list[float] = []
        self.queries: list[int] = []
        # Where each request's time went: waiting on the database, rendering templates.
        self.in_sql: list[float] = []
        self.in_templates: list[float] = []


class Stopwatch:
    """Adds up the time a request spends in SQL (cursor.execute and its fetch) and in
    rendering templates (the outermost render only, so includes count once), and keeps
    each statement with its parameters for the baseline to replay."""

    def __init__(self) -> None:
        self.sql = 0.0
        self.templates = 0.0
        self.statements: list[tuple[str, Any]] = []
        self._depth = 0

    def __call__(
        self, execute: Callable[..., Any], sql: str, params: Any, many: bool, context: Any
    ) -> Any:
        self.statements.append((sql, params))
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            self.sql += time.perf_counter() - began

    def timing_render(self, render: Callable[..., Any]) -> Callable[..., Any]:
        def timed(template: Any, *args: Any, **kwargs: Any) -> Any:
            self._depth += 1
            began = time.perf_counter()
            try:
                return render(template, *args, **kwargs)
            finally:
                self._depth -= 1
                if self._depth == 0:
                    self.templates += time.perf_counter() - began

        return timed

    def reset(self) -> None:
        self.sql = self.templates = 0.0
        self.statements = []


def _replay(statements: list[tuple[str, Any]]) -> float:
    """Run the statements a request issued, as Django sent them, on the bare cursor."""
    from django.db import connection, transaction

    with transaction.atomic():
        with connection.cursor() as cursor:
            raw = cursor.cursor
            began = time.perf_counter()
            for sql, params in statements:
                raw.execute(sql, params)
                if raw.description is not None:
                    raw.fetchall()
            elapsed = time.perf_counter() - began
        transaction.set_rollback(True)
    return elapsed


def _measure(world: World, started: float) -> list[Result]:
    from django.db import connection, transaction
    from django.template.backends.django import Template as BackendTemplate
    from django.test import Client

    serve_as_in_production("bench.casework_urls")  # Haven's routes and the floor page
    client = Client()
    client.force_login(world.caseworker, backend="django.contrib.auth.backends.ModelBackend")
    rng = random.Random(7)
    results = []
    stopwatch = Stopwatch()
    BackendTemplate.render = stopwatch.timing_render(BackendTemplate.render)  # type: ignore[method-assign]
    for name, make_path in _pages(world):
        result = Result(name)
        # Measured requests are rolled back, so the session's once-a-minute renewal would
        # never stick and every request would write it; one committed request keeps it
        # fresh for the page's run (well under a minute), as in real use.
        client.get(make_path(rng))
        for attempt in range(REQUESTS + 10):
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise SystemExit("bench/casework.py ran out of time; no figures")
            path = make_path(rng)
            # The same request once untimed first: the page and its replay then both meet
            # the rows it reads in PostgreSQL's cache, instead of the page alone paying the
            # cold reads that it leaves warm for the replay right after it.
            with transaction.atomic():
                client.get(path)
                transaction.set_rollback(True)
            stopwatch.reset()
            with transaction.atomic(), connection.execute_wrapper(stopwatch):
                began = time.perf_counter()
                response = client.get(path)
                elapsed = time.perf_counter() - began
                transaction.set_rollback(True)
            if response.status_code != 200:
                raise SystemExit(f"{path} answered {response.status_code}")
            baseline = _replay(stopwatch.statements)
            if attempt >= 10:  # the first ten warm caches and connections
                result.page.append(elapsed * 1000)
                result.baseline.append(baseline * 1000)
                result.queries.append(len(stopwatch.statements))
                result.in_sql.append(stopwatch.sql * 1000)
                result.in_templates.append(stopwatch.templates * 1000)
        results.append(result)
        print(f"measured {name}", flush=True)
    return results


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


FLOOR = "floor (empty page)"


def _report(results: list[Result]) -> None:
    print()
    header = f"{'page':<22}{'p50 ms':>8}{'p95 ms':>8}{'base p50':>10}{'base p95':>10}"
    print(f"{header}{'ratio p95':>11}{'queries':>9}  verdict")
    failed = False
    for result in results:
        p50, p95 = _percentile(result.page, 0.5), _percentile(result.page, 0.95)
        b50, b95 = _percentile(result.baseline, 0.5), _percentile(result.baseline, 0.95)
        ratio = p95 / b95 if b95 else float("inf")
        ok = p95 < TARGET_MS and ratio <= TARGET_RATIO
        if result.name == FLOOR:
            verdict = "(not a page: the stack's own cost)"
        else:
            failed |= not ok
            verdict = "ok" if ok else "MISSES TARGET"
        print(
            f"{result.name:<22}{p50:>8.1f}{p95:>8.1f}{b50:>10.1f}{b95:>10.1f}{ratio:>11.2f}"
            f"{statistics.median(result.queries):>9.0f}  {verdict}"
        )
    print(
        f"\n{REQUESTS} requests per page; targets: p95 < {TARGET_MS:.0f} ms and "
        f"p95 ≤ {TARGET_RATIO}× the same queries replayed on a bare cursor."
    )
    floor = next((result for result in results if result.name == FLOOR), None)
    if floor is not None:
        floor_page, floor_sql = statistics.median(floor.page), statistics.median(floor.baseline)
        print(
            "\nAbove the floor (medians): what each page adds to the empty page's time, against "
            "the SQL it adds\nto the empty page's SQL."
        )
        print(f"{'page':<22}{'adds ms':>8}{'adds SQL':>10}{'ratio':>8}")
        for result in results:
            if result is floor:
                continue
            added = statistics.median(result.page) - floor_page
            added_sql = statistics.median(result.baseline) - floor_sql
            ratio = added / added_sql if added_sql > 0 else float("inf")
            print(f"{result.name:<22}{added:>8.1f}{added_sql:>10.1f}{ratio:>8.2f}")
    print("\nWhere a page's median request goes (ms): SQL through Django's cursor (driver and")
    print("round trips included), template rendering, and everything else in Python (middleware,")
    print("session, tenancy, building querysets and model objects, the audit event, the view).")
    print(f"{'page':<22}{'total':>8}{'SQL':>8}{'templates':>11}{'other':>8}")
    for result in results:
        total = statistics.median(result.page)
        sql = statistics.median(result.in_sql)
        templates = statistics.median(result.in_templates)
        other = total - sql - templates
        print(f"{result.name:<22}{total:>8.1f}{sql:>8.1f}{templates:>11.1f}{other:>8.1f}")
    if failed:
        print("At least one page misses a target.", file=sys.stderr)


if __name__ == "__main__":
    main()
