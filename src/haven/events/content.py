"""What events look like outside Haven: iCalendar files, calendar links, QR codes, times.

iCalendar files are built with the ``icalendar`` library (docs/decisions/0021); QR codes
with ``qrcode``, as SVG for pages and PNG (pypng, pure Python) for e-mail attachments.
"""

from __future__ import annotations

import io
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import overload
from urllib.parse import urlencode

import icalendar
import qrcode
import qrcode.image.pure
import qrcode.image.svg
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format, time_format
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import pgettext

from haven import timezones
from haven.events.models import (
    Event,
    EventStatus,
    EventText,
    Question,
    QuestionKind,
    QuestionText,
    Visibility,
)
from haven.letters.content import plain_summary
from haven.mail.compose import absolute_url

PRODUCT_ID = "-//Haven//Events//EN"
# Beyond any description (20,000 characters): plain_text never cuts one short.
LONGEST_PLAIN = 100_000


def local_time(event: Event, moment: datetime) -> datetime:
    """``moment`` in the event's own time zone (what the programme and e-mails show)."""
    try:
        return timezone.localtime(moment, zoneinfo.ZoneInfo(event.timezone))
    except OverflowError:
        # A moment at the calendar's edge, saved before the actions refused such dates:
        # shown in UTC rather than taking down every page that lists the event.
        return moment


def zone_label(event: Event, moment: datetime | None = None) -> str:
    """The event's time zone as people read it at ``moment`` (its start by default)."""
    return timezones.zone_label(local_time(event, moment or event.starts_at))


def time_range(event: Event, *, short: bool = False) -> str:
    """When the event takes place, in its time zone and the reader's language: the date
    once for an event that ends on the day it starts."""
    starts, ends = local_time(event, event.starts_at), local_time(event, event.ends_at)
    prefix = "SHORT_" if short else ""
    if starts.date() == ends.date():
        return pgettext("an event on one day", "%(date)s, %(starts)s – %(ends)s") % {
            "date": date_format(starts, f"{prefix}DATE_FORMAT"),
            "starts": time_format(starts, "TIME_FORMAT"),
            "ends": time_format(ends, "TIME_FORMAT"),
        }
    return "{} – {}".format(
        date_format(starts, f"{prefix}DATETIME_FORMAT"),
        date_format(ends, f"{prefix}DATETIME_FORMAT"),
    )


@overload
def _translation(translated: Event, language: str) -> EventText | None: ...
@overload
def _translation(translated: Question, language: str) -> QuestionText | None: ...
def _translation(translated: Event | Question, language: str) -> EventText | QuestionText | None:
    """The row of ``translated.texts`` in ``language``, from the prefetched rows if any."""
    cache = getattr(translated, "_prefetched_objects_cache", {})
    texts: Iterable[EventText | QuestionText] = (
        cache["texts"] if "texts" in cache else translated.texts.filter(language=language)
    )
    return next((text for text in texts if text.language == language), None)


def text_in(event: Event, language: str) -> tuple[str, str]:
    """The title and description in ``language`` when translated, else the original."""
    if language != event.language:
        text = _translation(event, language)
        if text is not None:
            return text.title, text.description
    return event.title, event.description


def shown_language(event: Event, language: str) -> str:
    """The language ``text_in`` gives the title and description in, for ``lang``."""
    if language != event.language and _translation(event, language) is not None:
        return language
    return event.language


def text_languages(event: Event) -> list[str]:
    """The languages the title and description are written in, the original first."""
    cache = getattr(event, "_prefetched_objects_cache", {})
    texts: Iterable[EventText] = cache["texts"] if "texts" in cache else event.texts.all()
    return [event.language, *sorted({text.language for text in texts} - {event.language})]


@dataclass(frozen=True)
class Wording:
    """A question as one reader sees it; each choice is (the original, as shown)."""

    label: str
    help_text: str
    choices: list[tuple[str, str]]

    def answer(self, question: Question, value: str) -> str:
        """An answer in this reader's words: a choice as translated, else as staff read it."""
        shown = dict(self.choices)
        if question.kind == QuestionKind.CHOICE and value in shown:
            return shown[value]
        return question.answer_label(value)


def question_in(question: Question, event: Event, language: str) -> Wording:
    """A question in ``language`` where translated, each part falling back to the
    original; a choice's value stays the original's, so answers do not depend on it."""
    originals = question.choice_list()
    label, help_text, shown = question.label, question.help_text, originals
    if language != event.language:
        question_text = _translation(question, language)
        if question_text is not None:
            label = question_text.label
            help_text = question_text.help_text or question.help_text
            translated = question_text.choice_list()
            # A list that no longer matches the original line for line is not shown.
            if len(translated) == len(originals):
                shown = translated
    return Wording(
        label=label, help_text=help_text, choices=list(zip(originals, shown, strict=True))
    )


