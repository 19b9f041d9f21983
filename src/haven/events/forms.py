"""Forms of the advocacy staff's event pages."""

from __future__ import annotations

import zoneinfo
from datetime import datetime
from functools import cache
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.events.actions import (
    EVENT_TIMES,
    LARGEST_CAPACITY,
    LARGEST_GROUP,
    LONGEST_OFFER_HOURS,
    LONGEST_RETENTION_DAYS,
    date_range_message,
    in_zone,
)
from haven.events.models import (
    DEFAULT_ANONYMISE_AFTER_DAYS,
    DEFAULT_OFFER_HOURS,
    Event,
    EventKind,
    PartnerRole,
    Question,
    QuestionKind,
    QuestionText,
    Session,
    SessionKind,
    Speaker,
    SpeakerRole,
    Visibility,
)
from haven.letters.forms import CountryField, ExportForm, StrictBooleanField
from haven.organisations.language_fields import LanguageMenuForm
from haven.organisations.models import Organisation
from haven.widgets import DateTimeInput

__all__ = [
    "CodeForm",
    "EventCreateForm",
    "EventForm",
    "ExportForm",
    "MeetingForm",
    "MoveForm",
    "PartnerForm",
    "QuestionForm",
    "QuestionTextForm",
    "SessionForm",
    "SessionSpeakerForm",
    "SpeakerForm",
    "TextForm",
]


@cache
def timezone_choices() -> list[tuple[str, str]]:
    return [(name, name) for name in sorted(zoneinfo.available_timezones())]


class LocalDateTimeField(forms.DateTimeField):
    """A date and time as typed, without a zone: the form places it in the event's zone."""

    widget = DateTimeInput

    def to_python(self, value: Any) -> datetime | None:
        result = super().to_python(value)
        if result is None:
            return None
        return timezone.make_naive(result) if timezone.is_aware(result) else result


def local_value(moment: datetime | None, zone: str) -> datetime | None:
    """A UTC moment as the wall-clock time in ``zone``, for a form's initial value."""
    if moment is None:
        return None
    try:
        return moment.astimezone(zoneinfo.ZoneInfo(zone)).replace(tzinfo=None)
    except OverflowError:
        # Saved at the calendar's edge before such dates were refused: shown as in UTC,
        # for the owner to correct.
        return moment.replace(tzinfo=None)


def language_list(value: Any) -> list[str]:
    """Language codes given comma- or space-separated, or as a list (a multi-select)."""
    if isinstance(value, list | tuple):
        parts = [str(part) for part in value]
    else:
        parts = str(value or "").replace(",", " ").split()
    return [part.strip().lower() for part in parts if part.strip()][:60]


class LanguagesField(forms.CharField):
    def to_python(self, value: Any) -> list[str]:  # type: ignore[override]
        return language_list(value)

    def prepare_value(self, value: Any) -> Any:
        return ", ".join(value) if isinstance(value, list | tuple) else value


class EventForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=EventKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    description = forms.CharField(
        label=_("Description"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 8}),
        help_text=_("Markdown: blank lines between paragraphs, *emphasis*, lists with “-”."),
    )
    timezone = forms.ChoiceField(
        label=_("Time zone"),
        choices=timezone_choices,
        initial="Europe/Paris",
        help_text=_("The times below are in this time zone."),
    )
    starts_at = LocalDateTimeField(label=_("Starts at"))
    ends_at = LocalDateTimeField(label=_("Ends at"))
    in_person = StrictBooleanField(label=_("In person"), required=False, initial=True)
    online = StrictBooleanField(label=_("Online"), required=False)
    venue_name = forms.CharField(label=_("Venue"), max_length=200, required=False)
    venue_address = forms.CharField(label=_("Address"), max_length=300, required=False)
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    country = CountryField(label=_("Country"), required=False)
    languages = LanguagesField(
        label=_("Languages of the event"),
        required=False,
        max_length=400,
        help_text=_("Language codes separated by commas, such as en, fr, es."),
    )
    interpretation = LanguagesField(
        label=_("Interpretation offered into"),
        required=False,
        max_length=400,
        help_text=_("Language codes separated by commas; empty if none."),
    )
    visibility = forms.ChoiceField(label=_("Who may register"), choices=Visibility.choices)
    registration_open = StrictBooleanField(
        label=_("Registration open"), required=False, initial=True
    )
    registration_closes_at = LocalDateTimeField(label=_("Registration deadline"), required=False)
    capacity = forms.IntegerField(
        label=_("Capacity"),
        min_value=1,
        max_value=LARGEST_CAPACITY,
        required=False,
        help_text=_("Empty: no limit."),
    )
    waiting_list = StrictBooleanField(
        label=_("Waiting list when full"), required=False, initial=True
    )
    offer_hours = forms.IntegerField(
        label=_("Hours to accept a place offered from the waiting list"),
        min_value=1,
        max_value=LONGEST_OFFER_HOURS,
        initial=DEFAULT_OFFER_HOURS,
    )
    group_size = forms.IntegerField(
        label=_("Most people one registration may bring"),
        min_value=1,
        max_value=LARGEST_GROUP,
        initial=1,
    )
    id_check = StrictBooleanField(label=_("Check an ID or press card at the door"), required=False)
    recording_url = forms.URLField(
        label=_("Recording"), max_length=500, required=False, assume_scheme="https"
    )
    report_url = forms.URLField(
        label=_("Report"), max_length=500, required=False, assume_scheme="https"
    )
    hashtags = forms.CharField(label=_("Hashtags"), max_length=200, required=False)
    anonymise_after_days = forms.IntegerField(
        label=_("Anonymise registrants this many days after the event"),
        min_value=1,
        max_value=LONGEST_RETENTION_DAYS,
        initial=DEFAULT_ANONYMISE_AFTER_DAYS,
    )

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        zone = cleaned.get("timezone")
        if zone:
            for name in EVENT_TIMES:
                if cleaned.get(name) is not None:
                    try:
                        cleaned[name] = in_zone(cleaned[name], zone)
                    except (ValueError, OverflowError):
                        # A date at the calendar's edge (year 1, 9999) moved into UTC.
                        self.add_error(name, date_range_message())
        return cleaned

    def values(self) -> dict[str, Any]:
        """The Event fields, for the actions."""
        return {
            name: self.cleaned_data[name]
            for name in self.base_fields
            if name not in ("language", "other_language")
        }

    @staticmethod
    def initial_for(event: Event) -> dict[str, Any]:
        initial = {name: getattr(event, name) for name in EventForm.base_fields}
        for name in EVENT_TIMES:
            initial[name] = local_value(getattr(event, name), event.timezone)
        return initial


class EventCreateForm(EventForm, LanguageMenuForm):
    language_label = _("Language of the text")
    field_order = ("language", "other_language", "kind", "title")


class MoveForm(forms.Form):
    move = forms.ChoiceField(
        choices=[
            ("publish", _("Publish")),
            ("cancel", _("Cancel the event")),
            ("withdraw", _("Withdraw the event")),
        ]
    )
    reason = forms.CharField(label=_("Reason"), max_length=500, required=False)
    # Withdrawing asks first: the first button shows what it does, this one does it.
    confirm = forms.ChoiceField(choices=[("", ""), ("yes", "yes")], required=False)


class TextForm(LanguageMenuForm):
    title = forms.CharField(
        label=_("Title"),
        max_length=300,
        required=False,
        help_text=_("Empty: the translation is removed."),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 6}),
    )


