"""Coalition reporting at the scale of a large network: 50 members, 500,000 persons,
10,000,000 service deliveries.

Creates its own database ``haven_bench_reporting`` on the PostgreSQL server of
``DATABASE_URL`` (dropped again at the end, whatever happens), migrates it, and loads by
COPY: 50 member organisations in 20 countries, each with 10,000 persons (casework consent
for all, statistics consent for 70%), 500 households, 200,000 service deliveries over two
years, 10,000 helpline calls, 1,000 shelter stays and 2,000 cases.

Then it measures, in one run:

- **Submissions**: for each of the last eight quarters, the background run that computes
  every member's draft from its casework (``prepare_drafts``: one query per source for
  the 50 members, then each draft stored in its member's submission with its audit event),
  timed per quarter. Target: under 10 s. Then, timed apart, each member sending its
  draft (``send_submission``: differential privacy, budget under a row lock, audit).
  For the latest quarter also each member computing its own draft, one after the other
  (``prepare_from_casework``, the member's *Compute* button).
- **Baseline**: the same figures the way a network does it today: export the rows the
  computation needs (persons, consents, deliveries, calls, stays, cases) with COPY and
  aggregate them with Polars. Its results are checked against ours. Target: the
  background run at least 5 times faster.
- **Dashboard**: the coordinator's dashboard (eight quarters), a period's review by
  country and by member, the public figures page and the review through the API, each
  requested 30 times through Django's test client as a production worker serves them; the
  dashboard and the reviews are remembered until a member sends, so they are also timed as
  the first request after a sending (the cache emptied before each, except, for the
  dashboard, what it follows of each quarter's reviews: the earlier quarters' totals stay
  remembered, and the latest quarter's are drawn by a task the sending queues; the
  dashboard is also timed before that task has run, without a target). Target: p95 under
  300 ms. Baseline: exporting the same sent figures with COPY and summing them with Polars.

    pip install -e ".[bench]"   # Polars, for the baseline
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python -m bench.reporting

``HAVEN_BENCH_SCALE=0.01`` tries the whole run on a hundredth of the data.
"""

from __future__ import annotations

import datetime
import io
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

BENCH_DB = "haven_bench_reporting"
SCALE = float(os.environ.get("HAVEN_BENCH_SCALE", "1"))
MEMBERS = int(os.environ.get("HAVEN_BENCH_MEMBERS", "50"))  # fewer only to profile quickly
PERSONS = int(10_000 * SCALE)  # per member
HOUSEHOLDS = int(500 * SCALE)
DELIVERIES = int(200_000 * SCALE)
CALLS = int(10_000 * SCALE)
STAYS = int(1_000 * SCALE)
CASES = int(2_000 * SCALE)
QUARTERS = 8
REQUESTS = int(os.environ.get("HAVEN_BENCH_REQUESTS", "30"))
DEADLINE_SECONDS = 60 * 60
TARGET_QUARTER_S = 10.0
TARGET_VIEW_MS = 300.0
BEFORE_DRAWING = "    before its drawing"
TARGET_RATIO = 5.0
COUNTRIES = ("FR", "ES", "GB", "DE", "IT", "RO", "PL", "NG", "KE", "IN", "PH", "TH",
             "BR", "CO", "MX", "US", "CA", "AU", "ZA", "SE")  # fmt: skip
GENDERS = ("Feminine", "Feminine", "Feminine", "Masculine", "TransgenderFeminine", "")
AGES = ("18-24", "25-34", "25-34", "35-49", "50-64", "12-17", "unknown", "")
TRAFFICKING = ("", "", "PossibleVictimOfTrafficking", "ActualVictimOfTrafficking",
               "NotAVictimOfTrafficking")  # fmt: skip
SECTORS = ("", "", "S_OtherServiceActivities", "F_Construction",
           "A_AgricultureForestryAndFishing")  # fmt: skip
KINDS = ("[]", '["SexualExploitation"]', '["ForcedLabour"]', '["ForcedLabour", "Servitude"]')
CITIZENSHIP = ("FR", "RO", "NG", "UA", "BR", "VN", "")


def main() -> None:
    started = time.monotonic()
    throwaway(BENCH_DB, "bench/reporting.py", lambda: _run(started))


