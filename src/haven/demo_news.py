"""The demo's news: posts about the reference events and the demo letter.

1. The global coalition announces its online side event, in English, French and Spanish,
   linking the side event and the published open letter.
2. Harbour Light invites to its Paris evening, linking the evening, the coalition's letter
   (Harbour Light is a member) and its own petition.
3. The coalition's colloquium is full: a post points to the waiting list.
4. Harbour Light's recording of the past conference, under embargo until tomorrow.
5. A draft of Harbour Light, not public.

Written only through haven.news.actions, after build_advocacy and build_events.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.demo_advocacy import TITLE as LETTER_TITLE
from haven.demo_events import COLLOQUIUM, EVENING, PAST, SIDE_EVENT
from haven.events.models import Event
from haven.letters.models import Letter
from haven.news import actions
from haven.news.models import Post
from haven.organisations.models import Organisation
from haven.petitions.models import Petition

SIDE_EVENT_POST = "States, UN bodies and survivor leaders meet online on exploitation"
EVENING_POST = "Survivors break the silence in Paris: join us"
COLLOQUIUM_POST = "The colloquium is full: join the waiting list"
RECORDING_POST = "Watch the full conference on a law against exploitation"
DRAFT_POST = "What we heard at the door: notes for the next evening"


def _post(
    officer: User,
    owner: Organisation,
    texts: dict[str, tuple[str, str, str]],
    links: list[tuple[str, int]],
    *,
    hashtags: str = "",
    published_days_ago: float | None = None,
) -> Post:
    """A post in the languages of ``texts`` ({language: (title, summary, body)}), the first
    its original; published that many days ago (negative: under embargo), else a draft."""
    (language, (title, summary, body)), *others = texts.items()
    post = actions.create_post(
        actor=officer,
        owner=owner,
        language=language,
        title=title,
        summary=summary,
        body=body,
        hashtags=hashtags,
    )
    for other, (title, summary, body) in others:
        actions.save_text(
            actor=officer, post=post, language=other, title=title, summary=summary, body=body
        )
    actions.set_links(actor=officer, post=post, links=links)
    if published_days_ago is not None:
        moment = timezone.now() - timedelta(days=published_days_ago)
        post = actions.move_post(actor=officer, post=post, move="publish", publish_at=moment)
    return post


def build_news(*, network_slug: str, frontline_slug: str) -> None:
    """Load the demo posts (after build_advocacy and build_events)."""
    network = Organisation.objects.get(slug=network_slug)
    frontline = Organisation.objects.get(slug=frontline_slug)
    coordinator = User.objects.get(
        role_assignments__organisation=network, role_assignments__role=Role.ADVOCACY_OFFICER
    )
    advocate = User.objects.get(
        role_assignments__organisation=frontline, role_assignments__role=Role.ADVOCACY_OFFICER
    )
    with scopes_disabled():
        events = {event.title: event.pk for event in Event.objects.all()}
        letter = Letter.objects.filter(owner=network, texts__title=LETTER_TITLE).get()
        petition = Petition.objects.filter(owner=frontline).order_by("pk").first()
        _post(
            coordinator,
            network,
            {
                "en": (
                    SIDE_EVENT_POST,
                    "Our online side event gathers France, Iceland and Sweden with OHCHR and "
                    "OSCE/ODIHR, in four languages. Register for your personal joining link.",
                    "In three weeks the coalition holds a **side event** parallel to the Human "
                    "Rights Council, co-sponsored by three states and in cooperation with two "
                    "intergovernmental bodies.\n\nSurvivor leaders open the panel. The event "
                    "follows our open letter to the standard-setting committee, signed by 85 "
                    "organisations.",
                ),
                "fr": (
                    "États, organes de l'ONU et survivantes en ligne sur l'exploitation",
                    "Notre événement parallèle en ligne réunit la France, l'Islande et la "
                    "Suède avec le HCDH et le BIDDH de l'OSCE, en quatre langues.",
                    "Dans trois semaines, la coalition tient un **événement parallèle** au "
                    "Conseil des droits de l'homme.\n\nDes survivantes ouvrent le panel. "
                    "L'événement prolonge notre lettre ouverte, signée par 85 organisations.",
                ),
                "es": (
                    "Estados, órganos de la ONU y sobrevivientes, en línea",
                    "Nuestro evento paralelo en línea reúne a Francia, Islandia y Suecia con "
                    "el ACNUDH y la OIDDH de la OSCE, en cuatro idiomas.",
                    "Dentro de tres semanas la coalición celebra un **evento paralelo** al "
                    "Consejo de Derechos Humanos.\n\nLíderes sobrevivientes abren el panel.",
                ),
            },
            [("event", events[SIDE_EVENT]), ("letter", letter.pk)],
            hashtags="#SideEvent #HRC",
            published_days_ago=2,
        )
        evening_links = [("event", events[EVENING]), ("letter", letter.pk)]
        if petition is not None:
            evening_links.append(("petition", petition.pk))
        _post(
            advocate,
            frontline,
            {
                "en": (
                    EVENING_POST,
                    "An evening in Paris with EN-FR interpretation. Places are limited: only "
                    "registered participants are admitted, with an ID or press card.",
                    "Survivors speak about the violence of exploitation, followed by a panel "
                    "of lawyers and caseworkers.\n\n- interpretation English–French\n"
                    "- bring an ID or your press card\n\nWe also ask you to sign our petition "
                    "for two more shelter houses in Bristol.",
                ),
                "fr": (
                    "Les survivantes brisent le silence à Paris",
                    "Une soirée à Paris avec interprétation anglais-français, sur inscription.",
                    "Des survivantes parlent de la violence de l'exploitation, puis un panel "
                    "d'avocates et d'intervenantes sociales.\n\nMunissez-vous d'une pièce "
                    "d'identité ou de votre carte de presse.",
                ),
            },
            evening_links,
            hashtags="#MeToo",
            published_days_ago=1,
        )
        _post(
            coordinator,
            network,
            {
                "en": (
                    COLLOQUIUM_POST,
                    "Every place at the colloquium is taken. Join the waiting list: places "
                    "freed are offered by e-mail, in order.",
                    "The colloquium on trafficking in France and in Europe is **full**. If a "
                    "registrant cancels, the first person waiting receives an offer by e-mail "
                    "and has 48 hours to accept it.",
                ),
            },
            [("event", events[COLLOQUIUM])],
            published_days_ago=0.5,
        )
        _post(
            advocate,
            frontline,
            {
                "en": (
                    RECORDING_POST,
                    "The recording of our conference in Madrid is online.",
                    "Watch the full conference, with the proposal for a law against exploitation.",
                )
            },
            [("event", events[PAST])],
            published_days_ago=-1,
        )
        _post(
            advocate,
            frontline,
            {"en": (DRAFT_POST, "", "Draft: what went well, what to change.")},
            [("event", events[EVENING])],
        )
