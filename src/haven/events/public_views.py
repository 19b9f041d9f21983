"""The public pages of events: the listing, an event, registering, a registrant's own page.

The meeting link and joining details (EventSecret) appear on one page only: the personal
joining page of a confirmed registrant. Every other page, the feed and the calendar files
are built without them.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_countries import countries
from django_scopes import scope, scopes_disabled

from haven.abuse.addresses import normalise_email
from haven.abuse.ratelimit import check_public_submission
from haven.accounts.tenancy import public_view
from haven.events import access, actions, content, tasks
from haven.events.models import (
    Event,
    EventKind,
    EventPartner,
    EventStatus,
    PartnerRole,
    Registration,
    RegistrationStatus,
)
from haven.events.public_forms import MemberForm, RegistrationForm
from haven.letters.content import plain_summary, render_markdown
from haven.letters.views import add_errors
from haven.organisations.languages import language_name

EVENTS_PER_PAGE = 20


# --- the listing and the feed -------------------------------------------------------------


def _filters(request: HttpRequest) -> tuple[dict[str, str], bool]:
    """The list's filters as understood, and whether any was given that no form offers
    (unknown type, over-long or odd values): those are left out, as the page says."""
    given = {name: request.GET.get(name, "") for name in ("when", "kind", "country", "language")}
    country, language = given["country"], given["language"]
    understood = {
        "when": given["when"] in ("", "past"),
        "kind": given["kind"] in ("", *EventKind.values),
        "country": country == "" or (len(country) == 2 and country.isalpha()),
        "language": language == "" or (len(language) <= 8 and language.replace("-", "").isalpha()),
    }
    filters = {name: value if understood[name] else "" for name, value in given.items()}
    filters["country"] = filters["country"].upper()
    return filters, not all(understood.values())


def _filtered(filters: dict[str, str]) -> list[Event]:
    events = access.published_events(past=filters["when"] == "past")
    with scopes_disabled():
        if filters["kind"]:
            events = events.filter(kind=filters["kind"])
        if filters["country"]:
            events = events.filter(country=filters["country"])
        found = list(events[:1000])
    if filters["language"]:
        # As the API filters: held in the language, or interpreted into it.
        found = [
            event
            for event in found
            if filters["language"]
            in access.languages_heard(event.language, event.languages, event.interpretation)
        ]
    return found


def _in_use(filters: dict[str, str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The countries and languages of the events the list shows (upcoming, or past), named
    in the reader's language, for the filters' menus; a value asked for stays on its menu."""
    with scopes_disabled():
        events = access.published_events(past=filters["when"] == "past")[:1000]
        rows = list(events.values_list("country", "language", "languages", "interpretation"))
    country_codes = {str(row[0]) for row in rows if row[0]}
    language_codes = {code for row in rows for code in access.languages_heard(*row[1:])}
    country_codes |= {filters["country"]} - {""}
    language_codes |= {filters["language"]} - {""}
    by_name = sorted(
        ((code, str(countries.name(code)) or code) for code in country_codes),
        key=lambda pair: pair[1].casefold(),
    )
    languages = sorted(
        ((code, language_name(code)) for code in language_codes),
        key=lambda pair: pair[1].casefold(),
    )
    return by_name, languages


def _query(filters: dict[str, str]) -> str:
    return urlencode({name: value for name, value in filters.items() if value})


@public_view
@require_GET
def event_index(request: HttpRequest) -> HttpResponse:
    filters, bad = _filters(request)
    status = 400 if bad else 200
    events = _filtered(filters)
    page = Paginator(events, EVENTS_PER_PAGE).get_page(request.GET.get("page"))
    language = request.LANGUAGE_CODE
    rows = [
        {
            "event": event,
            "title": content.text_in(event, language)[0],
            "language": content.shown_language(event, language),
            "starts": content.local_time(event, event.starts_at),
            "place": content.public_place_of(event),
        }
        for event in page.object_list
    ]
    query = _query(filters)
    countries_in_use, languages_in_use = _in_use(filters)
    return render(
        request,
        "events/public/index.html",
        {
            "rows": rows,
            "countries": countries_in_use,
            "event_languages": languages_in_use,
            "page": page,
            "filters": filters,
            "query": query,
            "kinds": EventKind.choices,
            "feed_url": reverse("events_feed") + (f"?{query}" if query else ""),
            "bad_filters": status == 400,
        },
        status=status,
    )