def _run(started: float) -> None:
    from django.core.management import call_command

    step = time.monotonic()
    call_command("migrate", verbosity=0)
    call_command("createcachetable", verbosity=0)
    print(f"migrated in {time.monotonic() - step:.0f} s", flush=True)
    step = time.monotonic()
    world = _load()
    print(f"loaded in {time.monotonic() - step:.0f} s", flush=True)
    if os.environ.get("HAVEN_BENCH_PROFILE"):
        _profile(world)
        if os.environ["HAVEN_BENCH_PROFILE"] == "only":
            return
    quarters = _submissions(world, started)
    one_by_one = _one_by_one(world)
    baseline, checked = _baseline(world)
    views = _views(world, started)
    _report(quarters, one_by_one, baseline, checked, views)


# --- Loading -----------------------------------------------------------------------------


class World:
    def __init__(self) -> None:
        self.network: Any = None
        self.coordinator: Any = None
        self.members: list[Any] = []
        self.admins: dict[int, Any] = {}
        self.periods: list[Any] = []


def _uuids(count: int, rng: random.Random) -> list[uuid.UUID]:
    return [uuid.UUID(int=rng.getrandbits(128), version=4) for _ in range(count)]


def _load() -> World:
    from django.db import connection
    from django.db.models import Q
    from django_scopes import scopes_disabled
    from psycopg.types.json import Jsonb

    from haven.accounts.models import RoleAssignment, User
    from haven.casework.actions import refresh_first_activity
    from haven.casework.models import Case, Consent, Household, Person
    from haven.helpline.models import HelplineCall
    from haven.organisations.models import Membership, Network, Organisation
    from haven.services.models import ServiceDelivery, ServiceType
    from haven.shelter.models import Facility, Stay

    rng = random.Random(2026)
    world = World()
    today = datetime.date.today()
    now = datetime.datetime.now(tz=datetime.UTC)
    hub = Organisation.objects.create(slug="bench-network", name="Bench Network", kind="network")
    world.network = Network.objects.create(organisation=hub, slug="bench-network")
    world.coordinator = User.objects.create_user(username="bench-coordinator", password="x" * 16)
    RoleAssignment.objects.create(
        user=world.coordinator, organisation=hub, role="network_coordinator"
    )
    for index in range(MEMBERS):
        member = Organisation.objects.create(
            slug=f"member-{index:02d}",
            name=f"Member {index:02d}",
            kind="ngo",
            country=COUNTRIES[index % len(COUNTRIES)],
        )
        Membership.objects.create(network=world.network, organisation=member)
        admin = User.objects.create_user(username=f"admin-{index:02d}", password="x" * 16)
        RoleAssignment.objects.create(user=admin, organisation=member, role="organisation_admin")
        world.members.append(member)
        world.admins[member.pk] = admin
    types = list(ServiceType.objects.filter(organisation=None).values_list("pk", "counts_money"))

    def day_ago(limit: int = 730) -> datetime.date:
        return today - datetime.timedelta(days=rng.randint(0, limit))

    def moment(day: datetime.date) -> datetime.datetime:
        return datetime.datetime.combine(
            day, datetime.time(rng.randint(8, 20)), tzinfo=datetime.UTC
        )

    totals = dict.fromkeys(("persons", "deliveries", "calls", "stays", "cases", "consents"), 0)
    with scopes_disabled():
        for number, member in enumerate(world.members):
            org = member.pk
            households = _uuids(HOUSEHOLDS, rng)
            copy(
                Household,
                ("id", "organisation_id", "code", "other_members", "created_at"),
                ((pk, org, f"H-{n:06d}", 1, now) for n, pk in enumerate(households)),
            )
            persons = _uuids(PERSONS, rng)
            household_of = {pk: rng.choice(households) for pk in persons if rng.random() < 0.05}
            totals["persons"] += copy(
                Person,
                (
                    "id", "organisation_id", "code", "gender", "age_band", "citizenship",
                    "languages", "trafficking_status", "exploitation_types", "sector",
                    "in_sex_work", "household_id", "last_activity_at", "created_at", "updated_at",
                ),
                (
                    (
                        pk, org, f"P-{n:06d}", rng.choice(GENDERS), rng.choice(AGES),
                        Jsonb([c] if (c := rng.choice(CITIZENSHIP)) else []), Jsonb(["en"]),
                        rng.choice(TRAFFICKING), Jsonb(__import__("json").loads(rng.choice(KINDS))),
                        rng.choice(SECTORS), rng.choice((True, False, None)),
                        household_of.get(pk), now, now, now,
                    )
                    for n, pk in enumerate(persons)
                ),
            )  # fmt: skip
            consenting = [pk for pk in persons if rng.random() < 0.7]
            totals["consents"] += copy(
                Consent,
                ("id", "organisation_id", "person_id", "purpose", "given_on", "method",
                 "recorded_at"),
                (
                    *((uuid.uuid4(), org, pk, "casework", datetime.date(2024, 1, 2), "written",
                       now) for pk in persons),
                    *((uuid.uuid4(), org, pk, "statistics", datetime.date(2024, 1, 2), "verbal",
                       now) for pk in consenting),
                ),
            )  # fmt: skip
            people = rng.choices(persons, k=DELIVERIES)

            def deliveries(
                people: list[uuid.UUID] = people,
                households: list[uuid.UUID] = households,
                org: int = org,
            ) -> Iterator[tuple[Any, ...]]:
                for named, pk in zip(people, _uuids(DELIVERIES, rng), strict=True):
                    service_type, money = rng.choice(types)
                    kind = rng.random()
                    person: uuid.UUID | None = named
                    household: uuid.UUID | None = None
                    reached: int | None = None
                    if kind < 0.03:
                        person, household = None, rng.choice(households)
                    elif kind < 0.07:
                        person, reached = None, rng.randint(3, 40)
                    yield (
                        pk, org, service_type, day_ago(), person, household, Decimal(1),
                        Decimal(rng.randint(10, 400)) if money else None, "EUR" if money else "",
                        reached, None, "in_person", "en", "", now,
                    )  # fmt: skip

            totals["deliveries"] += copy(
                ServiceDelivery,
                (
                    "id", "organisation_id", "service_type_id", "delivered_on", "person_id",
                    "household_id", "quantity", "amount", "currency", "people_reached",
                    "households_reached", "channel", "language", "city", "created_at",
                ),
                deliveries(),
            )  # fmt: skip
            totals["calls"] += copy(
                HelplineCall,
                (
                    "id", "organisation_id", "started_at", "duration_minutes", "channel",
                    "language", "caller_type", "topics", "outcome", "follow_up_done",
                    "person_id", "created_at",
                ),
                (
                    (
                        uuid.uuid4(), org, moment(day_ago()), 8,
                        rng.choice(("phone", "phone", "sms", "chat")), "en",
                        rng.choice(("person_concerned", "relative", "public")),
                        Jsonb(rng.sample(["housing", "money", "health", "legal"], k=2)),
                        "support_given", True,
                        rng.choice(persons) if rng.random() < 0.2 else None, now,
                    )
                    for _ in range(CALLS)
                ),
            )  # fmt: skip
            facility = Facility.objects.create(organisation=member, name="House", beds=60)
            totals["stays"] += copy(
                Stay,
                ("id", "organisation_id", "facility_id", "person_id", "accompanying",
                 "family_room", "starts_on", "ends_on", "created_at"),
                (
                    (uuid.uuid4(), org, facility.pk, rng.choice(persons), rng.randint(0, 2),
                     False, (start := day_ago()),
                     start + datetime.timedelta(days=rng.randint(1, 60)), now)
                    for _ in range(STAYS)
                ),
            )  # fmt: skip
            totals["cases"] += copy(
                Case,
                ("id", "organisation_id", "person_id", "status", "opened_on", "closed_on",
                 "needs", "risk_level", "created_at"),
                (
                    (uuid.uuid4(), org, rng.choice(persons), "Closed", (opened := day_ago()),
                     opened + datetime.timedelta(days=rng.randint(10, 200)), Jsonb([]), "low",
                     now)
                    for _ in range(CASES)
                ),
            )  # fmt: skip
            if number % 10 == 9:
                print(f"  {number + 1} members loaded", flush=True)
    with connection.cursor() as cursor:
        # As autovacuum would have done by then on a live database.
        cursor.execute("VACUUM ANALYZE")
    print(", ".join(f"{value:,} {name}" for name, value in totals.items()), flush=True)
    # What the migration that added the column does for records already there, member by
    # member (with the tables analysed, as on a live database).
    began = time.perf_counter()
    for member in world.members:
        refresh_first_activity(member.pk, Q())
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE casework_person")
    print(f"first days of support filled in {time.perf_counter() - began:.0f} s "
          f"(load average {_load_average()})", flush=True)  # fmt: skip
    return world


