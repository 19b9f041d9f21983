"""What signers were told when they signed still holds afterwards."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from haven.petitions import actions
from haven.petitions.models import Petition
from haven.privacy.models import AuditEvent
from tests.conftest import client_for
from tests.petitions.conftest import draft_petition


def _public(petition: Petition) -> str:
    kwargs = {"org": petition.owner.slug, "petition": petition.slug}
    return reverse("petition_public", kwargs=kwargs)


def test_comments_written_as_private_are_never_made_public_afterwards(petition, adam, client):
    signature = actions.sign_petition(
        petition=petition,
        name="Jo Example",
        email="jo@example.org",
        comment="My cousin was trafficked through the agency on Main Street.",
        show_name=True,
    )
    assert signature is not None
    assert "Only the organisers read it." in client.get(_public(petition)).content.decode()
    actions.confirm_signature(signature=signature)
    with pytest.raises(ValidationError) as refused:
        actions.update_petition(actor=adam, petition=petition, changes={"show_comments": True})
    assert "show_comments" in refused.value.message_dict
    petition.refresh_from_db()
    assert petition.show_comments is False
    assert not AuditEvent.objects.filter(action="petition.updated").exists()
    # The page of the owner says the same, and the public page keeps the comment to itself.
    edit = reverse("petition_edit", kwargs={"org": petition.owner.slug, "petition_id": petition.pk})
    form = {
        "title": petition.title,
        "body": petition.body,
        "anonymise_after_days": petition.anonymise_after_days,
        "show_comments": "on",
    }
    answer = client_for(adam).post(edit, form)
    assert answer.status_code == 400
    assert "comments can no longer be made public" in answer.content.decode()
    page = client.get(_public(petition)).content.decode()
    assert "Jo Example" in page
    assert "Main Street" not in page


def test_comments_may_be_public_when_signers_are_told_so_before_they_sign(adam, north, client):
    draft = draft_petition(adam, north)
    actions.update_petition(actor=adam, petition=draft, changes={"show_comments": True})
    opened = actions.move_petition(actor=adam, petition=draft, move="open")
    page = client.get(_public(opened)).content.decode()
    assert "Only the organisers read it." not in page
    assert "Shown on this page with your name, if you let your name be shown." in page
    # Hiding them again is always possible.
    actions.sign_petition(petition=opened, name="Jo", email="jo@example.org", comment="Yes.")
    hidden = actions.update_petition(actor=adam, petition=opened, changes={"show_comments": False})
    assert hidden.show_comments is False
