"""Registration questions in the event's languages: the owner translates them, each reader
sees their own language, and every answer reads the same whatever language it was given in."""

from __future__ import annotations

import io
import json
from typing import Any

import pytest
import pyzipper  # type: ignore[import-untyped]
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import access, actions
from haven.events.models import Event, Question, QuestionText, Registration
from haven.organisations.models import Organisation
from tests.conftest import bearer, client_for, make_user
from tests.events.world import published_event

pytestmark = pytest.mark.usefixtures("unscoped")

DIETS = "None\nVegetarian\nVegan"


@pytest.fixture
def officer(north: Organisation) -> User:
    return make_user("olga", north, Role.ADVOCACY_OFFICER, mfa=False)


@pytest.fixture
def event(north: Organisation, officer: User) -> Event:
    return published_event(north, officer, languages=["en", "fr", "es"])


@pytest.fixture
def diet(officer: User, event: Event) -> Question:
    return actions.save_question(
        actor=officer,
        event=event,
        label="Dietary needs",
        kind="choice",
        help_text="For the lunch.",
        choices=DIETS,
        required=True,
    )


def translate_diet(officer: User, event: Event, diet: Question) -> None:
    actions.set_question_text(
        actor=officer,
        event=event,
        question=diet,
        language="fr",
        label="Régime alimentaire",
        help_text="Pour le déjeuner.",
        choices="Aucun\nVégétarien\nVégane",
    )


def public_url(event: Event, name: str) -> str:
    return reverse(name, kwargs={"org": event.owner.slug, "event": event.slug})


def staff_url(event: Event, name: str) -> str:
    return reverse(name, kwargs={"org": event.owner.slug, "event_id": event.pk})


def exported_rows(staff: Client, event: Event) -> list[str]:
    response = staff.post(
        staff_url(event, "event_export"),
        {"file_format": "csv", "passphrase": "a long passphrase"},
    )
    with pyzipper.AESZipFile(io.BytesIO(response.content)) as archive:
        archive.setpassword(b"a long passphrase")
        [name] = archive.namelist()
        return list(archive.read(name).decode("utf-8-sig").splitlines())


def test_a_french_registrant_reads_french_and_answers_as_an_english_one_does(
    client: Client, officer: User, event: Event, diet: Question
) -> None:
    translate_diet(officer, event, diet)
    french = client.get(public_url(event, "event_register"), HTTP_ACCEPT_LANGUAGE="fr")
    page = french.content.decode()
    assert "Régime alimentaire" in page
    assert "Pour le déjeuner." in page
    assert '<option value="Vegetarian">Végétarien</option>' in page
    assert "Dietary needs" not in page
    english = client.get(public_url(event, "event_register"), HTTP_ACCEPT_LANGUAGE="en")
    assert '<option value="Vegetarian">Vegetarian</option>' in english.content.decode()

    for name, language in (("Amélie", "fr"), ("Anna", "en")):
        answered = client.post(
            public_url(event, "event_register"),
            {"name": name, "email": f"{language}@example.org", f"question_{diet.pk}": "Vegetarian"},
            HTTP_ACCEPT_LANGUAGE=language,
        )
        assert answered.status_code == 302
    rows = {row.language: row.answers for row in Registration.objects.filter(event=event)}
    assert rows == {"fr": {str(diet.pk): "Vegetarian"}, "en": {str(diet.pk): "Vegetarian"}}

    staff = client_for(officer)
    listed = staff.get(staff_url(event, "event_registrations")).content.decode()
    assert listed.count("Vegetarian") == 2
    assert "Végétarien" not in listed
    exported = exported_rows(staff, event)
    amelie = next(row for row in exported if row.startswith("Amélie") or ",Amélie," in row)
    anna = next(row for row in exported if row.startswith("Anna") or ",Anna," in row)
    assert amelie.endswith(",Vegetarian")
    assert anna.endswith(",Vegetarian")


def test_without_a_translation_the_original_is_shown(
    client: Client, officer: User, event: Event, diet: Question
) -> None:
    translate_diet(officer, event, diet)
    spanish = client.get(public_url(event, "event_register"), HTTP_ACCEPT_LANGUAGE="es")
    page = spanish.content.decode()
    assert "Dietary needs" in page
    assert '<option value="Vegan">Vegan</option>' in page
    # A translation without help or choices shows the original's.
    actions.set_question_text(
        actor=officer, event=event, question=diet, language="fr", label="Régime"
    )
    french = client.get(public_url(event, "event_register"), HTTP_ACCEPT_LANGUAGE="fr")
    page = french.content.decode()
    assert "Régime" in page
    assert "For the lunch." in page
    assert '<option value="Vegan">Vegan</option>' in page


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"choices": "Aucun\nVégétarien"}, "choices"),
        ({"choices": "Aucun\nVégétarien\nVégane\nSans gluten"}, "choices"),
        ({"language": "de"}, "language"),
        ({"language": "en"}, "language"),
        ({"language": "not a language"}, "language"),
        ({"label": "x" * 201}, None),
    ],
)
def test_bad_translations_are_refused_and_change_nothing(
    officer: User, event: Event, diet: Question, changes: dict[str, str], field: str | None
) -> None:
    translate_diet(officer, event, diet)
    values: dict[str, Any] = {"language": "fr", "label": "Nouveau", "choices": "A\nB\nC", **changes}
    with pytest.raises(ValidationError) as refused:
        actions.set_question_text(actor=officer, event=event, question=diet, **values)
    if field is not None:
        assert field in refused.value.message_dict
    [text] = QuestionText.objects.filter(question=diet)
    assert (text.language, text.label, text.choices) == (
        "fr",
        "Régime alimentaire",
        "Aucun\nVégétarien\nVégane",
    )


