"""Each organisation works in its own time zone: its "today", the hours on its pages and
the times its staff type are its own, not the server's (UTC).

An organisation that chose none works in its country's main zone (the first the IANA
database lists for it), else in UTC. Requests whose route names an organisation (``org``)
run in its zone; nightly tasks and stored values stay in UTC.
"""

from __future__ import annotations

import datetime
import time
import zoneinfo
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.functional import lazy
from django.utils.text import format_lazy
from django_scopes import scopes_disabled

_current_zone_name = lazy(timezone.get_current_timezone_name, str)


def in_zone(label: Any) -> Any:
    """A form label for a date and time, naming the zone it is read in when the form is
    drawn: "Publication date (Asia/Kolkata)". The request runs in its organisation's zone,
    and a label that said UTC there made an embargo end hours early."""
    return format_lazy("{} ({})", label, _current_zone_name())


# How long a process keeps an organisation's zone before reading it again: a change made
# in another worker reaches this one within that time.
HELD_SECONDS = 60.0


@cache
def zones_by_country() -> dict[str, list[str]]:
    """The IANA zones of each country code, its main zone first (the tzdata package's
    zone.tab, which zoneinfo itself falls back on)."""
    table = resources.files("tzdata.zoneinfo").joinpath("zone.tab").read_text(encoding="utf-8")
    zones: dict[str, list[str]] = {}
    for line in table.splitlines():
        if line and not line.startswith("#"):
            country, _where, zone, *_comment = line.split("\t")
            zones.setdefault(country, []).append(zone)
    return zones


@cache
def known_zones() -> frozenset[str]:
    """Every zone name the server can convert to."""
    return frozenset(zoneinfo.available_timezones())


def main_zone_of(country: str) -> str:
    """The main zone of a country (two-letter code), or UTC when it has none."""
    zones = zones_by_country().get(country.upper(), [])
    return zones[0] if zones else "UTC"


def zone_name_for(chosen: str, country: str) -> str:
    """The zone an organisation works in: its choice, else its country's main one."""
    if chosen in known_zones():
        return chosen
    # Off in the test suite, whose times are written in UTC and whose organisations would
    # otherwise change day at their country's midnight, whenever the suite happens to run.
    if not settings.HAVEN_ZONE_FROM_COUNTRY:
        return str(settings.TIME_ZONE)
    return main_zone_of(country)


def zone_choices(country: str) -> list[tuple[str, str]]:
    """Every zone, the country's own first."""
    own = zones_by_country().get(country.upper(), [])
    rest = sorted(zone for zone in known_zones() if zone not in own)
    return [(zone, zone) for zone in (*own, *rest)]


_held: dict[str, tuple[float, str]] = {}


def forget_held_zones() -> None:
    """Forget every zone this process holds (tests run many worlds with the same slugs)."""
    _held.clear()


def forget_zone_of(slug: str) -> None:
    """Read the organisation's zone again on its next request in this process."""
    _held.pop(slug, None)


def zone_of_slug(slug: str) -> str | None:
    """The zone of the organisation with this slug (held a minute), or None if there is
    no such organisation."""
    now = time.monotonic()
    held = _held.get(slug)
    if held is not None and held[0] > now:
        return held[1]
    from haven.casework.models import OrganisationSettings
    from haven.organisations.models import Organisation

    with scopes_disabled():
        found = Organisation.objects.filter(slug=slug).values_list("pk", "country").first()
        if found is None:
            return None
        chosen = (
            OrganisationSettings.objects.filter(organisation_id=found[0])
            .values_list("time_zone", flat=True)
            .first()
        )
    zone = zone_name_for(chosen or "", str(found[1] or ""))
    _held[slug] = (now + HELD_SECONDS, zone)
    return zone


def day_in_zone_of(slug: str, moment: datetime.datetime) -> datetime.date:
    """The day ``moment`` falls on in the zone of the organisation with this slug."""
    return timezone.localdate(moment, zoneinfo.ZoneInfo(zone_of_slug(slug) or "UTC"))


def zone_label(local: datetime.datetime) -> str:
    """The zone of a moment already in it, as people read it: its abbreviation and offset
    ("CEST, UTC+2"; a minus sign west of Greenwich), the offset alone where the zone has no
    abbreviation ("UTC+14"); the IANA name is for titles."""
    offset = local.utcoffset()
    minutes = int(offset.total_seconds()) // 60 if offset is not None else 0
    sign = "+" if minutes >= 0 else "\u2212"
    hours, rest = divmod(abs(minutes), 60)
    utc = f"UTC{sign}{hours}" + (f":{rest:02d}" if rest else "") if minutes else "UTC"
    name = local.tzname() or ""
    if not name.isalpha():
        return utc
    return name if not minutes else f"{name}, {utc}"


class OrganisationTimeZoneMiddleware:
    """Run each request whose route names an organisation in that organisation's zone."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()

    def process_view(
        self,
        request: HttpRequest,
        view: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> None:
        slug = kwargs.get("org")
        if isinstance(slug, str):
            zone = zone_of_slug(slug)
            if zone is not None and zone != settings.TIME_ZONE:
                timezone.activate(zoneinfo.ZoneInfo(zone))
