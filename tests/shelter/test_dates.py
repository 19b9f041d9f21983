"""A stay's arrival is no older than the oldest date a record may carry."""

from __future__ import annotations

import datetime
import json
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.shelter import actions
from haven.shelter.models import Facility, Stay
from tests.conftest import bearer
from tests.shelter.conftest import make_person, night

FLOOR = "Give a date from 1 January 2000 on."


@pytest.fixture(autouse=True)
def _unscoped(db: None) -> Iterator[None]:
    with scopes_disabled():
        yield


@pytest.mark.parametrize("starts_on", [datetime.date(1, 1, 1), datetime.date(1999, 12, 31)])
def test_an_arrival_before_2000_is_refused(
    north: Organisation, carol: User, facility: Facility, starts_on: datetime.date
) -> None:
    person = make_person(north, "P-1")
    with pytest.raises(ValidationError) as error:
        actions.book_stay(actor=carol, facility=facility, person=person, starts_on=starts_on)
    assert error.value.message_dict == {"starts_on": [FLOOR]}
    assert not Stay.objects.exists()
    stay = actions.book_stay(
        actor=carol, facility=facility, person=person, starts_on=datetime.date(2000, 1, 1)
    )
    assert stay.starts_on == datetime.date(2000, 1, 1)


def test_a_change_cannot_move_the_arrival_before_2000(
    north: Organisation, carol: User, facility: Facility
) -> None:
    person = make_person(north, "P-1")
    stay = actions.book_stay(actor=carol, facility=facility, person=person, starts_on=night(0))
    with pytest.raises(ValidationError) as error:
        actions.change_stay(actor=carol, stay=stay, changes={"starts_on": datetime.date(1, 1, 1)})
    assert error.value.message_dict == {"starts_on": [FLOOR]}
    assert Stay.objects.get().starts_on == night(0)


def test_an_arrival_before_2000_through_the_api_is_a_400(
    north: Organisation, carol: User, facility: Facility
) -> None:
    make_person(north, "P-1")
    headers: dict[str, Any] = bearer(carol)
    body = {"facility_id": facility.pk, "person_code": "P-1", "starts_on": "0001-01-01"}
    response = Client().post(
        "/api/orgs/north/shelter/stays",
        data=json.dumps(body),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400, response.content
    assert FLOOR in response.content.decode()
    assert not Stay.objects.exists()
