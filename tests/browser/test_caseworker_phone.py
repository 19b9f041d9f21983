"""A caseworker records a person, a service and a helpline call on a phone-sized screen."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.urls import reverse
from django_scopes import scopes_disabled

from haven.accounts.permissions import Role
from haven.casework.models import Consent, Person
from haven.helpline.models import HelplineCall
from haven.services.models import ServiceDelivery, ServiceType
from tests.browser.conftest import PHONE, Console
from tests.conftest import client_for, make_organisation, make_user

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

GIVEN_NAME = "Zuzanna"


WIDER_THAN_THE_SCREEN = """width => [...document.querySelectorAll('main *')]
    .filter(element => element.getBoundingClientRect().right > width)
    .slice(0, 5)
    .map(element => `${element.tagName.toLowerCase()}#${element.id}.${element.className}`
        + ` ${Math.round(element.getBoundingClientRect().right)}px`)"""


def fits_the_screen(page: Any) -> bool:
    """Nothing wider than the phone's screen; names the first culprits otherwise."""
    if page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]:
        return True
    culprits = page.evaluate(WIDER_THAN_THE_SCREEN, PHONE["width"])
    pytest.fail(f"{page.url} is wider than the screen: {culprits}", pytrace=False)


def food_parcel() -> ServiceType:
    # The default catalogue comes from a data migration, which an earlier transactional
    # test's flush may have emptied.
    service_type, _created = ServiceType.objects.get_or_create(
        organisation=None,
        code="food_parcel",
        defaults={"name": "Food parcel", "category": "basic_needs", "unit": "parcel"},
    )
    return service_type


def test_a_caseworker_records_a_person_a_service_and_a_call_on_a_phone(
    phone_page: Any, console: Console, flushable_audit_trail: None, live_server: Any
) -> None:
    north = make_organisation("north", name="North Shelter")
    # Logging in through the form is test_login_mfa's business; a one-time code typed at
    # the turn of its 30-second period would make this test flaky.
    caseworker = make_user("carla", north, Role.CASEWORKER)
    parcel = food_parcel()
    page = phone_page
    session = client_for(caseworker).cookies[settings.SESSION_COOKIE_NAME].value
    page.context.add_cookies(
        [{"name": settings.SESSION_COOKIE_NAME, "value": session, "url": live_server.url}]
    )
    page.goto(f"{live_server.url}/")
    page.wait_for_url(re.compile(r"/o/north/$"))

    # Intake, reached from the site header.
    navigation = page.get_by_role("navigation", name="Main")
    navigation.get_by_role("link", name="People", exact=True).click()
    page.wait_for_url(re.compile(r"/o/north/people/$"))
    page.get_by_role("link", name=re.compile(r"^Record a new ")).click()
    page.wait_for_url(re.compile(r"/o/north/people/new/$"))
    assert fits_the_screen(page)
    page.get_by_label("Given name").fill(GIVEN_NAME)
    page.get_by_label("Sex / gender").select_option("Feminine")
    page.get_by_label("Age band").select_option("25-34")
    assert page.input_value("#id_consent_given_on") != ""
    page.get_by_label("How consent was obtained").select_option("verbal")
    page.locator("main form button[type=submit]").click()

    page.wait_for_url(re.compile(r"/o/north/people/[0-9a-f-]{36}/details/$"))
    heading = page.locator("main h1").inner_text()
    code_match = re.search(r"P-\d{5}", heading)
    assert code_match is not None, heading
    code = code_match.group()
    assert f"Recorded with the code {code}." in page.inner_text("main .messages")
    assert GIVEN_NAME not in page.inner_text("main")
    assert fits_the_screen(page)
    with scopes_disabled():
        person = Person.objects.get(organisation=north)
    assert person.code == code

    # A service, from the person's page: the link names the person and comes back to it.
    person_url = reverse("person_page", kwargs={"org": "north", "person_id": person.pk})
    page.goto(f"{live_server.url}{person_url}")
    assert page.locator("main h1").inner_text().endswith(code)
    page.locator("main").get_by_role("link", name="Record a service", exact=True).click()
    page.wait_for_url(re.compile(rf"/o/north/services/record/\?person={person.pk}&next="))
    assert page.input_value("input[name=person]") == code
    assert fits_the_screen(page)
    page.select_option("select[name=service_type]", str(parcel.pk))
    page.fill("input[name=quantity]", "2")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(re.compile(rf"{re.escape(person_url)}$"))
    assert "Service recorded." in page.inner_text("main .messages")

    # A helpline call linked to the person's code, saved with Enter.
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Helpline").click()
    page.wait_for_url(re.compile(r"/o/north/helpline/$"))
    assert fits_the_screen(page)
    page.check("input[name=caller_type][value=person_concerned]")
    page.check("input[name=outcome][value=referred_internal]")
    page.fill("input[name=person_code]", code.lower())
    page.focus("input[name=person_code]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#call-form .message-success")
    row = page.locator("#today-calls .call-row")
    row.wait_for()
    assert code in row.inner_text()

    # The person's page, reached from the call, shows both.
    row.get_by_role("link").click()
    page.wait_for_url(re.compile(r"/o/north/helpline/calls/[0-9a-f-]{36}/$"))
    page.get_by_role("link", name=code, exact=True).click()
    page.wait_for_url(re.compile(rf"{re.escape(person_url)}$"))
    timeline = page.locator("main ol.timeline")
    service_item = timeline.locator("li.timeline-service")
    call_item = timeline.locator("li.timeline-call")
    assert service_item.count() == 1
    assert "Food parcel" in service_item.inner_text()
    assert "2 parcel" in service_item.inner_text()
    assert call_item.count() == 1
    assert "Helpline: Phone" in call_item.inner_text()
    assert "Person concerned" in call_item.inner_text()
    assert "Referred within the organisation" in call_item.inner_text()
    assert timeline.locator("li.timeline-consent_given").count() == 1
    assert fits_the_screen(page)

    with scopes_disabled():
        person = Person.objects.get(pk=person.pk)
        assert person.given_name == GIVEN_NAME
        assert (person.gender, person.age_band) == ("Feminine", "25-34")
        consent = Consent.objects.get(person=person)
        assert (consent.purpose, consent.method) == ("casework", "verbal")
        delivery = ServiceDelivery.objects.get(person=person)
        assert (delivery.service_type_id, delivery.quantity, delivery.staff) == (
            parcel.pk,
            Decimal(2),
            caseworker,
        )
        call = HelplineCall.objects.get(person=person)
        assert (call.caller_type, call.outcome, call.operator) == (
            "person_concerned",
            "referred_internal",
            caseworker,
        )
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT given_name FROM {Person._meta.db_table}")
        (stored,) = [str(row[0]) for row in cursor.fetchall()]
    assert stored
    assert GIVEN_NAME.lower() not in stored.lower()

    assert console.csp_violations() == []
    assert console.failed_requests == []
