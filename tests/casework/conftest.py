"""Casework personas and helpers: a helpline operator of north, and persons made by intake."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
from django_scopes import scope

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.casework import actions
from haven.casework.models import Person
from haven.organisations.models import Organisation
from tests.conftest import make_user


@pytest.fixture
def hana(north: Organisation) -> User:
    return make_user("hana", north, Role.HELPLINE_OPERATOR)


def intake(actor: User, organisation: Organisation, **values: Any) -> Person:
    """A person recorded the way the intake form records them, with casework consent."""
    with scope(organisation=organisation):
        return actions.create_person(
            actor=actor,
            organisation=organisation,
            values=values,
            consent_given_on=datetime.date(2025, 1, 10),
            consent_method="written",
        )
