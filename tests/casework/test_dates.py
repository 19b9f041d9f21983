"""Impossible dates of cases, births and consents are refused and change nothing."""

from __future__ import annotations

import datetime
import json
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from haven.accounts.models import User
from haven.casework import actions
from haven.casework.models import Case, Consent, Person
from haven.organisations.models import Organisation
from tests.casework.conftest import intake
from tests.conftest import bearer, client_for

ANCIENT = datetime.date(1, 1, 1)
TODAY = datetime.date.today()


def api(user: User, method: str, path: str, body: Any) -> Any:
    headers: dict[str, Any] = bearer(user)
    return getattr(Client(), method)(
        f"/api/orgs/north{path}", data=json.dumps(body), content_type="application/json", **headers
    )


def refusal(error: pytest.ExceptionInfo[ValidationError]) -> dict[str, list[str]]:
    return error.value.message_dict


# Cases


@pytest.mark.parametrize("opened_on", [ANCIENT, datetime.date(1999, 12, 31)])
def test_a_case_opened_before_2000_is_refused(
    north: Organisation, carol: User, opened_on: datetime.date
) -> None:
    person = intake(carol, north)
    with pytest.raises(ValidationError) as error:
        actions.open_case(actor=carol, person=person, opened_on=opened_on)
    assert refusal(error) == {"opened_on": ["Give a date from 1 January 2000 on."]}
    with scopes_disabled():
        assert not Case.objects.exists()
    case = actions.open_case(actor=carol, person=person, opened_on=datetime.date(2000, 1, 1))
    assert case.opened_on == datetime.date(2000, 1, 1)


