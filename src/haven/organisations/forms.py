"""Forms of the directory pages: organisations, memberships and the coordinator's filters."""

from __future__ import annotations

import re
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from haven.accounts.forms import invitation_address_field
from haven.organisations.languages import validate_language_codes
from haven.organisations.models import MembershipCategory, Organisation, OrganisationKind
from haven.widgets import DateInput


def _country_choices(blank_label: str) -> list[tuple[str, str]]:
    return [("", blank_label), *((code, str(name)) for code, name in countries)]


class LanguagesField(forms.CharField):
    """ISO 639 codes typed as a comma-separated list, e.g. "en, fr, ar"."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 500)
        kwargs.setdefault("required", False)
        kwargs.setdefault(
            "help_text",
            _("ISO 639 codes separated by commas, e.g. “en, fr, ar”."),
        )
        super().__init__(**kwargs)

    def prepare_value(self, value: Any) -> Any:
        if isinstance(value, list):
            return ", ".join(str(code) for code in value)
        return value

    def clean(self, value: Any) -> list[str]:
        text = super().clean(value)
        codes: list[str] = []
        for code in re.split(r"[\s,;]+", text or ""):
            code = code.strip().lower()
            if code and code not in codes:
                codes.append(code)
        try:
            validate_language_codes(codes)
        except ValidationError as error:
            raise forms.ValidationError(error.messages) from error
        return codes


class OrganisationForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200)
    short_name = forms.CharField(
        label=_("Short name"), max_length=50, required=False, help_text=_("An acronym, if any.")
    )
    kind = forms.ChoiceField(label=_("Type"), choices=OrganisationKind.choices)
    country = forms.ChoiceField(label=_("Country"), required=False, choices=[])
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    website = forms.URLField(
        label=_("Website"),
        max_length=300,
        required=False,
        assume_scheme="https",
        help_text=_("Starting with https:// or http://"),
    )
    languages = LanguagesField(label=_("Languages"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["country"].choices = _country_choices("—")  # type: ignore[attr-defined]

    def clean_website(self) -> str:
        website: str = self.cleaned_data.get("website") or ""
        if website and not website.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Give an address starting with http:// or https://."))
        return website

    @classmethod
    def initial_for(cls, organisation: Organisation) -> dict[str, Any]:
        return {
            "name": organisation.name,
            "short_name": organisation.short_name,
            "kind": organisation.kind,
            "country": organisation.country.code or "",
            "city": organisation.city,
            "website": organisation.website,
            "languages": list(organisation.languages or []),
        }

    def organisation_values(self) -> dict[str, Any]:
        return {field: self.cleaned_data[field] for field in OrganisationForm.base_fields}


class MembershipForm(forms.Form):
    category = forms.ChoiceField(label=_("Category"), choices=MembershipCategory.choices)
    since = forms.DateField(label=_("Member since"), required=False, widget=DateInput)
    until = forms.DateField(label=_("Member until"), required=False, widget=DateInput)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        since, until = data.get("since"), data.get("until")
        if since and until and until < since:
            self.add_error("until", _("A membership cannot end before it starts."))
        return data


class NewMemberForm(OrganisationForm):
    """A new organisation and the membership it starts with."""

    category = forms.ChoiceField(label=_("Category"), choices=MembershipCategory.choices)
    since = forms.DateField(label=_("Member since"), required=False, widget=DateInput)
    # Offered only once the directory turned out to hold the name elsewhere.
    confirm_duplicate = forms.BooleanField(
        label=_("It is another organisation: add it all the same"), required=False
    )


class ExistingMemberForm(forms.Form):
    organisation = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    category = forms.ChoiceField(label=_("Category"), choices=MembershipCategory.choices)
    since = forms.DateField(label=_("Member since"), required=False, widget=DateInput)


class FirstAdminForm(forms.Form):
    email = invitation_address_field(
        help_text=_("Of the person who will manage the organisation's staff on Haven.")
    )


class OrganisationSearchForm(forms.Form):
    q = forms.CharField(label=_("Name or short name"), max_length=100, required=False)


class EndMembershipForm(forms.Form):
    # Shares the membership page with MembershipForm, whose "until" would give two
    # elements the same id.
    prefix = "end"

    until = forms.DateField(
        label=_("Last day"),
        required=False,
        widget=DateInput,
        help_text=_("Leave empty to end it today."),
    )
    # Set by the confirmation step: the first press only shows what ending it does. A
    # choice, not a boolean, so that any other value is refused rather than read as yes.
    confirmed = forms.TypedChoiceField(
        choices=[("", ""), ("yes", "yes")],
        coerce=lambda value: value == "yes",
        required=False,
        widget=forms.HiddenInput,
    )


def _countries_among(country_codes: list[str]) -> list[tuple[str, str]]:
    names = dict(countries)
    found = ((code, str(names.get(code, code))) for code in set(country_codes))
    return [("", str(_("All countries"))), *sorted(found, key=_second)]


class CountryFilterField(forms.ChoiceField):
    """A country to narrow a list to, offered among the countries the list holds.

    The ISO code is taken in any case ("gb" from a hand-typed or old link). A real country
    the list no longer holds is kept, and the list is empty; only a code that is no country
    at all is refused.
    """

    default_error_messages = {
        "invalid_choice": _("There is no country with the code %(value)s."),
    }

    def to_python(self, value: Any) -> str:
        return str(super().to_python(value)).strip().upper()

    def bound_data(self, data: Any, initial: Any) -> Any:
        # The list shows the country chosen, whatever the case it came in.
        return data.strip().upper() if isinstance(data, str) else data

    def validate(self, value: Any) -> None:
        if value and not countries.alpha2(value):
            raise ValidationError(
                self.error_messages["invalid_choice"],
                code="invalid_choice",
                params={"value": value},
            )

    def offer(self, country_codes: list[str], chosen: object) -> None:
        """Offer the list's countries, and the one chosen even if the list no longer holds it."""
        code = str(chosen or "").strip().upper()
        extra = [code] if code and countries.alpha2(code) and code not in country_codes else []
        self.choices = _countries_among([*country_codes, *extra])


class MemberFilterForm(forms.Form):
    q = forms.CharField(label=_("Name"), max_length=100, required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *MembershipCategory.choices],
    )
    country = CountryFilterField(label=_("Country"), required=False, choices=[])
    status = forms.ChoiceField(
        label=_("Membership"),
        required=False,
        choices=[("all", _("Current and ended")), ("current", _("Current")), ("ended", _("Ended"))],
    )

    def __init__(self, *args: Any, country_codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CountryFilterField, self.fields["country"]).offer(
            country_codes, self.data.get(self.add_prefix("country"))
        )


class DirectoryFilterForm(forms.Form):
    country = CountryFilterField(label=_("Country"), required=False, choices=[])

    def __init__(self, *args: Any, country_codes: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast(CountryFilterField, self.fields["country"]).offer(
            country_codes, self.data.get(self.add_prefix("country"))
        )


def _second(pair: tuple[str, str]) -> str:
    return pair[1]
