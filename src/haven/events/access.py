"""Lookups of events: the owner's own, the public's published ones, and a registrant's by link.

A registrant holds two links: the manage link (their ticket, accepting an offered place,
cancelling) and, for an online event, the join link. Both are signed tokens of the
registration and its ``link_nonce``; revoking rotates the nonce, so old links stop working.
The ticket code is a keyed digest of the same pair, so only its SHA-256 is stored.
"""

from __future__ import annotations

import hashlib
import uuid
from collections import Counter
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from django.db.models import Count, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django_scopes import scope, scopes_disabled

from haven.events.models import (
    HOLDS_PLACE,
    Event,
    EventStatus,
    EventText,
    Question,
    Registration,
    RegistrationStatus,
    Session,
    SessionSpeaker,
    Speaker,
    Visibility,
)
from haven.letters.content import link_token, read_link_token
from haven.organisations.models import Organisation
from haven.privacy import audit
from haven.public_cache import PublicCache
from haven.text import folded

if TYPE_CHECKING:
    from haven.accounts.tenancy import OrganisationRequest

MANAGE_SALT = "haven.events.manage"
JOIN_SALT = "haven.events.join"
TICKET_SALT = "haven.events.ticket"
# Links stay valid for as long as anyone plausibly registers ahead of an event.
LINK_DAYS = 730
ACTIVE = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITING, RegistrationStatus.OFFERED)
# The door (its page and the API): the events of today and the next two weeks; a search by
# name gives at most DOOR_RESULTS registrants and takes at most LONGEST_DOOR_SEARCH characters.
DOOR_DAYS_AHEAD = 14
DOOR_RESULTS = 20
LONGEST_DOOR_SEARCH = 100
# Check-ins posted at once (a phone's offline queue, or the API's): each is a transaction
# with its audit entry, ~10 ms, so a batch answers in about two seconds even on a small
# server and a phone with a weak signal gets its answer before it gives up and sends the
# batch again; a longer queue goes in several batches.
DOOR_BATCH = 200


def events_of(owner: Organisation) -> QuerySet[Event]:
    """The owner's events, soonest first, with their counts of registrants."""
    return (
        Event.objects.filter(owner=owner)
        .annotate(
            registered=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.CONFIRMED)
            ),
            waiting=Count(
                "registrations", filter=Q(registrations__status=RegistrationStatus.WAITING)
            ),
            checked_in=Count("registrations", filter=Q(registrations__checked_in_at__isnull=False)),
        )
        .order_by("-starts_at")
    )


def event_for(owner: Organisation, event_id: int) -> Event:
    """One of the owner's events, or 404."""
    event = Event.objects.filter(owner=owner, pk=event_id).select_related("owner").first()
    if event is None:
        raise Http404
    return event


def speakers_of(owner: Organisation) -> QuerySet[Speaker]:
    """The owner's speakers, by name, with their organisation in the directory."""
    return Speaker.objects.filter(owner=owner).select_related("organisation").order_by("name")


def speaker_for(owner: Organisation, speaker_id: int) -> Speaker:
    """One of the owner's speakers, or 404."""
    speaker = speakers_of(owner).filter(pk=speaker_id).first()
    if speaker is None:
        raise Http404
    return speaker


def programme_of(event: Event) -> list[Session]:
    """The event's sessions in time order, each with its speakers and their organisations."""
    speakers = SessionSpeaker.objects.select_related("speaker", "speaker__organisation")
    return list(
        Session.objects.filter(event=event)
        .prefetch_related(Prefetch("speakers", queryset=speakers))
        .order_by("starts_at", "pk")
    )


def session_for(event: Event, session_id: int) -> Session:
    """A session of this event, or 404."""
    session = Session.objects.filter(event=event, pk=session_id).first()
    if session is None:
        raise Http404
    return session


def registrations_of(event: Event, status: str = "") -> QuerySet[Registration]:
    """The event's registrations, oldest first, optionally of one status."""
    with scope(organisation=event.owner_id):
        registrations = Registration.objects.filter(event=event)
        if status:
            registrations = registrations.filter(status=status)
        return registrations.order_by("created_at", "pk")


def questions_of(event: Event) -> list[Question]:
    """The event's questions in the form's order, each with its translations."""
    return list(
        Question.objects.filter(event=event).prefetch_related("texts").order_by("position", "pk")
    )


def question_on(event: Event, question_id: int | None) -> Question | None:
    """One question of the event's form, or None (no id, or another event's)."""
    if question_id is None:
        return None
    return Question.objects.filter(event=event, pk=question_id).first()


def translation_languages(event: Event) -> list[str]:
    """The languages the event's questions may be translated into: the event's own
    languages and those its title is translated into, never the original."""
    translated = EventText.objects.filter(event=event).values_list("language", flat=True)
    return sorted((set(event.languages or []) | set(translated)) - {event.language})


def languages_in_use(owner: Organisation) -> set[str]:
    """The languages the owner's events are written or translated in (for language menus)."""
    originals = Event.objects.filter(owner=owner).values_list("language", flat=True)
    translated = EventText.objects.filter(event__owner=owner).values_list("language", flat=True)
    return {*originals, *translated}


