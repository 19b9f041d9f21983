"""A world for the cross-cutting checks: every object a route's URL may name, and who acts.

Routes name objects by URL parameter; ``PARAMETER_VALUES`` says which fixture object
fills each name, for the organisation the request targets. A route with a parameter
that is not in the table fails the matrix, asking for an entry here.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pytest
from django.db import transaction
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts import actions
from haven.accounts.access import invitation_link_token
from haven.accounts.models import ApiToken, Invitation, User
from haven.accounts.permissions import ROLE_PERMISSIONS, Role, assignable_roles
from haven.organisations.models import Membership, Network, Organisation
from tests.conftest import client_for, make_user
from tests.events.world import EVENT_PARAMETERS, event_objects
from tests.letters.world import ADVOCACY_PARAMETERS, advocacy_objects
from tests.news.world import NEWS_PARAMETERS, news_objects

if TYPE_CHECKING:
    from django.test.client import _MonkeyPatchedWSGIResponse as Response

# Counted across the session and printed at its end (pytest_terminal_summary below).
STATS: Counter[str] = Counter()


@dataclass
class World:
    north: Organisation
    south: Organisation
    network: Network
    alice: User
    bob: User
    cora: User
    staff: dict[str, User]
    invitations: dict[str, Invitation]
    invitation_token: str
    membership: Membership
    owner_token: ApiToken
    # Casework objects of north, by URL parameter name (see casework_objects below).
    casework: dict[str, object]
    _members: dict[tuple[str, str], User] = field(default_factory=dict)
    _secrets: dict[int, str] = field(default_factory=dict)

    @property
    def coalition(self) -> Organisation:
        return self.network.organisation

    def target_for(self, permission: str) -> Organisation:
        """North, unless only a network's roles grant the permission."""
        if any(permission in ROLE_PERMISSIONS[role] for role in assignable_roles("ngo")):
            return self.north
        return self.coalition

    def member(self, role: str, organisation: Organisation) -> User:
        """A user holding just this one role in the organisation (with a second factor)."""
        key = (role, organisation.slug)
        if key not in self._members:
            self._members[key] = make_user(f"{role}-of-{organisation.slug}", organisation, role)
        return self._members[key]

    def omnipotent(self, organisation: Organisation) -> User:
        """A user holding every role the organisation can give."""
        key = ("*", organisation.slug)
        if key not in self._members:
            self._members[key] = make_user(
                f"everything-of-{organisation.slug}",
                organisation,
                *assignable_roles(organisation.kind),
            )
        return self._members[key]

    def secret(self, user: User) -> str:
        if user.pk not in self._secrets:
            self._secrets[user.pk] = actions.create_api_token(actor=user, name="matrix")[1]
        return self._secrets[user.pk]

    def bearer(self, user: User) -> dict[str, str]:
        return {"HTTP_AUTHORIZATION": f"Bearer {self.secret(user)}"}

    def values(self, target: Organisation) -> dict[str, object]:
        """Every known URL parameter, filled for a request aimed at ``target``."""
        return {name: make(self, target) for name, make in PARAMETER_VALUES.items()}


PARAMETER_VALUES: dict[str, Callable[[World, Organisation], object]] = {
    "org": lambda world, target: target.slug,
    "network": lambda world, target: world.network.slug,
    "user_id": lambda world, target: world.staff[target.slug].pk,
    "invitation_id": lambda world, target: world.invitations[target.slug].pk,
    "token_id": lambda world, target: world.owner_token.pk,
    "token": lambda world, target: world.invitation_token,
    "membership_id": lambda world, target: world.membership.pk,
    "organisation_id": lambda world, target: world.north.pk,
    # The outbox exists only with its backend on (never in tests): any number will do.
    "message_id": lambda world, target: 1,
    "index": lambda world, target: 0,
}

CASEWORK_PARAMETERS = (
    "person_id",
    "household_id",
    "consent_id",
    "case_id",
    "note_id",
    "service_type_id",
    "delivery_id",
    "call_id",
    "facility_id",
    "stay_id",
)


def _casework_value(name: str) -> Callable[[World, Organisation], object]:
    return lambda world, target: world.casework[name]


PARAMETER_VALUES.update({name: _casework_value(name) for name in CASEWORK_PARAMETERS})
PARAMETER_VALUES.update({name: _casework_value(name) for name in ADVOCACY_PARAMETERS})
PARAMETER_VALUES.update({name: _casework_value(name) for name in EVENT_PARAMETERS})
PARAMETER_VALUES.update({name: _casework_value(name) for name in NEWS_PARAMETERS})

REPORTING_PARAMETERS = ("period_id", "submission_id", "publication_id")


def _reporting_value(name: str) -> Callable[[World, Organisation], object]:
    def value(world: World, target: Organisation) -> object:
        # Built on first use (outside the rolled-back requests), then kept on the world.
        if not hasattr(world, "reporting"):
            from tests.reporting.helpers import reporting_objects

            world.reporting = reporting_objects(world.network, world.north, world.cora, world.alice)  # type: ignore[attr-defined]
        return world.reporting[name]  # type: ignore[attr-defined]

    return value


