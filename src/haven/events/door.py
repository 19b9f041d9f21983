"""The door: door staff check registrants in on a phone, online or not.

The page polls the live counts, scans tickets (camera or typed code), searches by name and
posts check-ins in batches: one scan online, or the queue a phone kept while offline. The
server is the judge: ``actions.check_in`` admits a ticket once, whichever door asks first.
"""

from __future__ import annotations

import base64
import json
import secrets
import uuid
from datetime import datetime, timedelta
from typing import Any

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.events import access, actions
from haven.events.content import local_time, question_in
from haven.events.models import (
    CheckInResult,
    Event,
    Question,
    Registration,
)
from haven.letters.views import refused
from haven.privacy import audit

LONGEST_CODE = 200
# How long a door phone keeps the ticket list (docs/decisions/0021): until shortly after the
# event ends, and never more than a day after downloading it; check-ins queued offline hold
# no names and wait for their sync until a week after the event.
LIST_AFTER_END = timedelta(hours=1)
LIST_AT_MOST = timedelta(hours=24)
QUEUE_AFTER_END = timedelta(days=7)
NAME_KEY_INFO = b"haven.door.name"


def _door_event(request: OrganisationRequest, event_id: int) -> Event:
    return access.door_event_for(request.organisation, event_id)


def door_questions(event: Event) -> list[Question]:
    """The event's questions whose answers the door sees."""
    return [question for question in access.questions_of(event) if question.show_at_door]


def _clock(event: Event, moment: datetime) -> str:
    """The hour and minute of ``moment`` at the event (where the door is)."""
    return local_time(event, moment).strftime("%H:%M")


def registrant(
    event: Event, registration: Registration, questions: list[Question]
) -> dict[str, Any]:
    """What the door sees of a registrant: name, their group, the answers meant for the door."""
    answers = registration.answers
    # The door reads the questions in its own language, as the registrants read them.
    language = get_language()
    group = [
        other.name
        for other in access.group_of(registration)
        if other.pk != registration.pk and other.status == registration.status
    ]
    return {
        "id": str(registration.pk),
        "name": registration.name,
        "status": registration.status,
        "status_label": str(registration.get_status_display()),
        "group": group,
        "answers": [
            {"label": wording.label, "answer": wording.answer(question, answers[str(question.pk)])}
            for question in questions
            if answers.get(str(question.pk), "")
            for wording in [question_in(question, event, language)]
        ],
        "checked_in_at": (
            registration.checked_in_at.isoformat() if registration.checked_in_at else None
        ),
        "checked_in_time": (
            _clock(event, registration.checked_in_at) if registration.checked_in_at else ""
        ),
    }


def seal_for_ticket(code: str, text: str) -> str:
    """``text`` encrypted (AES-256-GCM) under a key derived (HKDF-SHA-256) from the ticket
    code: the door phone reads it only when that ticket is scanned. door.js opens it."""
    key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=NAME_KEY_INFO).derive(
        access.clean_ticket_code(code).encode()
    )
    nonce = secrets.token_bytes(12)
    return base64.b64encode(nonce + AESGCM(key).encrypt(nonce, text.encode(), None)).decode()


def keep_until(event: Event, now: datetime | None = None) -> tuple[datetime, datetime]:
    """Until when a door phone may keep the event's ticket list, and its unsynced queue."""
    moment = (now or timezone.now()).replace(microsecond=0)
    ends = event.ends_at.replace(microsecond=0)
    # Whole seconds: every browser's Date.parse reads them (not all read microseconds).
    return min(ends + LIST_AFTER_END, moment + LIST_AT_MOST), ends + QUEUE_AFTER_END


def _message(event: Event, result: str, checked_in_at: datetime | None) -> str:
    if result == CheckInResult.ALREADY and checked_in_at is not None:
        return _("Already checked in at %(time)s") % {"time": _clock(event, checked_in_at)}
    return str(CheckInResult(result).label)


@organisation_view("events.check_in")
@require_GET
def door_events(request: OrganisationRequest) -> HttpResponse:
    """The organisation's published events of today and the coming days."""
    return render(
        request, "events/door/events.html", {"events": access.door_events_of(request.organisation)}
    )