def plain_text(markdown: str) -> str:
    """A Markdown description as plain text, paragraph by paragraph, for calendar files
    (which show their text as it is)."""
    paragraphs = re.split(r"\n\s*\n", markdown or "")
    return "\n\n".join(
        plain_summary(paragraph, length=LONGEST_PLAIN)
        for paragraph in paragraphs
        if paragraph.strip()
    )


def place_of(event: Event) -> str:
    """The venue as one line: room, venue, address, city (for registrants; the public
    reads ``public_place_of``)."""
    parts = [event.room, event.venue_name, event.venue_address, event.city]
    return ", ".join(part for part in parts if part)


def venue_hidden(event: Event) -> bool:
    """Whether the public is kept from the venue: an invitation-only event's venue may be
    a place its invitees must be safe in, so only registrants read it."""
    return event.visibility == Visibility.INVITATION


def public_place_of(event: Event) -> str:
    """The venue as anyone may read it: an invitation-only event's city only."""
    return event.city if venue_hidden(event) else place_of(event)


def public_url(event: Event, language: str | None = None) -> str:
    """The absolute address of the event's page; in ``language`` when it is a translation
    (the plain address shows each reader their language where the event has it)."""
    kwargs = {"org": event.owner.slug, "event": event.slug}
    if language and language != event.language:
        return absolute_url(reverse("event_public_language", kwargs={**kwargs, "lang": language}))
    return absolute_url(reverse("event_public", kwargs=kwargs))


def _calendar_event(event: Event, language: str, *, registrant: bool) -> icalendar.Event:
    title, description = text_in(event, language)
    entry = icalendar.Event()
    entry.add("uid", f"event-{event.pk}@{absolute_url('').split('//', 1)[-1].strip('/')}")
    entry.add("dtstamp", event.updated_at or timezone.now())
    entry.add("dtstart", local_time(event, event.starts_at))
    entry.add("dtend", local_time(event, event.ends_at))
    entry.add("summary", title)
    entry.add("description", f"{plain_text(description)}\n\n{public_url(event)}".strip())
    entry.add("url", public_url(event))
    location = place_of(event) if registrant else public_place_of(event)
    if location:
        entry.add("location", location)
    # A calendar drops its copy of a cancelled or withdrawn event.
    off = event.status in (EventStatus.CANCELLED, EventStatus.WITHDRAWN)
    entry.add("status", "CANCELLED" if off else "CONFIRMED")
    # A change of time or place must replace the copy in the calendar, not add one.
    entry.add("sequence", int(event.updated_at.timestamp()) if event.updated_at else 0)
    return entry


def calendar_file(
    events: Iterable[Event], *, language: str, name: str = "Haven", registrant: bool = False
) -> bytes:
    """An iCalendar file of the events (one event for an attachment, many for a feed); the
    venue of an invitation-only event only in a ``registrant``'s."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT_ID)
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", name)
    for event in events:
        calendar.add_component(_calendar_event(event, language, registrant=registrant))
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())


def google_calendar_link(event: Event, language: str, *, registrant: bool = False) -> str:
    """A link that adds the event to a Google calendar (the others take the .ics file); the
    venue of an invitation-only event only in a ``registrant``'s."""
    title, _description = text_in(event, language)
    stamp = "%Y%m%dT%H%M%SZ"
    query = urlencode(
        {
            "action": "TEMPLATE",
            "text": title,
            "dates": f"{event.starts_at.astimezone(zoneinfo.ZoneInfo('UTC')).strftime(stamp)}/"
            f"{event.ends_at.astimezone(zoneinfo.ZoneInfo('UTC')).strftime(stamp)}",
            "details": public_url(event),
            "location": place_of(event) if registrant else public_place_of(event),
            "ctz": event.timezone,
        }
    )
    return f"https://calendar.google.com/calendar/render?{query}"


def grouped_code(code: str) -> str:
    """A ticket code in groups of four, to read out or type at the door (which ignores the
    spaces)."""
    return " ".join(code[start : start + 4] for start in range(0, len(code), 4))


def _qr(data: str, box_size: int = 10) -> qrcode.QRCode:
    code = qrcode.QRCode(
        error_correction=qrcode.constants.ERROR_CORRECT_M, border=2, box_size=box_size
    )
    code.add_data(data)
    code.make(fit=True)
    return code


def qr_svg(data: str) -> SafeString:
    """The QR code of ``data`` as inline SVG markup (only hex digits go in: nothing to escape)."""
    image = _qr(data).make_image(image_factory=qrcode.image.svg.SvgPathImage)
    markup = str(image.to_string(encoding="unicode"))
    return mark_safe(markup)  # noqa: S308 - qrcode's own markup of a hex string


def qr_png(data: str) -> bytes:
    """The QR code of ``data`` as a PNG file, for an e-mail attachment."""
    image = _qr(data, box_size=8).make_image(image_factory=qrcode.image.pure.PyPNGImage)
    buffer = io.BytesIO()
    image.save(buffer)
    return buffer.getvalue()
