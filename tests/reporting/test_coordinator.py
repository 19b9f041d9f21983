"""A coordinator runs a period end to end (ask, receive, review, publish) and never reaches
a person, a case, or any page or operation of casework."""

from __future__ import annotations

import datetime
import json
from decimal import Decimal

import pytest
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.reporting.models import Publication, PublishedFigure
from tests.conftest import client_for, token_for
from tests.reporting.conftest import build_casework
from tests.reporting.helpers import publish, sample_figures, send_figures, submission_of
from tests.security.conftest import casework_objects
from tests.security.routes import api_operations, example_body, web_routes

pytestmark = pytest.mark.django_db


def auth(user) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_for(user)}"}


CASEWORK_APPS = ("casework", "services", "helpline", "shelter", "records", "workspace")


def _is_casework(permission: str | None, module: str) -> bool:
    return (permission or "").startswith(("casework.", "helpline.")) or any(
        f"haven.{app}." in module for app in CASEWORK_APPS
    )


def test_a_coordinator_gets_404_or_403_on_every_casework_page_and_operation(
    north, coalition, cora, alice
):
    with scopes_disabled():
        objects = casework_objects(north, alice)
    client = client_for(cora)
    headers = auth(cora)
    checked = 0
    for route in web_routes():
        rule = route.rule
        callback_module = getattr(route, "module", "")
        if rule is None or rule.kind != "organisation":
            continue
        from django.urls import resolve

        if not route.params or "org" not in route.params:
            continue
        values = {"org": "north", **objects}
        if any(name not in values for name in route.params):
            continue
        path = route.path(values)
        callback_module = resolve(path).func.__module__
        if not _is_casework(rule.permission, callback_module):
            continue
        for org, expected in (("north", {404}), ("coalition", {403})):
            target = route.path({**values, "org": org})
            for method in ("get", "post"):
                status = getattr(client, method)(target).status_code
                assert status in expected, f"{method.upper()} {target}: {status}"
        checked += 1
    operations = 0
    for operation in api_operations():
        rule = operation.rule
        if (
            rule is None
            or rule.kind != "organisation"
            or not (rule.permission or "").startswith(("casework.", "helpline."))
        ):
            continue
        values = {"org": "north", **objects}
        if any(name not in values for name in operation.params):
            continue
        for org, refusal in (("north", 404), ("coalition", 403)):
            path = operation.path({**values, "org": org})
            # A body the schema accepts, so what answers is the authorisation.
            body = json.dumps(example_body(operation)) if operation.has_body else ""
            response = client.generic(
                operation.method, path, body, content_type="application/json", headers=headers
            )
            assert response.status_code == refusal, f"{operation.label} as cora on {org}"
        operations += 1
    assert checked > 40
    assert operations > 30


def test_the_coordinators_role_grants_nothing_of_casework():
    from haven.accounts.permissions import ROLE_PERMISSIONS

    granted = ROLE_PERMISSIONS[Role.NETWORK_COORDINATOR]
    assert not {p for p in granted if p.startswith(("casework.", "helpline."))}


