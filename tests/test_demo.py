"""The demo network: big enough to look real, fictional, deterministic, and usable."""

from __future__ import annotations

from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import transaction
from django.test import Client

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import Role
from haven.demo import (
    DEMO_PASSWORD,
    EUROPE,
    FRONTLINE,
    GLOBAL,
    SECOND,
    build_demo,
    demo_logins,
)
from haven.organisations.models import Membership, MembershipCategory, Network, Organisation
from haven.privacy.models import AuditEvent

pytestmark = pytest.mark.django_db

Snapshot = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


class _Undo(Exception):
    pass


def _snapshot() -> Snapshot:
    organisations = list(
        Organisation.objects.order_by("slug").values_list(
            "slug", "name", "kind", "country", "city", "website", "languages"
        )
    )
    memberships = list(
        Membership.objects.order_by("network__slug", "organisation__slug", "since").values_list(
            "network__slug", "organisation__slug", "category", "since", "until"
        )
    )
    roles = list(
        RoleAssignment.objects.order_by("user__username").values_list(
            "user__username", "organisation__slug", "role"
        )
    )
    return organisations, memberships, roles


def _build_and_undo(seed: int) -> Snapshot:
    try:
        with transaction.atomic():
            build_demo(seed)
            snapshot = _snapshot()
            raise _Undo
    except _Undo:
        pass
    assert not Organisation.objects.exists()
    return snapshot


def test_the_demo_is_about_thirty_organisations_in_about_twenty_five_countries() -> None:
    build_demo(1)
    assert Organisation.objects.count() >= 28
    countries = set(Organisation.objects.values_list("country", flat=True))
    assert len(countries) >= 22
    assert "" not in countries
    assert set(Network.objects.values_list("slug", flat=True)) == {GLOBAL, EUROPE}
    global_members = Membership.objects.filter(network__slug=GLOBAL, until__isnull=True)
    assert global_members.count() >= 20


def test_the_demo_uses_every_membership_category_and_every_organisation_kind() -> None:
    build_demo(1)
    categories = set(Membership.objects.values_list("category", flat=True))
    assert categories == set(MembershipCategory.values)
    kinds = set(Organisation.objects.values_list("kind", flat=True))
    assert {"ngo", "network", "state", "intergovernmental", "municipality"} <= kinds


def test_some_organisations_belong_to_both_networks_and_some_memberships_ended() -> None:
    build_demo(1)
    in_global = set(
        Membership.objects.filter(network__slug=GLOBAL).values_list("organisation__slug", flat=True)
    )
    in_europe = set(
        Membership.objects.filter(network__slug=EUROPE).values_list("organisation__slug", flat=True)
    )
    assert {FRONTLINE, SECOND} <= in_global & in_europe
    ended = Membership.objects.filter(until__isnull=False)
    assert ended.count() == 2
    assert all(m.since is not None and m.until is not None and m.until > m.since for m in ended)
    assert not Membership.objects.filter(since__isnull=True).exists()


def test_the_demo_names_and_addresses_are_fictional() -> None:
    build_demo(1)
    for website in Organisation.objects.values_list("website", flat=True):
        assert website.endswith((".example.org/", ".example.test/"))
    assert not User.objects.exclude(email__endswith="@example.org").exists()


def test_there_is_a_demo_user_for_every_role() -> None:
    build_demo(1)
    frontline_roles = set(
        RoleAssignment.objects.filter(organisation__slug=FRONTLINE).values_list("role", flat=True)
    )
    assert frontline_roles == set(Role.values) - {Role.NETWORK_COORDINATOR}
    second_roles = set(
        RoleAssignment.objects.filter(organisation__slug=SECOND).values_list("role", flat=True)
    )
    assert second_roles == {Role.ORGANISATION_ADMIN, Role.CASEWORKER}
    for network in (GLOBAL, EUROPE):
        assert RoleAssignment.objects.filter(
            organisation__network__slug=network, role=Role.NETWORK_COORDINATOR
        ).exists()
    printed = {username for username, _role, _organisation in demo_logins()}
    assert printed == set(User.objects.values_list("username", flat=True))


def test_the_same_seed_gives_the_same_demo_and_another_seed_another() -> None:
    first = _build_and_undo(7)
    again = _build_and_undo(7)
    other = _build_and_undo(8)
    assert first == again
    assert first[0] == other[0]
    assert first[1] != other[1]


def test_every_demo_user_can_log_in_with_the_demo_password() -> None:
    build_demo(1)
    for username, _role, _organisation in demo_logins():
        assert Client().login(username=username, password=DEMO_PASSWORD), username
    assert not Client().login(username="hl-admin", password="wrong password")


def test_a_demo_caseworker_logs_in_through_the_form_and_reaches_the_dashboard(
    settings: Any,
) -> None:
    settings.HAVEN_DEMO = True
    build_demo(1)
    client = Client(enforce_csrf_checks=True)
    page = client.get("/accounts/login/")
    assert page.status_code == 200
    response = client.post(
        "/accounts/login/",
        {
            "login": "hl-caseworker",
            "password": DEMO_PASSWORD,
            "csrfmiddlewaretoken": page.cookies["csrftoken"].value,
        },
    )
    assert response.status_code == 302
    dashboard = client.get(f"/o/{FRONTLINE}/")
    assert dashboard.status_code == 200
    assert client.get(f"/o/{SECOND}/").status_code == 404


def test_the_public_directory_of_a_demo_network_lists_its_members() -> None:
    build_demo(1)
    response = Client().get(f"/networks/{GLOBAL}/")
    assert response.status_code == 200
    assert "Harbour Light Shelter" in response.content.decode()


def test_loading_the_demo_is_audited_once() -> None:
    build_demo(1)
    events = AuditEvent.unscoped.filter(action="demo.loaded")
    assert events.count() == 1
    assert events.get().details["seed"] == 1


def test_the_demo_command_prints_the_logins_and_refuses_a_full_directory() -> None:
    out = StringIO()
    call_command("demo", seed=2, stdout=out)
    printed = out.getvalue()
    assert DEMO_PASSWORD in printed
    assert "hl-caseworker" in printed
    assert "Harbour Light Shelter" in printed
    with pytest.raises(CommandError, match="not empty"):
        call_command("demo", stdout=StringIO())
    with pytest.raises(CommandError, match="loaded already"):
        call_command("demo", force=True, stdout=StringIO())
    assert Organisation.objects.filter(slug=FRONTLINE).count() == 1


def test_the_demo_command_loads_alongside_other_organisations_only_when_forced() -> None:
    Organisation.objects.create(slug="elsewhere", name="Elsewhere", country="FR")
    with pytest.raises(CommandError):
        call_command("demo", stdout=StringIO())
    assert Organisation.objects.count() == 1
    call_command("demo", force=True, verbosity=0, stdout=StringIO())
    assert Organisation.objects.count() > 28