class MeetingForm(forms.Form):
    meeting_url = forms.URLField(
        label=_("Meeting link"), max_length=1000, required=False, assume_scheme="https"
    )
    joining_details = forms.CharField(
        label=_("Joining details"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text=_("Meeting ID, passcode, dial-in numbers: sent to registrants only."),
    )


class DirectoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


def _directory() -> Any:
    return Organisation.objects.order_by("name")


class PartnerForm(forms.Form):
    organisation = DirectoryChoiceField(label=_("Organisation"), queryset=_directory())
    role = forms.ChoiceField(label=_("Role"), choices=PartnerRole.choices)


class SpeakerForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    title = forms.CharField(label=_("Title or function"), max_length=300, required=False)
    organisation = DirectoryChoiceField(
        label=_("Organisation in the directory"), queryset=_directory(), required=False
    )
    affiliation = forms.CharField(
        label=_("Or the organisation's name"),
        max_length=200,
        required=False,
        help_text=_("When the organisation is not in the directory."),
    )

    @staticmethod
    def initial_for(speaker: Speaker) -> dict[str, Any]:
        return {
            "name": speaker.name,
            "title": speaker.title,
            "organisation": speaker.organisation_id,
            "affiliation": speaker.affiliation,
        }


class SessionForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=SessionKind.choices)
    title = forms.CharField(label=_("Title"), max_length=300)
    starts_at = LocalDateTimeField(label=_("Starts at"))
    ends_at = LocalDateTimeField(label=_("Ends at"))
    room = forms.CharField(label=_("Room"), max_length=100, required=False)
    description = forms.CharField(
        label=_("Description"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, event: Event, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        for name in ("starts_at", "ends_at"):
            self.fields[name].help_text = _("In the event's time zone, %(zone)s.") % {
                "zone": event.timezone
            }

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        for name in ("starts_at", "ends_at"):
            if cleaned.get(name) is not None:
                try:
                    cleaned[name] = in_zone(cleaned[name], self.event.timezone)
                except (ValueError, OverflowError):
                    self.add_error(name, date_range_message())
        return cleaned

    @staticmethod
    def initial_for(session: Session, zone: str) -> dict[str, Any]:
        return {
            "kind": session.kind,
            "title": session.title,
            "starts_at": local_value(session.starts_at, zone),
            "ends_at": local_value(session.ends_at, zone),
            "room": session.room,
            "description": session.description,
        }


class SpeakerChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return f"{obj.name} — {obj.title}" if obj.title else str(obj.name)


class SessionSpeakerForm(forms.Form):
    speaker = SpeakerChoiceField(label=_("Speaker"), queryset=Speaker.objects.none())
    role = forms.ChoiceField(label=_("Role"), choices=SpeakerRole.choices)
    talk_title = forms.CharField(label=_("Title of the talk"), max_length=300, required=False)

    def __init__(self, *args: Any, speakers: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["speaker"].queryset = speakers  # type: ignore[attr-defined]


class QuestionForm(forms.Form):
    label = forms.CharField(label=_("Question"), max_length=200)
    kind = forms.ChoiceField(label=_("Type of answer"), choices=QuestionKind.choices)
    required = StrictBooleanField(label=_("Required"), required=False)
    help_text = forms.CharField(label=_("Help"), max_length=300, required=False)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show_at_door = StrictBooleanField(label=_("Show to door staff"), required=False)

    @staticmethod
    def initial_for(question: Question) -> dict[str, Any]:
        return {
            "label": question.label,
            "kind": question.kind,
            "required": question.required,
            "help_text": question.help_text,
            "choices": question.choices,
            "show_at_door": question.show_at_door,
        }


class QuestionTextForm(forms.Form):
    """A question in one more language; without choices unless it has a list of them."""

    label = forms.CharField(
        label=_("Question"),
        max_length=200,
        required=False,
        help_text=_("Empty: the translation is removed."),
    )
    help_text = forms.CharField(label=_("Help"), max_length=300, required=False)
    choices = forms.CharField(
        label=_("Choices, one per line"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("As many as the original, in its order. Empty: the original choices."),
    )

    def __init__(self, *args: Any, question: Question, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if question.kind != QuestionKind.CHOICE:
            del self.fields["choices"]

    @staticmethod
    def initial_for(text: QuestionText | None) -> dict[str, Any]:
        if text is None:
            return {}
        return {"label": text.label, "help_text": text.help_text, "choices": text.choices}


class CodeForm(forms.Form):
    label = forms.CharField(label=_("For whom"), max_length=200, required=False)
    uses_allowed = forms.IntegerField(
        label=_("How many registrations it allows"), min_value=1, max_value=10_000, initial=1
    )