def test_a_coordinator_runs_a_period_from_asking_to_publishing(
    coalition, north, cora, alice, carol, quarter, django_capture_on_commit_callbacks
):
    client = client_for(cora)
    start, end = quarter
    response = client.post(
        reverse("period_create", kwargs={"org": "coalition"}),
        {
            "kind": "quarter",
            "starts_on": start.isoformat(),
            "deadline": (end + datetime.timedelta(days=30)).isoformat(),
            "categories": ["member"],
            "threshold": "10",
            "epsilon": "0",
            "budget": "0",
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    # The deadline is said as dates are everywhere else, not as ISO.
    from django.utils.formats import date_format

    said = client.get(response["Location"]).content.decode()
    assert date_format(end + datetime.timedelta(days=30)) in said
    from haven.reporting.models import ReportingPeriod

    period = ReportingPeriod.objects.get(network=coalition)
    review = reverse("period_review", kwargs={"org": "coalition", "period_id": period.pk})
    statuses = client.get(review).content.decode()
    assert "North Shelter" in statuses
    assert "Late" in statuses  # the deadline, a month after the quarter, has passed

    build_casework(north, carol, quarter, persons=40)
    member = client_for(alice)
    submission = submission_of(north, period)
    member.post(reverse("report_compute", kwargs={"org": "north", "submission_id": submission.pk}))
    member.post(reverse("report_send", kwargs={"org": "north", "submission_id": submission.pk}))
    left_out = submission_of(north, period).left_out

    page = client.get(review).content.decode()
    assert "Figures received" in page
    assert "Left out" not in page
    assert "left-out" not in page
    assert f"{left_out['persons']} persons" not in page
    with scopes_disabled():
        codes = list(north_person_codes(north))
    assert not any(code in page for code in codes)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("period_publish", kwargs={"org": "coalition", "period_id": period.pk}),
            {
                "tables": ["persons.status", "persons.gender", "services.deliveries"],
                "note": "First",
                "confirm_few_members": "on",
            },
        )
    assert response.status_code == 302
    publication = Publication.objects.get(period=period)
    assert publication.status == "published"
    assert publication.progress == 100
    progress = client.get(
        reverse(
            "publication_progress", kwargs={"org": "coalition", "publication_id": publication.pk}
        )
    )
    assert progress["HX-Refresh"] == "true"
    public = client_for(alice).get(reverse("network_figures", kwargs={"network": "coalition"}))
    body = public.content.decode()
    assert "member organisation" in body
    assert "counts twice" in body
    # North's small cells (fewer than 10 men, say) are withheld.
    assert 'class="number withheld">withheld</td>' in body
    assert PublishedFigure.objects.filter(publication=publication, value__isnull=True).exists()


def north_person_codes(north):
    from haven.casework.models import Person

    return Person.objects.filter(organisation=north).values_list("code", flat=True)


def test_the_public_api_gives_the_published_figures_with_withheld_cells_as_null(
    coalition, north, cora, alice, client
):
    from tests.reporting.helpers import open_period, quarters_back

    period = open_period(
        cora, coalition, quarters_back(1)[0], epsilon=Decimal(0), budget=Decimal(0)
    )
    send_figures(alice, north, period, sample_figures())
    publication = publish(cora, period)
    listed = client.get("/api/networks/coalition/figures").json()
    assert [item["id"] for item in listed] == [publication.pk]
    assert "more than" in listed[0]["headline"]
    detail = client.get(f"/api/networks/coalition/figures/{publication.pk}").json()
    gender = next(table for table in detail["tables"] if table["table"] == "persons.gender")
    men = next(c for c in gender["cells"] if c["category"] == "Masculine" and c["column"] == "")
    assert men["value"] is None
    women = next(c for c in gender["cells"] if c["category"] == "Feminine" and c["column"] == "")
    assert women["value"] is None  # complementary: otherwise the total would give the men away
    status = next(table for table in detail["tables"] if table["table"] == "persons.status")
    total = next(c for c in status["cells"] if c["category"] == "" and c["column"] == "")
    assert Decimal(total["value"]) == 40
    htcds = client.get(
        reverse(
            "network_publication_download",
            kwargs={"network": "coalition", "publication_id": publication.pk},
        )
        + "?format=htcds"
    )
    lines = htcds.content.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("period_start,period_end,org_ShippingCountry,field,value_name")
    assert any(",prs_Gender,Masculine,,yes," in line for line in lines)
    withdrawn = client_for(cora).post(
        reverse(
            "publication_withdraw", kwargs={"org": "coalition", "publication_id": publication.pk}
        )
    )
    assert withdrawn.status_code == 302
    assert client.get("/api/networks/coalition/figures").json() == []
    assert client.get(f"/api/networks/coalition/figures/{publication.pk}").status_code == 404


def test_the_coordinator_api_reviews_without_drafts_or_what_consent_left_out(
    coalition, north, cora, alice, carol, quarter
):
    headers = auth(cora)
    from django.test import Client

    api = Client()
    start, end = quarter
    deadline = end + datetime.timedelta(days=300)
    created = api.post(
        "/api/orgs/coalition/reporting/periods",
        data=json.dumps(
            {"kind": "quarter", "starts_on": start.isoformat(), "deadline": deadline.isoformat(),
             "epsilon": "1.00", "budget": "2.00"}
        ),
        content_type="application/json",
        headers=headers,
    )  # fmt: skip
    assert created.status_code == 201, created.content
    period_id = created.json()["id"]
    build_casework(north, carol, quarter, persons=30)
    member = auth(alice)
    submission_id = api.get("/api/orgs/north/reports", headers=member).json()[0]["id"]
    computed = api.post(f"/api/orgs/north/reports/{submission_id}/compute", headers=member).json()
    assert computed["left_out"]["persons"] > 0
    sent = api.post(
        f"/api/orgs/north/reports/{submission_id}/send",
        data="{}",
        content_type="application/json",
        headers=member,
    ).json()
    assert sent["status"] == "sent"
    assert sent["budget_spent"] == "1.00"
    review = api.get(f"/api/orgs/coalition/reporting/periods/{period_id}", headers=headers)
    text = review.content.decode()
    assert review.status_code == 200
    assert "left_out" not in text
    assert "draft" not in text
    member_row = review.json()["members"][0]
    assert member_row["status"] == "sent"
    gender = next(t for t in review.json()["tables"] if t["table"] == "persons.gender")
    assert all(
        cell["accuracy"] is not None for cell in gender["cells"] if cell["value"] is not None
    )
    published = api.post(
        f"/api/orgs/coalition/reporting/periods/{period_id}/publish",
        data=json.dumps({"tables": ["persons.status"], "confirm_few_members": True}),
        content_type="application/json",
        headers=headers,
    )
    assert published.status_code == 202
    assert published.json()["status"] == "generating"


def test_bad_cells_through_the_api_get_a_message_each(period, north, alice):
    from django.test import Client

    submission = submission_of(north, period)
    response = Client().put(
        f"/api/orgs/north/reports/{submission.pk}/figures",
        data=json.dumps(
            {"cells": [
                {"table": "persons.status", "category": "new", "value": "-1"},
                {"table": "persons.status", "category": "old", "value": "1"},
                {"table": "calls.channel", "category": "phone", "value": "many"},
            ]}
        ),
        content_type="application/json",
        headers=auth(alice),
    )  # fmt: skip
    assert response.status_code == 400
    messages = {error["cell"]: error["message"] for error in response.json()["errors"]}
    assert messages["persons.status|new"] == "Cannot be negative."
    assert "is not a category" in messages["persons.status|old"]
    assert messages["calls.channel|phone"] == "Write a number."
    assert submission_of(north, period).draft == {}


def test_the_dashboard_draws_charts_with_tables_and_exports_them(coalition, north, cora, alice):
    from tests.reporting.helpers import open_period, quarters_back

    for start in quarters_back(3):
        period = open_period(cora, coalition, start, epsilon=Decimal(0), budget=Decimal(0))
        send_figures(alice, north, period, sample_figures(persons=60))
    client = client_for(cora)
    page = client.get(reverse("reporting_dashboard", kwargs={"org": "coalition"}))
    body = page.content.decode()
    assert page.status_code == 200
    assert body.count("<svg") >= 4
    assert body.count("<table") >= body.count("<svg")
    assert "more than 60 persons" in body
    assert "counts twice" in body
    for kind in ("csv", "xlsx"):
        exported = client.get(
            reverse("reporting_dashboard_export", kwargs={"org": "coalition"}) + f"?format={kind}"
        )
        assert exported.status_code == 200
        assert "attachment" in exported["Content-Disposition"]
    printable = client.get(reverse("reporting_dashboard_print", kwargs={"org": "coalition"}))
    assert printable.status_code == 200
    assert "reporting.css" in printable.content.decode()
    refused = client.get(
        reverse("reporting_dashboard", kwargs={"org": "coalition"})
        + "?start=2026-05-01&end=2026-01-01"
    )
    assert refused.status_code == 400