def answers_to(event: Event, question: Question) -> Counter[str]:
    """How many registrants gave each answer to the question (decrypted here, since
    answers are encrypted; anonymised registrations have none)."""
    key = str(question.pk)
    given: Counter[str] = Counter()
    rows = registrations_of(event).filter(anonymised_at__isnull=True, booker=True)
    with scope(organisation=event.owner_id):
        for registration in rows.iterator(chunk_size=2000):
            answer = registration.answers.get(key, "")
            if answer:
                given[answer] += 1
    return given


def registration_for(event: Event, registration_id: uuid.UUID | str) -> Registration:
    """A registration of this event, or 404."""
    try:
        key = uuid.UUID(str(registration_id))
    except ValueError as error:
        raise Http404 from error
    with scope(organisation=event.owner_id):
        registration = Registration.objects.filter(event=event, pk=key).first()
    if registration is None:
        raise Http404
    return registration


def group_of(registration: Registration) -> list[Registration]:
    """Everyone registered together with this registration, booker first."""
    with scope(organisation=registration.organisation_id):
        return list(
            Registration.objects.filter(event_id=registration.event_id, group=registration.group)
            .select_related("event")
            .order_by("-booker", "created_at", "pk")
        )


def counts(event: Event) -> dict[str, int]:
    """Live counts: registered, waiting, offered, checked in (one query)."""
    with scope(organisation=event.owner_id):
        row = Registration.objects.filter(event=event).aggregate(
            registered=Count("pk", filter=Q(status=RegistrationStatus.CONFIRMED)),
            waiting=Count("pk", filter=Q(status=RegistrationStatus.WAITING)),
            offered=Count("pk", filter=Q(status=RegistrationStatus.OFFERED)),
            cancelled=Count("pk", filter=Q(status=RegistrationStatus.CANCELLED)),
            checked_in=Count("pk", filter=Q(checked_in_at__isnull=False)),
        )
    return {name: int(value or 0) for name, value in row.items()}


def places_held(event: Event) -> int:
    """The places held by registrations, counted from the rows (``places_taken`` must agree)."""
    with scope(organisation=event.owner_id):
        return Registration.objects.filter(event=event, status__in=HOLDS_PLACE).count()


def languages_heard(
    language: str, languages: Iterable[str] | None, interpretation: Iterable[str] | None
) -> set[str]:
    """The languages a visitor can follow an event in (its language, the languages it is
    held in, its interpretation), from those three fields."""
    return {language, *(languages or []), *(interpretation or [])} - {""}


def places_left(event: Event) -> int | None:
    """The places free now, from the event's row as it stands (the event held for
    registering may be a few seconds old); None without a capacity."""
    with scope(organisation=event.owner_id):
        current = Event.objects.only("capacity", "places_taken").get(pk=event.pk)
    return current.places_left


# --- the door ----------------------------------------------------------------------------


def door_events_of(owner: Organisation) -> list[Event]:
    """The owner's published events the door may check in at: those of today (one that
    ended last night included) and of the coming days."""
    now = timezone.now()
    today = timezone.localtime(now).replace(hour=0, minute=0, second=0, microsecond=0)
    return list(
        Event.objects.filter(
            owner=owner,
            status=EventStatus.PUBLISHED,
            ends_at__gte=today - timedelta(hours=12),
            starts_at__lt=now + timedelta(days=DOOR_DAYS_AHEAD),
        ).order_by("starts_at", "pk")
    )


def door_event_for(owner: Organisation, event_id: int) -> Event:
    """One of the owner's published events, for the door; or 404 (a draft, cancelled or
    withdrawn one has no door)."""
    event = event_for(owner, event_id)
    if event.status != EventStatus.PUBLISHED:
        raise Http404
    return event


def door_search(request: OrganisationRequest, event: Event, query: str) -> list[Registration]:
    """At most DOOR_RESULTS registrants of the event whose name holds ``query`` (names are
    encrypted, so compared here), never anonymised ones; the search is audited."""
    # "Zoe" typed on a phone finds "Zoë".
    wanted = folded(query)
    found: list[Registration] = []
    for registration in registrations_of(event).filter(anonymised_at__isnull=True):
        if wanted in folded(registration.name):
            found.append(registration)
            if len(found) >= DOOR_RESULTS:
                break
    # The number found, never the words searched: they are someone's name.
    audit.record(
        "event.door_search",
        actor=request.user,
        organisation=request.organisation,
        target=event,
        details={"results": len(found)},
        request=request,
    )
    return found


# --- the public's view --------------------------------------------------------------------


def published_events(now: datetime | None = None, *, past: bool = False) -> QuerySet[Event]:
    """Every published or cancelled public event of the installation: upcoming, or past when
    asked. Never an invitation-only one: its invitees reach it by its link."""
    moment = now or timezone.now()
    with scopes_disabled():
        events = (
            Event.objects.select_related("owner")
            .prefetch_related("texts")
            .filter(
                status__in=(EventStatus.PUBLISHED, EventStatus.CANCELLED),
                visibility=Visibility.PUBLIC,
            )
        )
        if past:
            return events.filter(ends_at__lt=moment).order_by("-starts_at")
        return events.filter(ends_at__gte=moment).order_by("starts_at")


