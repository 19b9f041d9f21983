"""Forms of the helpline: the call form of the console and the filters of the call list."""

from __future__ import annotations

import datetime
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.accounts.access import staff_of
from haven.helpline.actions import MAX_DURATION_MINUTES, MAX_NOTES
from haven.helpline.models import CallChannel, CallerType, CallOutcome, CallTopic
from haven.organisations.language_fields import LanguageCodeField
from haven.organisations.models import Organisation
from haven.widgets import DateInput, DateTimeInput, HiddenDateTimeInput

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class CallForm(forms.Form):
    """One call, in the order an operator fills it in during or right after the call."""

    caller_type = forms.ChoiceField(
        label=_("Who called"), choices=CallerType.choices, widget=forms.RadioSelect
    )
    topics = forms.MultipleChoiceField(
        label=_("Topics"),
        choices=CallTopic.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), choices=CallOutcome.choices, widget=forms.RadioSelect
    )
    duration_minutes = forms.IntegerField(
        label=_("Duration (minutes)"),
        min_value=0,
        max_value=MAX_DURATION_MINUTES,
        required=False,
        help_text=_(
            "Left empty: timed from the start time to saving, or unknown if you changed the "
            "start time."
        ),
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=CallChannel.choices,
        initial=CallChannel.PHONE,
        widget=forms.RadioSelect,
    )
    language = LanguageCodeField(
        label=_("Language"),
        datalist="helpline-languages",
        help_text=_("Its code or name, e.g. ro or Romanian."),
    )
    started_at = forms.DateTimeField(
        label=_("Started at"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=DateTimeInput(),
    )
    follow_up_on = forms.DateField(
        label=_("Follow up on"),
        required=False,
        widget=DateInput(),
    )
    person_code = forms.CharField(
        label=_("Person's code"),
        max_length=20,
        required=False,
        help_text=_("Only if the caller has a record and agreed to casework; else leave empty."),
        widget=forms.TextInput(attrs={"autocomplete": "off", "size": 10}),
    )
    notes = forms.CharField(
        label=_("Notes"),
        max_length=MAX_NOTES,
        required=False,
        help_text=_("Short, and only what the follow-up needs. Stored encrypted."),
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    # The start time the console offered: a start left at it means the form was opened as
    # the call began, so an empty duration can be timed; a changed one, a call logged after.
    opened_at = forms.DateTimeField(
        required=False,
        input_formats=[DATETIME_LOCAL, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M"],
        widget=HiddenDateTimeInput(),
    )

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["duration_minutes"].help_text = _("Leave empty if not known.")
            del self.fields["opened_at"]

    def timed_from_start(self) -> bool:
        """Whether an empty duration is the time since the start: the start is still the one
        the console offered when the form was opened."""
        data = self.cleaned_data
        opened_at, started_at = data.get("opened_at"), data.get("started_at")
        if data.get("duration_minutes") is not None or not opened_at or not started_at:
            return False
        return bool(
            opened_at.replace(second=0, microsecond=0)
            == started_at.replace(second=0, microsecond=0)
        )


class FollowUpChoice:
    DUE = "due"
    OPEN = "open"
    DONE = "done"


class CallFilterForm(forms.Form):
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput())
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *CallChannel.choices]
    )
    caller_type = forms.ChoiceField(
        label=_("Who called"), required=False, choices=[("", _("Anyone")), *CallerType.choices]
    )
    topic = forms.ChoiceField(
        label=_("Topic"), required=False, choices=[("", _("Any")), *CallTopic.choices]
    )
    outcome = forms.ChoiceField(
        label=_("Outcome"), required=False, choices=[("", _("Any")), *CallOutcome.choices]
    )
    operator = forms.TypedChoiceField(
        label=_("Operator"), required=False, coerce=int, empty_value=None
    )
    follow_up = forms.ChoiceField(
        label=_("Follow-up"),
        required=False,
        choices=[
            ("", _("Any")),
            (FollowUpChoice.DUE, _("Due (today or earlier)")),
            (FollowUpChoice.OPEN, _("Open")),
            (FollowUpChoice.DONE, _("Done")),
        ],
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        operators = [(str(user.pk), user.display_name) for user, _roles in staff_of(organisation)]
        self.fields["operator"].choices = [("", _("Anyone")), *operators]  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: datetime.date | None = data.get("date_from")
        end: datetime.date | None = data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date comes before the start date."))
        return data
