"""The public signs a petition: double opt-in, one signature per person, abuse controls, and
answers that never reveal whether an address has signed."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.core import mail
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from haven import public_cache
from haven.abuse.honeypot import HONEYPOT_FIELD
from haven.petitions import access, actions
from haven.petitions.models import Petition, Signature, SignatureStatus
from haven.privacy.models import AuditEvent
from tests.letters.conftest import confirmation_link, html_part
from tests.redis_server import redis_cache

__all__ = ["redis_cache"]

FORM = {"name": "Jo Example", "email": "jo.example@gmail.com", "country": "FR"}


def _url(petition, name="petition_public", **extra):
    return reverse(name, kwargs={"org": petition.owner.slug, "petition": petition.slug, **extra})


def _sign(client, petition, **changes):
    return client.post(_url(petition), {**FORM, **changes})


def test_a_signature_counts_only_after_the_button_behind_the_e_mail_link(
    petition, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = _sign(client, petition, contact_consent="on", show_name="on")
    assert response.status_code == 302
    assert response["Location"] == _url(petition, "petition_sent")
    signature = Signature.objects.get()
    assert signature.status == SignatureStatus.PENDING
    assert (signature.contact_consent, signature.show_name) == (True, True)
    assert access.confirmed_count(petition) == 0
    [message] = mail.outbox
    assert message.to == ["jo.example@gmail.com"]
    assert "<html" in html_part(message)
    confirm = confirmation_link(message)
    # Link scanners only GET: the page shows a button and confirms nothing.
    assert "Confirm my signature" in client.get(confirm).content.decode()
    assert access.confirmed_count(petition) == 0
    assert "your signature counts" in client.post(confirm).content.decode()
    assert access.confirmed_count(petition) == 1
    page = client.get(_url(petition)).content.decode()
    assert "1 signature" in page
    assert "Jo Example" in page


def test_the_public_names_are_held_a_moment_and_forgotten_on_every_change_of_who_is_shown(
    petition, client, adam, django_capture_on_commit_callbacks
):
    assert "Recent signatories" not in client.get(_url(petition)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, show_name="on")
    # The confirmation forgets the names held, so the signer sees their name at once.
    client.post(confirmation_link(mail.outbox[0]))
    cache.clear()  # the count, held apart
    assert "Jo Example" in client.get(_url(petition)).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition, show_name="on", name="Ana Other", email="ana@example.org")
    client.post(confirmation_link(mail.outbox[1]))
    assert "Ana Other" in client.get(_url(petition)).content.decode()
    with CaptureQueriesContext(connection) as queries:
        assert "Ana Other" in client.get(_url(petition)).content.decode()
    assert not [q for q in queries if '"show_name"' in q["sql"]], "the names are held a moment"
    # Nothing personal goes to the shared cache: another process reads the names itself.
    assert cache.get(f"haven:petitions:names:{petition.owner.slug}:{petition.slug}") is None
    ana = Signature.objects.get(email_key=actions.email_key(petition.pk, "ana@example.org"))
    actions.invalidate_signatures(actor=adam, petition=petition, signature_ids=[ana.pk])
    page = client.get(_url(petition)).content.decode()
    assert "Ana Other" not in page, "an invalidated signer is gone from the page at once"
    assert "Jo Example" in page


def test_consent_to_follow_up_contact_is_off_unless_ticked(petition, client):
    _sign(client, petition)
    assert Signature.objects.get().contact_consent is False
    html = client.get(_url(petition)).content.decode()
    box = re.search(r'<input type="checkbox" name="contact_consent"[^>]*>', html)
    assert box is not None
    assert "checked" not in box.group(0)


def test_one_person_signs_once_whatever_the_spelling_and_the_answer_is_the_same(
    petition, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        first = _sign(client, petition)
    with django_capture_on_commit_callbacks(execute=True):
        again = _sign(client, petition, email="Jo.Ex.Ample+petition@googlemail.com", name="J")
    assert first.status_code == again.status_code == 302
    assert first["Location"] == again["Location"]
    assert Signature.objects.count() == 1
    # A waiting signature gets its link again; nothing tells the sender it existed.
    assert len(mail.outbox) == 2
    client.post(confirmation_link(mail.outbox[0]))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        third = _sign(client, petition)
    assert third["Location"] == first["Location"]
    assert mail.outbox == []
    assert access.confirmed_count(petition) == 1


def test_an_address_of_another_provider_keeps_its_dots_and_tags(petition):
    actions.sign_petition(petition=petition, name="A", email="a.b+x@example.org")
    assert actions.sign_petition(petition=petition, name="A", email="ab@example.org") is not None
    assert Signature.objects.count() == 2


def test_the_honeypot_refuses_a_bot_and_stores_nothing(petition, client):
    response = _sign(client, petition, **{HONEYPOT_FIELD: "spam"})
    assert response.status_code == 400
    assert not Signature.objects.exists()


def test_throw_away_and_blocked_domains_are_refused(petition, client, adam):
    assert _sign(client, petition, email="x@mailinator.com").status_code == 400
    actions.update_petition(
        actor=adam, petition=petition, changes={"blocked_domains": "Spam.example\n"}
    )
    petition.refresh_from_db()
    response = _sign(client, petition, email="x@mail.spam.example")
    assert response.status_code == 400
    assert "throw-away" in response.content.decode()
    assert not Signature.objects.exists()


def test_too_many_signatures_from_one_address_get_a_429_with_a_clear_message(
    petition, client, settings
):
    settings.HAVEN_RATE_PER_ADDRESS = "2/h"
    for _ in range(2):
        assert _sign(client, petition).status_code == 302
    response = _sign(client, petition, email="JO.EXAMPLE@gmail.com")
    assert response.status_code == 429
    assert "Too many attempts. Please wait" in response.content.decode()
    assert response["Retry-After"]


def test_the_address_limit_counts_per_petition(petition, adam, client, settings):
    settings.HAVEN_RATE_PER_ADDRESS = "1/h"
    draft = actions.create_petition(
        actor=adam,
        owner=petition.owner,
        title="Open the night shelter all year",
        body="We ask for it.",
        language="en",
        values={"addressee": "City council", "goal": 100},
    )
    second = actions.move_petition(actor=adam, petition=draft, move="open")
    # Signing two petitions of a network within the hour is what campaigns ask for.
    assert _sign(client, petition).status_code == 302
    assert _sign(client, second).status_code == 302
    assert _sign(client, second).status_code == 429
    api = f"/api/petitions/{petition.owner.slug}/{petition.slug}/signatures"
    assert client.post(api, FORM, content_type="application/json").status_code == 429


def test_too_many_attempts_from_one_ip_address_get_a_429(petition, client, settings):
    settings.HAVEN_RATE_PER_IP = "3/10m"
    for number in range(3):
        _sign(client, petition, email=f"person{number}@example.org")
    assert _sign(client, petition, email="late@example.org").status_code == 429
    assert Signature.objects.count() == 3


def test_bad_input_gets_a_clear_message_and_stores_nothing(petition, client):
    response = _sign(client, petition, email="not an address", name="")
    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address" in html or "valid e-mail" in html
    assert not Signature.objects.exists()


def test_the_owner_pauses_signing_and_a_paused_petition_takes_no_signature(petition, adam, client):
    actions.move_petition(actor=adam, petition=petition, move="pause")
    petition.refresh_from_db()
    response = _sign(client, petition)
    assert response.status_code == 400
    assert "paused" in response.content.decode()
    assert not Signature.objects.exists()
    actions.move_petition(actor=adam, petition=petition, move="resume")
    petition.refresh_from_db()
    assert _sign(client, petition).status_code == 302


def test_a_petition_past_its_closing_time_says_it_is_closed_not_paused(petition, adam, client):
    Petition.objects.filter(pk=petition.pk).update(
        closes_at=timezone.now() - timedelta(minutes=1), paused=True
    )
    access.forget_petition(petition)
    page = client.get(_url(petition)).content.decode()
    assert "This petition is closed." in page
    assert "paused" not in page


def test_a_pause_takes_effect_at_once_in_the_process_that_made_it(petition, adam, client):
    assert _sign(client, petition).status_code == 302  # the petition is now held here
    actions.move_petition(actor=adam, petition=petition, move="pause")
    assert _sign(client, petition, email="second@example.org").status_code == 400
    assert Signature.objects.count() == 1


def test_a_pause_made_in_another_process_takes_effect_here_within_a_second(
    petition, client, monkeypatch
):
    clock = [100.0]
    monkeypatch.setattr(access._public_petitions, "clock", lambda: clock[0])
    assert _sign(client, petition).status_code == 302
    # The other process pauses: the row and the shared cache change, this process's copy
    # is out of its reach.
    Petition.objects.filter(pk=petition.pk).update(paused=True)
    cache.delete(access._public_petitions._key(petition.owner.slug, petition.slug))
    clock[0] += public_cache.LOCAL_SECONDS
    assert _sign(client, petition, email="second@example.org").status_code == 400
    assert Signature.objects.count() == 1


def test_with_redis_too_many_signatures_get_a_429_with_retry_after(
    petition, client, settings, redis_cache
):
    settings.HAVEN_RATE_PER_ADDRESS = "2/h"
    for _ in range(2):
        assert _sign(client, petition).status_code == 302
    response = _sign(client, petition, email="JO.EXAMPLE+again@gmail.com")
    assert response.status_code == 429
    assert "Too many attempts. Please wait" in response.content.decode()
    assert 0 < int(response["Retry-After"]) <= 3600
    assert Signature.objects.count() == 1


def test_a_closed_petition_no_longer_confirms_signatures(
    petition, adam, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition)
    actions.move_petition(actor=adam, petition=petition, move="close")
    link = confirmation_link(mail.outbox[0])
    assert "This petition is closed." in client.get(link).content.decode()
    response = client.post(link)
    assert response.status_code == 400
    assert access.confirmed_count(petition) == 0


def test_a_confirmation_link_opened_while_signing_is_paused_says_so_before_any_button(
    petition, adam, client, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition)
    confirm = confirmation_link(mail.outbox[0])
    actions.move_petition(actor=adam, petition=petition, move="pause")
    response = client.get(confirm)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Signing is paused" in html
    assert "will work again when signing resumes" in html
    assert "Confirm my signature" not in html
    assert access.confirmed_count(petition) == 0
    actions.move_petition(actor=adam, petition=petition, move="resume")
    assert "Confirm my signature" in client.get(confirm).content.decode()
    assert "your signature counts" in client.post(confirm).content.decode()
    assert access.confirmed_count(petition) == 1


def test_a_petition_past_its_closing_time_takes_no_signature(petition, adam):
    actions.update_petition(
        actor=adam, petition=petition, changes={"closes_at": timezone.now() - timedelta(seconds=1)}
    )
    petition.refresh_from_db()
    with pytest.raises(ValidationError):
        actions.sign_petition(petition=petition, name="Late", email="late@example.org")


def test_a_draft_has_no_public_page(adam, north, client):
    from tests.petitions.conftest import draft_petition

    draft = draft_petition(adam, north)
    assert client.get(_url(draft)).status_code == 404


def test_a_forged_link_confirms_nothing(petition, client):
    assert client.post(_url(petition, "petition_confirm", token="abc:def")).status_code == 400


def test_signing_and_confirming_write_no_audit_event(
    petition, client, django_capture_on_commit_callbacks
):
    before = AuditEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        _sign(client, petition)
    client.post(confirmation_link(mail.outbox[0]))
    assert AuditEvent.objects.count() == before


def test_names_addresses_and_comments_are_encrypted_at_rest(petition):
    actions.sign_petition(
        petition=petition, name="Jo Example", email="jo@example.org", comment="Yes, I sign."
    )
    stored = Signature.objects.values_list("personal", "email_key").get()
    # Each canary holds a character that base64 never writes (a space, "@", ","), so
    # random ciphertext cannot contain one by chance (a two-letter "Jo" did, 1 run in 30).
    assert "Jo Example" not in stored[0]
    assert "jo@" not in stored[0]
    assert "Yes, I" not in stored[0]
    assert len(stored[1]) == 64
    signature = Signature.objects.get()
    assert (signature.name, signature.email, signature.comment) == (
        "Jo Example",
        "jo@example.org",
        "Yes, I sign.",
    )


def test_the_embeddable_counter_shows_the_confirmed_count(petition, client):
    signature = actions.sign_petition(petition=petition, name="A", email="a@example.org")
    assert signature is not None
    actions.confirm_signature(signature=signature)
    response = client.get(_url(petition, "petition_counter"))
    assert "frame-ancestors *" in response["Content-Security-Policy"]
    assert ">1<" in response.content.decode()


def test_a_rush_of_signatures_queues_one_dispatch_that_sends_every_e_mail(
    petition, settings, django_capture_on_commit_callbacks
):
    from django_tasks_db.models import DBTaskResult

    from haven.petitions.tasks import send_confirmations

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    with django_capture_on_commit_callbacks(execute=True):
        for number in range(5):
            actions.sign_petition(petition=petition, name="N", email=f"n{number}@example.org")
    assert DBTaskResult.objects.count() == 1
    assert send_confirmations.call() == 5
    assert sorted(m.to[0] for m in mail.outbox) == [f"n{number}@example.org" for number in range(5)]
    assert not Signature.objects.filter(confirmation_sent_at__isnull=True).exists()
    with django_capture_on_commit_callbacks(execute=True):
        actions.sign_petition(petition=petition, name="N", email="later@example.org")
    assert DBTaskResult.objects.count() == 2, "the dispatcher cleared its flag when it started"


def test_the_drawn_form_follows_the_owner_s_changes_and_the_visitor_s_language(
    petition, adam, client
):
    for text in ("North may e-mail me.", "North may write to me."):
        actions.update_petition(actor=adam, petition=petition, changes={"consent_text": text})
        assert text in client.get(_url(petition)).content.decode()
    assert "North may e-mail me." not in client.get(_url(petition)).content.decode()
    french = client.get(_url(petition), HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Votre nom" in french


def test_every_public_page_answers_head_as_it_answers_get(petition, client):
    kwargs = {"org": "north", "petition": petition.slug}
    for url in [
        reverse("petition_public", kwargs=kwargs),
        reverse("petition_sent", kwargs=kwargs),
        reverse("petition_counter", kwargs=kwargs),
        reverse("petition_confirm", kwargs={**kwargs, "token": "forged"}),
    ]:
        expected = client.get(url).status_code
        assert expected != 405, url
        assert client.head(url).status_code == expected, url


def test_the_page_parts_drawn_once_follow_the_visitors_language_and_the_sites_address(
    petition, client, settings
):
    english = client.get(_url(petition)).content.decode()
    spanish = client.get(_url(petition), HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert ">E-mail</a>" in english
    assert ">Correo electrónico</a>" in spanish
    settings.HAVEN_BASE_URL = "https://petitions.example.net"
    moved = client.get(_url(petition)).content.decode()
    assert f'value="https://petitions.example.net{_url(petition)}"' in moved