# --- Submissions ---------------------------------------------------------------------------


def _profile(world: World) -> None:
    """HAVEN_BENCH_PROFILE=1 (or "only", to stop there): the slowest queries of the whole
    network's computation, explained."""
    from django.db import connection

    from haven.reporting.compute import compute_members
    from haven.reporting.periods import period_end, previous_periods

    start = previous_periods("quarter", datetime.date.today(), 1)[0]
    timed: list[tuple[float, str, Any]] = []

    def timer(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        began = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - began, sql, params))

    with connection.execute_wrapper(timer):
        compute_members(world.members, start, period_end("quarter", start))
    print(f"{len(timed)} queries, {sum(row[0] for row in timed) * 1000:.0f} ms in all")
    for elapsed, sql, params in sorted(timed, key=lambda row: row[0], reverse=True)[:4]:
        print(f"{elapsed * 1000:.1f} ms: {sql[:300]}")
        with connection.cursor() as cursor:
            # In the computation's own settings (short_queries).
            cursor.execute("BEGIN")
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql, params)
            print("\n".join(row[0] for row in cursor.fetchall()[:60]))
            cursor.execute("ROLLBACK")


class Quarter:
    def __init__(self, start: datetime.date) -> None:
        self.start = start
        self.computing = 0.0  # the background run: every member's draft computed and stored
        self.sending = 0.0  # every member sending its draft


