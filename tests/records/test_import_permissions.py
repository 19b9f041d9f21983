"""An import records only what its user could record by hand, under the same rules."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import ROLE_PERMISSIONS, Role
from haven.casework.models import Consent, Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from haven.records import actions
from haven.records.export import Kind
from haven.records.imports import parse_import
from haven.services.models import ServiceDelivery
from tests.conftest import bearer, client_for, make_user
from tests.records.conftest import Casework

pytestmark = pytest.mark.django_db

PAGE = "/o/north/records/import/"
PREVIEW = "/api/orgs/north/imports/preview"
PERSONS = b"code,casework_consent_on,casework_consent_method\nP-0500,2026-01-02,verbal\n"
SERVICES = b"date,service_code,staff,people_reached\n2026-01-05,food_parcel,,5\n"


def counts() -> tuple[int, int, int]:
    with scopes_disabled():
        return Person.objects.count(), Consent.objects.count(), ServiceDelivery.objects.count()


def upload(content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile("import.csv", content)


def test_the_organisation_admin_no_longer_imports_anything(alice: User, casework: Casework) -> None:
    assert "casework.import" not in ROLE_PERMISSIONS[Role.ORGANISATION_ADMIN]
    before = counts()
    client = client_for(alice)
    assert client.get(PAGE).status_code == 403
    assert b"/records/import/" not in client.get("/o/north/").content
    for kind, content in (("persons", PERSONS), ("services", SERVICES)):
        assert client.post(PAGE, {"kind": kind, "file": upload(content)}).status_code == 403
        response = client.post(PREVIEW, {"kind": kind, "file": upload(content)}, **bearer(alice))
        assert response.status_code == 403
    assert counts() == before


def test_every_role_that_imports_may_record_both_kinds_by_hand() -> None:
    for role, granted in ROLE_PERMISSIONS.items():
        if "casework.import" in granted:
            assert {"casework.edit", "casework.record_service"} <= granted, role


@pytest.mark.parametrize(
    ("kind", "content", "permission"),
    [("persons", PERSONS, "casework.edit"), ("services", SERVICES, "casework.record_service")],
)
def test_the_import_action_refuses_a_kind_the_actor_may_not_record(
    north: Organisation,
    carol: User,
    casework: Casework,
    kind: Kind,
    content: bytes,
    permission: str,
) -> None:
    # A helpline operator records services but not people; a viewer records neither.
    operator = make_user("hana", north, Role.HELPLINE_OPERATOR)
    viewer = make_user("vera", north, Role.VIEWER)
    with scopes_disabled():
        parsed = parse_import(
            organisation=north, actor=carol, kind=kind, content=content, may_import_identity=True
        )
    assert parsed.valid, parsed.errors
    before = counts()
    refused = [viewer] if kind == "services" else [viewer, operator]
    for actor in refused:
        with scopes_disabled(), pytest.raises(PermissionDenied):
            actions.import_records(actor=actor, organisation=north, parsed=parsed)
    assert counts() == before
    event = AuditEvent.unscoped.filter(action="access.refused").order_by("-seq").first()
    assert event is not None
    assert event.details["permission"] == permission
    if kind == "services":
        with scopes_disabled():
            actions.import_records(actor=operator, organisation=north, parsed=parsed)
        assert counts()[2] == before[2] + 1


@pytest.mark.parametrize(
    ("content", "errors"),
    [
        (
            b"code,gender\nP-0500,Feminine\n",
            {(1, "casework_consent_on"), (1, "casework_consent_method")},
        ),
        (
            b"code,casework_consent_on,casework_consent_method\n"
            b"P-0500,,\nP-0501,2026-01-02,\nP-0502,,verbal\nP-0503,2026-01-02,verbal\n",
            {
                (2, "casework_consent_on"),
                (2, "casework_consent_method"),
                (3, "casework_consent_method"),
                (4, "casework_consent_on"),
            },
        ),
    ],
)
def test_a_person_is_imported_only_with_their_casework_consent(
    carol: User, casework: Casework, content: bytes, errors: set[tuple[int, str]]
) -> None:
    before = counts()
    response = client_for(carol).post(PAGE, {"kind": "persons", "file": upload(content)})
    assert response.status_code == 400
    assert {(e.row, e.column) for e in response.context["parsed"].errors} == errors
    api = client_for(carol).post(
        PREVIEW, {"kind": "persons", "file": upload(content)}, **bearer(carol)
    )
    assert api.status_code == 400
    assert {(e["row"], e["column"]) for e in api.json()["errors"]} == errors
    assert counts() == before


def test_the_staff_named_must_be_allowed_to_record_services(
    north: Organisation, alice: User, carol: User, casework: Casework
) -> None:
    operator = make_user("hana", north, Role.HELPLINE_OPERATOR)
    content = (
        "date,service_code,staff,people_reached\n"
        f"2026-01-05,food_parcel,{alice.username},5\n"
        f"2026-01-05,food_parcel,{operator.username},5\n"
        f"2026-01-05,food_parcel,{carol.username},5\n"
        "2026-01-05,food_parcel,nobody,5\n"
    ).encode()
    before = counts()
    response = client_for(carol).post(PAGE, {"kind": "services", "file": upload(content)})
    assert response.status_code == 400
    errors = [(e.row, e.column, e.message) for e in response.context["parsed"].errors]
    assert errors == [
        (2, "staff", "This staff member's roles do not allow recording services."),
        (5, "staff", "No staff member of your organisation has this username."),
    ]
    assert counts() == before


def test_the_import_page_offers_only_the_kinds_the_user_may_record(
    carol: User, casework: Casework
) -> None:
    page: Any = client_for(carol).get(PAGE)
    assert [value for value, _label in page.context["form"].fields["kind"].choices] == [
        "persons",
        "services",
    ]
