"""A rush of signatures on one petition, against gunicorn + PostgreSQL on this machine.

Creates the database ``haven_bench_petitions`` on the server of ``DATABASE_URL`` (dropped
again at the end, whatever happens), migrates it, opens one petition, and starts gunicorn
on 127.0.0.1 (sync workers, ``HAVEN_BENCH_WORKERS``, default 4). A load generator in this
process (asyncio, raw HTTP/1.1 on loopback, ``HAVEN_BENCH_USERS`` concurrent clients,
default twice the workers) then runs, for ``HAVEN_BENCH_SECONDS`` each (default 15),
bounded in time:

1. baseline: POST to a minimal Django view that does one INSERT (bench/rush_urls.py),
   through the same middleware, gunicorn and database;
2. signatures: the real petition form (CSRF token, honeypot, rate limits, e-mail
   normalisation and blocklist, encryption of name and address, one INSERT of the
   signature; the confirmation e-mails are queued as one dispatch task per rush), each with
   a new address; a few
   readers fetch the public page (and its count) at the same time;
3. baseline again, then signatures again (the machine is shared: interleaving keeps the
   ratio honest);
4. confirmations: the button behind each e-mail link (the tokens are rebuilt here from the
   signature ids, as the e-mail task would), one UPDATE of the signer's own row each.

Then it checks that every accepted signature is in the database, every confirmation
counted, and the public count is exact; profiles 300 signatures in-process (cProfile);
and prints the figures. All load comes from 127.0.0.1, so the per-IP limit is raised for
the run (``HAVEN_RATE_PER_IP``); the cache is Redis when ``HAVEN_REDIS_URL`` is set.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres \\
    HAVEN_REDIS_URL=redis://127.0.0.1:6379/4 .venv/bin/python bench/petition_rush.py
"""

from __future__ import annotations

import asyncio
import contextlib
import cProfile
import io
import os
import pstats
import re
import signal
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode, urlsplit, urlunsplit

