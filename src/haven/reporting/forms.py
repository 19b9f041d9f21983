"""Forms of the reporting pages. The entry form's cells are read by haven.reporting.entry."""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.organisations.models import MembershipCategory
from haven.reporting.access import MemberStatus
from haven.reporting.actions import DEFAULT_CATEGORIES, DEFAULT_REMIND_DAYS, MAX_REMIND_DAYS
from haven.reporting.models import PeriodKind
from haven.reporting.periods import previous_periods
from haven.reporting.schema import TABLES
from haven.widgets import DateInput

DASHBOARD_COLUMNS = (("country", _("Country")), ("member", _("Member")))


class PeriodForm(forms.Form):
    kind = forms.ChoiceField(label=_("Period"), choices=PeriodKind.choices)
    starts_on = forms.DateField(
        label=_("Starts on"),
        widget=DateInput(),
        help_text=_("The first day of the month, quarter or year."),
    )
    deadline = forms.DateField(label=_("Deadline"), widget=DateInput())
    categories = forms.MultipleChoiceField(
        label=_("Ask these members"),
        choices=MembershipCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=list(DEFAULT_CATEGORIES),
    )
    threshold = forms.IntegerField(
        label=_("Smallest count shown"),
        min_value=2,
        max_value=100,
        initial=10,
        help_text=_("Smaller counts are withheld (CTDC publishes with 11)."),
    )
    epsilon = forms.DecimalField(
        label=_("Privacy loss per sending (ε)"),
        min_value=Decimal(0),
        max_value=Decimal(10),
        decimal_places=2,
        initial=Decimal("1.00"),
        help_text=_("0 turns the noise off. Smaller is more private and less accurate."),
    )
    budget = forms.DecimalField(
        label=_("Privacy budget per member (ε)"),
        min_value=Decimal(0),
        max_value=Decimal(20),
        decimal_places=2,
        initial=Decimal("2.00"),
        help_text=_("With 2 and 1 per sending, a member can send once and correct once."),
    )
    remind_days_before = forms.IntegerField(
        label=_("First reminder, days before the deadline"),
        min_value=0,
        max_value=MAX_REMIND_DAYS,
        initial=DEFAULT_REMIND_DAYS,
        required=False,
        help_text=_(
            "Members that have not sent are also reminded on the day and after the deadline. "
            "0: no reminder before the day."
        ),
    )

    def clean_remind_days_before(self) -> int:
        value = self.cleaned_data.get("remind_days_before")
        return DEFAULT_REMIND_DAYS if value is None else int(value)

    @staticmethod
    def initial_values() -> dict[str, Any]:
        today = timezone.localdate()
        start = previous_periods(PeriodKind.QUARTER, today, 1)[0]
        return {
            "kind": PeriodKind.QUARTER,
            "starts_on": start,
            "deadline": max(today, start) + datetime.timedelta(days=30),
        }


def _member_choices(statuses: list[MemberStatus], everyone: str) -> list[tuple[str, str]]:
    return [("", everyone)] + [
        (str(status.organisation.pk), status.organisation.name) for status in statuses
    ]


class DeadlineForm(forms.Form):
    member = forms.ChoiceField(label=_("For"), required=False)
    deadline = forms.DateField(label=_("New deadline"), widget=DateInput())
    reason = forms.CharField(
        label=_("Note to the members"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Sent with the e-mail that tells them the new deadline."),
    )

    def __init__(self, *args: Any, statuses: list[MemberStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        waiting = [status for status in statuses if status.asked and not status.revision]
        member = cast(forms.ChoiceField, self.fields["member"])
        member.choices = _member_choices(waiting, str(_("Every member (the network's deadline)")))


class RemindForm(forms.Form):
    member = forms.ChoiceField(required=False)
    note = forms.CharField(
        label=_("Note to the members"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("Added to the reminder, if you like."),
    )

    def __init__(self, *args: Any, statuses: list[MemberStatus], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        waiting = [status for status in statuses if status.asked and not status.revision]
        member = cast(forms.ChoiceField, self.fields["member"])
        member.choices = _member_choices(waiting, str(_("Every member")))


class UploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        help_text=_("Columns table, category and value, as in the file you can download."),
    )


class SendForm(forms.Form):
    reason = forms.CharField(
        label=_("Reason for the correction"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Needed when figures already sent are corrected."),
    )


class PublishForm(forms.Form):
    tables = forms.MultipleChoiceField(
        label=_("Tables to publish"),
        choices=[(table.key, table.title) for table in TABLES],
        widget=forms.CheckboxSelectMultiple,
        initial=[table.key for table in TABLES],
    )
    note = forms.CharField(
        label=_("Note shown with the figures"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    confirm_few_members = forms.BooleanField(label=_("Publish them all the same"), required=False)


class DashboardForm(forms.Form):
    kind = forms.ChoiceField(label=_("Periods"), choices=PeriodKind.choices, required=False)
    start = forms.DateField(label=_("From"), required=False, widget=DateInput())
    end = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("start") and data.get("end") and data["end"] < data["start"]:
            self.add_error("end", _("The end comes before the start."))
        return data