def _submissions(world: World, started: float) -> list[Quarter]:
    from django_scopes import scope

    from haven.reporting import actions
    from haven.reporting.models import Submission
    from haven.reporting.periods import period_end, previous_periods

    quarters = []
    for start in previous_periods("quarter", datetime.date.today(), QUARTERS):
        if time.monotonic() - started > DEADLINE_SECONDS:
            raise SystemExit("bench/reporting.py ran out of time; no figures")
        period = actions.create_period(
            actor=world.coordinator,
            network=world.network,
            kind="quarter",
            starts_on=start,
            deadline=period_end("quarter", start) + datetime.timedelta(days=30),
        )
        world.periods.append(period)
        quarter = Quarter(start)
        began = time.perf_counter()
        prepared = actions.prepare_drafts(period=period)
        quarter.computing = time.perf_counter() - began
        if prepared != len(world.members):
            raise SystemExit(f"{prepared} drafts prepared for {len(world.members)} members")
        began = time.perf_counter()
        for member in world.members:
            with scope(organisation=member):
                submission = Submission.objects.select_related("period", "organisation").get(
                    organisation=member, period=period
                )
            actions.send_submission(actor=world.admins[member.pk], submission=submission)
        quarter.sending = time.perf_counter() - began
        quarters.append(quarter)
        print(
            f"quarter from {start}: {MEMBERS} drafts computed in one run in "
            f"{quarter.computing:.2f} s, then sent one by one in {quarter.sending:.2f} s "
            f"(load average {_load_average()})",
            flush=True,
        )
    return quarters


def _load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def _one_by_one(world: World) -> list[float]:
    """The latest quarter's figures again, each member's computed on its own, one after the
    other (what a member's *Compute* button runs before storing the draft): seconds each."""
    from haven.reporting.compute import compute_figures

    period = world.periods[-1]
    timings = []
    for member in world.members:
        began = time.perf_counter()
        compute_figures(member, period.starts_on, period.ends_on)
        timings.append(time.perf_counter() - began)
    print(f"the latest quarter's {len(world.members)} computations, one member at a time: "
          f"{sum(timings):.2f} s, median {statistics.median(timings) * 1000:.0f} ms per member "
          f"(load average {_load_average()})", flush=True)  # fmt: skip
    return timings