BENCH_DB = "haven_bench_petitions"
ROOT = Path(__file__).resolve().parent.parent
PORT = int(os.environ.get("HAVEN_BENCH_PORT", "8431"))
WORKERS = int(os.environ.get("HAVEN_BENCH_WORKERS", "4"))
USERS = int(os.environ.get("HAVEN_BENCH_USERS", str(2 * WORKERS)))
READERS = max(1, USERS // 16)
SECONDS = float(os.environ.get("HAVEN_BENCH_SECONDS", "15"))
WARM_UP_SECONDS = 3.0
DEADLINE_SECONDS = 20 * 60
SECRET_KEY = "bench-" + uuid.uuid4().hex * 2
MASTER_KEY = "MDEyMzQ1Njc4OWFiY2RlZjAxMjM0NTY3ODlhYmNkZWY="
TARGET_RATIO = 0.7
TARGET_RATE = 1500.0
TARGET_P99_MS = 250.0
ORG, SLUG = "rush", "fund-shelters-now"


def _database_urls() -> tuple[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    parts = urlsplit(url)
    if parts.scheme not in {"postgres", "postgresql", "pgsql"}:
        raise SystemExit(
            "bench/petition_rush.py measures PostgreSQL: set DATABASE_URL=postgres://… "
            f"(it creates and drops its own database, {BENCH_DB})."
        )
    admin = urlunsplit(parts._replace(path="/postgres"))
    return admin, urlunsplit(parts._replace(path=f"/{BENCH_DB}"))


def _admin(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


def _environment(bench_url: str) -> dict[str, str]:
    rate = "100000000/10m"
    return {
        **os.environ,
        "DATABASE_URL": bench_url,
        "DJANGO_SETTINGS_MODULE": "bench.rush_settings",
        "PYTHONPATH": f"{ROOT}{os.pathsep}{ROOT / 'src'}",
        "HAVEN_SECRET_KEY": SECRET_KEY,
        "HAVEN_MASTER_KEY": MASTER_KEY,
        "HAVEN_DEBUG": "false",
        "HAVEN_RATE_PER_IP": rate,
        "HAVEN_VAR_DIR": str(ROOT / "var" / "bench-rush"),
    }


def _setup_django(environment: dict[str, str]) -> None:
    for name in (
        "DATABASE_URL",
        "DJANGO_SETTINGS_MODULE",
        "HAVEN_SECRET_KEY",
        "HAVEN_MASTER_KEY",
        "HAVEN_DEBUG",
        "HAVEN_RATE_PER_IP",
        "HAVEN_VAR_DIR",
    ):
        os.environ[name] = environment[name]
    sys.path[:0] = [str(ROOT), str(ROOT / "src")]
    import django

    django.setup()


def _prepare() -> None:
    """Migrate, create the cache table and the baseline's table, open the petition."""
    from django.core.management import call_command
    from django.db import connection
    from django_scopes import scopes_disabled

    from bench.rush_urls import BASELINE_TABLE
    from haven.accounts.models import RoleAssignment, User
    from haven.accounts.permissions import Role
    from haven.organisations.models import Organisation
    from haven.petitions import actions

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
    with scopes_disabled():
        petition = actions.create_petition(
            actor=officer,
            owner=owner,
            title="Fund shelters now",
            body="We ask the council to fund two more shelters for survivors.",
            language="en",
            values={"goal": 1_000_000},
        )
        actions.move_petition(actor=officer, petition=petition, move="open")


# --- where the CPU goes -------------------------------------------------------------------

TICK = os.sysconf("SC_CLK_TCK")


def _cpu_seconds(pid: int) -> float:
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICK  # utime + stime


def _processes() -> dict[str, list[int]]:
    """The processes of each side: gunicorn, the bench database's backends, Redis, this one."""
    sides: dict[str, list[int]] = {"gunicorn": [], "postgres": [], "redis": []}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if "gunicorn" in command and f"127.0.0.1:{PORT}" in command:
            sides["gunicorn"].append(int(entry.name))
        elif command.startswith("postgres: ") and f" {BENCH_DB_NAME[0]} " in command:
            sides["postgres"].append(int(entry.name))
        elif command.startswith("redis-server"):
            sides["redis"].append(int(entry.name))
    return sides


# The database whose backends count as the bench's (registration_rush sets its own).
BENCH_DB_NAME = [BENCH_DB]


class CpuMeter:
    """CPU seconds each side spent during a phase, read from /proc.

    On 2 shared cores the throughput depends on the neighbours; the CPU one request costs
    each side does not, so it shows where the time goes (Redis is shared with others).
    Processes are found again at the end (PostgreSQL backends come and go with Django's
    connection lifetime); one that ended during the phase loses its last share.
    """

    def __init__(self) -> None:
        self.spent: dict[str, float] = {}

    def _read(self) -> dict[tuple[str, int], float]:
        seconds = {
            (side, pid): _cpu_seconds(pid) for side, pids in _processes().items() for pid in pids
        }
        own = os.times()
        seconds["load generator", os.getpid()] = own.user + own.system
        return seconds

    def __enter__(self) -> CpuMeter:
        self._start = self._read()
        return self

    def __exit__(self, *exc: object) -> None:
        end = self._read()
        for (side, pid), value in end.items():
            spent = max(0.0, value - self._start.get((side, pid), 0.0))
            self.spent[side] = self.spent.get(side, 0.0) + spent

    def per_request(self, requests: int) -> str:
        if not requests:
            return "no requests"
        parts = [f"{side} {1000 * spent / requests:.2f}" for side, spent in self.spent.items()]
        total = 1000 * sum(self.spent.values()) / requests
        return ", ".join(parts) + f"; total {total:.2f} ms of CPU per request"


# --- the load generator -------------------------------------------------------------------


@dataclass
class Tally:
    latencies: list[float] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, status: int, latency: float) -> None:
        self.statuses[status] = self.statuses.get(status, 0) + 1
        self.latencies.append(latency)

    def extend(self, other: Tally) -> None:
        self.latencies += other.latencies
        for status, count in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + count
        self.seconds += other.seconds

    def ok(self, *statuses: int) -> int:
        return sum(self.statuses.get(status, 0) for status in statuses)

    def rate(self, *statuses: int) -> float:
        return self.ok(*statuses) / self.seconds if self.seconds else 0.0

    def percentile(self, share: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(share * len(ordered)))] * 1000


class Connection:
    """One keep-alive HTTP/1.1 connection to the bench server, reopened when it closes."""

    def __init__(self) -> None:
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.cookies: dict[str, str] = {}
        self.csrf = ""

    async def request(
        self, method: str, path: str, body: bytes = b"", content_type: str = ""
    ) -> tuple[int, dict[str, str], bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", PORT)
        assert self.reader is not None
        head = [
            f"{method} {path} HTTP/1.1",
            f"Host: 127.0.0.1:{PORT}",
            "Accept-Language: en",
            f"Content-Length: {len(body)}",
        ]
        if content_type:
            head.append(f"Content-Type: {content_type}")
        if self.cookies:
            head.append("Cookie: " + "; ".join(f"{k}={v}" for k, v in self.cookies.items()))
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode() + body)
        await self.writer.drain()
        status_line = await self.reader.readline()
        if not status_line:
            await self.close()
            raise ConnectionError("closed by the server")
        status = int(status_line.split()[1])
        headers: dict[str, str] = {}
        while True:
            line = (await self.reader.readline()).decode("latin-1").rstrip("\r\n")
            if not line:
                break
            name, _colon, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            if name == "set-cookie":
                cookie = value.split(";", 1)[0]
                key, _eq, cookie_value = cookie.partition("=")
                self.cookies[key] = cookie_value
            headers[name] = value
        length = int(headers.get("content-length", "0"))
        content = await self.reader.readexactly(length) if length else b""
        if headers.get("connection", "").lower() == "close":
            await self.close()
        return status, headers, content

    async def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
            with contextlib.suppress(Exception):
                await self.writer.wait_closed()
        self.reader = self.writer = None


PAGE = f"/petitions/{ORG}/{SLUG}/"
TOKEN = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


async def _csrf(connection: Connection) -> str:
    _status, _headers, content = await connection.request("GET", PAGE)
    found = TOKEN.search(content)
    if found is None:
        raise SystemExit("the petition page has no CSRF token: is the petition open?")
    return found.group(1).decode()


Step = Callable[[Connection, int], Awaitable[int]]
# One sequence for the whole run, so every signature has an address of its own.
NUMBERS = iter(range(10**9))


async def _run(step: Step, users: int, seconds: float, *, prepare_csrf: bool = True) -> Tally:
    """``users`` clients repeat ``step`` until ``seconds`` have passed; every answer counted."""
    tally = Tally()
    stop = time.monotonic() + seconds
    counter = NUMBERS

    async def user() -> None:
        connection = Connection()
        if prepare_csrf:
            connection.csrf = await _csrf(connection)
        while time.monotonic() < stop:
            started = time.perf_counter()
            try:
                status = await step(connection, next(counter))
            except (ConnectionError, asyncio.IncompleteReadError, OSError):
                await connection.close()
                status = 599
            if status == 0:  # the step has no more work (every token used)
                break
            tally.add(status, time.perf_counter() - started)
        await connection.close()

    began = time.monotonic()
    await asyncio.gather(*(user() for _ in range(users)))
    tally.seconds = time.monotonic() - began
    return tally


def _form(connection: Connection, fields: dict[str, str]) -> bytes:
    return urlencode({"csrfmiddlewaretoken": connection.csrf, **fields}).encode()


FORM = "application/x-www-form-urlencoded"
RUN = uuid.uuid4().hex[:8]


async def baseline(connection: Connection, number: int) -> int:
    body = urlencode({"payload": f"baseline {RUN} {number}"}).encode()
    status, _h, _c = await connection.request("POST", "/bench/insert/", body, FORM)
    return status


async def sign(connection: Connection, number: int) -> int:
    fields = {
        "name": f"Signer {number}",
        "email": f"signer.{RUN}.{number}@example.org",
        "country": "FR",
        "comment": "",
        "homepage_address": "",
    }
    status, _h, _c = await connection.request("POST", PAGE, _form(connection, fields), FORM)
    return status


async def read(connection: Connection, number: int) -> int:
    status, _h, _c = await connection.request("GET", PAGE)
    return status


async def _sign_with_readers(seconds: float) -> tuple[Tally, Tally]:
    signing, reading = await asyncio.gather(
        _run(sign, USERS, seconds), _run(read, READERS, seconds, prepare_csrf=False)
    )
    return signing, reading


def _tokens() -> list[str]:
    """The confirmation links' tokens of every waiting signature, as the e-mail task makes them."""
    from django_scopes import scopes_disabled

    from haven.letters.content import link_token
    from haven.petitions.access import CONFIRM_SALT
    from haven.petitions.models import Signature, SignatureStatus

    with scopes_disabled():
        ids = Signature.objects.filter(status=SignatureStatus.PENDING).values_list("pk", flat=True)
        return [link_token(CONFIRM_SALT, pk) for pk in ids]


async def _confirm_all(tokens: list[str], seconds: float) -> Tally:
    queue = iter(tokens)

    async def confirm(connection: Connection, number: int) -> int:
        token = next(queue, None)
        if token is None:
            return 0
        path = f"/petitions/{ORG}/{SLUG}/confirm/{token}/"
        status, _h, content = await connection.request("POST", path, _form(connection, {}), FORM)
        return status if b"your signature counts" in content else 598

    return await _run(confirm, USERS, seconds)


# --- checks, profile, report --------------------------------------------------------------


def _database_counts() -> dict[str, int]:
    from django.db import connection
    from django_scopes import scopes_disabled

    from bench.rush_urls import BASELINE_TABLE
    from haven.petitions.models import Petition, Signature, SignatureStatus
    from haven.privacy.models import AuditEvent

    with scopes_disabled():
        petition = Petition.objects.get(slug=SLUG)
        counts = {
            "signatures": Signature.objects.filter(petition=petition).count(),
            "confirmed": Signature.objects.filter(
                petition=petition, status=SignatureStatus.CONFIRMED
            ).count(),
            "audit_events": AuditEvent.objects.count(),
        }
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT count(*) FROM {BASELINE_TABLE}")
        counts["baseline_rows"] = int(cursor.fetchone()[0])
        cursor.execute("SELECT count(*) FROM django_tasks_database_dbtaskresult")
        counts["queued_emails"] = int(cursor.fetchone()[0])
    return counts


def _count_timing(rows: int = 100_000, repeats: int = 50) -> tuple[int, float, float]:
    """Median and worst milliseconds of the exact count with ``rows`` more confirmed rows."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO petitions_signature (id, petition_id, organisation_id, personal, "
            "email_key, country, show_name, contact_consent, language, status, "
            "created_at, confirmed_at) "
            "SELECT gen_random_uuid(), p.id, p.owner_id, 'x', md5(g::text), 'FR', "
            "false, false, 'en', 'confirmed', now(), now() "
            "FROM petitions_petition p, generate_series(1, %s) g WHERE p.slug = %s",
            [rows, SLUG],
        )
        cursor.execute("VACUUM ANALYZE petitions_signature")
        cursor.execute("SELECT id FROM petitions_petition WHERE slug = %s", [SLUG])
        petition_id = cursor.fetchone()[0]
        timings = []
        for _ in range(repeats):
            started = time.perf_counter()
            cursor.execute(
                "SELECT count(*) FROM petitions_signature "
                "WHERE petition_id = %s AND status = 'confirmed'",
                [petition_id],
            )
            total = int(cursor.fetchone()[0])
            timings.append((time.perf_counter() - started) * 1000)
    timings.sort()
    return total, timings[len(timings) // 2], timings[-1]


def _public_count() -> int:
    import json
    import urllib.request

    time.sleep(2.5)  # past the count's cache lifetime
    with urllib.request.urlopen(f"http://127.0.0.1:{PORT}/api/petitions/{ORG}/{SLUG}") as answer:
        return int(json.loads(answer.read())["count"])


def _profile(signatures: int = 300) -> str:
    """cProfile of the signature view in-process (test client, same settings and database)."""
    from django.test import Client

    client = Client(HTTP_ACCEPT_LANGUAGE="en", HTTP_HOST="127.0.0.1")
    client.get(PAGE)
    profiler = cProfile.Profile()
    profiler.enable()
    for number in range(signatures):
        client.post(PAGE, {"name": "P", "email": f"profile.{RUN}.{number}@example.org"})
    profiler.disable()
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out).sort_stats("cumulative")
    stats.print_stats(
        r"haven|django/(db|template|middleware|core/handlers)|psycopg|redis|cryptography|email_validator",
        25,
    )
    return out.getvalue()


def _row(label: str, tally: Tally, *statuses: int) -> str:
    return (
        f"| {label} | {tally.rate(*statuses):,.0f}/s | {tally.percentile(0.50):.1f} ms | "
        f"{tally.percentile(0.99):.1f} ms | {tally.ok(*statuses):,} | "
        f"{sum(tally.statuses.values()) - tally.ok(*statuses):,} |"
    )


def _serve(environment: dict[str, str]) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "haven.wsgi",
        "--bind",
        f"127.0.0.1:{PORT}",
        "--workers",
        str(WORKERS),
        "--worker-class",
        "sync",
        "--backlog",
        "2048",
        "--log-level",
        "warning",
    ]
    server = subprocess.Popen(command, env=environment, cwd=ROOT, start_new_session=True)
    for _attempt in range(200):
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", PORT), 0.2):
            return server
        time.sleep(0.1)
    server.terminate()
    raise SystemExit("gunicorn did not start")


def _stop(signum: int, frame: object) -> None:
    raise SystemExit(f"stopped by signal {signum}")


def _load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def main() -> None:
    admin_url, bench_url = _database_urls()
    signal.signal(signal.SIGTERM, _stop)
    signal.alarm(DEADLINE_SECONDS)
    signal.signal(signal.SIGALRM, _stop)
    _admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")
    _admin(admin_url, f"CREATE DATABASE {BENCH_DB}")
    environment = _environment(bench_url)
    server = None
    try:
        _setup_django(environment)
        _prepare()
        from django.conf import settings

        cache = settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1]
        print(
            f"load average before: {_load_average()}; gunicorn {WORKERS} sync workers; "
            f"{USERS} clients (+{READERS} readers); {SECONDS:.0f} s per phase; cache {cache}"
        )
        server = _serve(environment)
        asyncio.run(_run(baseline, USERS, WARM_UP_SECONDS))
        warm_signing, _warm_reading = asyncio.run(_sign_with_readers(WARM_UP_SECONDS))
        base, signing, reading = Tally(), Tally(), Tally()
        base_cpu, signing_cpu = CpuMeter(), CpuMeter()
        for _round in range(2):
            with base_cpu:
                base.extend(asyncio.run(_run(baseline, USERS, SECONDS)))
            with signing_cpu:
                signed, read_tally = asyncio.run(_sign_with_readers(SECONDS))
            signing.extend(signed)
            reading.extend(read_tally)
        tokens = _tokens()
        confirming = asyncio.run(_confirm_all(tokens, SECONDS * 4))
        counts = _database_counts()
        public = _public_count()
        print(f"load average after: {_load_average()}")
        print()
        print("| what | throughput | p50 | p99 | answered as expected | other answers |")
        print("|---|---|---|---|---|---|")
        print(_row("baseline: one INSERT", base, 204))
        print(_row("signature (form POST, 302)", signing, 302))
        print(_row("public page read during the rush", reading, 200))
        print(_row("confirmation (button POST)", confirming, 200))
        ratio = signing.rate(302) / base.rate(204)
        combined = 1 / (1 / signing.rate(302) + 1 / confirming.rate(200))
        print()
        print(f"signatures / baseline throughput: {ratio:.2f} (target {TARGET_RATIO})")
        print(
            f"complete signatures (sign + confirm) per second: {combined:,.0f} "
            f"(aim {TARGET_RATE:,.0f}); signature p99 {signing.percentile(0.99):.1f} ms "
            f"(target under {TARGET_P99_MS:.0f} ms)"
        )
        print(f"CPU, baseline: {base_cpu.per_request(sum(base.statuses.values()))}")
        signing_requests = sum(signing.statuses.values()) + sum(reading.statuses.values())
        print(f"CPU, signatures (and reads): {signing_cpu.per_request(signing_requests)}")
        other = {k: v for k, v in signing.statuses.items() if k != 302}
        print(f"signature answers other than 302: {other or 'none'}")
        # Warm-up signatures are in the database too, and confirmed with the others.
        accepted = warm_signing.ok(302) + signing.ok(302)
        lost = accepted - counts["signatures"]
        print(
            f"database: {counts['signatures']:,} signatures ({counts['confirmed']:,} confirmed), "
            f"{counts['queued_emails']:,} confirmation e-mails queued, "
            f"{counts['baseline_rows']:,} baseline rows, {counts['audit_events']} audit events"
        )
        print(
            f"confirmations answered 200: {confirming.ok(200):,} of {len(tokens):,} tokens; "
            f"public count {public:,} == confirmed rows {counts['confirmed']:,}: "
            f"{public == counts['confirmed']}; accepted {accepted:,}, lost {lost}"
        )
        total, median, worst = _count_timing()
        print(
            f"exact count of {total:,} confirmed signatures (partial index, after VACUUM): "
            f"median {median:.1f} ms, worst {worst:.1f} ms of 50"
        )
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
        _admin(admin_url, f"DROP DATABASE IF EXISTS {BENCH_DB} WITH (FORCE)")


if __name__ == "__main__":
    main()
