"""Through the API: a letter from draft to published with 85 co-signatories in three groups."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from django.core import mail
from django.test import Client
from django.utils import timezone

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.letters.models import OrganisationSignature
from haven.organisations.models import Membership, Network
from tests.conftest import bearer, client_for, make_organisation, make_user
from tests.letters.conftest import draft_letter, token_of


def _json(response):
    return json.loads(response.content)


def _post(client: Client, path: str, body: dict[str, Any], **headers: Any):
    return client.post(path, json.dumps(body), content_type="application/json", **headers)


def test_a_letter_goes_from_draft_to_published_with_85_signatories_through_the_api(
    ada, coalition, north, alice, django_capture_on_commit_callbacks
):
    client = Client()
    owner: dict[str, Any] = bearer(ada)
    created = _post(
        client,
        "/api/orgs/coalition/letters",
        {
            "language": "en",
            "title": "Letter from 85 NGOs",
            "body": "Dear Delegates,\n\nWe welcome the standard setting process.",
            "addressees": "Delegates of the Standard Setting Committee",
            "contact_name": "Gaia Example",
            "contact_email": "gaia@coalition.example.org",
        },
        **owner,
    )
    assert created.status_code == 201, created.content
    letter = _json(created)
    base = f"/api/orgs/coalition/letters/{letter['id']}"
    annex = client.put(
        f"{base}/texts/en",
        json.dumps({"annex": "I- A system of exploitation\n\nEvidence follows."}),
        content_type="application/json",
        **owner,
    )
    assert annex.status_code == 200
    french = client.put(
        f"{base}/texts/fr",
        json.dumps({"title": "Lettre de 85 ONG", "body": "Mesdames et Messieurs les délégués,"}),
        content_type="application/json",
        **owner,
    )
    assert french.status_code == 200
    assert _json(_post(client, f"{base}/status", {"move": "open"}, **owner))["status"] == "open"
    groups = {group["name"]: group["id"] for group in letter["categories"]}

    # Group 1: the network and its members (north and 39 more); group 2: international networks.
    members = [north]
    for number in range(39):
        members.append(
            make_organisation(f"member-{number}", name=f"Member {number:02d}", country="FR")
        )
        Membership.objects.create(network=coalition, organisation=members[-1], category="member")
    networks = []
    for number in range(6):
        networks.append(
            make_organisation(f"network-{number}", name=f"Network {number}", kind="network")
        )
        Membership.objects.create(
            network=coalition, organisation=networks[-1], category="international_network"
        )
    for organisation in [*members, *networks]:
        signer = (
            alice
            if organisation == north
            else make_user(
                f"signer-{organisation.slug}", organisation, Role.ADVOCACY_OFFICER, mfa=False
            )
        )
        signed = _post(
            client,
            f"/api/orgs/{organisation.slug}/letters-to-sign/{letter['id']}/signature",
            {"signer_role": "Director"},
            **bearer(signer),
        )
        assert signed.status_code == 201, signed.content
        assert _json(signed)["status"] == "approved"

    # Group 3: 39 domestic NGOs outside Haven ask, confirm by e-mail, and are approved.
    public = f"/api/letters/coalition/{letter['slug']}"
    for number in range(39):
        with django_capture_on_commit_callbacks(execute=True):
            asked = _post(
                client,
                f"{public}/requests",
                {
                    "name": f"Domestic NGO {number:02d}",
                    "country": "SE",
                    "category_id": groups["Domestic NGOs"],
                    "signer_name": "Signer",
                    "signer_role": "Chair",
                    "signer_email": f"chair{number}@ngo{number}.example.org",
                },
            )
        assert asked.status_code == 202, asked.content
        token = token_of(mail.outbox[-1])
        assert _post(client, f"{public}/requests/confirm", {"token": token}).status_code == 200
    waiting = client.get(f"{base}/signatures?status=pending", **owner)
    assert len(_json(waiting)) == 39
    for signature in _json(waiting):
        decided = _post(
            client, f"{base}/signatures/{signature['id']}/decision", {"approve": True}, **owner
        )
        assert decided.status_code == 200
        assert _json(decided)["organisation_id"] is not None

    assert client.get(public).status_code == 404, "not public before publication"
    published = _post(client, f"{base}/status", {"move": "publish"}, **owner)
    assert _json(published)["signatures"] == 85
    shown = _json(client.get(public))
    assert shown["count"] == 85
    assert [(group["name"], len(group["signatories"])) for group in shown["groups"]] == [
        ("Coalition and its members", 40),
        ("International networks", 6),
        ("Domestic NGOs", 39),
    ]
    assert shown["groups"][2]["signatories"][0] == {"name": "Domestic NGO 00", "country": "SE"}
    french_page = _json(client.get(f"{public}?lang=fr"))
    assert french_page["title"] == "Lettre de 85 ONG"
    assert (
        OrganisationSignature.objects.filter(letter_id=letter["id"], status="approved").count()
        == 85
    )


def test_the_api_refuses_to_move_a_public_letters_publication_date_into_the_future(letter, ada):
    client, owner = Client(), bearer(ada)
    path = f"/api/orgs/coalition/letters/{letter.pk}"
    assert (
        client.patch(
            path, json.dumps({"signature_deadline": None}), "application/json", **owner
        ).status_code
        == 200
    )
    published = _post(client, f"{path}/status", {"move": "publish"}, **owner)
    assert published.status_code == 200
    before = _json(published)["publish_at"]
    assert Client().get(f"/api/letters/coalition/{letter.slug}").status_code == 200
    later = (timezone.now() + timedelta(days=2)).isoformat()
    refused = client.patch(
        path, json.dumps({"publish_at": later, "hashtags": "#Later"}), "application/json", **owner
    )
    assert refused.status_code == 400
    assert _json(refused)["detail"]["publish_at"] == [
        "This letter is already public: its publication date may move earlier, not into the future."
    ]
    stored = _json(client.get(path, **owner))
    assert stored["publish_at"] == before
    letter.refresh_from_db()
    assert letter.hashtags == "#EndExploitation #Equality"
    assert Client().get(f"/api/letters/coalition/{letter.slug}").status_code == 200


def test_an_outsider_token_reaches_no_letter_of_another_organisation(letter, bob):
    outsider: dict[str, Any] = bearer(bob)
    response = Client().get(f"/api/orgs/coalition/letters/{letter.pk}", **outsider)
    assert response.status_code == 404


# An outside organisation's request to sign, through the public API.
OUTSIDE_REQUEST = {
    "name": "Casa Luz",
    "country": "AR",
    "signer_name": "Ana",
    "signer_role": "Chair",
    "signer_email": "ana@casaluz.example.org",
}


def test_the_public_request_answers_the_same_for_a_repeat_and_refuses_bad_input(letter):
    client = Client()
    body = dict(OUTSIDE_REQUEST)
    path = f"/api/letters/coalition/{letter.slug}/requests"
    first = _post(client, path, body)
    again = _post(client, path, {**body, "name": "CASA  LUZ"})
    assert first.status_code == again.status_code == 202
    assert _json(first) == _json(again)
    assert OrganisationSignature.objects.filter(letter=letter).count() == 1
    assert _post(client, path, {**body, "country": "Argentina"}).status_code == 400
    assert _post(client, path, {**body, "signer_email": "x@mailinator.com"}).status_code == 400


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "   "),
        ("signer_name", "  "),
        ("country", "ZZ"),
        ("language", "!!"),
    ],
)
def test_a_public_request_the_owner_could_not_read_or_approve_is_refused(letter, field, value):
    body = {**OUTSIDE_REQUEST, field: value}
    response = _post(Client(), f"/api/letters/coalition/{letter.slug}/requests", body)
    assert response.status_code == 400, response.content
    assert not OrganisationSignature.objects.filter(letter=letter).exists()
    assert mail.outbox == []


def test_the_public_request_is_rate_limited_with_a_429(letter, settings):
    settings.HAVEN_RATE_PER_IP = "1/10m"
    client = Client()
    body = {
        "name": "One",
        "country": "AR",
        "signer_name": "Ana",
        "signer_role": "Chair",
        "signer_email": "ana@one.example.org",
    }
    path = f"/api/letters/coalition/{letter.slug}/requests"
    assert _post(client, path, body).status_code == 202
    limited = _post(client, path, {**body, "name": "Two"})
    assert limited.status_code == 429
    assert "Too many attempts" in _json(limited)["detail"]


def test_a_moment_sent_without_its_offset_is_read_in_the_organisations_time_zone(
    ada: User, coalition: Network
) -> None:
    letter = draft_letter(ada, coalition.organisation)
    url = f"/api/orgs/coalition/letters/{letter.pk}"
    aware = {"signature_deadline": "2029-01-02T00:00:00Z"}
    assert _patch(url, aware, ada).status_code == 200
    # Compared with the stored, aware deadline: a naive moment once crashed here (500).
    response = _patch(url, {"publish_at": "2030-01-01T00:00:00"}, ada)
    assert response.status_code == 200, response.content
    assert response.json()["publish_at"].startswith("2030-01-01T00:00:00")


@pytest.mark.parametrize("moment", ["9999-12-31T23:59:59Z", "0001-01-01T00:00:00", "1999-12-31"])
def test_a_moment_at_the_calendars_edge_is_refused_with_a_clear_message(
    ada: User, coalition: Network, moment: str
) -> None:
    letter = draft_letter(ada, coalition.organisation)
    response = _patch(
        f"/api/orgs/coalition/letters/{letter.pk}", {"signature_deadline": moment}, ada
    )
    assert response.status_code == 400
    assert "Give a date" in response.content.decode()
    assert client_for(ada).get("/o/coalition/letters/").status_code == 200


def _patch(url: str, body: dict[str, str], user: User) -> Any:
    return Client().patch(url, body, content_type="application/json", **bearer(user))