def search(request: OrganisationRequest, event: Event, query: str) -> list[dict[str, Any]]:
    """Registrants whose name holds ``query``, as the door sees them (the page's and the
    API's; the search audited)."""
    questions = door_questions(event)
    return [
        registrant(event, registration, questions)
        for registration in access.door_search(request, event, query)
    ]


@organisation_view("events.check_in")
@require_GET
def event_door(request: OrganisationRequest, event_id: int) -> HttpResponse:
    """The door page of one event: counts, scanner, typed code, search by name."""
    event = _door_event(request, event_id)
    query = request.GET.get("q", "").strip()
    org = request.organisation.slug
    if len(query) > access.LONGEST_DOOR_SEARCH:
        back = reverse("event_door", kwargs={"org": org, "event_id": event.pk})
        return refused(request, [_("Search with at most 100 characters.")], back)
    results = search(request, event, query) if query else None
    urls = {
        name: reverse(f"event_door_{name}", kwargs={"org": org, "event_id": event.pk})
        for name in ("counts", "check_in", "list")
    }
    labels = {value: str(label) for value, label in CheckInResult.choices}
    labels.update(
        {
            "error": _("Not understood: try again"),
            "offline": _("Offline: admitted on this phone, will be synced"),
            "conflict": _("Conflict: another door had already admitted this ticket"),
            "synced": _("Offline check-ins synced"),
            "already_here": _("Already admitted on this phone"),
            "camera_unavailable": _("The camera is not available: type the code instead"),
            "waiting_sync": _("Check-ins waiting to be synced"),
        }
    )
    list_until, queue_until = keep_until(event)
    return render(
        request,
        "events/door/event.html",
        {
            "list_until": list_until,
            "queue_until": queue_until,
            "batch": access.DOOR_BATCH,
            "event": event,
            "counts": access.counts(event),
            "query": query,
            "results": results,
            "urls": urls,
            "labels": labels,
            "start": local_time(event, event.starts_at),
        },
    )


@organisation_view("events.check_in")
@require_GET
def event_door_counts(request: OrganisationRequest, event_id: int) -> JsonResponse:
    """The live counts, polled by the door page."""
    event = _door_event(request, event_id)
    counts = access.counts(event)
    response = JsonResponse(
        {
            "registered": counts["registered"],
            "waiting": counts["waiting"],
            "checked_in": counts["checked_in"],
        }
    )
    response["Cache-Control"] = "no-store"
    return response


def _clean_item(item: Any) -> dict[str, Any] | str:
    """A checked batch item, or why it was refused."""
    if not isinstance(item, dict):
        return _("Each check-in must be an object.")
    code = item.get("code", "")
    registration_id = item.get("registration_id", "")
    if not isinstance(code, str) or not isinstance(registration_id, str):
        return _("The code must be text.")
    code = code.strip()
    if len(code) > LONGEST_CODE:
        return _("The code is too long.")
    if bool(code) == bool(registration_id):
        return _("Give either a code or a registration.")
    if registration_id:
        try:
            registration_id = str(uuid.UUID(registration_id))
        except ValueError:
            return _("Not a registration.")
    id_checked = item.get("id_checked", False)
    offline = item.get("offline", False)
    if not isinstance(id_checked, bool) or not isinstance(offline, bool):
        return _("Flags must be true or false.")
    scanned_at = None
    raw = item.get("scanned_at")
    if raw not in (None, ""):
        if not isinstance(raw, str) or len(raw) > 40:
            return _("Not a date and time.")
        try:
            scanned_at = parse_datetime(raw)
        except ValueError:
            scanned_at = None
        if scanned_at is None:
            return _("Not a date and time.")
    return {
        "code": code,
        "registration_id": registration_id,
        "id_checked": id_checked,
        "offline": offline,
        "scanned_at": scanned_at,
    }


