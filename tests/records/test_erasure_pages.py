"""The erasure pages speak the reader's words, and the confirmation has a way back."""

from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from haven.accounts.models import User
from tests.conftest import client_for
from tests.records.conftest import Casework, add_history

pytestmark = pytest.mark.django_db


def test_the_erase_confirmation_offers_a_cancel_link_back_to_the_person(
    dana: User, casework: Casework
) -> None:
    page = client_for(dana).get(f"/o/north/people/{casework.ana.pk}/erase/").content.decode()
    assert f'<a href="/o/north/people/{casework.ana.pk}/details/">Cancel</a>' in page


def test_the_erasure_list_words_what_was_removed(
    dana: User, carol: User, casework: Casework
) -> None:
    with scopes_disabled():
        add_history(casework.ana, carol)
    client = client_for(dana)
    client.post(f"/o/north/people/{casework.ana.pk}/erase/", {"confirm_code": "P-0001"})
    page = client.get("/o/north/records/erasures/").content.decode()
    assert "1 case, 1 case note, 1 consent, 0 shelter stays" in page
    assert (
        "1 service kept without the link, 1 shelter stay kept without the link, "
        "1 helpline call unlinked" in page
    )
    assert "services_unlinked" not in page
