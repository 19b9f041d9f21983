"""Rules of letters that the pages and the API must keep alike."""

from __future__ import annotations

import json
from datetime import timedelta

from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from haven.letters import access, actions
from haven.letters.models import LetterStatus, OrganisationSignature
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for
from tests.letters.test_api import OUTSIDE_REQUEST


def _ask_through_the_api(letter, **changes):
    return Client().post(
        f"/api/letters/{letter.owner.slug}/{letter.slug}/requests",
        json.dumps({**OUTSIDE_REQUEST, **changes}),
        content_type="application/json",
    )


def test_no_outside_request_reaches_a_letter_whose_groups_are_all_closed_to_them(
    letter, ada, client, django_capture_on_commit_callbacks
):
    for category in access.categories_of(letter):
        actions.update_category(actor=ada, category=category, changes={"open_to_requests": False})
    page = client.get(reverse("letter_request", kwargs={"org": "coalition", "letter": letter.slug}))
    assert "This text no longer takes signatures." in page.content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        answer = _ask_through_the_api(letter)
    assert answer.status_code == 400
    assert "not open for signatures" in answer.content.decode()
    assert not OrganisationSignature.objects.filter(letter=letter).exists()
    assert mail.outbox == []


def test_an_outside_request_without_a_group_lands_in_the_last_group_open_to_it(letter, ada):
    _first, second, third = access.categories_of(letter)
    actions.update_category(actor=ada, category=third, changes={"open_to_requests": False})
    assert _ask_through_the_api(letter).status_code == 202
    assert OrganisationSignature.objects.get(letter=letter).category == second


def test_a_request_nobody_confirmed_in_time_does_not_turn_the_organisation_away(
    letter, django_capture_on_commit_callbacks
):
    # Somebody asked in the organisation's name with an address that is not its own.
    with django_capture_on_commit_callbacks(execute=True):
        first = actions.request_signature(
            letter=letter,
            name="Casa Luz",
            country="AR",
            signer_name="Somebody",
            signer_email="typo@casaluz.example.org",
        )
    assert first is not None

    def ask_again() -> OrganisationSignature | None:
        return actions.request_signature(
            letter=letter,
            name="CASA LUZ",
            country="AR",
            signer_name="Ana",
            signer_email="ana@casaluz.example.org",
        )

    # While its link works, asking again adds nothing (and says nothing).
    assert ask_again() is None
    limit = timezone.now() - timedelta(days=access.CONFIRM_DAYS, minutes=1)
    OrganisationSignature.objects.filter(pk=first.pk).update(requested_at=limit)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        second = ask_again()
    assert second is not None
    [message] = mail.outbox
    assert message.to == ["ana@casaluz.example.org"]
    # Once confirmed, it stands in the way of any further request again.
    actions.confirm_request(signature=second)
    assert ask_again() is None


def test_reading_a_signers_contact_details_on_the_page_is_audited_as_through_the_api(letter, ada):
    signature = actions.request_signature(
        letter=letter,
        name="Casa Luz",
        country="AR",
        signer_name="Ana",
        signer_email="ana@casaluz.example.org",
    )
    assert signature is not None
    url = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": signature.pk},
    )
    assert "ana@casaluz.example.org" in client_for(ada).get(url).content.decode()
    [event] = AuditEvent.objects.filter(action="letter.signature_viewed")
    assert (event.actor_id, event.object_id) == (ada.pk, str(letter.pk))
    assert event.details == {"signature_id": str(signature.pk)}
    assert "ana@" not in str(event.details)


def test_a_publication_date_at_the_calendars_edge_is_refused_when_publishing_on_the_page(
    letter, ada
):
    owner = client_for(ada)
    url = reverse("letter_move", kwargs={"org": "coalition", "letter_id": letter.pk})
    for moment in ("9999-12-31T23:59", "1990-01-01T00:00"):
        answer = owner.post(url, {"move": "publish", "publish_at": moment})
        assert answer.status_code == 400
        assert "Give a date" in answer.content.decode()
        letter.refresh_from_db()
        assert (letter.status, letter.publish_at) == (LetterStatus.OPEN, None)
    assert owner.post(url, {"move": "publish", "publish_at": ""}).status_code == 302
    letter.refresh_from_db()
    assert letter.status == LetterStatus.PUBLISHED


def test_the_alphabetical_order_reads_accented_names_as_a_reader_does(letter):
    for name in ("Zonta Club", "Équipe Solidaire", "Enfance Libre", "fondation Aube"):
        signature = actions.request_signature(
            letter=letter,
            name=name,
            country="FR",
            signer_name="Signer",
            signer_email="signer@example.org",
        )
        assert signature is not None
        OrganisationSignature.objects.filter(pk=signature.pk).update(status="approved")
    [group] = access.grouped_signatories(letter, "en")
    expected = ["Enfance Libre", "Équipe Solidaire", "fondation Aube", "Zonta Club"]
    assert [signature.name for signature in group.signatures] == expected
    # The public list follows the same order once published.
    actions.move_letter(actor=letter.created_by, letter=letter, move="publish")
    kwargs = {"org": letter.owner.slug, "letter": letter.slug}
    listed = Client().get(reverse("letter_signatories_csv", kwargs=kwargs)).content.decode()
    assert [line.split(",")[1] for line in listed.splitlines()[1:]] == expected


def test_a_date_of_the_letter_out_of_range_is_refused_on_the_page_and_through_the_api(letter, ada):
    owner = client_for(ada)
    url = reverse("letter_edit", kwargs={"org": "coalition", "letter_id": letter.pk})
    form = {"kind": "letter", "signatory_order": "alphabetical"}
    for day in ("0001-01-01", "1999-12-31", "9999-12-31"):
        answer = owner.post(url, {**form, "letter_date": day})
        assert answer.status_code == 400
        assert "Give a date" in answer.content.decode()
        sent = Client().patch(
            f"/api/orgs/coalition/letters/{letter.pk}",
            json.dumps({"letter_date": day}),
            content_type="application/json",
            **bearer(ada),
        )
        assert sent.status_code == 400, sent.content
        letter.refresh_from_db()
        assert letter.letter_date is None
    assert owner.post(url, {**form, "letter_date": "2026-03-08"}).status_code == 302
    letter.refresh_from_db()
    assert str(letter.letter_date) == "2026-03-08"


def test_the_text_page_warns_of_a_new_version_as_soon_as_a_signature_waits_for_approval(
    letter, ada, erin, east, django_capture_on_commit_callbacks
):
    owner = client_for(ada)
    url = reverse("letter_text", kwargs={"org": "coalition", "letter_id": letter.pk, "lang": "en"})
    warning = "saving a changed text makes a new version"
    assert warning not in owner.get(url).content.decode()
    actions.sign_as_organisation(actor=erin, letter=letter, organisation=east)
    assert access.approved_count(letter) == 0
    assert warning in owner.get(url).content.decode()
    # As the page says: the text saved makes a new version, and the signatory hears of it.
    with django_capture_on_commit_callbacks(execute=True):
        saved = owner.post(url, {"title": "Letter to the committee", "body": "Changed."})
    assert saved.status_code == 302
    letter.refresh_from_db()
    assert letter.version == 2
    assert [message.to for message in mail.outbox] == [[erin.email]]
