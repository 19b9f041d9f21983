"""The demo's advocacy: a published open letter with 85 signatories in three groups, after
the reference letter of a coalition to a standard-setting committee (every organisation
fictional), and an open petition of the frontline shelter.

The global coalition's coordinator also gets the advocacy officer's role there, so one demo
login manages the letter (``gcae-coordinator``); Harbour Light's ``hl-advocacy`` runs the
petition. Outside organisations sign the way they would: a request, its confirmation, the
owner's approval (which adds each to the directory).
"""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import Role
from haven.letters import access as letter_access
from haven.letters import actions as letters
from haven.letters.models import Letter
from haven.organisations.access import current_memberships
from haven.organisations.models import Network, Organisation
from haven.petitions import actions as petitions

SIGNATORIES = 85
MEMBERS_SIGNING = 21

TITLE = (
    "Letter from 85 NGOs calling on the Standard-Setting Committee to keep its conclusions "
    "on ending violence and harassment in the world of work as they stand"
)
BODY = """Dear Delegates of the Standard-Setting Committee,

We welcome the standard-setting process on violence and harassment, and your work as
members of the committee now negotiating this standard at the International Labour
Conference.

In particular, we welcome every effort to strengthen the fight against gender-based
violence and sexual harassment at work. A protective convention on ending violence in the
workplace will contribute to the collective efforts against gender-based violence in our
societies.

We support the wording of the proposed conclusions as they stand, as listed in
*Report V (2)* submitted to the Conference, and we are concerned by proposals, recorded in
the responses to Questions 34 and 49, that would change their scope.

We, the undersigned, urge all parties to keep the proposed conclusions as they stand. The
annex below sets out our analysis and its sources.

We remain at your disposal for any further information."""
ANNEX = """## I. Who is most exposed

The most discriminated groups are over-represented among the people our members support.

## II. Health and physical integrity

Our members' frontline services document the physical and psychological harm.

## III. An abuse of power

International standards already define exploitation as the abuse of a position of
vulnerability or differential power.

## IV. Labour law and the prohibition of harassment

## V. Human rights and decent work"""
EVIDENCE = "\n".join(
    (
        "Report V (2), Ending violence and harassment in the world of work, pp. 73, 95–96",
        "Secretary-General's bulletin on protection from sexual exploitation and abuse (2003)",
        "https://reports.example.org/frontline-health-survey-2013",
    )
)
TITLE_FR = (
    "Lettre de 85 ONG demandant au comité de l’élaboration des normes de maintenir ses "
    "conclusions sur la fin de la violence et du harcèlement dans le monde du travail"
)
BODY_FR = """Mesdames et Messieurs les délégués,

Nous saluons le processus d’élaboration de normes sur la violence et le harcèlement, et
votre travail au sein du comité qui négocie cette norme.

Nous soutenons la rédaction actuelle des conclusions proposées et demandons à toutes les
parties de les maintenir telles quelles. L’annexe expose notre analyse et ses sources."""

_FIRST = (
    "Amber",
    "Lantern",
    "Harbour",
    "Willow",
    "Meridian",
    "Northern",
    "Silver",
    "Open",
    "Safe",
    "Morning",
    "Cedar",
    "River",
    "Bright",
    "Common",
    "Steady",
    "Kindred",
)
_SECOND = (
    "Path",
    "Door",
    "Circle",
    "Bridge",
    "Light",
    "Voices",
    "Haven",
    "Roots",
    "Hands",
    "Compass",
    "Shelter",
    "Horizon",
)
_KIND = ("Association", "Collective", "Foundation", "Women's Centre", "Project", "Alliance")
_COUNTRIES = (
    "SE",
    "DE",
    "IT",
    "US",
    "BE",
    "GB",
    "BG",
    "FR",
    "LU",
    "MX",
    "GR",
    "HU",
    "IE",
    "AR",
    "LT",
    "ZA",
    "MT",
    "PL",
    "PT",
    "RO",
    "SK",
    "JP",
    "NO",
    "HR",
    "ES",
    "CA",
    "IN",
    "NP",
)
_NETWORKS = (
    ("Coalition of Survivors' Organisations (fictional)", "US"),
    ("Asia-Pacific Women's Rights Network (fictional)", "PH"),
    ("Latin American Network for Equality (fictional)", "MX"),
    ("Sisters of the Open Door, international (fictional)", "IE"),
    ("Equal Voices International (fictional)", "GB"),
    ("European Network of Migrant Women's Groups (fictional)", "BE"),
    ("Women's Lobby of the Continent (fictional)", "BE"),
)


def _fictional_names(rng: random.Random, count: int) -> list[tuple[str, str]]:
    names: list[tuple[str, str]] = []
    seen: set[str] = set()
    while len(names) < count:
        name = f"{rng.choice(_FIRST)} {rng.choice(_SECOND)} {rng.choice(_KIND)}"
        if name not in seen:
            seen.add(name)
            names.append((name, rng.choice(_COUNTRIES)))
    return names


def _slug_site(name: str) -> str:
    from django.utils.text import slugify

    return f"https://{slugify(name)[:40]}.example.org/"


