"""A petition of north, run by its advocacy officer adam, open for signatures."""

from __future__ import annotations

import pytest

from haven.accounts.models import User
from haven.organisations.models import Organisation
from haven.petitions import actions
from haven.petitions.models import Petition
from tests.letters.conftest import _unscoped_by_default

__all__ = ["_unscoped_by_default"]


def draft_petition(actor: User, owner: Organisation, **values: object) -> Petition:
    return actions.create_petition(
        actor=actor,
        owner=owner,
        title="Fund shelters for survivors",
        body="We ask the city council to **fund** two more shelters.",
        language="en",
        values={"addressee": "City council", "goal": 1000, "hashtags": "#Shelters", **values},
    )


@pytest.fixture
def petition(adam: User, north: Organisation) -> Petition:
    return actions.move_petition(actor=adam, petition=draft_petition(adam, north), move="open")