@public_view
@require_GET
def event_feed(request: HttpRequest) -> HttpResponse:
    filters, bad = _filters(request)
    if bad:
        return HttpResponse(_("Unknown filter."), status=400, content_type="text/plain")
    events = _filtered(filters)
    body = content.calendar_file(events, language=request.LANGUAGE_CODE, name=_("Haven events"))
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="events.ics"'
    return response


# --- one event ----------------------------------------------------------------------------


def _partners(event: Event) -> list[tuple[str, list[str]]]:
    with scopes_disabled():
        partners = list(
            EventPartner.objects.filter(event=event)
            .select_related("organisation")
            .order_by("position", "pk")
        )
    grouped: list[tuple[str, list[str]]] = []
    for role, label in PartnerRole.choices:
        names = [partner.organisation.name for partner in partners if partner.role == role]
        if names:
            grouped.append((str(label), names))
    return grouped


def _programme(event: Event) -> list[dict[str, Any]]:
    with scope(organisation=event.owner):
        sessions = access.programme_of(event)
        return [
            {
                "session": session,
                "starts": content.local_time(event, session.starts_at),
                "ends": content.local_time(event, session.ends_at),
                "speakers": list(session.speakers.all()),
            }
            for session in sessions
        ]


def _event_context(
    request: HttpRequest, event: Event, *, registrant: bool = False, language: str = ""
) -> dict[str, Any]:
    """What the event's pages show, its text in ``language`` (else the reader's) where
    translated; the venue of an invitation-only event only on a ``registrant``'s own pages
    (reached by their personal link)."""
    language = language or request.LANGUAGE_CODE
    title, description = content.text_in(event, language)
    kwargs = {"org": event.owner.slug, "event": event.slug}
    return {
        "event": event,
        "title": title,
        # The language of the title and description, which the page marks (not the
        # interface's): a translation, or the original.
        "text_language": content.shown_language(event, language),
        "description_html": render_markdown(description),
        "summary": plain_summary(description),
        "starts": content.local_time(event, event.starts_at),
        "ends": content.local_time(event, event.ends_at),
        "place": content.place_of(event) if registrant else content.public_place_of(event),
        "venue_hidden": content.venue_hidden(event) and not registrant,
        # Not "languages": base.html names its list of interface languages so.
        "event_languages": [language_name(code) for code in event.languages or []],
        "interpretation": [language_name(code) for code in event.interpretation or []],
        "partners": _partners(event),
        "programme": _programme(event),
        "accepts": access.accepts_registrations(event),
        "closes": content.local_time(event, event.registration_closes_at)
        if event.registration_closes_at
        else None,
        "ended": event.ends_at <= timezone.now(),
        "cancelled": event.status == EventStatus.CANCELLED,
        "page_url": content.public_url(event),
        "calendar_url": reverse("event_calendar", kwargs=kwargs),
        "programme_url": reverse("event_programme", kwargs=kwargs),
        "register_url": reverse("event_register", kwargs=kwargs),
        "google_link": content.google_calendar_link(event, language, registrant=registrant),
    }


def _gone(request: HttpRequest, event: Event) -> HttpResponse | None:
    """The 410 of a withdrawn event, which says so without any of its text (as a withdrawn
    news post); None for an event still public."""
    if event.status != EventStatus.WITHDRAWN:
        return None
    response = render(request, "events/public/withdrawn.html", {"event": event}, status=410)
    response["Cache-Control"] = "no-store"
    return response


def _event_page(request: HttpRequest, event: Event, language: str = "") -> HttpResponse:
    codes = content.text_languages(event)
    context = {
        **_event_context(request, event, language=language),
        "text_languages": [(code, language_name(code)) for code in codes],
        # The plain address, for the original, also serves readers of other languages.
        "alternates": [(code, content.public_url(event, code)) for code in codes],
    }
    if language:
        context["page_url"] = content.public_url(event, language)
    return render(request, "events/public/event.html", context)