PARAMETER_VALUES.update({name: _reporting_value(name) for name in REPORTING_PARAMETERS})

# Parameters naming an object that belongs to one user (alice): anyone else gets 404.
USER_OWNED_PARAMETERS = {"token_id"}


@pytest.fixture
def world(
    north: Organisation, south: Organisation, coalition: Network, alice: User, bob: User, cora: User
) -> World:
    staff = {
        "north": make_user("wendy", north, Role.VIEWER, mfa=False),
        "coalition": make_user("cody", coalition.organisation, Role.VIEWER, mfa=False),
    }
    with scopes_disabled():
        invitations = {
            "north": actions.invite_user(
                actor=alice, organisation=north, email="new@example.org", roles=[Role.VIEWER]
            ),
            "coalition": actions.invite_user(
                actor=cora,
                organisation=coalition.organisation,
                email="newcomer@example.org",
                roles=[Role.VIEWER],
            ),
        }
        membership = Membership.objects.get(network=coalition, organisation=north)
    owner_token, _secret = actions.create_api_token(actor=alice, name="owned by alice")
    with scopes_disabled():
        casework = casework_objects(north, alice)
        casework.update(advocacy_objects(north, alice))
        casework.update(event_objects(north, alice))
        casework.update(news_objects(north, alice))
    return World(
        north=north,
        south=south,
        network=coalition,
        alice=alice,
        bob=bob,
        cora=cora,
        staff=staff,
        invitations=invitations,
        invitation_token=invitation_link_token(invitations["north"]),
        membership=membership,
        owner_token=owner_token,
        casework=casework,
    )


def casework_objects(organisation: Organisation, staff: User) -> dict[str, object]:
    """One object of each casework kind, as a route's URL names it."""
    from datetime import date

    from django.utils import timezone

    from haven.casework.models import Case, CaseNote, Consent, Household, Person
    from haven.helpline.models import HelplineCall
    from haven.services.models import ServiceDelivery, ServiceType
    from haven.shelter.models import Facility, Stay

    now = timezone.now()
    household = Household.objects.create(organisation=organisation, code="H-MATRIX")
    person = Person.objects.create(
        organisation=organisation,
        code="P-MATRIX",
        given_name="Matrix",
        household=household,
        last_activity_at=now,
    )
    consent = Consent.objects.create(
        organisation=organisation,
        person=person,
        purpose="casework",
        given_on=date(2026, 1, 5),
        method="written",
        recorded_by=staff,
    )
    case = Case.objects.create(
        organisation=organisation, person=person, opened_on=date(2026, 1, 5), assigned_to=staff
    )
    note = CaseNote.objects.create(
        organisation=organisation, case=case, text="matrix note", author=staff, written_at=now
    )
    service_type = ServiceType.objects.create(
        organisation=organisation, code="matrix", name="Matrix", category="other", unit="item"
    )
    delivery = ServiceDelivery.objects.create(
        organisation=organisation,
        service_type=service_type,
        delivered_on=date(2026, 1, 6),
        person=person,
        staff=staff,
    )
    call = HelplineCall.objects.create(
        organisation=organisation,
        started_at=now,
        duration_minutes=5,
        caller_type="person_concerned",
        outcome="information_given",
        operator=staff,
    )
    facility = Facility.objects.create(organisation=organisation, name="Matrix house", beds=4)
    stay = Stay.objects.create(
        organisation=organisation, facility=facility, person=person, starts_on=date(2026, 1, 6)
    )
    return {
        "person_id": person.pk,
        "household_id": household.pk,
        "consent_id": consent.pk,
        "case_id": case.pk,
        "note_id": note.pk,
        "service_type_id": service_type.pk,
        "delivery_id": delivery.pk,
        "call_id": call.pk,
        "facility_id": facility.pk,
        "stay_id": stay.pk,
    }


@contextmanager
def rolled_back() -> Iterator[None]:
    """Undo whatever happens inside, so each request meets the same world."""
    with transaction.atomic():
        yield
        transaction.set_rollback(True)


def send(client: Client, method: str, path: str, *, count: str, **kwargs: Any) -> Response:
    """One request whose effects are undone, counted under ``count`` for the summary."""
    STATS[count] += 1
    with rolled_back():
        response: Response = getattr(client, method.lower())(path, **kwargs)
    return response


def web_client(user: User | None) -> Client:
    return client_for(user) if user is not None else Client()


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if STATS["matrix_routes"]:
        terminalreporter.write_line(
            f"authorisation matrix: {STATS['matrix_routes']} routes "
            f"({STATS['matrix_web']} pages, {STATS['matrix_api']} API operations), "
            f"{STATS['matrix_requests']} requests"
        )
    if STATS["bad_input_requests"]:
        terminalreporter.write_line(
            f"bad input: {STATS['bad_input_requests']} requests to "
            f"{STATS['bad_input_forms']} forms and {STATS['bad_input_operations']} API operations"
        )
