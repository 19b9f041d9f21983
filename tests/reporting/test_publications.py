"""A period has one publication in force: publishing it again replaces the earlier one,
which is kept (superseded) with its audit trail, on the page and through the API."""

from __future__ import annotations

import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.organisations.models import Membership, Organisation
from haven.privacy.models import AuditEvent
from haven.reporting import publishing
from haven.reporting.actions import request_publication
from haven.reporting.dashboard import headline_text
from haven.reporting.models import Publication
from haven.reporting.periods import previous_periods
from tests.conftest import client_for, make_organisation, make_user
from tests.reporting.helpers import (
    api_headers,
    ask,
    days,
    open_period,
    publish,
    quarters_back,
    sample_figures,
    send_figures,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sent(plain_period, north, alice):
    send_figures(alice, north, plain_period, sample_figures())
    return plain_period


def _statuses(period) -> list[tuple[int, str]]:
    publications = Publication.objects.filter(period=period).order_by("pk")
    return list(publications.values_list("pk", "status"))


def _superseded_by(publication: Publication) -> list[object]:
    with scopes_disabled():
        return [
            event.details["by"]
            for event in AuditEvent.objects.filter(action="reporting.publication_superseded")
            if event.object_id == str(publication.pk)
        ]


def test_publishing_a_period_again_on_the_page_replaces_the_earlier_publication(
    sent, cora, client, django_capture_on_commit_callbacks
):
    url = reverse("period_publish", kwargs={"org": "coalition", "period_id": sent.pk})
    coordinator = client_for(cora)
    for note in ("First", "Second", "Third"):
        with django_capture_on_commit_callbacks(execute=True):
            response = coordinator.post(
                url, {"tables": ["persons.status"], "note": note, "confirm_few_members": "on"}
            )
        assert response.status_code == 302
    (first, _), (second, _), (third, _) = statuses = _statuses(sent)
    assert [status for _pk, status in statuses] == ["superseded", "superseded", "published"]
    assert _superseded_by(Publication.objects.get(pk=first)) == [second]
    assert _superseded_by(Publication.objects.get(pk=second)) == [third]
    public = client.get(reverse("network_figures", kwargs={"network": "coalition"}))
    body = public.content.decode()
    assert "Third" in body
    assert "Earlier publications" not in body
    assert [item["id"] for item in client.get("/api/networks/coalition/figures").json()] == [third]
    review = coordinator.get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": sent.pk})
    )
    assert review.content.decode().count("Replaced by a later publication") == 2


def test_publishing_a_period_again_through_the_api_replaces_the_earlier_publication(
    sent, cora, client, django_capture_on_commit_callbacks
):
    ids = []
    for _ in range(2):
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(
                f"/api/orgs/coalition/reporting/periods/{sent.pk}/publish",
                data=json.dumps({"tables": ["persons.status"], "confirm_few_members": True}),
                content_type="application/json",
                headers=api_headers(cora),
            )
        assert response.status_code == 202
        ids.append(response.json()["id"])
    listed = client.get("/api/networks/coalition/figures").json()
    assert [item["id"] for item in listed] == [ids[1]]
    assert client.get(f"/api/networks/coalition/figures/{ids[0]}").status_code == 404
    earlier = client.get(
        f"/api/orgs/coalition/reporting/publications/{ids[0]}", headers=api_headers(cora)
    )
    assert earlier.json()["status"] == "superseded"


def test_an_earlier_request_generated_after_a_later_one_does_not_replace_it(sent, cora):
    earlier = request_publication(actor=cora, period=sent, few_members_confirmed=True)
    later = publish(cora, sent)
    assert publishing.generate(earlier).status == "superseded"
    assert _statuses(sent) == [(earlier.pk, "superseded"), (later.pk, "published")]
    assert _superseded_by(earlier) == [later.pk]


def _trend(page: str) -> str:
    start = page.index("<h2>Persons supported, by")
    return page[start : page.index("</section>", start)]