def _check_one(
    request: OrganisationRequest, event: Event, item: dict[str, Any], questions: list[Question]
) -> dict[str, Any]:
    registration = None
    if item["registration_id"]:
        try:
            registration = access.registration_for(event, item["registration_id"])
        except Http404:
            registration = None
    outcome = actions.check_in(
        actor=request.user,
        event=event,
        code=item["code"] if registration is None else "",
        registration=registration,
        id_checked=item["id_checked"],
        scanned_at=item["scanned_at"],
        offline=item["offline"],
        request=request,
    )
    return {
        "result": outcome.result,
        "admitted": outcome.admitted,
        "message": _message(event, outcome.result, outcome.checked_in_at),
        "checked_in_at": outcome.checked_in_at.isoformat() if outcome.checked_in_at else None,
        "registrant": (
            registrant(event, outcome.registration, questions)
            if outcome.registration is not None
            else None
        ),
    }


@organisation_view("events.check_in")
@require_POST
def event_door_check_in(request: OrganisationRequest, event_id: int) -> HttpResponse:
    """Check in a batch: ``{"items": [{code | registration_id, id_checked, scanned_at,
    offline}]}``, each answered in order. A plain form post (no JavaScript) checks in one
    registration and returns to the door page."""
    event = _door_event(request, event_id)
    questions = door_questions(event)
    if request.content_type != "application/json":
        back = reverse(
            "event_door", kwargs={"org": request.organisation.slug, "event_id": event.pk}
        )
        if request.POST.get("id_checked", "on") != "on":
            return refused(request, [_("Not understood: try again")], back)
        cleaned = _clean_item(
            {
                "registration_id": request.POST.get("registration_id", "")[:40],
                "code": request.POST.get("code", "")[: LONGEST_CODE + 1],
                "id_checked": request.POST.get("id_checked") == "on",
            }
        )
        if isinstance(cleaned, str):
            return refused(request, [cleaned], back)
        answer = _check_one(request, event, cleaned, questions)
        (messages.success if answer["admitted"] else messages.error)(request, answer["message"])
        return redirect("event_door", org=request.organisation.slug, event_id=event.pk)
    try:
        body = json.loads(request.body or b"null")
    except ValueError:
        return JsonResponse({"error": _("The request is not JSON.")}, status=400)
    items = body.get("items") if isinstance(body, dict) else body
    if not isinstance(items, list):
        return JsonResponse({"error": _("Send a list of check-ins.")}, status=400)
    if len(items) > access.DOOR_BATCH:
        return JsonResponse(
            {"error": _("At most %(count)d check-ins at once.") % {"count": access.DOOR_BATCH}},
            status=400,
        )
    results = []
    for item in items:
        cleaned = _clean_item(item)
        if isinstance(cleaned, str):
            results.append({"result": "error", "admitted": False, "message": cleaned})
        else:
            results.append(_check_one(request, event, cleaned, questions))
    response = JsonResponse({"results": results, "counts": access.counts(event)})
    response["Cache-Control"] = "no-store"
    return response


def offline_list(request: OrganisationRequest, event: Event) -> dict[str, Any]:
    """The door list for offline use (the page's and the API's): what admission needs and no
    more. Ticket digests, states and check-in times; each name sealed under its own ticket
    code; never e-mails or answers. The download is audited; the phone deletes the list at
    ``keep_until``."""
    rows = [
        {
            "digest": registration.ticket_digest,
            "id": str(registration.pk),
            "name_sealed": seal_for_ticket(access.ticket_code(registration), registration.name),
            "status": registration.status,
            "checked_in_at": (
                registration.checked_in_at.isoformat() if registration.checked_in_at else None
            ),
        }
        for registration in access.registrations_of(event).filter(
            ticket_digest__isnull=False, anonymised_at__isnull=True
        )
    ]
    audit.record(
        "event.door_list_downloaded",
        actor=request.user,
        organisation=request.organisation,
        target=event,
        details={"rows": len(rows)},
        request=request,
    )
    now = timezone.now()
    list_until, queue_until = keep_until(event, now)
    return {
        "id_check": event.id_check,
        "generated_at": now.isoformat(),
        "keep_until": list_until.isoformat(),
        "queue_keep_until": queue_until.isoformat(),
        "rows": rows,
    }


@organisation_view("events.check_in")
@require_GET
def event_door_list(request: OrganisationRequest, event_id: int) -> JsonResponse:
    """The door list for offline use (``offline_list``)."""
    response = JsonResponse(offline_list(request, _door_event(request, event_id)))
    response["Cache-Control"] = "no-store"
    return response
