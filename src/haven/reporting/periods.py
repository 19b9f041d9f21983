"""Calendar arithmetic of reporting periods, and the transactions their figures are read in."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from typing import TypeVar

from django.db import connection, transaction
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from haven.dates import too_early
from haven.reporting.models import PeriodKind

First = TypeVar("First")
Second = TypeVar("Second")

_MONTHS: dict[str, int] = {PeriodKind.MONTH: 1, PeriodKind.QUARTER: 3, PeriodKind.YEAR: 12}
# A network plans its reporting a year ahead at most. A start further off is a slip (2030
# typed for 2026, 9999 for any year) that would ask and e-mail every member years early,
# and at the calendar's edge the period's end cannot even be computed.
MONTHS_AHEAD = 12


def _add_months(day: datetime.date, months: int) -> datetime.date:
    index = day.year * 12 + day.month - 1 + months
    return datetime.date(index // 12, index % 12 + 1, 1)


def period_end(kind: str, starts_on: datetime.date) -> datetime.date:
    """The last day of the period of ``kind`` that starts on ``starts_on``."""
    return _add_months(starts_on, _MONTHS[kind]) - datetime.timedelta(days=1)


def latest_start(today: datetime.date) -> datetime.date:
    """The last day a period asked on ``today`` may start: a year ahead, on a first."""
    return _add_months(today.replace(day=1), MONTHS_AHEAD)


def start_problem(kind: str, starts_on: datetime.date, today: datetime.date) -> str | None:
    """Why ``starts_on`` cannot start a period of ``kind`` asked on ``today``, or None."""
    if kind not in _MONTHS:
        return _("Choose a month, a quarter or a year.")
    if starts_on.day != 1:
        return _("A period starts on the first day of a month.")
    if kind == PeriodKind.QUARTER and starts_on.month not in (1, 4, 7, 10):
        return _("A quarter starts on 1 January, 1 April, 1 July or 1 October.")
    if kind == PeriodKind.YEAR and starts_on.month != 1:
        return _("A year starts on 1 January.")
    if problem := too_early(starts_on):
        return problem
    latest = latest_start(today)
    if starts_on > latest:
        return _("A period can start at most a year ahead: on %(date)s at the latest.") % {
            "date": date_format(latest)
        }
    return None


def latest_deadline(ends_on: datetime.date) -> datetime.date:
    """The last deadline a period that ends on ``ends_on`` may have: a year after it ends."""
    return _add_months(ends_on + datetime.timedelta(days=1), MONTHS_AHEAD) - datetime.timedelta(
        days=1
    )


def deadline_problem(ends_on: datetime.date, deadline: datetime.date) -> str | None:
    """Why ``deadline`` cannot be that of a period ending on ``ends_on``, or None."""
    if deadline < ends_on:
        return _("The deadline cannot come before the period ends.")
    # A deadline years off (9999 typed for 2026) is a slip as a start is: the report would
    # never be late and no reminder would ever go; a year covers the slowest annual report.
    latest = latest_deadline(ends_on)
    if deadline > latest:
        return _(
            "The deadline can be at most a year after the period ends: on %(date)s at the latest."
        ) % {"date": date_format(latest)}
    return None


def previous_periods(kind: str, before: datetime.date, count: int) -> list[datetime.date]:
    """Starts of the ``count`` whole periods of ``kind`` ending before ``before``, oldest first."""
    months = _MONTHS[kind]
    first = datetime.date(before.year, 1, 1)
    while _add_months(first, months) <= before.replace(day=1):
        first = _add_months(first, months)
    starts = []
    start = first
    for _index in range(count):
        start = _add_months(start, -months)
        starts.append(start)
    return list(reversed(starts))


def label(kind: str, starts_on: datetime.date) -> str:
    """A period's name: "March 2026", "Q1 2026", "2026"."""
    if kind == PeriodKind.MONTH:
        return date_format(starts_on, "YEAR_MONTH_FORMAT")
    if kind == PeriodKind.QUARTER:
        return _("Q%(quarter)d %(year)d") % {
            "quarter": (starts_on.month - 1) // 3 + 1,
            "year": starts_on.year,
        }
    return str(starts_on.year)


@contextmanager
def short_queries(*, large: bool = False, snapshot: str = "") -> Iterator[str]:
    """A transaction in which PostgreSQL does not compile queries to machine code.

    The aggregates of reporting each read a few thousand rows in a few milliseconds, but
    the planner's estimates for them are high enough to turn on JIT compilation, which then
    costs 20-30 ms per query, more than the query. Off for these transactions only.

    ``large``: a whole network's figures at once. Its lists of persons (served, consenting)
    hold hundreds of thousands of ids; with PostgreSQL's default 4 MB per hash the planner
    would look each row up in them one by one instead of hashing them once.

    ``snapshot``: "export" to read from one snapshot for the whole transaction and share it
    (the context gives its id), or the id of such a snapshot to read from (PostgreSQL only).
    """
    with transaction.atomic():
        exported = ""
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                if snapshot:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
                    if snapshot == "export":
                        cursor.execute("SELECT pg_export_snapshot()")
                        exported = cursor.fetchone()[0]
                    else:
                        cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                    # The two sides already run at once; parallel workers would each
                    # rebuild the same hashes of served and consenting persons (measured
                    # on 2 cores, decision 34).
                    cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
                cursor.execute("SET LOCAL jit = off")
                if large:
                    cursor.execute("SET LOCAL work_mem = '64MB'")
        yield exported


def read_side_by_side(
    first: Callable[[], First], second: Callable[[], Second]
) -> tuple[First, Second]:
    """The results of ``first`` and ``second``, large reads run at once on two PostgreSQL
    connections that see the same snapshot of the database, so they add up as if read in
    one go; one after the other in one transaction where that cannot be done: on SQLite,
    and inside a transaction already, whose own writes another connection would not see.
    """
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        with short_queries(large=True):
            return first(), second()
    with (
        short_queries(large=True, snapshot="export") as exported,
        ThreadPoolExecutor(max_workers=1) as pool,
    ):
        beside = pool.submit(_read_in_snapshot, exported, second)
        return first(), beside.result()


def _read_in_snapshot(snapshot: str, read: Callable[[], Second]) -> Second:
    # In a thread of its own, with a connection of its own, closed when done.
    try:
        with short_queries(large=True, snapshot=snapshot):
            return read()
    finally:
        connection.close()