def test_the_public_trend_shows_one_kind_of_period_that_of_the_latest_publication(
    coalition, north, alice, cora, client
):
    quarter = open_period(cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=0)
    months = [
        ask(cora, coalition, start, days(30), kind="month", epsilon=Decimal(0), budget=0)
        for start in previous_periods("month", days(0), 2)
    ]
    for period in (*months, quarter):
        send_figures(alice, north, period, sample_figures())
        publish(cora, period)
    page = client.get(reverse("network_figures", kwargs={"network": "coalition"}))
    trend = _trend(page.content.decode())
    # The latest publication is last month's: the trend is of months, and the quarter,
    # whose persons are counted over three months, is not among them.
    assert "Persons supported, by month" in trend
    assert all(month.label in trend for month in months)
    assert quarter.label not in trend


@pytest.fixture
def four_members(coalition, north, alice):
    """North and three more members of the coalition, each with an admin."""
    admins = {"north": alice}
    for slug in ("east", "west", "middle"):
        member = make_organisation(slug, name=slug.title(), country="FR")
        Membership.objects.create(network=coalition, organisation=member, category="member")
        admins[slug] = make_user(f"{slug}-admin", member, Role.ORGANISATION_ADMIN)
    return admins


def _publish_page(client, period, **data):
    return client.post(
        reverse("period_publish", kwargs={"org": "coalition", "period_id": period.pk}),
        {"tables": ["persons.status"], **data},
    )


def test_publishing_the_figures_of_few_members_needs_a_confirmation(
    four_members, coalition, north, alice, cora, client
):
    period = open_period(cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=0)
    send_figures(alice, north, period, sample_figures())
    coordinator = client_for(cora)
    review = coordinator.get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": period.pk})
    ).content.decode()
    warning = "Only 1 of the 4 members asked has sent figures"
    assert warning in review.split('id="few-members"')[1]

    refused = _publish_page(coordinator, period)
    assert refused.status_code == 400
    assert "Confirm that they are to be published all the same." in refused.content.decode()
    # Said once, in the refusal, not again above it.
    assert refused.content.decode().count(warning) == 1
    api = client.post(
        f"/api/orgs/coalition/reporting/periods/{period.pk}/publish",
        data=json.dumps({"tables": ["persons.status"]}),
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert api.status_code == 400
    assert warning in api.json()["detail"]["confirm_few_members"][0]
    assert not Publication.objects.exists()

    assert _publish_page(coordinator, period, confirm_few_members="on").status_code == 302
    assert Publication.objects.count() == 1


def test_the_figures_of_three_members_are_published_without_a_confirmation(
    four_members, coalition, cora
):
    period = open_period(cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=0)
    for slug in ("north", "east", "west"):
        member = Organisation.objects.get(slug=slug)
        send_figures(four_members[slug], member, period, sample_figures())
    coordinator = client_for(cora)
    review = coordinator.get(
        reverse("period_review", kwargs={"org": "coalition", "period_id": period.pk})
    ).content.decode()
    assert 'id="few-members"' not in review
    assert "3 of the 4 members asked have sent figures; only theirs are published." in review
    assert _publish_page(coordinator, period).status_code == 302


def test_the_headline_agrees_with_one_country_and_with_several(sent, cora, client):
    publication = publish(cora, sent)
    assert headline_text(publication) == (
        f"In {sent.label}, 1 member organisation supported more than 40 persons in 1 country."
    )
    page = client.get(reverse("network_figures", kwargs={"network": "coalition"}))
    assert "persons in 1 country." in page.content.decode()
    publication.members, publication.countries = 12, 3
    assert "12 member organisations supported more than 40 persons in 3 countries." in (
        headline_text(publication)
    )


def test_an_unknown_table_is_refused_by_name_and_nothing_is_published(sent, cora, client):
    response = client.post(
        f"/api/orgs/coalition/reporting/periods/{sent.pk}/publish",
        data=json.dumps({"tables": ["persons.status", "nope"], "confirm_few_members": True}),
        content_type="application/json",
        headers=api_headers(cora),
    )
    assert response.status_code == 400
    assert response.json()["detail"]["tables"] == ["There is no table “nope”."]
    assert not Publication.objects.exists()