def test_the_owner_translates_a_question_on_the_questions_page(
    officer: User, event: Event, diet: Question
) -> None:
    staff = client_for(officer)
    page_url = staff_url(event, "event_questions")
    page = staff.get(page_url).content.decode()
    assert f'name="t{diet.pk}-fr-label"' in page
    assert f'name="t{diet.pk}-es-label"' in page
    form = {"translate": str(diet.pk), "language": "fr", f"t{diet.pk}-fr-label": "Régime"}
    wrong = staff.post(page_url, {**form, f"t{diet.pk}-fr-choices": "Aucun\nVégane"})
    assert wrong.status_code == 400
    assert "Give 3 choices, one per line" in wrong.content.decode()
    assert not QuestionText.objects.exists()
    outsider = staff.post(page_url, {**form, "language": "de"})
    assert outsider.status_code == 400
    assert not QuestionText.objects.exists()

    saved = staff.post(page_url, {**form, f"t{diet.pk}-fr-choices": "Aucun\nVégétarien\nVégane"})
    assert saved.status_code == 302
    [text] = QuestionText.objects.filter(question=diet)
    assert (text.language, text.label) == ("fr", "Régime")
    assert "Végétarien" in staff.get(page_url).content.decode()
    assert staff.post(page_url, {**form, f"t{diet.pk}-fr-label": ""}).status_code == 302
    assert not QuestionText.objects.exists()


def test_rewriting_the_original_choices_drops_the_translated_ones(
    client: Client, officer: User, event: Event, diet: Question
) -> None:
    translate_diet(officer, event, diet)
    actions.save_question(
        actor=officer,
        event=event,
        question=diet,
        label="Dietary needs",
        kind="choice",
        choices=f"{DIETS}\nHalal",
    )
    [text] = QuestionText.objects.filter(question=diet)
    assert (text.label, text.choices) == ("Régime alimentaire", "")
    french = client.get(public_url(event, "event_register"), HTTP_ACCEPT_LANGUAGE="fr")
    assert '<option value="Halal">Halal</option>' in french.content.decode()


def test_the_door_reads_the_question_in_its_language(
    officer: User, event: Event, diet: Question
) -> None:
    actions.save_question(
        actor=officer,
        event=event,
        question=diet,
        label="Dietary needs",
        kind="choice",
        choices=DIETS,
        show_at_door=True,
    )
    translate_diet(officer, event, diet)
    actions.register(
        event=event, name="Anna", email="anna@example.org", answers={str(diet.pk): "Vegan"}
    )
    door = client_for(officer)
    door_url = staff_url(event, "event_door")
    french = door.get(f"{door_url}?q=Anna", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Régime alimentaire" in french
    assert "Végane" in french


def test_translations_through_the_api(adam: User, event: Event, diet: Question) -> None:
    client = Client()
    path = f"/api/orgs/{event.owner.slug}/events/{event.pk}/questions/texts"
    body: dict[str, Any] = {
        "question_id": diet.pk,
        "language": "fr",
        "label": "Régime alimentaire",
        "choices": "Aucun\nVégétarien\nVégane",
    }

    def put(values: dict[str, Any]) -> Any:
        return client.put(path, json.dumps(values), content_type="application/json", **bearer(adam))

    saved = put(body)
    assert saved.status_code == 200, saved.content
    assert saved.json()["texts"] == [
        {
            "language": "fr",
            "label": "Régime alimentaire",
            "help_text": "",
            "choices": ["Aucun", "Végétarien", "Végane"],
        }
    ]
    listed = client.get(
        f"/api/orgs/{event.owner.slug}/events/{event.pk}/questions", **bearer(adam)
    ).json()
    assert listed[0]["texts"][0]["label"] == "Régime alimentaire"
    public = client.get(f"/api/events/{event.owner.slug}/{event.slug}").json()
    assert public["questions"][0]["texts"][0]["choices"][1] == "Végétarien"
    assert put({**body, "choices": "Aucun"}).status_code == 400
    assert put({**body, "language": "de"}).status_code == 400
    assert put({**body, "question_id": diet.pk + 1000}).status_code == 400
    assert QuestionText.objects.get(question=diet).choices == "Aucun\nVégétarien\nVégane"
    schema = client.get("/api/openapi.json").json()
    assert "/api/orgs/{org}/events/{event_id}/questions/texts" in schema["paths"]


def test_the_registrant_reads_their_answers_in_the_page_language(
    client: Client, officer: User, event: Event, diet: Question
) -> None:
    translate_diet(officer, event, diet)
    booker = actions.register(
        event=event, name="Anna", email="anna@example.org", answers={str(diet.pk): "Vegan"}
    ).booker
    assert booker is not None
    page_url = reverse(
        "event_registration",
        kwargs={"org": event.owner.slug, "event": event.slug, "token": access.manage_token(booker)},
    )
    french = client.get(page_url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "<dt>Régime alimentaire</dt><dd>Végane</dd>" in french
    spanish = client.get(page_url, HTTP_ACCEPT_LANGUAGE="es").content.decode()
    assert "<dt>Dietary needs</dt><dd>Vegan</dd>" in spanish
