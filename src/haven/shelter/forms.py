"""Forms of the shelter pages: facilities, bookings, and changes to a stay."""

from __future__ import annotations

from typing import Any

from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from haven.shelter.actions import MAX_ACCOMPANYING, MAX_CAPACITY
from haven.shelter.models import Facility
from haven.widgets import DateInput


class _RawCheckboxInput(forms.CheckboxInput):
    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        # Django's checkbox turns any string into True; keep it, so garbage can be refused.
        return data.get(name)


class Checkbox(forms.BooleanField):
    """A tick box that refuses anything a browser's checkbox would never send."""

    widget = _RawCheckboxInput

    def to_python(self, value: Any) -> bool:
        if isinstance(value, str) and value.lower() not in ("", "on", "true", "false", "1", "0"):
            raise forms.ValidationError(_("Tick the box or leave it empty."), code="invalid")
        return super().to_python(value)


class FacilityForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        widget=forms.TextInput(attrs={"autofocus": True}),
        error_messages={"required": _("Give the facility a name.")},
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    beds = forms.IntegerField(label=_("Beds"), min_value=0, max_value=MAX_CAPACITY)
    family_rooms = forms.IntegerField(
        label=_("Family rooms"),
        min_value=0,
        max_value=MAX_CAPACITY,
        initial=0,
        help_text=_("Rooms that hold a whole family, counted apart from the beds."),
    )


class FacilityEditForm(FacilityForm):
    active = Checkbox(
        label=_("In use"),
        required=False,
        help_text=_("Untick to take the facility out of use (only when nobody is booked)."),
    )


class StayForm(forms.Form):
    person_code = forms.CharField(
        label=_("Person code"),
        max_length=20,
        widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off"}),
    )
    facility = forms.ModelChoiceField(label=_("Facility"), queryset=Facility.objects.none())
    starts_on = forms.DateField(label=_("Arrives on"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Leaves on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty if the day of leaving is not known yet."),
    )
    accompanying = forms.IntegerField(
        label=_("Accompanying household members"),
        min_value=0,
        max_value=MAX_ACCOMPANYING,
        initial=0,
    )
    family_room = Checkbox(label=_("In a family room"), required=False)

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The day of leaving must be after the day of arrival."))
        return data


class StayChangeForm(forms.Form):
    starts_on = forms.DateField(label=_("Arrives on"), widget=DateInput())
    ends_on = forms.DateField(
        label=_("Leaves on"),
        required=False,
        widget=DateInput(),
        help_text=_("Leave empty if the day of leaving is not known yet."),
    )
    accompanying = forms.IntegerField(
        label=_("Accompanying household members"), min_value=0, max_value=MAX_ACCOMPANYING
    )
    family_room = Checkbox(label=_("In a family room"), required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        starts_on, ends_on = data.get("starts_on"), data.get("ends_on")
        if starts_on and ends_on and ends_on <= starts_on:
            self.add_error("ends_on", _("The day of leaving must be after the day of arrival."))
        return data


class EndStayForm(forms.Form):
    # The stay page also shows StayChangeForm, whose "ends_on" would share this one's
    # ids (its label and help text would point at the first box); the view reads the
    # posted form with this same prefix.
    prefix = "end"

    ends_on = forms.DateField(
        label=_("Leaves on"),
        widget=DateInput(),
        help_text=_("The morning they leave: the night before is their last one."),
    )


STATUS_CHOICES = [
    ("", _("Any")),
    ("current", _("Staying tonight")),
    ("upcoming", _("Arriving later")),
    ("past", _("Left")),
]


class StayFilterForm(forms.Form):
    facility = forms.ModelChoiceField(
        label=_("Facility"), queryset=Facility.objects.none(), required=False
    )
    status = forms.ChoiceField(label=_("Status"), choices=STATUS_CHOICES, required=False)
    person_code = forms.CharField(label=_("Person code"), max_length=20, required=False)

    def __init__(self, *args: Any, facilities: QuerySet[Facility], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["facility"].queryset = facilities  # type: ignore[attr-defined]