def test_a_follow_up_before_the_case_opened_is_refused(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    with pytest.raises(ValidationError) as error:
        actions.open_case(
            actor=carol,
            person=person,
            opened_on=datetime.date(2025, 3, 1),
            follow_up_on=datetime.date(1900, 1, 1),
        )
    assert refusal(error) == {"follow_up_on": ["A follow-up cannot come before the case opened."]}
    with scopes_disabled():
        assert not Case.objects.exists()
    case = actions.open_case(
        actor=carol,
        person=person,
        opened_on=datetime.date(2025, 3, 1),
        follow_up_on=datetime.date(2025, 3, 1),
    )
    assert case.follow_up_on == datetime.date(2025, 3, 1)


def test_a_case_follow_up_is_planned_within_the_year_as_a_calls_is(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    far = timezone.localdate() + datetime.timedelta(days=400)
    with pytest.raises(ValidationError) as error:
        actions.open_case(actor=carol, person=person, follow_up_on=far)
    assert refusal(error) == {"follow_up_on": ["Plan a follow-up within the next year."]}
    case = actions.open_case(
        actor=carol, person=person, follow_up_on=far - datetime.timedelta(days=60)
    )
    with pytest.raises(ValidationError):
        actions.update_case(actor=carol, case=case, values={"follow_up_on": far})


def test_a_change_cannot_put_the_follow_up_before_the_opening(
    north: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    case = actions.open_case(
        actor=carol,
        person=person,
        opened_on=datetime.date(2025, 3, 1),
        follow_up_on=datetime.date(2025, 3, 10),
    )
    for values, field in (
        ({"follow_up_on": datetime.date(1900, 1, 1)}, "follow_up_on"),
        ({"opened_on": datetime.date(2025, 3, 11)}, "opened_on"),
        ({"opened_on": ANCIENT}, "opened_on"),
    ):
        with pytest.raises(ValidationError) as error:
            actions.update_case(actor=carol, case=case, values=values)
        assert list(refusal(error)) == [field]
    with scopes_disabled():
        case.refresh_from_db()
    assert (case.opened_on, case.follow_up_on) == (
        datetime.date(2025, 3, 1),
        datetime.date(2025, 3, 10),
    )
    # A change of other fields leaves the dates alone, and clearing the follow-up is fine.
    assert actions.update_case(actor=carol, case=case, values={"follow_up_on": None}) == [
        "follow_up_on"
    ]


def test_impossible_case_dates_through_the_api_are_a_400(north: Organisation, carol: User) -> None:
    person = intake(carol, north)
    opened = api(carol, "post", "/cases", {"person_id": str(person.pk), "opened_on": "0001-01-01"})
    assert opened.status_code == 400, opened.content
    with scopes_disabled():
        assert not Case.objects.exists()
    case = actions.open_case(actor=carol, person=person, opened_on=datetime.date(2025, 3, 1))
    patched = api(carol, "patch", f"/cases/{case.pk}", {"follow_up_on": "1900-01-01"})
    assert patched.status_code == 400, patched.content
    with scopes_disabled():
        assert Case.objects.get().follow_up_on is None


def test_a_case_cannot_close_before_it_opened(north: Organisation, carol: User) -> None:
    case = actions.open_case(
        actor=carol, person=intake(carol, north), opened_on=datetime.date(2025, 3, 1)
    )
    with pytest.raises(ValidationError) as error:
        actions.close_case(actor=carol, case=case, closed_on=ANCIENT)
    assert list(refusal(error)) == ["closed_on"]
    with scopes_disabled():
        assert Case.objects.get().closed_on is None


# Dates of birth


def years_ago(years: int) -> datetime.date:
    return TODAY.replace(year=TODAY.year - years, day=min(TODAY.day, 28))


@pytest.mark.parametrize("born", ["0001-01-01", "1800-06-15", years_ago(121).isoformat()])
def test_a_birth_over_120_years_ago_is_refused(north: Organisation, carol: User, born: str) -> None:
    with pytest.raises(ValidationError) as error:
        intake(carol, north, birth_date=born)
    assert refusal(error) == {"birth_date": ["Give a date of birth at most 120 years ago."]}
    person = intake(carol, north, birth_date=years_ago(30).isoformat())
    with pytest.raises(ValidationError):
        actions.update_person(actor=carol, person=person, values={"birth_date": born})
    with scopes_disabled():
        assert Person.objects.get().birth_date == years_ago(30).isoformat()


def test_a_birth_120_years_ago_or_today_is_accepted(north: Organisation, carol: User) -> None:
    oldest = intake(carol, north, birth_date=years_ago(120).isoformat())
    assert oldest.birth_date == years_ago(120).isoformat()
    assert intake(carol, north, birth_date=TODAY.isoformat()).birth_date == TODAY.isoformat()
    with pytest.raises(ValidationError, match="future"):
        intake(carol, north, birth_date=(TODAY + datetime.timedelta(days=1)).isoformat())


def test_an_impossible_birth_date_through_the_api_is_a_400(
    north: Organisation, carol: User
) -> None:
    intake_body = {"consent": {"given_on": "2025-01-02", "method": "written"}}
    response = api(carol, "post", "/persons", {**intake_body, "birth_date": "1800-01-01"})
    assert response.status_code == 400, response.content
    assert "120 years" in response.content.decode()
    with scopes_disabled():
        assert not Person.objects.exists()


# Consents


def test_a_consent_given_before_2000_is_refused(
    north: Organisation, south: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    with pytest.raises(ValidationError) as error:
        actions.record_consent(
            actor=carol,
            person=person,
            purpose="referral",
            recipient=south,
            given_on=ANCIENT,
            method="verbal",
        )
    assert refusal(error) == {"given_on": ["Give a date from 1 January 2000 on."]}
    with pytest.raises(ValidationError) as error:
        actions.create_person(
            actor=carol,
            organisation=north,
            values={},
            consent_given_on=ANCIENT,
            consent_method="written",
        )
    assert list(refusal(error)) == ["consent_given_on"]
    with scope(organisation=north):
        assert list(Consent.objects.values_list("purpose", flat=True)) == ["casework"]
        assert Person.objects.count() == 1


def test_a_consent_given_before_2000_through_the_api_is_a_400(
    north: Organisation, south: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    consent = {"purpose": "referral", "recipient_id": south.pk, "method": "verbal"}
    recorded = api(
        carol, "post", f"/persons/{person.pk}/consents", {**consent, "given_on": "0001-01-01"}
    )
    assert recorded.status_code == 400, recorded.content
    created = api(
        carol, "post", "/persons", {"consent": {"given_on": "0001-01-01", "method": "written"}}
    )
    assert created.status_code == 400, created.content
    with scopes_disabled():
        assert Consent.objects.count() == 1
        assert Person.objects.count() == 1


def test_a_consent_given_before_2000_through_the_form_is_shown_and_not_saved(
    north: Organisation, south: Organisation, carol: User
) -> None:
    person = intake(carol, north)
    response = client_for(carol).post(
        reverse("consent_add", kwargs={"org": "north", "person_id": person.pk}),
        {
            "purpose": "referral",
            "recipient": south.pk,
            "given_on": "0001-01-01",
            "method": "verbal",
        },
    )
    assert response.status_code == 400
    assert "Give a date from 1 January 2000 on." in response.content.decode()
    with scopes_disabled():
        assert Consent.objects.count() == 1
