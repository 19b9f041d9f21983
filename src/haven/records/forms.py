"""Forms of the records pages: export, import and erasure."""

from __future__ import annotations

from collections.abc import Collection
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.records.export import PASSPHRASE_MAX_LENGTH, PASSPHRASE_MIN_LENGTH
from haven.widgets import DateInput

KIND_CHOICES = [("persons", _("People supported")), ("services", _("Services given"))]
FORMAT_CHOICES = [("csv", _("CSV")), ("xlsx", _("Excel workbook (XLSX)"))]


class ExportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What to export"),
        choices=KIND_CHOICES,
        widget=forms.RadioSelect,
        initial="services",
    )
    format = forms.ChoiceField(
        label=_("File format"), choices=FORMAT_CHOICES, widget=forms.RadioSelect, initial="xlsx"
    )
    # A one-choice list rather than a boolean, so anything but "yes" is refused.
    include_identity = forms.MultipleChoiceField(
        label=_("Identifying fields"),
        choices=[("yes", _("Include names, contact details and other identifying fields"))],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    date_from = forms.DateField(label=_("Services from"), required=False, widget=DateInput())
    date_to = forms.DateField(label=_("Services until"), required=False, widget=DateInput())
    passphrase = forms.CharField(
        label=_("Passphrase"),
        required=False,
        min_length=PASSPHRASE_MIN_LENGTH,
        max_length=PASSPHRASE_MAX_LENGTH,
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
        help_text=_(
            "At least 12 characters. Leave it empty and Haven makes one up and shows it once."
        ),
    )

    def __init__(self, *args: Any, may_include_identity: bool, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not may_include_identity:
            del self.fields["include_identity"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and end < start:
            self.add_error("date_to", _("The end date comes before the start date."))
        return data


class ImportForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("What the file holds"), choices=KIND_CHOICES, widget=forms.RadioSelect
    )
    file = forms.FileField(
        label=_("File (CSV or XLSX)"),
        help_text=_("At most 5 MB and 20,000 rows, with the columns listed on this page."),
    )

    def __init__(self, *args: Any, kinds: Collection[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Only what the user may record by hand (records.imports.IMPORT_PERMISSIONS).
        choices = [(value, label) for value, label in KIND_CHOICES if value in kinds]
        self.fields["kind"].choices = choices  # type: ignore[attr-defined]
        if len(choices) == 1:
            self.fields["kind"].initial = choices[0][0]


class ConfirmImportForm(forms.Form):
    ticket = forms.CharField(max_length=64, widget=forms.HiddenInput)


class EraseForm(forms.Form):
    confirm_code = forms.CharField(
        label=_("Type the person's code to confirm"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocomplete": "off", "autofocus": True}),
    )
