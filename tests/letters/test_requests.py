"""Organisations outside Haven ask to sign on a public page, confirm by e-mail, and the owner
approves or rejects them without ever duplicating a directory entry."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from typing import Any, cast

import pytest
import pyzipper  # type: ignore[import-untyped]
from django.core import mail
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import trans_real
from django_scopes import scopes_disabled

from haven.abuse.honeypot import HONEYPOT_FIELD
from haven.letters import access, actions
from haven.letters.content import render_markdown
from haven.letters.models import OrganisationSignature, SignatureStatus
from haven.mail.compose import absolute_url
from haven.organisations.models import Organisation
from haven.privacy.models import AuditEvent
from tests.conftest import bearer, client_for
from tests.letters.conftest import confirmation_link, html_part, requested

FORM = {
    "name": "Fundación Camino Claro",
    "country": "MX",
    "website": "https://camino.example.org",
    "signer_name": "Rosa Example",
    "signer_role": "Director",
    "signer_email": "rosa@camino.example.org",
    "entitled": "on",
}


def _request_url(letter) -> str:
    return reverse("letter_request", kwargs={"org": letter.owner.slug, "letter": letter.slug})


def _ask(client, letter, **changes):
    category = access.categories_of(letter)[2]
    return client.post(_request_url(letter), {**FORM, "category": category.pk, **changes})


def test_an_outside_organisation_asks_confirms_is_approved_and_appears_in_its_group(
    letter, ada, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        sent = _ask(client, letter)
    assert sent.status_code == 302
    signature = OrganisationSignature.objects.get(letter=letter)
    assert signature.status == SignatureStatus.UNCONFIRMED
    [message] = mail.outbox
    assert message.to == ["rosa@camino.example.org"]
    assert "<html" in html_part(message), "an HTML part as well as the plain text"
    confirm = confirmation_link(message)
    # A mail scanner following the link confirms nothing: the page has a button.
    page = client.get(confirm)
    assert page.status_code == 200
    assert '<form method="post">' in page.content.decode()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.UNCONFIRMED
    assert client.post(confirm).status_code == 200
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(actor=ada, signature=signature, approve=True)
    signature.refresh_from_db()
    entry = Organisation.objects.get(name="Fundación Camino Claro")
    assert signature.signatory == entry
    assert entry.country.code == "MX"
    assert "now signs" in mail.outbox[-1].subject
    actions.move_letter(actor=ada, letter=letter, move="publish")
    public = client.get(
        reverse("letter_public", kwargs={"org": "coalition", "letter": letter.slug})
    )
    html = public.content.decode()
    group = html.index("Domestic NGOs")
    assert html.index("Fundación Camino Claro, Mexico") > group
    assert "from 1 organisation" in html


def test_a_request_from_an_organisation_already_in_the_directory_links_to_it(
    letter, ada, south, django_capture_on_commit_callbacks
):
    signature = requested(
        letter,
        name="south  HELPLINE",
        country="ES",
        signer_name="Someone",
        signer_email="someone@south.example.org",
        category=access.categories_of(letter)[0],
    )
    actions.confirm_request(signature=signature)
    assert access.directory_suggestions(signature.name, "ES")[0] == south
    before = Organisation.objects.count()
    actions.decide_request(actor=ada, signature=signature, approve=True)
    assert Organisation.objects.count() == before
    signature.refresh_from_db()
    assert signature.signatory == south


def test_the_owner_may_link_a_request_to_a_suggested_entry_of_another_spelling(letter, ada, north):
    signature = requested(
        letter,
        name="North Shelter Association",
        country="FR",
        signer_name="Someone",
        signer_email="someone@north.example.org",
    )
    actions.confirm_request(signature=signature)
    assert north in access.directory_suggestions(signature.name, "FR")
    actions.decide_request(actor=ada, signature=signature, approve=True, directory_entry=north)
    signature.refresh_from_db()
    assert signature.signatory == north


def test_an_organisation_that_signed_in_haven_is_not_signed_again_under_its_name_with_the(
    letter, ada, alice, north
):
    signature = requested(letter, name="The North Shelter", country="FR", confirm=True)
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    again = actions.request_signature(
        letter=letter,
        name="The North Shelter",
        country="FR",
        signer_name="Someone",
        signer_email="someone@north.example.org",
    )
    assert again is None, "asking again, now that North signed, adds nothing"
    page = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": signature.pk},
    )
    owner = client_for(ada)
    html = owner.get(page).content.decode()
    assert f'<option value="{north.pk}" selected>North Shelter (France)' in html, "pre-selected"
    assert "has already signed this letter" in html
    before = Organisation.objects.count()
    refused = owner.post(page, {"decision": "approve", "directory_entry": ""})
    assert refused.status_code == 400
    assert "already signed" in refused.content.decode()
    assert Organisation.objects.count() == before
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING
    assert access.approved_count(letter) == 1


def test_a_strong_match_that_has_not_signed_is_preselected_without_a_warning(letter, ada, north):
    signature = requested(letter, name="the north shelter", country="FR", confirm=True)
    page = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": signature.pk},
    )
    html = client_for(ada).get(page).content.decode()
    assert f'<option value="{north.pk}" selected>North Shelter (France)' in html
    assert "has already signed" not in html


def test_asking_twice_adds_nothing_and_answers_the_same(
    letter, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _ask(client, letter)
        second = _ask(
            client, letter, name="FUNDACION camino claro", signer_email="other@x.example.org"
        )
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    assert OrganisationSignature.objects.filter(letter=letter).count() == 1
    assert len(mail.outbox) == 1


def test_a_rejected_request_is_told_why_and_never_appears(
    letter, ada, client, django_capture_on_commit_callbacks
):
    signature = requested(
        letter, name="Impostor", country="FR", signer_name="X", signer_email="x@example.org"
    )
    with pytest.raises(Exception, match="confirmed requests"):
        actions.decide_request(actor=ada, signature=signature, approve=True)
    actions.confirm_request(signature=signature)
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(
            actor=ada, signature=signature, approve=False, reason="Unknown to us."
        )
    assert "Unknown to us." in mail.outbox[-1].body
    assert access.approved_count(letter) == 0
    assert AuditEvent.objects.filter(action="letter.request_rejected").count() == 1


# The key gettext looks up for the title alone in the decision e-mail (context, then msgid).
QUOTED_TITLE = "the title of a text, in quotes\x04“%(title)s”"


def test_the_decision_quotes_the_title_as_in_english_text(
    letter, ada, django_capture_on_commit_callbacks
):
    signature = requested(letter, name="Casa Citada", country="AR", confirm=True)
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(actor=ada, signature=signature, approve=False, reason="No.")
    with scopes_disabled():
        title = access.text_in(letter, "en").title
    assert f"\n\n“{title}”\n" in mail.outbox[-1].body
    assert f"<p>“{title}”</p>" in html_part(mail.outbox[-1])


def test_the_decision_quotes_the_title_as_the_translation_says(
    letter, ada, django_capture_on_commit_callbacks, monkeypatch
):
    # French quotes the title « so », with non-breaking spaces: the quotes are the
    # translator's, not the template's.
    french = cast(Any, trans_real.translation("fr"))._catalog._catalogs[0]
    monkeypatch.setitem(french, QUOTED_TITLE, "«\u00a0%(title)s\u00a0»")
    signature = requested(letter, name="Casa Citada", country="FR", confirm=True, language="fr")
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(actor=ada, signature=signature, approve=False, reason="Non.")
    with scopes_disabled():
        title = access.text_in(letter, "fr").title
    for body in (str(mail.outbox[-1].body), html_part(mail.outbox[-1])):
        assert f"«\u00a0{title}\u00a0»" in body
        assert f"“{title}”" not in body


def test_a_request_cannot_be_rejected_without_a_reason_on_the_page_or_through_the_api(letter, ada):
    signature = requested(letter, name="Casa Sin Motivo", country="AR", confirm=True)
    page = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": signature.pk},
    )
    response = client_for(ada).post(page, {"decision": "reject", "reason": "  "})
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.content.decode()
    api = f"/api/orgs/coalition/letters/{letter.pk}/signatures/{signature.pk}/decision"
    response = Client().post(
        api,
        json.dumps({"approve": False}),
        content_type="application/json",
        **bearer(ada),
    )
    assert response.status_code == 400
    assert "Say why the request is rejected" in response.content.decode()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING


def test_the_approval_links_the_public_page_only_once_the_letter_is_public(
    letter, ada, django_capture_on_commit_callbacks
):
    early = requested(letter, name="Casa Temprana", country="AR", confirm=True)
    late = requested(letter, name="Casa Tardía", country="CL", confirm=True)
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(actor=ada, signature=early, approve=True)
    body = mail.outbox[-1].body
    assert "when the text is published" in body
    assert "/sign/" not in body
    assert "/sign/" not in html_part(mail.outbox[-1])
    actions.move_letter(actor=ada, letter=letter, move="publish")
    with django_capture_on_commit_callbacks(execute=True):
        actions.decide_request(actor=ada, signature=late, approve=True)
    public = absolute_url(
        reverse("letter_public", kwargs={"org": "coalition", "letter": letter.slug})
    )
    assert public + "\n" in mail.outbox[-1].body
    assert f'href="{public}"' in html_part(mail.outbox[-1])
    assert "when the text is published" not in mail.outbox[-1].body


def test_the_honeypot_refuses_a_bot_and_stores_nothing(letter, client):
    response = _ask(client, letter, **{HONEYPOT_FIELD: "http://spam.example"})
    assert response.status_code == 400
    assert not OrganisationSignature.objects.exists()


def test_a_throw_away_address_is_refused(letter, client):
    response = _ask(client, letter, signer_email="someone@mailinator.com")
    assert response.status_code == 400
    assert "throw-away" in response.content.decode()


def test_too_many_requests_get_a_429_with_a_clear_message(letter, client, settings):
    settings.HAVEN_RATE_PER_IP = "2/10m"
    for _ in range(2):
        _ask(client, letter, name="Bad input", country="")
    response = _ask(client, letter)
    assert response.status_code == 429
    assert "Too many attempts" in response.content.decode()
    assert not OrganisationSignature.objects.exists()


def test_a_forged_or_foreign_confirmation_link_does_nothing(letter, client):
    url = reverse(
        "letter_request_confirm",
        kwargs={"org": "coalition", "letter": letter.slug, "token": "forged:token"},
    )
    assert client.post(url).status_code == 400


def test_a_draft_has_no_public_request_page(ada, coalition, client):
    from tests.letters.conftest import draft_letter

    draft = draft_letter(ada, coalition.organisation)
    assert client.get(_request_url(draft)).status_code == 404


def test_the_request_page_of_a_letter_under_embargo_is_not_found(letter, ada, client):
    actions.save_text(
        actor=ada, letter=letter, language="fr", values={"title": "Lettre", "body": "Texte."}
    )
    later = timezone.now() + timedelta(days=2)
    actions.move_letter(actor=ada, letter=letter, move="publish", publish_at=later)
    assert client.get(_request_url(letter)).status_code == 404
    assert client.get(_request_url(letter) + "?lang=fr").status_code == 404
    letter.publish_at = timezone.now() - timedelta(minutes=1)
    letter.save(update_fields=["publish_at"])
    assert client.get(_request_url(letter)).status_code == 200, "shown closed once public"


def test_the_owner_reviews_a_request_on_its_page(letter, ada):
    signature = requested(
        letter,
        name="Casa Luz",
        country="AR",
        signer_name="Ana",
        signer_email="ana@example.org",
    )
    actions.confirm_request(signature=signature)
    owner = client_for(ada)
    url = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": signature.pk},
    )
    assert "ana@example.org" in owner.get(url).content.decode()
    group = access.categories_of(letter)[1]
    decided = owner.post(url, {"decision": "approve", "category": group.pk, "directory_entry": ""})
    assert decided.status_code == 302
    signature.refresh_from_db()
    assert (signature.status, signature.category) == (SignatureStatus.APPROVED, group)


def test_the_export_is_an_encrypted_file_with_every_signatory_and_is_audited(
    letter, ada, alice, north
):
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    owner = client_for(ada)
    url = reverse("letter_export", kwargs={"org": "coalition", "letter_id": letter.pk})
    assert owner.get(url).status_code == 200
    response = owner.post(url, {"file_format": "csv", "passphrase": "correct horse battery"})
    assert response["Content-Type"] == "application/zip"
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        archive.setpassword(b"correct horse battery")
        content = archive.read(archive.namelist()[0]).decode("utf-8-sig")
    assert "North Shelter" in content
    assert "alice@example.org" in content
    assert AuditEvent.objects.filter(action="letter.signatures_exported").count() == 1


def test_the_counter_can_be_embedded_on_other_sites(letter, ada, alice, north, client):
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    actions.move_letter(actor=ada, letter=letter, move="publish")
    response = client.get(
        reverse("letter_counter", kwargs={"org": "coalition", "letter": letter.slug})
    )
    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert ">1<" in response.content.decode()


def test_the_public_page_carries_share_links_and_preview_metadata(letter, ada, client):
    actions.move_letter(actor=ada, letter=letter, move="publish")
    html = client.get(
        reverse("letter_public", kwargs={"org": "coalition", "letter": letter.slug})
    ).content.decode()
    assert '<meta property="og:title" content="Letter to the committee">' in html
    assert "#EndExploitation" in html
    assert "hashtags=EndExploitation%2CEquality" in html
    assert "gaia@example.org" in html


def test_markdown_keeps_formatting_and_drops_anything_that_could_run():
    html = render_markdown(
        "# Title\n\n**bold** <script>alert(1)</script> [x](javascript:alert(1)) [ok](https://ok.example)"
    )
    assert "<h2>Title</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<script" not in html
    assert 'href="javascript' not in html
    assert 'href="https://ok.example"' in html


def test_anyone_downloads_the_published_list_of_signatories_without_contact_details(
    letter, ada, alice, north, client
):
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    csv_url = reverse("letter_signatories_csv", kwargs={"org": "coalition", "letter": letter.slug})
    assert client.get(csv_url).status_code == 404, "not before publication"
    actions.move_letter(actor=ada, letter=letter, move="publish")
    content = client.get(csv_url).content.decode("utf-8-sig")
    assert content.splitlines() == [
        "group,organisation,country",
        "Coalition and its members,North Shelter,France",
    ]
    assert "alice" not in content
    xlsx = client.get(
        reverse("letter_signatories_xlsx", kwargs={"org": "coalition", "letter": letter.slug})
    )
    assert xlsx.content[:2] == b"PK"


def test_every_public_page_answers_head_as_it_answers_get(letter, ada, alice, north, client):
    actions.save_text(
        actor=ada, letter=letter, language="fr", values={"title": "Lettre", "body": "Texte."}
    )
    actions.sign_as_organisation(actor=alice, letter=letter, organisation=north)
    actions.move_letter(actor=ada, letter=letter, move="publish")
    kwargs = {"org": "coalition", "letter": letter.slug}
    for url in [
        reverse("letter_public", kwargs=kwargs),
        reverse("letter_public_language", kwargs={**kwargs, "lang": "fr"}),
        reverse("letter_counter", kwargs=kwargs),
        reverse("letter_signatories_csv", kwargs=kwargs),
        reverse("letter_signatories_xlsx", kwargs=kwargs),
        reverse("letter_request", kwargs=kwargs),
        reverse("letter_request_sent", kwargs=kwargs),
        reverse("letter_request_confirm", kwargs={**kwargs, "token": "forged"}),
    ]:
        expected = client.get(url).status_code
        assert expected != 405, url
        assert client.head(url).status_code == expected, url


def test_each_language_page_names_every_language_by_absolute_address(letter, ada, client):
    actions.save_text(
        actor=ada, letter=letter, language="fr", values={"title": "Lettre", "body": "Texte."}
    )
    actions.move_letter(actor=ada, letter=letter, move="publish")
    kwargs = {"org": "coalition", "letter": letter.slug}
    english = reverse("letter_public", kwargs=kwargs)
    french = reverse("letter_public_language", kwargs={**kwargs, "lang": "fr"})
    expected = [
        f'<link rel="alternate" hreflang="en" href="{absolute_url(english)}">',
        f'<link rel="alternate" hreflang="fr" href="{absolute_url(french)}">',
        f'<link rel="alternate" hreflang="x-default" href="{absolute_url(english)}">',
    ]
    for page in (english, french):
        html = client.get(page).content.decode()
        assert re.findall(r'<link rel="alternate" hreflang=[^>]*>', html) == expected, page


def test_the_api_links_an_approved_request_only_to_an_entry_suggested_for_it(
    letter, ada, north, south
):
    # Linking would show the signer's name and e-mail to the entry's staff: an entry the
    # page does not offer (South, for a request from "The North Shelter") is refused.
    signature = requested(letter, name="The North Shelter", country="FR", confirm=True)
    assert south not in access.directory_suggestions(signature.name, "FR")
    api = f"/api/orgs/coalition/letters/{letter.pk}/signatures/{signature.pk}/decision"

    def decide(organisation_id):
        return Client().post(
            api,
            json.dumps({"approve": True, "organisation_id": organisation_id}),
            content_type="application/json",
            **bearer(ada),
        )

    refused = decide(south.pk)
    assert refused.status_code == 400
    assert "directory entry suggested for it" in refused.content.decode()
    signature.refresh_from_db()
    assert signature.status == SignatureStatus.PENDING
    assert signature.signatory_id is None
    assert not OrganisationSignature.objects.filter(signatory=south).exists()
    approved = decide(north.pk)
    assert approved.status_code == 200
    assert approved.json()["organisation_id"] == north.pk


def test_signers_of_requests_rejected_or_never_confirmed_are_forgotten_after_thirty_days(
    letter, ada
):
    from haven.letters.tasks import forget_stale_requests
    from haven.petitions.tasks import run_anonymisation

    rejected = requested(letter, name="Casa Rechazada", country="AR", confirm=True)
    actions.decide_request(actor=ada, signature=rejected, approve=False, reason="Not a fit")
    approved = requested(letter, name="Casa Aprobada", country="CL", confirm=True)
    actions.decide_request(actor=ada, signature=approved, approve=True)
    waiting = requested(letter, name="Casa Esperando", country="PE", confirm=True)
    unconfirmed = requested(letter, name="Casa Silenciosa", country="UY", signer_role="Chair")
    now = timezone.now()
    assert forget_stale_requests(now + timedelta(days=29)) == 0, "kept within 30 days"
    # A month after the decision, and a month after the confirmation link expired.
    assert forget_stale_requests(now + timedelta(days=31)) == 1
    assert run_anonymisation(now + timedelta(days=38))["requests"] == 1
    for signature in (rejected, unconfirmed):
        signature.refresh_from_db()
        assert (signature.signer_name, signature.signer_role, signature.signer_email) == (
            "",
            "",
            "",
        )
        assert signature.forgotten_at is not None
        assert signature.requested_at is not None
    rejected.refresh_from_db()
    assert (rejected.name, str(rejected.country), rejected.status) == (
        "Casa Rechazada",
        "AR",
        SignatureStatus.REJECTED,
    )
    assert rejected.decided_at is not None
    assert rejected.rejection_reason == "Not a fit"
    for kept in (approved, waiting):
        kept.refresh_from_db()
        assert (kept.signer_name, kept.signer_email) == ("Signer", "signer@example.org")
        assert kept.forgotten_at is None
    events = AuditEvent.objects.filter(action="letter.requests_forgotten")
    assert [event.details["count"] for event in events.order_by("seq")] == [1, 1]
    assert forget_stale_requests(now + timedelta(days=60)) == 0, "forgotten once"
    # The owner sees what was erased, on the page and through the API.
    page = reverse(
        "letter_signature",
        kwargs={"org": "coalition", "letter_id": letter.pk, "signature_id": rejected.pk},
    )
    html = client_for(ada).get(page).content.decode()
    assert "Name and e-mail erased on" in html
    listed = Client().get(
        f"/api/orgs/coalition/letters/{letter.pk}/signatures?status=rejected", **bearer(ada)
    )
    [row] = listed.json()
    assert row["signer_email"] == ""
    assert row["forgotten_at"] is not None
