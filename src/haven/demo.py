"""A fictional demo network to try Haven with: ``python manage.py demo`` and ``make run``.

Every name here is invented; websites live on example.org and .test domains. The seed
decides membership dates, which memberships have ended and which organisations also
belong to the other network, so the same seed always gives the same directory.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db import transaction

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import Role
from haven.demo_advocacy import build_advocacy
from haven.demo_reporting import build_reporting
from haven.organisations.models import (
    Membership,
    MembershipCategory,
    Network,
    Organisation,
    OrganisationKind,
)
from haven.privacy import audit

DEMO_PASSWORD = "haven-demo-2026"
DEFAULT_SEED = 1

GLOBAL = "global-coalition"
EUROPE = "european-platform"
FRONTLINE = "harbour-light"
SECOND = "puerta-abierta"


class DemoError(Exception):
    """The demo cannot be loaded into this database."""


@dataclass(frozen=True)
class _Org:
    slug: str
    name: str
    short_name: str
    kind: str
    country: str
    city: str
    languages: tuple[str, ...]
    # Category in each network it belongs to from the start.
    networks: tuple[tuple[str, str], ...] = ()


_M = MembershipCategory.MEMBER
_P = MembershipCategory.PARTNER
_I = MembershipCategory.INTERNATIONAL_NETWORK
_D = MembershipCategory.DOMESTIC_NGO
_S = MembershipCategory.SUPPORTER
_NGO = OrganisationKind.NGO
_NET = OrganisationKind.NETWORK

NETWORKS: tuple[_Org, ...] = (
    _Org(
        GLOBAL,
        "Global Coalition Against Exploitation (fictional)",
        "GCAE",
        _NET,
        "FR",
        "Paris",
        ("en", "fr", "es"),
    ),
    _Org(
        EUROPE,
        "European Platform for Survivors (fictional)",
        "EPS",
        _NET,
        "NL",
        "Amsterdam",
        ("en", "fr", "de"),
    ),
)

NETWORK_DESCRIPTIONS = {
    GLOBAL: "A fictional worldwide coalition of frontline organisations, networks and "
    "public bodies working to end sexual exploitation. Demo data only.",
    EUROPE: "A fictional European platform of organisations supporting survivors of "
    "trafficking across the continent. Demo data only.",
}

# Europe-based organisations that the seed may also place in the global coalition.
_MAYBE_GLOBAL = (
    "refuge-lumiere",
    "brueckenlicht",
    "stella-del-porto",
    "mare-serena",
    "jasny-brzeg",
    "drum-luminos",
    "ljusa-hamnen",
    "faros-elpidas",
)

ORGANISATIONS: tuple[_Org, ...] = (
    # Europe
    _Org(
        FRONTLINE,
        "Harbour Light Shelter",
        "HLS",
        _NGO,
        "GB",
        "Bristol",
        ("en", "ro", "pl"),
        ((GLOBAL, _M), (EUROPE, _M)),
    ),
    _Org(
        SECOND,
        "Fundación Puerta Abierta",
        "FPA",
        _NGO,
        "ES",
        "Valencia",
        ("es", "ca", "en"),
        ((GLOBAL, _M), (EUROPE, _M)),
    ),
    _Org(
        "refuge-lumiere",
        "Association Refuge Lumière",
        "",
        _NGO,
        "FR",
        "Lyon",
        ("fr", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "nid-des-hirondelles",
        "Collectif Nid des Hirondelles",
        "",
        _NGO,
        "FR",
        "Marseille",
        ("fr", "ar"),
        ((GLOBAL, _D),),
    ),
    _Org(
        "nieuwe-dageraad",
        "Stichting Nieuwe Dageraad",
        "",
        _NGO,
        "NL",
        "Utrecht",
        ("nl", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "brueckenlicht",
        "Verein Brückenlicht",
        "",
        _NGO,
        "DE",
        "Leipzig",
        ("de", "en", "bg"),
        ((EUROPE, _M),),
    ),
    _Org(
        "stella-del-porto",
        "Associazione Stella del Porto",
        "",
        _NGO,
        "IT",
        "Bologna",
        ("it", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "mare-serena",
        "Associação Maré Serena",
        "",
        _NGO,
        "PT",
        "Porto",
        ("pt", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "jasny-brzeg",
        "Stowarzyszenie Jasny Brzeg",
        "",
        _NGO,
        "PL",
        "Gdańsk",
        ("pl", "uk"),
        ((EUROPE, _M),),
    ),
    _Org(
        "drum-luminos",
        "Asociația Drum Luminos",
        "",
        _NGO,
        "RO",
        "Cluj-Napoca",
        ("ro", "hu"),
        ((EUROPE, _M),),
    ),
    _Org(
        "tiha-luka",
        "Udruga Tiha Luka",
        "",
        _NGO,
        "HR",
        "Split",
        ("hr", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "ljusa-hamnen",
        "Föreningen Ljusa Hamnen",
        "",
        _NGO,
        "SE",
        "Malmö",
        ("sv", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "faros-elpidas",
        "Faros Elpidas Society",
        "",
        _NGO,
        "GR",
        "Thessaloniki",
        ("el", "en"),
        ((EUROPE, _M),),
    ),
    _Org(
        "compass-rose",
        "Compass Rose Outreach",
        "",
        _NGO,
        "IE",
        "Cork",
        ("en", "ga"),
        ((EUROPE, _M), (GLOBAL, _M)),
    ),
    # Elsewhere
    _Org(
        "nyumba-salama",
        "Nyumba Salama Collective",
        "",
        _NGO,
        "KE",
        "Mombasa",
        ("sw", "en"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "ile-ayo",
        "Ilé Ayọ̀ Women's Centre",
        "",
        _NGO,
        "NG",
        "Lagos",
        ("en", "yo"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "casa-colibri",
        "Casa Colibrí Libre",
        "",
        _NGO,
        "MX",
        "Oaxaca",
        ("es",),
        ((GLOBAL, _M),),
    ),
    _Org(
        "ponte-aberta",
        "Instituto Ponte Aberta",
        "",
        _NGO,
        "BR",
        "Recife",
        ("pt",),
        ((GLOBAL, _M),),
    ),
    _Org(
        "amanecer-andino",
        "Fundación Amanecer Andino",
        "",
        _NGO,
        "CO",
        "Medellín",
        ("es", "en"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "bayanihan-shelter",
        "Bayanihan Shelter Project",
        "",
        _NGO,
        "PH",
        "Cebu City",
        ("tl", "en"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "lantern-path",
        "Lantern Path Trust",
        "",
        _NGO,
        "IN",
        "Kolkata",
        ("bn", "hi", "en"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "mekong-dawn",
        "Mekong Dawn Foundation",
        "",
        _NGO,
        "TH",
        "Chiang Mai",
        ("th", "en"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "blue-gum-refuge",
        "Blue Gum Refuge",
        "",
        _NGO,
        "AU",
        "Adelaide",
        ("en",),
        ((GLOBAL, _M),),
    ),
    _Org(
        "northern-lantern",
        "Northern Lantern Outreach",
        "",
        _NGO,
        "CA",
        "Winnipeg",
        ("en", "fr"),
        ((GLOBAL, _M),),
    ),
    _Org(
        "thandeka-passage",
        "Thandeka Safe Passage",
        "",
        _NGO,
        "ZA",
        "Durban",
        ("zu", "en"),
        ((GLOBAL, _M),),
    ),
    # International networks, public bodies and a supporter
    _Org(
        "helplines-alliance",
        "Transnational Alliance of Helplines (fictional)",
        "TAH",
        _NET,
        "BE",
        "Brussels",
        ("en", "fr", "nl"),
        ((GLOBAL, _I), (EUROPE, _P)),
    ),
    _Org(
        "red-refugios",
        "Red Latinoamericana de Refugios (ficticia)",
        "RLR",
        _NET,
        "AR",
        "Buenos Aires",
        ("es", "pt"),
        ((GLOBAL, _I),),
    ),
    _Org(
        "rapporteur-office",
        "Office of the National Rapporteur on Exploitation (fictional)",
        "",
        OrganisationKind.STATE,
        "SE",
        "Stockholm",
        ("sv", "en"),
        ((GLOBAL, _P),),
    ),
    _Org(
        "coastal-states-taskforce",
        "Council of Coastal States Task Force (fictional)",
        "CCS",
        OrganisationKind.INTERGOVERNMENTAL,
        "CH",
        "Geneva",
        ("en", "fr"),
        ((GLOBAL, _P), (EUROPE, _P)),
    ),
    _Org(
        "lindenfeld",
        "Municipality of Lindenfeld (fictional)",
        "",
        OrganisationKind.MUNICIPALITY,
        "AT",
        "Lindenfeld",
        ("de",),
        ((EUROPE, _P),),
    ),
    _Org(
        "quiet-harbour-fund",
        "Quiet Harbour Philanthropies (fictional)",
        "",
        _NGO,
        "US",
        "Boston",
        ("en",),
        ((GLOBAL, _S), (EUROPE, _S)),
    ),
)

# username, first name, last name, organisation slug, role
USERS: tuple[tuple[str, str, str, str, str], ...] = (
    ("hl-admin", "Morgan", "Quayle", FRONTLINE, Role.ORGANISATION_ADMIN),
    ("hl-caseworker", "Priya", "Lantry", FRONTLINE, Role.CASEWORKER),
    ("hl-helpline", "Tomasz", "Wrenfield", FRONTLINE, Role.HELPLINE_OPERATOR),
    ("hl-advocacy", "Ada", "Fenwick-Moor", FRONTLINE, Role.ADVOCACY_OFFICER),
    ("hl-dpo", "Kofi", "Brightwater", FRONTLINE, Role.DATA_PROTECTION_OFFICER),
    ("hl-viewer", "Sam", "Ostrow", FRONTLINE, Role.VIEWER),
    ("hl-door", "Rui", "Calloway", FRONTLINE, Role.DOOR_STAFF),
    ("fpa-admin", "Lucía", "Marbella-Soto", SECOND, Role.ORGANISATION_ADMIN),
    ("fpa-caseworker", "Iker", "Almendral", SECOND, Role.CASEWORKER),
    ("gcae-coordinator", "Hélène", "Vautrin", GLOBAL, Role.NETWORK_COORDINATOR),
    ("eps-coordinator", "Jonas", "Vermeulen", EUROPE, Role.NETWORK_COORDINATOR),
)


def _website(spec: _Org) -> str:
    if spec.kind in {OrganisationKind.STATE, OrganisationKind.MUNICIPALITY}:
        return f"https://{spec.slug}.gov.example.test/"
    return f"https://{spec.slug}.example.org/"


def _date_between(rng: random.Random, first: date, last: date) -> date:
    return first + timedelta(days=rng.randrange((last - first).days + 1))


def _create_organisation(spec: _Org) -> Organisation:
    return Organisation.objects.create(
        slug=spec.slug,
        name=spec.name,
        short_name=spec.short_name,
        kind=spec.kind,
        country=spec.country,
        city=spec.city,
        website=_website(spec),
        languages=list(spec.languages),
    )


def _check_free(force: bool) -> None:
    if not force and Organisation.objects.exists():
        raise DemoError("The directory is not empty; the demo only loads into a fresh database.")
    slugs = [spec.slug for spec in (*NETWORKS, *ORGANISATIONS)]
    taken = Organisation.objects.filter(slug__in=slugs).values_list("slug", flat=True)
    taken_networks = Network.objects.filter(slug__in=[GLOBAL, EUROPE]).values_list(
        "slug", flat=True
    )
    users = User.objects.filter(username__in=[row[0] for row in USERS]).values_list(
        "username", flat=True
    )
    clashes = sorted({*taken, *taken_networks, *users})
    if clashes:
        raise DemoError(f"The demo was loaded already (found {', '.join(clashes[:5])}).")


def build_demo(
    seed: int = DEFAULT_SEED, *, force: bool = False, casework: bool | None = None
) -> None:
    """Load the fictional demo networks, organisations and staff; same seed, same data.

    ``casework`` (default: the HAVEN_DEMO_CASEWORK setting, on unless set) also loads
    two years of casework for the frontline members (haven.demo_casework).
    """
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    with transaction.atomic():
        _check_free(force)
        organisations = {spec.slug: _create_organisation(spec) for spec in NETWORKS}
        networks = {
            slug: Network.objects.create(
                organisation=organisations[slug], slug=slug, description=NETWORK_DESCRIPTIONS[slug]
            )
            for slug in (GLOBAL, EUROPE)
        }
        founded = {GLOBAL: date(2011, 3, 8), EUROPE: date(2014, 10, 18)}
        also_global = set(rng.sample(_MAYBE_GLOBAL, k=3))
        plan: list[tuple[str, str, str]] = []
        for spec in ORGANISATIONS:
            organisations[spec.slug] = _create_organisation(spec)
            plan.extend((spec.slug, network, category) for network, category in spec.networks)
            if spec.slug in also_global:
                plan.append((spec.slug, GLOBAL, _M))
        protected = {FRONTLINE, SECOND}
        candidates = [row for row in plan if row[0] not in protected and row[2] != _S]
        ended = set(rng.sample(candidates, k=2))
        for slug, network, category in plan:
            since = _date_between(rng, founded[network], date(2024, 12, 31))
            until = None
            if (slug, network, category) in ended:
                until = _date_between(rng, since + timedelta(days=365), date(2025, 12, 31))
            Membership.objects.create(
                network=networks[network],
                organisation=organisations[slug],
                category=category,
                since=since,
                until=until,
            )
        for username, first, last, slug, role in USERS:
            user = User.objects.create_user(
                username=username,
                email=f"{username}@example.org",
                password=DEMO_PASSWORD,
                first_name=first,
                last_name=last,
            )
            RoleAssignment.objects.create(user=user, organisation=organisations[slug], role=role)
        with_casework = (
            casework if casework is not None else getattr(settings, "HAVEN_DEMO_CASEWORK", True)
        )
        if with_casework:
            from haven.demo_casework import build_casework

            build_casework(seed)
        build_advocacy(seed=seed, network_slug=GLOBAL, frontline_slug=FRONTLINE)
        from haven.demo_events import build_events

        build_events(network_slug=GLOBAL, frontline_slug=FRONTLINE)
        from haven.demo_news import build_news

        build_news(network_slug=GLOBAL, frontline_slug=FRONTLINE)
        build_reporting(seed, months=24 if with_casework else 3)
        audit.record(
            "demo.loaded",
            actor=None,
            details={
                "seed": seed,
                "organisations": len(organisations),
                "memberships": len(plan),
                "users": len(USERS),
            },
        )


def demo_logins() -> list[tuple[str, str, str]]:
    """Every demo login as (username, role, organisation), for printing."""
    names = {spec.slug: spec.name for spec in (*NETWORKS, *ORGANISATIONS)}
    return [
        (username, str(Role(role).label), names[slug])
        for username, _first, _last, slug, role in USERS
    ]