# --- Baseline: export the rows and aggregate them with Polars -----------------------------------


def _export(sql: str) -> Any:
    import polars as pl
    from django.db import connection

    buffer = io.BytesIO()
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY ({sql}) TO STDOUT WITH (FORMAT csv, HEADER true)") as copying,
    ):
        for data in copying:
            buffer.write(data)
    buffer.seek(0)
    return pl.read_csv(buffer, infer_schema_length=10_000)


def _baseline(world: World) -> tuple[float, bool]:
    """Export the rows and compute the last quarter's figures for every member with Polars."""
    import polars as pl
    from django_scopes import scopes_disabled

    from haven.reporting.actions import draft_figures
    from haven.reporting.models import Submission

    period = world.periods[-1]
    start, end = period.starts_on, period.ends_on
    began = time.perf_counter()
    persons = _export(
        "SELECT id, organisation_id, household_id, gender, age_band, trafficking_status, "
        "in_sex_work, sector, citizenship::text AS citizenship, exploitation_types::text AS kinds "
        "FROM casework_person"
    )
    consents = _export(
        "SELECT person_id, given_on, withdrawn_on FROM casework_consent "
        "WHERE purpose = 'statistics'"
    )
    deliveries = _export(
        "SELECT d.organisation_id, t.code, t.organisation_id AS own, d.delivered_on, d.person_id, "
        "d.household_id, d.quantity, d.amount, d.currency, d.people_reached "
        "FROM services_servicedelivery d JOIN services_servicetype t ON t.id = d.service_type_id "
        f"WHERE d.delivered_on <= '{end}'"
    )
    calls = _export(
        "SELECT organisation_id, started_at::date AS day, channel, caller_type, person_id "
        f"FROM helpline_helplinecall WHERE started_at < '{end + datetime.timedelta(days=1)}'"
    )
    stays = _export(
        "SELECT organisation_id, person_id, starts_on, ends_on FROM shelter_stay "
        f"WHERE starts_on <= '{end}'"
    )
    cases = _export(
        f"SELECT person_id, opened_on, closed_on FROM casework_case WHERE opened_on <= '{end}'"
    )
    today = datetime.date.today()
    consenting = (
        consents.filter(
            (pl.col("given_on").str.to_date() <= today)
            & (pl.col("withdrawn_on").is_null() | (pl.col("withdrawn_on").str.to_date() > today))
        )
        .select(pl.col("person_id").alias("id"))
        .unique()
    )
    day = pl.col("delivered_on").str.to_date()
    by_household = (
        deliveries.filter(pl.col("household_id").is_not_null())
        .join(persons.select("id", "household_id"), on="household_id")
        .select(pl.col("id").alias("person"), day.alias("day"))
    )
    direct = deliveries.filter(pl.col("person_id").is_not_null()).select(
        pl.col("person_id").alias("person"), day.alias("day")
    )
    linked = calls.filter(pl.col("person_id").is_not_null()).select(
        pl.col("person_id").alias("person"), pl.col("day").str.to_date().alias("day")
    )
    activity = pl.concat([direct, by_household, linked])
    in_quarter = activity.filter(pl.col("day").is_between(start, end)).select("person")
    sheltered = stays.filter(
        pl.col("ends_on").is_null() | (pl.col("ends_on").str.to_date() > start)
    ).select(pl.col("person_id").alias("person"))
    open_cases = cases.filter(
        pl.col("closed_on").is_null() | (pl.col("closed_on").str.to_date() >= start)
    ).select(pl.col("person_id").alias("person"))
    supported = pl.concat([in_quarter, sheltered, open_cases]).unique()
    earlier = (
        pl.concat(
            [
                activity.filter(pl.col("day") < start).select("person"),
                stays.filter(pl.col("starts_on").str.to_date() < start).select(
                    pl.col("person_id").alias("person")
                ),
                cases.filter(pl.col("opened_on").str.to_date() < start).select(
                    pl.col("person_id").alias("person")
                ),
            ]
        )
        .unique()
        .with_columns(pl.lit(True).alias("returning"))
    )
    counted = (
        persons.join(supported.rename({"person": "id"}), on="id")
        .join(consenting, on="id")
        .join(earlier.rename({"person": "id"}), on="id", how="left")
        .with_columns(pl.col("returning").fill_null(False))
    )
    new = counted.group_by("organisation_id").agg((~pl.col("returning")).sum().alias("new"))
    genders = counted.group_by("organisation_id", "gender").len()
    services = (
        deliveries.filter(day.is_between(start, end))
        .join(
            persons.select(pl.col("id").alias("person_id"), pl.lit(1).alias("p")),
            on="person_id",
            how="left",
        )
        .group_by("organisation_id", "code")
        .len()
    )
    elapsed = time.perf_counter() - began
    # The baseline did the same work if its figures are ours (before noise): new persons
    # per member, and services given per member and code (here counting all, consent apart).
    with scopes_disabled():
        drafts = {
            s.organisation_id: draft_figures(s) for s in Submission.objects.filter(period=period)
        }
    new_ours = {org: int(f.get(("persons.status", "new"), 0)) for org, f in drafts.items()}
    new_theirs = dict(new.iter_rows())
    checked = all(new_theirs.get(org, 0) == value for org, value in new_ours.items())
    exported = sum(t.height for t in (persons, consents, deliveries, calls, stays, cases))
    print(
        f"baseline: exported {exported:,} rows "
        f"and aggregated them in {elapsed:.2f} s ({genders.height} gender rows, "
        f"{services.height} service rows); new persons agree with ours: {checked}",
        flush=True,
    )
    return elapsed, checked


