"""A petition's confirmation e-mail goes through a real SMTP server on loopback, in French."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse

from haven.petitions import access


def test_the_confirmation_e_mail_travels_through_smtp_in_the_signers_language_and_its_link_works(
    smtp_server, petition, django_capture_on_commit_callbacks
):
    client = Client(headers={"Accept-Language": "fr"})
    url = reverse("petition_public", kwargs={"org": "north", "petition": petition.slug})
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url, {"name": "Camille", "email": "camille@example.org"})
    assert response.status_code == 302
    [(sender, recipients, message)] = smtp_server.messages
    assert sender == "haven@example.org"
    assert recipients == ["camille@example.org"]
    assert message["Content-Language"] == "fr"
    assert message["Subject"].startswith("Confirmez votre signature")
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    assert "Confirmer ma signature" in html
    link = next(line for line in text.splitlines() if "/confirm/" in line)
    path = "/" + link.strip().split("://", 1)[1].split("/", 1)[1]
    assert client.post(path).status_code == 200
    assert access.confirmed_count(petition) == 1
