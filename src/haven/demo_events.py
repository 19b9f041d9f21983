"""The demo's events, after the reference events of a coalition, with dates around today.

1. An online side event co-sponsored by three states in cooperation with two
   intergovernmental bodies, in four languages, with a panel (global coalition).
2. An evening event in a Paris room with EN-FR interpretation, a co-host, keynote, panel and
   moderators, ID and press card checks at the door, some registrants checked in
   (Harbour Light; its ``hl-door`` login works the door).
3. A colloquium with a time-slotted programme of round tables and a press conference,
   full, with a waiting list (global coalition).
4. A past conference with its recording (Harbour Light).

Every person is fictional; written only through haven.events.actions.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.utils import timezone
from django_scopes import scopes_disabled

from haven.accounts.models import User
from haven.accounts.permissions import Role
from haven.events import actions
from haven.events.models import (
    Event,
    EventKind,
    PartnerRole,
    QuestionKind,
    Registration,
    SessionKind,
    Speaker,
    SpeakerRole,
    Visibility,
)
from haven.organisations.models import Organisation, OrganisationKind

SIDE_EVENT = "Championing the elimination of trafficking in human beings and exploitation"
EVENING = "#MeToo and exploitation: survivors break the silence"
COLLOQUIUM = "Trafficking in France and in Europe: the state of play and compared policies"
PAST = "Towards a law against exploitation: a proposal from global activism"
COLLOQUIUM_CAPACITY = 12
COLLOQUIUM_REGISTRANTS = 15

# slug, name, short name, kind, country
_PARTNERS = (
    ("demo-state-france", "France (Permanent Mission, fictional)", "France", "state", "FR"),
    ("demo-state-iceland", "Iceland (Permanent Mission, fictional)", "Iceland", "state", "IS"),
    ("demo-state-sweden", "Sweden (Permanent Mission, fictional)", "Sweden", "state", "SE"),
    ("demo-ohchr", "Office of the High Commissioner for Human Rights", "OHCHR", "igo", "CH"),
    (
        "demo-osce-odihr",
        "OSCE Office for Democratic Institutions and Human Rights",
        "OSCE/ODIHR",
        "igo",
        "PL",
    ),
)


def _partner(slug: str, name: str, short: str, kind: str, country: str) -> Organisation:
    organisation = Organisation.objects.filter(short_name=short, country=country).first()
    if organisation is not None:
        return organisation
    organisation, _created = Organisation.objects.get_or_create(
        slug=slug,
        defaults={
            "name": name,
            "short_name": short,
            "kind": OrganisationKind.STATE
            if kind == "state"
            else OrganisationKind.INTERGOVERNMENTAL,
            "country": country,
            "website": f"https://{slug}.example.test/",
        },
    )
    return organisation


def _at(day: date, hour: int, minute: int, zone: str) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=ZoneInfo(zone))


def _programme(
    actor: User,
    event: Event,
    slots: list[tuple[str, str, datetime, datetime, list[tuple[str, str, str, str]]]],
) -> None:
    """Sessions as (kind, title, start, end, [(name, title, role, talk title)])."""
    speakers: dict[str, Speaker] = {}
    for kind, title, starts, ends, people in slots:
        session = actions.save_session(
            actor=actor,
            event=event,
            values={"kind": kind, "title": title, "starts_at": starts, "ends_at": ends},
        )
        for name, speaker_title, role, talk in people:
            speaker = speakers.get(name)
            if speaker is None:
                speaker = speakers[name] = actions.save_speaker(
                    actor=actor, owner=event.owner, name=name, title=speaker_title
                )
            actions.add_session_speaker(
                actor=actor,
                session=session,
                speaker=speaker,
                role=role,
                talk_title=talk,
            )


def _side_event(officer: User, owner: Organisation, today: date) -> Event:
    day = today + timedelta(days=21)
    starts, ends = _at(day, 12, 0, "Europe/Zurich"), _at(day, 13, 30, "Europe/Zurich")
    event = actions.create_event(
        actor=officer,
        owner=owner,
        title=SIDE_EVENT,
        language="en",
        starts_at=starts,
        ends_at=ends,
        values={
            "kind": EventKind.SIDE_EVENT,
            "description": (
                "Side event parallel to the Human Rights Council and CEDAW sessions. The "
                "coalition gathers states, international organisations and survivor leaders "
                "to highlight international human rights law on trafficking and exploitation."
                "\n\nThis event is held online. After registering you receive a confirmation "
                "e-mail with your personal joining link."
            ),
            "timezone": "Europe/Zurich",
            "in_person": False,
            "online": True,
            "languages": ["en", "fr", "es", "de"],
            "hashtags": "#SideEvent #HRC",
        },
    )
    by_slug = {row[0]: _partner(*row) for row in _PARTNERS}
    for slug in ("demo-state-france", "demo-state-iceland", "demo-state-sweden"):
        actions.add_partner(
            actor=officer, event=event, organisation=by_slug[slug], role=PartnerRole.CO_SPONSOR
        )
    for slug in ("demo-ohchr", "demo-osce-odihr"):
        actions.add_partner(
            actor=officer, event=event, organisation=by_slug[slug], role=PartnerRole.COOPERATION
        )
    panel = SpeakerRole.PANELIST
    _programme(
        officer,
        event,
        [
            (
                SessionKind.PANEL,
                "Panel: championing the elimination of trafficking",
                starts,
                ends,
                [
                    ("Ms Annika Holmdal", "Ambassador, Permanent Representative", panel, ""),
                    ("Ms Saruul Batbayar", "Survivor, founder of a shelter network", panel, ""),
                    ("Ms Daina Lukaite", "Former chair of a treaty body committee", panel, ""),
                    ("Ms Yara Haddad", "Senior adviser on trafficking in persons", panel, ""),
                    ("Ms Tanya Korolenko", "Adviser on anti-trafficking issues", panel, ""),
                    ("Mr Jean-Luc Bernier", "Ambassador-at-large", panel, ""),
                    ("Ms Nomvula Dube", "Survivor, founder of a survivors' movement", panel, ""),
                ],
            )
        ],
    )
    actions.set_secret(
        actor=officer,
        event=event,
        meeting_url="https://meet.example.test/side-event-demo-4821",
        joining_details="Webinar ID 4821 0097; passcode sent with your personal link.",
    )
    event = actions.move_event(actor=officer, event=event, move="publish")
    for number, (name, language) in enumerate(
        (("Amaru Quispe", "es"), ("Claire Vautier", "fr"), ("Lena Brandt", "de"))
    ):
        actions.register(
            event=event,
            name=name,
            email=f"side-event-{number}@example.org",
            language=language,
        )
    return event


def _evening(
    officer: User, door: User, owner: Organisation, cohost: Organisation, today: date
) -> Event:
    day = today + timedelta(days=10)
    zone = "Europe/Paris"
    starts, ends = _at(day, 19, 0, zone), _at(day, 21, 30, zone)
    event = actions.create_event(
        actor=officer,
        owner=owner,
        title=EVENING,
        language="en",
        starts_at=starts,
        ends_at=ends,
        values={
            "kind": EventKind.CONFERENCE,
            "description": (
                "Survivors break the silence on the violence of exploitation. Only "
                "registered participants will have access to the room. IDs and press "
                "cards will be checked at the entrance."
            ),
            "timezone": zone,
            "in_person": True,
            "venue_name": "Salle Jeanne Demo",
            "venue_address": "12 rue de l'Exemple, 75002 Paris",
            "room": "Main hall",
            "city": "Paris",
            "country": "FR",
            "languages": ["en", "fr"],
            "interpretation": ["en", "fr"],
            "visibility": Visibility.PUBLIC,
            "id_check": True,
            "capacity": 120,
            "group_size": 3,
        },
    )
    actions.add_partner(actor=officer, event=event, organisation=cohost, role=PartnerRole.CO_HOST)
    keynote = ("Ms Ashlyn Jordane", "Activist, author, co-host of the event")
    _programme(
        officer,
        event,
        [
            (
                SessionKind.KEYNOTE,
                "Keynote",
                starts,
                _at(day, 19, 30, zone),
                [(*keynote, SpeakerRole.KEYNOTE, "Breaking the silence")],
            ),
            (
                SessionKind.PANEL,
                "Survivors speak out",
                _at(day, 19, 30, zone),
                ends,
                [
                    (*keynote, SpeakerRole.MODERATOR, ""),
                    ("Gaspard Thierry", "Director of the coalition", SpeakerRole.MODERATOR, ""),
                    (
                        "Rachael Moranne",
                        "Founder of a survivors' network",
                        SpeakerRole.PANELIST,
                        "",
                    ),
                    ("Mbali Mekwa", "Founder of a survivors' movement", SpeakerRole.PANELIST, ""),
                    (
                        "Rosine Hichet",
                        "Co-founder, French survivors' movement",
                        SpeakerRole.PANELIST,
                        "",
                    ),
                ],
            ),
        ],
    )
    questions: dict[str, str] = {}
    for label, kind, required, door_shown, choices in (
        ("Organisation", QuestionKind.TEXT, False, False, ""),
        ("Role", QuestionKind.CHOICE, True, False, "Activist\nJournalist\nOfficial\nOther"),
        ("Press card number", QuestionKind.TEXT, False, True, ""),
        ("Accessibility needs", QuestionKind.LONG_TEXT, False, False, ""),
        ("Interpretation language", QuestionKind.LANGUAGE, False, False, ""),
    ):
        question = actions.save_question(
            actor=officer,
            event=event,
            label=label,
            kind=kind,
            required=required,
            choices=choices,
            show_at_door=door_shown,
        )
        questions[label] = str(question.pk)
    event = actions.move_event(actor=officer, event=event, move="publish")
    people = (
        ("Inès Marchal", "Journalist", "FR-PRESS-2231", "fr"),
        ("Tom Okafor", "Activist", "", "en"),
        ("Sofia Lindqvist", "Official", "", "en"),
        ("Hugo Perrin", "Journalist", "FR-PRESS-8812", "fr"),
        ("Nadia Benali", "Other", "", "fr"),
        ("Paul Girard", "Activist", "", ""),
    )
    registered: list[Registration] = []
    for number, (name, role, card, language) in enumerate(people):
        answers = {questions["Role"]: role, questions["Organisation"]: "Demo association"}
        if card:
            answers[questions["Press card number"]] = card
        if language:
            answers[questions["Interpretation language"]] = language
        outcome = actions.register(
            event=event,
            name=name,
            email=f"evening-{number}@example.org",
            answers=answers,
            language=language or "en",
        )
        registered.extend(outcome.registrations)
    for registration in registered[:3]:
        actions.check_in(actor=door, event=event, registration=registration, id_checked=True)
    return event


def _colloquium(officer: User, owner: Organisation, today: date) -> Event:
    day = today + timedelta(days=35)
    zone = "Europe/Paris"
    event = actions.create_event(
        actor=officer,
        owner=owner,
        title=COLLOQUIUM,
        language="fr",
        starts_at=_at(day, 9, 0, zone),
        ends_at=_at(day, 14, 0, zone),
        values={
            "kind": EventKind.COLLOQUIUM,
            "description": (
                "Un colloque réunissant des expert·e·s de l’application des politiques "
                "publiques, en Europe et en France. Le colloque sera suivi d’une conférence "
                "de presse."
            ),
            "timezone": zone,
            "in_person": True,
            "venue_name": "Assemblée de démonstration",
            "room": "Salle Colbert",
            "city": "Paris",
            "country": "FR",
            "languages": ["fr"],
            "capacity": COLLOQUIUM_CAPACITY,
            "waiting_list": True,
            "offer_hours": 24,
            "id_check": True,
        },
    )
    speaker, round_table = SpeakerRole.SPEAKER, SessionKind.ROUND_TABLE
    _programme(
        officer,
        event,
        [
            (
                SessionKind.OPENING,
                "Accueil et ouverture",
                _at(day, 9, 0, zone),
                _at(day, 9, 45, zone),
                [
                    (
                        "Danièle Bosquet",
                        "Présidente d’un haut conseil à l’égalité",
                        SpeakerRole.HOST,
                        "",
                    ),
                    ("Pierre Cabanel", "Député", speaker, ""),
                ],
            ),
            (
                round_table,
                "Table ronde 1 – Réalité de la situation en France",
                _at(day, 10, 0, zone),
                _at(day, 11, 0, zone),
                [
                    (
                        "Claire Quinet",
                        "Porte-parole d’une association",
                        speaker,
                        "Une violence sexuelle et un obstacle à l’égalité",
                    ),
                    (
                        "Marie-Anne Casal",
                        "Porte-parole d’un collectif féministe",
                        speaker,
                        "Dans le continuum des violences faites aux femmes",
                    ),
                    (
                        "Gaspard Thierry",
                        "Directeur de la coalition",
                        speaker,
                        "Une exploitation des groupes les plus vulnérables",
                    ),
                ],
            ),
            (
                round_table,
                "Table ronde 2 – Bilan comparé des politiques publiques en Europe",
                _at(day, 11, 15, zone),
                _at(day, 12, 0, zone),
                [
                    (
                        "Per-Erik Sundin",
                        "Ambassadeur contre la traite des êtres humains",
                        speaker,
                        "Les enjeux actuels à l’échelle européenne",
                    ),
                    (
                        "Ingrid Krause",
                        "Psychothérapeute",
                        speaker,
                        "Situation en Allemagne, 17 ans après la dépénalisation",
                    ),
                ],
            ),
            (
                round_table,
                "Table ronde 3 – Mise en œuvre de la loi",
                _at(day, 12, 0, zone),
                _at(day, 13, 30, zone),
                [
                    (
                        "Stéphanie Carrel",
                        "Directrice d’une association",
                        speaker,
                        "Point sur la mise en œuvre des quatre piliers de la loi",
                    ),
                    (
                        "Guillaume Lestrade",
                        "Procureur de la République",
                        speaker,
                        "Mise en œuvre de l’interdiction d’achat et des stages",
                    ),
                ],
            ),
            (
                SessionKind.PRESS_CONFERENCE,
                "Conférence de presse",
                _at(day, 13, 30, zone),
                _at(day, 14, 0, zone),
                [("Gaspard Thierry", "Directeur de la coalition", SpeakerRole.HOST, "")],
            ),
        ],
    )
    event = actions.move_event(actor=officer, event=event, move="publish")
    for number in range(COLLOQUIUM_REGISTRANTS):
        actions.register(
            event=event,
            name=f"Participant·e {number + 1}",
            email=f"colloque-{number}@example.org",
            language="fr",
        )
    return event


def _past(officer: User, owner: Organisation, today: date) -> Event:
    day = today - timedelta(days=45)
    zone = "Europe/Madrid"
    event = actions.create_event(
        actor=officer,
        owner=owner,
        title=PAST,
        language="en",
        starts_at=_at(day, 17, 0, zone),
        ends_at=_at(day, 19, 0, zone),
        values={
            "kind": EventKind.CONFERENCE,
            "description": "A conference at a parliament. Watch the full conference here.",
            "timezone": zone,
            "in_person": True,
            "venue_name": "Parliament (demo)",
            "city": "Madrid",
            "country": "ES",
            "languages": ["es", "en"],
            "registration_open": False,
            "recording_url": "https://video.example.org/demo-conference-recording",
        },
    )
    return actions.move_event(actor=officer, event=event, move="publish")


def build_events(*, network_slug: str, frontline_slug: str) -> None:
    """Load the four demo events (after build_advocacy, which makes the coordinator an
    advocacy officer of the network)."""
    today = timezone.localdate()
    network = Organisation.objects.get(slug=network_slug)
    frontline = Organisation.objects.get(slug=frontline_slug)
    coordinator = User.objects.get(
        role_assignments__organisation=network,
        role_assignments__role=Role.ADVOCACY_OFFICER,
    )
    advocate = User.objects.get(
        role_assignments__organisation=frontline, role_assignments__role=Role.ADVOCACY_OFFICER
    )
    door = User.objects.get(
        role_assignments__organisation=frontline, role_assignments__role=Role.DOOR_STAFF
    )
    with scopes_disabled():
        _side_event(coordinator, network, today)
        _evening(advocate, door, frontline, network, today)
        _colloquium(coordinator, network, today)
        _past(advocate, frontline, today)
