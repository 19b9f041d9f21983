"""Each organisation works in its own time zone: the hours its staff see and type, and its
"today", are its own, not the server's UTC."""

from __future__ import annotations

import datetime
import zoneinfo
from typing import Any

import pytest
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.helpline.models import HelplineCall
from haven.organisations.models import Organisation
from haven.timezones import main_zone_of, zone_name_for, zone_of_slug
from tests.conftest import bearer, client_for
from tests.helpline.conftest import call_form

pytestmark = pytest.mark.django_db

KOLKATA = zoneinfo.ZoneInfo("Asia/Kolkata")


@pytest.fixture
def zones_from_countries(settings: Any) -> None:
    settings.HAVEN_ZONE_FROM_COUNTRY = True


@pytest.mark.usefixtures("zones_from_countries")
def test_an_organisation_works_in_its_countrys_main_zone_unless_it_chose_one() -> None:
    assert main_zone_of("es") == "Europe/Madrid"
    assert main_zone_of("IN") == "Asia/Kolkata"
    assert main_zone_of("") == "UTC"
    assert main_zone_of("ZZ") == "UTC"
    assert zone_name_for("", "FR") == "Europe/Paris"
    assert zone_name_for("America/Bogota", "FR") == "America/Bogota"
    assert zone_name_for("Mars/Olympus", "FR") == "Europe/Paris"


def test_a_call_typed_in_the_console_is_read_in_the_organisations_zone(
    north: Organisation, alice: User, carol: User
) -> None:
    settings = f"/api/orgs/{north.slug}/casework/settings"
    answer = client_for(alice).patch(
        settings, {"time_zone": "Asia/Kolkata"}, content_type="application/json", **bearer(alice)
    )
    assert answer.status_code == 200, answer.content
    assert (answer.json()["time_zone"], answer.json()["time_zone_in_use"]) == (
        "Asia/Kolkata",
        "Asia/Kolkata",
    )
    assert zone_of_slug(north.slug) == "Asia/Kolkata"
    console = reverse("helpline_console", kwargs={"org": north.slug})
    before = timezone.localtime(timezone.now(), KOLKATA)
    page = client_for(carol).get(console).content.decode()
    now_there = timezone.localtime(timezone.now(), KOLKATA)
    # The form's start is Kolkata's clock (UTC+5:30), and the browser is told the zone.
    assert f'value="{before:%Y-%m-%dT%H:}' in page or f'value="{now_there:%Y-%m-%dT%H:}' in page
    assert 'data-time-zone="Asia/Kolkata"' in page
    typed = now_there.replace(second=0, microsecond=0) - datetime.timedelta(minutes=30)
    response = client_for(carol).post(
        console, call_form(started_at=typed.strftime("%Y-%m-%dT%H:%M"))
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        call = HelplineCall.objects.get()
    assert call.started_at == typed
    # Read in UTC, it is five and a half hours earlier.
    assert timezone.localtime(call.started_at, datetime.UTC).hour == (
        typed.astimezone(datetime.UTC).hour
    )


@pytest.mark.usefixtures("zones_from_countries")
def test_a_time_zone_outside_the_list_is_refused_and_changes_nothing(
    north: Organisation, alice: User
) -> None:
    settings = f"/api/orgs/{north.slug}/casework/settings"
    answer = client_for(alice).patch(
        settings, {"time_zone": "Mars/Olympus"}, content_type="application/json", **bearer(alice)
    )
    assert answer.status_code == 400
    assert "time_zone" in answer.json()["detail"]
    current = client_for(alice).get(settings, **bearer(alice)).json()
    assert (current["time_zone"], current["time_zone_in_use"]) == ("", "Europe/Paris")


@pytest.mark.usefixtures("zones_from_countries")
def test_the_settings_page_offers_the_countrys_zones_first(
    north: Organisation, alice: User
) -> None:
    page = client_for(alice).get(reverse("casework_settings", kwargs={"org": north.slug}))
    text = page.content.decode()
    assert "Europe/Paris (the main zone of your country)" in text
    assert text.index('value="Europe/Paris"') < text.index('value="Africa/Abidjan"')
    response = client_for(alice).post(
        reverse("casework_settings", kwargs={"org": north.slug}),
        {
            "terminology": "person",
            "code_prefix": "P",
            "person_retention_months": "60",
            "call_retention_months": "24",
            "time_zone": "America/Bogota",
        },
    )
    assert response.status_code == 302
    assert zone_of_slug(north.slug) == "America/Bogota"


def _in_kolkata(north: Organisation, alice: User) -> None:
    answer = client_for(alice).patch(
        f"/api/orgs/{north.slug}/casework/settings",
        {"time_zone": "Asia/Kolkata"},
        content_type="application/json",
        **bearer(alice),
    )
    assert answer.status_code == 200, answer.content


def test_a_date_and_time_field_names_the_zone_it_is_read_in(
    north: Organisation, alice: User
) -> None:
    from haven.accounts.permissions import Role
    from tests.conftest import make_user

    _in_kolkata(north, alice)
    officer = make_user("officer", north, Role.ADVOCACY_OFFICER, mfa=False)
    page = client_for(officer).get(reverse("petition_create", kwargs={"org": north.slug}))
    assert "Closes at (Asia/Kolkata)" in page.content.decode()
    assert "(UTC)" not in page.content.decode(), "the label once said UTC and meant Kolkata"


def test_a_publication_at_the_calendars_edge_is_refused_not_a_crash(
    north: Organisation, alice: User
) -> None:
    from django.core.exceptions import ValidationError

    from haven.accounts.permissions import Role
    from haven.news import actions
    from tests.conftest import make_user

    officer = make_user("officer", north, Role.ADVOCACY_OFFICER, mfa=False)
    with scopes_disabled():
        post = actions.create_post(
            actor=officer, owner=north, language="en", title="Post", body="Text."
        )
        edge = datetime.datetime(9999, 12, 31, 23, 59, tzinfo=zoneinfo.ZoneInfo("America/New_York"))
        with pytest.raises(ValidationError, match="Give a date up to"):
            actions.update_post(actor=officer, post=post, changes={"publish_at": edge})