def public_event(org: str, slug: str) -> Event:
    """A published, cancelled or withdrawn event by its owner's slug and its own, or 404
    (drafts too); the pages of a withdrawn one answer 410."""
    with scopes_disabled():
        event = (
            Event.objects.select_related("owner")
            .filter(owner__slug=org[:60], slug=slug[:60])
            .exclude(status=EventStatus.DRAFT)
            .first()
        )
    if event is None:
        raise Http404
    return event


def _load_registration_target(org: str, slug: str) -> tuple[Event, tuple[Question, ...]] | None:
    with scopes_disabled():
        event = (
            Event.objects.select_related("owner")
            .filter(owner__slug=org, slug=slug)
            .exclude(status=EventStatus.DRAFT)
            .first()
        )
        if event is None:
            return None
        return event, tuple(questions_of(event))


# A rush of registrations reads the event and its questions on every request; every change
# by the owner forgets them (``forget_event``), so this only bounds an unseen edit elsewhere.
REGISTRATION_TARGET_SECONDS = 10
_registration_targets = PublicCache(
    "events:registration", _load_registration_target, shared_seconds=REGISTRATION_TARGET_SECONDS
)


def event_for_registration(org: str, slug: str) -> tuple[Event, tuple[Question, ...]]:
    """A published (or cancelled) event and its questions, for registering; or 404.

    Held for a moment and shared by the requests of this process: read it, never change
    it, and never show its ``places_taken``, which the registrations change all along
    (the conditional UPDATE of ``actions.register`` reads the row itself).
    """
    found = _registration_targets.get(org, slug)
    if found is None:
        raise Http404
    return found


def forget_event(event: Event, *slugs: str) -> None:
    """Drop the cached event after its owner changed it or its questions (and under its
    former slugs); every process sees the change within ``public_cache.LOCAL_SECONDS``."""
    for slug in {event.slug, *slugs}:
        _registration_targets.forget(event.owner.slug, slug)


def accepts_registrations(event: Event, now: datetime | None = None) -> bool:
    """Published, registration open, before its deadline and before the event ends."""
    moment = now or timezone.now()
    if event.status != EventStatus.PUBLISHED or not event.registration_open:
        return False
    if event.registration_closes_at is not None and event.registration_closes_at <= moment:
        return False
    return event.ends_at > moment


# --- links and tickets --------------------------------------------------------------------


def _link_value(registration: Registration) -> str:
    return f"{registration.pk}:{registration.link_nonce}"


def manage_token(registration: Registration) -> str:
    """The signed token of the registrant's own page (ticket, offer, cancellation)."""
    return link_token(MANAGE_SALT, _link_value(registration))


def join_token(registration: Registration) -> str:
    """The signed token of the registrant's personal joining link."""
    return link_token(JOIN_SALT, _link_value(registration))


def ticket_code(registration: Registration) -> str:
    """What the QR code on the ticket carries: unguessable, and changed by a revocation."""
    return salted_hmac(TICKET_SALT, _link_value(registration), algorithm="sha256").hexdigest()[:32]


def clean_ticket_code(code: str) -> str:
    """A ticket code as typed at the door, without the spaces or dashes it is printed with
    (door.js cleans it the same way)."""
    return "".join(code.split()).replace("-", "").lower()


def clean_invitation_code(code: str) -> str:
    """An invitation code as typed, as codes are stored: without spaces, in capitals."""
    return "".join(code.split()).upper()


def ticket_digest(code: str) -> str:
    """The SHA-256 the database keeps of a ticket code (the door computes it the same way)."""
    return hashlib.sha256(clean_ticket_code(code).encode()).hexdigest()


def _from_token(event: Event, salt: str, token: str) -> Registration | None:
    value = read_link_token(salt, token, max_age_days=LINK_DAYS)
    if value is None or ":" not in value:
        return None
    registration_id, nonce = value.split(":", 1)
    try:
        key = uuid.UUID(registration_id)
    except ValueError:
        return None
    with scope(organisation=event.owner_id):
        registration = Registration.objects.filter(event=event, pk=key).first()
    if registration is None or registration.link_nonce != nonce:
        return None
    if registration.anonymised_at is not None:
        return None
    return registration


def registration_from_manage_token(event: Event, token: str) -> Registration | None:
    """The registration a manage link was made for, unless forged, revoked or anonymised."""
    return _from_token(event, MANAGE_SALT, token)


def registration_from_join_token(event: Event, token: str) -> Registration | None:
    """The registration a joining link was made for, unless forged, revoked or anonymised."""
    return _from_token(event, JOIN_SALT, token)


def registration_by_ticket(event: Event, code: str) -> Registration | None:
    """The registration of this event whose ticket carries ``code``, or None."""
    if not code or len(code) > 200:
        return None
    with scope(organisation=event.owner_id):
        return Registration.objects.filter(event=event, ticket_digest=ticket_digest(code)).first()