# --- Dashboard views -----------------------------------------------------------------------


class View:
    def __init__(self, name: str) -> None:
        self.name = name
        self.times: list[float] = []


def _views(world: World, started: float) -> tuple[list[View], float, float]:
    from django.conf import settings
    from django.core.cache import cache
    from django.db import connection
    from django.test import Client
    from django.utils import translation

    from haven.accounts.actions import create_api_token
    from haven.reporting import actions, publishing
    from haven.reporting.dashboard import TREND_TABLES, draw_views_of
    from haven.reporting.report import member_totals
    from haven.reporting.schema import BY_KEY

    period = world.periods[-1]
    began = time.perf_counter()
    publication = publishing.generate(
        actions.request_publication(actor=world.coordinator, period=period)
    )
    generated = time.perf_counter() - began
    print(f"publication of the last quarter generated in {generated:.2f} s", flush=True)
    serve_as_in_production()
    client = Client()
    client.force_login(world.coordinator, backend="django.contrib.auth.backends.ModelBackend")
    token = create_api_token(actor=world.coordinator, name="bench")[1]
    review = f"/o/bench-network/reporting/periods/{period.pk}/"

    def api_review() -> Any:
        return client.get(
            f"/api/orgs/bench-network/reporting/periods/{period.pk}",
            headers={"Authorization": f"Bearer {token}"},
        )

    trend_tables = [BY_KEY[key] for key in TREND_TABLES]

    def before_its_drawing() -> None:
        # A member sending into the latest quarter changes its review's key, and the
        # dashboard's; each earlier quarter's totals, which the trends follow, are keyed by
        # their own revisions and stay remembered.
        cache.clear()
        with translation.override(settings.LANGUAGE_CODE):
            member_totals(world.periods[:-1], trend_tables)

    def after_a_sending() -> None:
        # The sending also queued the drawing of what the dashboard shows of its quarter
        # (with the e-mail that tells the coordinators), which a worker runs at once.
        before_its_drawing()
        with translation.override(settings.LANGUAGE_CODE):
            draw_views_of(world.periods[-1])

    # The dashboard and the reviews are remembered until a member sends; "first after a
    # sending" forgets what a sending does before each request, as the first coordinator
    # to look after a sending finds them.
    pages: list[tuple[str, Callable[[], Any], Callable[[], None] | None]] = [
        ("dashboard (8 quarters)", lambda: client.get("/o/bench-network/reporting/dashboard/"),
         None),
        ("  first after a sending", lambda: client.get("/o/bench-network/reporting/dashboard/"),
         after_a_sending),
        (BEFORE_DRAWING, lambda: client.get("/o/bench-network/reporting/dashboard/"),
         before_its_drawing),
        ("period review by country", lambda: client.get(review), None),
        ("period review by member", lambda: client.get(f"{review}?by=member"), None),
        ("  first after a sending", lambda: client.get(f"{review}?by=member"), cache.clear),
        ("public figures page", lambda: client.get("/networks/bench-network/figures/"), None),
        ("API period review", api_review, None),
        ("  first after a sending", api_review, cache.clear),
    ]  # fmt: skip
    views = []
    for name, ask, forget in pages:
        view = View(name)
        for attempt in range(REQUESTS + 3):
            if time.monotonic() - started > DEADLINE_SECONDS:
                raise SystemExit("bench/reporting.py ran out of time; no figures")
            connection.queries_log.clear()
            if forget is not None:
                forget()
            began = time.perf_counter()
            response = ask()
            elapsed = time.perf_counter() - began
            if response.status_code != 200:
                raise SystemExit(f"{name} answered {response.status_code}")
            if attempt >= 3:
                view.times.append(elapsed * 1000)
        views.append(view)
        print(f"measured {name.strip()} (load average {_load_average()})", flush=True)
    del publication
    began = time.perf_counter()
    sent = _export(
        'SELECT r.period_id, o.country, f."table", f.category, f.value '
        "FROM reporting_figure f JOIN reporting_revision r ON r.id = f.revision_id "
        "JOIN organisations_organisation o ON o.id = r.organisation_id WHERE r.is_current"
    )
    import polars as pl

    sent.group_by("period_id", "table", "category").agg(pl.col("value").sum())
    sent.group_by("country", "table", "category").agg(pl.col("value").sum())
    baseline = (time.perf_counter() - began) * 1000
    print(
        f"dashboard baseline: {sent.height:,} sent figures exported and summed in {baseline:.0f} ms"
    )
    return views, baseline, generated


