"""What the API refuses before any operation sees it: bodies over the cap, NUL, unknown paths."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework.models import Person
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, make_user

pytestmark = pytest.mark.django_db

INTAKE = {"consent": {"given_on": "2025-01-02", "method": "written"}, "gender": "Feminine"}


def post_as(user: User, path: str, body: str) -> Any:
    extra: dict[str, Any] = bearer(user)
    return Client().post(path, body, content_type="application/json", **extra)


def persons() -> int:
    with scopes_disabled():
        return Person.objects.count()


def test_a_body_over_the_cap_is_a_413_not_a_crash(north: Organisation, carol: User) -> None:
    body = json.dumps({**INTAKE, "notes": "x" * 1_100_000})
    response = post_as(carol, "/api/orgs/north/persons", body)
    assert response.status_code == 413
    assert "too large" in response.json()["detail"]
    assert persons() == 0


def test_a_public_body_over_the_cap_is_a_413_too() -> None:
    response = Client().post(
        "/api/events/nobody/nothing/registrations",
        json.dumps({"name": "x" * 1_100_000}),
        content_type="application/json",
    )
    assert response.status_code == 413


def test_nul_in_a_body_is_refused_and_nothing_is_written(north: Organisation, carol: User) -> None:
    body = json.dumps({**INTAKE, "given_name": "A\u0000B"})
    response = post_as(carol, "/api/orgs/north/persons", body)
    assert response.status_code == 400
    assert persons() == 0


def test_nul_in_a_query_is_refused(north: Organisation, carol: User) -> None:
    extra: dict[str, Any] = bearer(carol)
    response = Client().get("/api/orgs/north/persons", {"code": "P\u0000"}, **extra)
    assert response.status_code == 400
    assert "NUL" in json.dumps(response.json())


def test_an_unknown_api_path_answers_404_in_json(carol: User) -> None:
    response = Client().get("/api/orgs/north/no-such-thing", **bearer(carol))
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")
    assert response.json() == {"detail": "Not found."}


def test_a_wrong_method_answers_405_in_json_with_allow(carol: User) -> None:
    response = Client().put("/api/me", **bearer(carol))
    assert response.status_code == 405
    assert response.json()["detail"].startswith("Method not allowed. Allowed: ")
    assert "GET" in response["Allow"]
    assert "GET" in response.json()["detail"]


def test_the_api_own_404_is_left_as_it_is(north: Organisation, carol: User) -> None:
    unknown = "00000000-0000-4000-8000-000000000000"
    response = Client().get(f"/api/orgs/north/persons/{unknown}", **bearer(carol))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_pages_keep_their_html_404() -> None:
    response = Client().get("/no-such-page")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


def test_a_body_is_validated_once(monkeypatch: pytest.MonkeyPatch) -> None:
    # ninja's Schema validated a body that forbids unknown fields twice, every field's
    # checks included; the public registration is the hottest body of all.
    from haven.events.api import RegisterIn

    checked: list[str] = []

    def counted(value: str) -> str:
        checked.append(value)
        return value

    monkeypatch.setattr("haven.api.schemas.checked_email", counted)
    RegisterIn.model_validate({"name": "Ana", "email": "ana@example.org"})
    assert checked == ["ana@example.org"]


@pytest.mark.parametrize("body", ["[]", '"text"', "[1, 2]"])
def test_a_body_that_is_not_an_object_is_refused(
    body: str, north: Organisation, carol: User
) -> None:
    response = post_as(carol, "/api/orgs/north/persons", body)
    assert response.status_code == 400
    assert "JSON object" in json.dumps(response.json())
    assert persons() == 0


# ninja validates the query and body before the operation runs and authorises: the answer
# to bad input must still be the 404 or 403 a caller who may not use the list gets.


def test_an_outsider_sending_a_bad_page_gets_404_not_400(north: Organisation, bob: User) -> None:
    response = Client().get("/api/orgs/north/persons?limit=-1&offset=-5", **bearer(bob))
    assert response.status_code == 404
    assert response.json() == {"detail": "Not found."}


def test_a_colleague_without_the_permission_gets_403_before_the_bad_filter(
    north: Organisation, adam: User
) -> None:
    response = Client().get("/api/orgs/north/cases?status=nonsense&limit=0", **bearer(adam))
    assert response.status_code == 403


def test_a_caller_who_must_first_enrol_mfa_is_told_so_before_the_bad_page(
    north: Organisation,
) -> None:
    newcomer = make_user("newcomer", north, Role.CASEWORKER, mfa=False)
    response = Client().get("/api/orgs/north/persons?limit=100000", **bearer(newcomer))
    assert response.status_code == 403
    assert "two-factor" in response.json()["detail"]


def test_the_caller_allowed_to_see_the_list_is_told_which_parameter_is_wrong(
    north: Organisation, carol: User
) -> None:
    response = Client().get("/api/orgs/north/persons?limit=100000&offset=-5", **bearer(carol))
    assert response.status_code == 400
    assert set(response.json()["detail"]) == {"limit", "offset"}


@pytest.mark.parametrize(
    "body", ['{"gender": 5}', "\u0000{not json"], ids=["wrong type", "not JSON"]
)
def test_an_outsider_sending_a_bad_body_gets_404_and_nothing_is_written(
    body: str, north: Organisation, bob: User
) -> None:
    assert post_as(bob, "/api/orgs/north/persons", body).status_code == 404
    assert persons() == 0


def test_an_outsider_sending_nul_in_a_query_gets_404(north: Organisation, bob: User) -> None:
    response = Client().get("/api/orgs/north/persons", {"code": "P\u0000"}, **bearer(bob))
    assert response.status_code == 404


def test_the_refusal_of_an_outsider_with_bad_input_is_audited(
    north: Organisation, bob: User
) -> None:
    Client().get("/api/orgs/north/persons?limit=0", **bearer(bob))
    with scopes_disabled():
        refused = AuditEvent.objects.filter(action="access.refused", actor=bob)
        assert refused.get().outcome == "not_found"


def _bodies() -> list[type]:
    import importlib
    import pkgutil

    import haven
    from haven.organisations.api import Body

    for module in pkgutil.walk_packages(haven.__path__, "haven."):
        if module.name.endswith(".api"):
            importlib.import_module(module.name)
    found: list[type] = []
    waiting: list[type] = [Body]
    while waiting:
        for subclass in waiting.pop().__subclasses__():
            found.append(subclass)
            waiting.append(subclass)
    return found


def _lax(annotation: Any, metadata: list[Any]) -> bool:
    """Whether an annotation takes an int, a bool, a date or a time in pydantic's lax mode
    somewhere."""
    from datetime import date, datetime
    from typing import Annotated, get_args, get_origin

    from pydantic import BeforeValidator, Strict

    from haven.api.schemas import day_written, moment_written

    if get_origin(annotation) is Annotated:
        inner, *more = get_args(annotation)
        return _lax(inner, [*metadata, *more])
    if annotation in (int, bool):
        return not any(isinstance(item, Strict) and item.strict for item in metadata)
    if annotation in (date, datetime):
        written = day_written if annotation is date else moment_written
        return not any(
            isinstance(item, BeforeValidator) and item.func is written for item in metadata
        )
    return any(_lax(argument, []) for argument in get_args(annotation))


def test_every_number_flag_and_date_of_a_body_is_strict() -> None:
    # In lax mode pydantic reads JSON true as 1, "30" as 30, 1 or "yes" as true, 0 as 1
    # January 1970 and 1700000000 as a moment of 2023: a client's slip would be saved as
    # something it never meant (a retention of one month).
    lax = sorted(
        f"{body.__module__}.{body.__name__}.{name}"
        for body in _bodies()
        for name, field in body.model_fields.items()  # type: ignore[attr-defined]
        if _lax(field.annotation, list(field.metadata))
    )
    assert lax == []


@pytest.mark.parametrize("value", [True, "30", 30.5])
def test_a_number_sent_as_a_flag_a_string_or_a_fraction_is_refused(alice: User, value: Any) -> None:
    from haven.shelter.models import Facility

    response = post_as(
        alice,
        "/api/orgs/north/shelter/facilities",
        json.dumps({"name": "House", "beds": value}),
    )
    assert response.status_code == 400, response.content
    assert "beds" in json.dumps(response.json())
    with scopes_disabled():
        assert not Facility.objects.exists()


@pytest.mark.parametrize("value", [0, 1_700_000_000, "1700000000", 1.5])
def test_a_date_or_a_time_sent_as_a_number_is_refused(carol: User, value: Any) -> None:
    from haven.services.models import ServiceDelivery

    response = post_as(
        carol,
        "/api/orgs/north/services/deliveries",
        json.dumps({"service": "food_parcel", "delivered_on": value}),
    )
    assert response.status_code == 400, response.content
    assert "YYYY-MM-DD" in json.dumps(response.json())
    with scopes_disabled():
        assert not ServiceDelivery.objects.exists()
