"""Fixtures of the directory tests: another network, and organisations outside any network."""

from __future__ import annotations

import pytest

from haven.organisations.models import Membership, Network, Organisation
from tests.conftest import make_organisation


@pytest.fixture
def elsewhere(db: None) -> Organisation:
    """An organisation in the directory that belongs to no network."""
    return make_organisation(
        "la-strada-moldova", name="La Strada Moldova", short_name="LSM", country="MD"
    )


@pytest.fixture
def other_network(db: None) -> Network:
    """A second network, with one member, that cora does not run."""
    runner = make_organisation("platform", name="Platform", kind="network", country="NL")
    network = Network.objects.create(organisation=runner, slug="platform")
    member = make_organisation("comensha", name="Comensha", country="NL")
    Membership.objects.create(network=network, organisation=member, category="member")
    return network