@public_view
@require_GET
def event_public(request: HttpRequest, org: str, event: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    return _event_page(request, found)


@public_view
@require_GET
def event_public_language(request: HttpRequest, org: str, event: str, lang: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    if lang not in content.text_languages(found):
        raise Http404
    return _event_page(request, found, lang)


@public_view
@require_GET
def event_programme(request: HttpRequest, org: str, event: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    return render(request, "events/public/programme.html", _event_context(request, found))


@public_view
@require_GET
def event_calendar(request: HttpRequest, org: str, event: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    language = request.LANGUAGE_CODE
    title, _description = content.text_in(found, language)
    body = content.calendar_file([found], language=language, name=title)
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{found.slug}.ics"'
    return response


# --- registering --------------------------------------------------------------------------


@public_view
@require_http_methods(["GET", "POST"])
def event_register(request: HttpRequest, org: str, event: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    accepts = access.accepts_registrations(found)
    full_closed = accepts and found.full and not found.waiting_list
    open_to_post = accepts and not full_closed
    form = RegistrationForm(
        request.POST if request.method == "POST" else None,
        event=found,
        questions=access.questions_of(found),
        language=request.LANGUAGE_CODE,
    )
    if request.method == "POST":
        if not open_to_post:
            form.is_valid()
            form.add_error(
                None,
                _("The event is full.") if full_closed else _("Registration is closed."),
            )
        elif form.is_valid():
            data = form.cleaned_data
            check_public_submission(
                request,
                scope="event-register",
                address=normalise_email(data["email"]),
                target=found.pk,
            )
            with scope(organisation=found.owner):
                try:
                    actions.register(
                        event=found,
                        name=data["name"],
                        email=data["email"],
                        answers=form.answers(),
                        companions=form.companions(),
                        code=data.get("code", ""),
                        language=request.LANGUAGE_CODE,
                    )
                except ValidationError as error:
                    add_errors(form, error)
                else:
                    return redirect("event_registered", org=found.owner.slug, event=found.slug)
        else:
            check_public_submission(request, scope="event-register")
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "events/public/register.html",
        {
            **_event_context(request, found),
            "form": form,
            "accepts": open_to_post,
            "full_closed": full_closed,
            # The privacy notice says when the registrants' data is erased (the hourly run).
            "anonymised_on": actions.anonymisation_due(found),
        },
        status=status,
    )


@public_view
@require_GET
def event_registered(request: HttpRequest, org: str, event: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    return render(request, "events/public/registered.html", _event_context(request, found))


# --- a registrant's own pages --------------------------------------------------------------


def _private(response: HttpResponse) -> HttpResponse:
    response["Cache-Control"] = "no-store"
    # The address carries the registrant's token: no other site may see it in a Referer
    # (the meeting's, say). Not "no-referrer": browsers then send "Origin: null" with the
    # page's own forms, and the CSRF check refuses the cancellation.
    response["Referrer-Policy"] = "same-origin"
    return response


@public_view
@require_http_methods(["GET", "POST"])
def event_registration(request: HttpRequest, org: str, event: str, token: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    registration = access.registration_from_manage_token(found, token)
    if registration is None:
        return _private(
            render(request, "events/public/link_invalid.html", {"event": found}, status=400)
        )
    errors: list[str] = []
    status = 200
    # A mail scanner that follows the link only GETs this page; the buttons POST.
    if request.method == "POST":
        action = request.POST.get("action", "")
        with scope(organisation=found.owner):
            try:
                form = MemberForm(request.POST)
                if not form.is_valid():
                    raise ValidationError(_("Choose whose registration it is."))
                member = form.cleaned_data["member"]
                if action == "accept":
                    offered = _members(registration, member or registration.pk)
                    if not offered:
                        raise ValidationError(_("This offer is no longer open."))
                    actions.accept_offer(registration=offered[0])
                    return _done(request, _("The place is yours: your confirmation is on its way."))
                if action == "cancel":
                    chosen = _members(registration, member)
                    if not chosen:
                        raise ValidationError(_("There is nothing to cancel."))
                    # A place given up goes to the waiting list at once and cannot be taken
                    # back: the first button asks, a second one on this page cancels.
                    if request.POST.get("confirm") != "yes":
                        return _confirm_cancel(request, found, registration, chosen, member)
                    actions.cancel_registrations(event=found, registrations=chosen)
                    return _done(request, _("Cancelled. Thank you for letting us know."))
                raise ValidationError(_("Choose what to do."))
            except ValidationError as refusal:
                errors = list(refusal.messages)
                status = 400
        registration.refresh_from_db()
    return _private(
        render(
            request,
            "events/public/registration.html",
            {**_registration_context(request, found, registration), "errors": errors},
            status=status,
        )
    )


def _done(request: HttpRequest, said: str) -> HttpResponse:
    # Back to the page by GET, saying what was done: Back or reload in the browser then
    # shows the page instead of offering to send the cancellation again.
    messages.success(request, said)
    return _private(redirect(request.get_full_path()))


def _confirm_cancel(
    request: HttpRequest,
    event: Event,
    registration: Registration,
    chosen: list[Registration],
    member: Any,
) -> HttpResponse:
    context = {
        **_event_context(request, event, registrant=True),
        "registration": registration,
        "chosen": chosen,
        "member": member or "",
        "everyone": member is None and len(chosen) > 1,
    }
    return _private(render(request, "events/public/cancel_confirm.html", context))


def _cancellable(group: list[Registration]) -> list[Registration]:
    """The rows of a group still to act on: active, and not admitted at the door (who came
    in used their place: it can no longer be cancelled)."""
    return [row for row in group if row.status in access.ACTIVE and row.checked_in_at is None]


def _members(registration: Registration, member: Any) -> list[Registration]:
    """The rows of the registrant's group still to act on: all of them, or the one
    ``member``."""
    group = _cancellable(access.group_of(registration))
    if member is None:
        return group
    return [row for row in group if row.pk == member]


def _registration_context(
    request: HttpRequest, event: Event, registration: Registration
) -> dict[str, Any]:
    group = access.group_of(registration)
    confirmed = [row for row in group if row.status == RegistrationStatus.CONFIRMED]
    live = event.status == EventStatus.PUBLISHED
    tickets = (
        [
            (row, content.qr_svg(code), content.grouped_code(code))
            for row in confirmed
            for code in [access.ticket_code(row)]
        ]
        if event.in_person and live
        else []
    )
    joins = (
        [(row, tasks.join_link(row)) for row in confirmed]
        if event.online and live and registration.booker
        else []
    )
    given = registration.answers
    answers = [
        (wording.label, wording.answer(question, given[str(question.pk)]))
        for question in access.questions_of(event)
        if given.get(str(question.pk))
        for wording in [content.question_in(question, event, request.LANGUAGE_CODE)]
    ]
    return {
        **_event_context(request, event, registrant=True),
        "registration": registration,
        "answers": answers,
        "group": group,
        "cancellable": _cancellable(group),
        "tickets": tickets,
        "joins": joins,
        # Each person offered a place, the booker's companions too, accepts on their own;
        # there is no place to take at an event called off.
        "offers": [
            (row, content.local_time(event, row.offer_expires_at))
            for row in group
            if live and row.status == RegistrationStatus.OFFERED and row.offer_expires_at
        ],
    }


@public_view
@require_GET
def event_join(request: HttpRequest, org: str, event: str, token: str) -> HttpResponse:
    found = access.public_event(org, event)
    if (gone := _gone(request, found)) is not None:
        return gone
    registration = access.registration_from_join_token(found, token)
    if registration is None:
        return _private(
            render(request, "events/public/link_invalid.html", {"event": found}, status=400)
        )
    if (
        registration.status != RegistrationStatus.CONFIRMED
        or found.status != EventStatus.PUBLISHED
        or not found.online
    ):
        return _private(
            render(request, "events/public/join_refused.html", {"event": found}, status=403)
        )
    with scope(organisation=found.owner):
        secret = actions.secret_of(found)
    context = {
        **_event_context(request, found, registrant=True),
        "meeting_url": secret.meeting_url,
        "joining_details": secret.joining_details,
        "registration": registration,
    }
    return _private(render(request, "events/public/join.html", context))


__all__ = [
    "event_calendar",
    "event_feed",
    "event_index",
    "event_join",
    "event_programme",
    "event_public",
    "event_public_language",
    "event_register",
    "event_registered",
    "event_registration",
]