def _request_and_approve(
    letter: Letter, officer: User, name: str, country: str, group_index: int, number: int
) -> None:
    groups = letter_access.categories_of(letter)
    signature = letters.request_signature(
        letter=letter,
        name=name,
        country=country,
        website=_slug_site(name),
        signer_name=f"Signer {number:02d}",
        signer_role="Director",
        signer_email=f"signer{number:02d}@example.org",
        category=groups[group_index],
    )
    assert signature is not None
    letters.confirm_request(signature=signature)
    letters.decide_request(actor=officer, signature=signature, approve=True)


def _letter(network: Network, officer: User) -> Letter:
    owner = network.organisation
    letter = letters.create_letter(
        actor=officer,
        owner=owner,
        title=TITLE,
        body=BODY,
        language="en",
        values={
            "addressees": "Delegates of the Standard-Setting Committee\nInternational Labour "
            "Conference",
            "letter_date": date(2018, 5, 30),
            "contact_name": "Hélène Vautrin",
            "contact_role": "Coordinator",
            "contact_email": "gcae-coordinator@example.org",
            "hashtags": "#EndViolenceAtWork #LastGirlFirst",
        },
    )
    letters.save_text(
        actor=officer,
        letter=letter,
        language="en",
        values={"annex": ANNEX, "evidence": EVIDENCE},
    )
    letters.save_text(
        actor=officer, letter=letter, language="fr", values={"title": TITLE_FR, "body": BODY_FR}
    )
    letter = letters.move_letter(actor=officer, letter=letter, move="open")
    # Group 1: the network and 21 of its members (every seed keeps at least 21). Staff with
    # the signing permission sign in one step; members without staff in Haven asked and
    # were approved, like outsiders, and link to their directory entries.
    letters.sign_as_organisation(actor=officer, letter=letter, organisation=owner)
    members = sorted(current_memberships(network), key=lambda m: m.organisation.name)
    first_group = letter_access.categories_of(letter)[0]
    number = 0
    for membership in members[:MEMBERS_SIGNING]:
        organisation = membership.organisation
        signer = User.objects.filter(
            role_assignments__organisation=organisation,
            role_assignments__role=Role.ORGANISATION_ADMIN,
        ).first()
        if signer is not None:
            letters.sign_as_organisation(
                actor=signer, letter=letter, organisation=organisation, category=first_group
            )
            continue
        number += 1
        signature = letters.request_signature(
            letter=letter,
            name=organisation.name,
            country=str(organisation.country or ""),
            signer_name=f"Signer {number:02d}",
            signer_email=f"signer{number:02d}@example.org",
            category=first_group,
        )
        assert signature is not None
        letters.confirm_request(signature=signature)
        letters.decide_request(
            actor=officer, signature=signature, approve=True, directory_entry=organisation
        )
    # Group 2: international networks; group 3: domestic NGOs. The same fictional names
    # whatever the seed, so the directory stays the same (the seed decides memberships).
    for name, country in _NETWORKS:
        number += 1
        _request_and_approve(letter, officer, name, country, 1, number)
    remaining = SIGNATORIES - letter_access.approved_count(letter)
    for name, country in _fictional_names(random.Random(SIGNATORIES), remaining):  # noqa: S311
        number += 1
        _request_and_approve(letter, officer, name, country, 2, number)
    return letters.move_letter(
        actor=officer,
        letter=letter,
        move="publish",
        publish_at=timezone.now() - timedelta(days=1),
    )


def _petition(owner: Organisation, officer: User, rng: random.Random) -> None:
    petition = petitions.create_petition(
        actor=officer,
        owner=owner,
        title="Two more shelter houses for survivors in Bristol",
        body=(
            "We ask the city council to fund **two more shelter houses** for survivors of "
            "trafficking and exploitation, with 24-hour staff, before next winter."
        ),
        language="en",
        values={
            "addressee": "Bristol City Council (fictional)",
            "summary": "Fund two more shelter houses for survivors before next winter.",
            "goal": 1000,
            "closes_at": timezone.now() + timedelta(days=60),
            "hashtags": "#SafeShelters",
        },
    )
    petition = petitions.move_petition(actor=officer, petition=petition, move="open")
    for number in range(40):
        signature = petitions.sign_petition(
            petition=petition,
            name=f"{rng.choice(_FIRST)} Signer {number:02d}",
            email=f"supporter{number:02d}@example.org",
            country=rng.choice(("GB", "GB", "GB", "IE", "FR", "PL", "RO")),
            show_name=number % 3 == 0,
        )
        # Most confirm their e-mail; a few have not yet.
        if signature is not None and number % 8:
            petitions.confirm_signature(signature=signature)


def build_advocacy(*, seed: int, network_slug: str, frontline_slug: str) -> None:
    """Load the demo letter of ``network_slug`` and the open petition of ``frontline_slug``."""
    rng = random.Random(seed)  # noqa: S311 - demo data, not secrets
    network = Network.objects.select_related("organisation").get(slug=network_slug)
    officer = User.objects.get(
        role_assignments__organisation=network.organisation,
        role_assignments__role=Role.NETWORK_COORDINATOR,
    )
    RoleAssignment.objects.create(
        user=officer, organisation=network.organisation, role=Role.ADVOCACY_OFFICER
    )
    frontline = Organisation.objects.get(slug=frontline_slug)
    advocate = User.objects.get(
        role_assignments__organisation=frontline, role_assignments__role=Role.ADVOCACY_OFFICER
    )
    with scopes_disabled():
        _letter(network, officer)
        _petition(frontline, advocate, rng)