def _percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _report(
    quarters: list[Quarter],
    one_by_one: list[float],
    baseline: float,
    checked: bool,
    views: tuple[list[View], float, float],
) -> None:
    pages, dashboard_baseline, generated = views
    last = quarters[-1]
    computing = [quarter.computing for quarter in quarters]
    ratio = baseline / last.computing if last.computing else float("inf")
    failed = last.computing >= TARGET_QUARTER_S or ratio < TARGET_RATIO or not checked
    print()
    print(f"load average at the end: {_load_average()}")
    print(f"a quarter's {MEMBERS} drafts, computed in one background run: last "
          f"{last.computing:.2f} s, median {statistics.median(computing):.2f} s, slowest "
          f"{max(computing):.2f} s (target < {TARGET_QUARTER_S:.0f} s)")  # fmt: skip
    print(f"then sent by each member (noise, budget, audit): last {last.sending:.2f} s, "
          f"median {statistics.median(q.sending for q in quarters):.2f} s")  # fmt: skip
    print(f"the same quarter computed one member at a time: {sum(one_by_one):.2f} s "
          f"(median {statistics.median(one_by_one) * 1000:.0f} ms per member)")  # fmt: skip
    print(f"export-and-aggregate baseline (Polars): {baseline:.2f} s; the background run is "
          f"{ratio:.1f}× faster (target ≥ {TARGET_RATIO:.0f}×); with the sending too "
          f"{baseline / (last.computing + last.sending):.1f}×")  # fmt: skip
    print(f"publication generated (the background task's work) in {generated:.2f} s")
    print(f"\n{'view':<28}{'p50 ms':>8}{'p95 ms':>8}{'× dashboard baseline':>22}  verdict")
    for view in pages:
        p50, p95 = _percentile(view.times, 0.5), _percentile(view.times, 0.95)
        ok = p95 < TARGET_VIEW_MS
        if view.name == BEFORE_DRAWING:
            # Only in the moment between a sending and its background drawing.
            verdict = "(no target)"
        else:
            failed |= not ok
            verdict = "ok" if ok else "MISSES TARGET"
        print(f"{view.name:<28}{p50:>8.1f}{p95:>8.1f}{dashboard_baseline / p95:>22.1f}  "
              f"{verdict}")  # fmt: skip
    print(f"dashboard baseline (export the sent figures, sum them): {dashboard_baseline:.0f} ms")
    if failed:
        print("At least one figure misses its target.", file=sys.stderr)


if __name__ == "__main__":
    main()
