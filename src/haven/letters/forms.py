"""Forms of the letters pages: drafting, translating, the workflow, signing and requests."""

from __future__ import annotations

import functools
import re
from collections.abc import Collection
from typing import Any

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from haven.abuse.addresses import checked_email, is_blocked_domain
from haven.abuse.honeypot import HoneypotMixin
from haven.letters.models import LetterKind, SignatoryCategory, SignatoryOrder
from haven.organisations.language_fields import LanguageMenuForm
from haven.organisations.languages import language_name
from haven.organisations.models import Organisation
from haven.records.export import PASSPHRASE_MAX_LENGTH, PASSPHRASE_MIN_LENGTH
from haven.timezones import in_zone
from haven.widgets import DateInput, DateTimeInput


class StrictCheckboxInput(forms.CheckboxInput):
    """Hands the submitted value over as it came, so the field can refuse odd ones."""

    def value_from_datadict(self, data: Any, files: Any, name: str) -> Any:
        return data.get(name)


class StrictBooleanField(forms.BooleanField):
    """A checkbox that accepts what browsers send for it, and refuses anything else."""

    widget = StrictCheckboxInput

    def to_python(self, value: Any) -> bool:
        if value in (True, "on", "true", "True", "1", 1, "yes"):
            return True
        if value in (None, "", False, "false", "False", "0", 0, "off", "no"):
            return False
        raise forms.ValidationError(_("Tick the box or leave it empty."), code="invalid")


@functools.cache
def _countries_in(language: str) -> tuple[tuple[str, str], ...]:
    return tuple((code, str(name)) for code, name in countries)


@functools.cache
def _country_options(language: str, blank: str) -> str:
    return "".join(
        format_html('<option value="{}">{}</option>', code, name)
        for code, name in [("", blank), *_countries_in(language)]
    )


class CountrySelect(forms.Select):
    """The country list, rendered once per language: a public form is rendered on every
    visit, and 250 options through the widget templates cost tens of milliseconds."""

    def render(
        self, name: str, value: Any, attrs: dict[str, Any] | None = None, renderer: Any = None
    ) -> SafeString:
        language = get_language() or "en"
        options = _country_options(language, str(_("Choose a country")))
        if isinstance(value, str) and re.fullmatch(r"[A-Z]{2}", value):
            options = options.replace(f'value="{value}"', f'value="{value}" selected', 1)
        final = self.build_attrs(self.attrs, {**(attrs or {}), "name": name})
        return format_html("<select{}>{}</select>", flatatt(final), mark_safe(options))  # noqa: S308


def country_choices() -> list[tuple[str, str]]:
    """Every country in the current language after an empty "Choose a country"; built once
    per language, since public forms are built on every signature."""
    language = get_language() or "en"
    return [("", str(_("Choose a country"))), *_countries_in(language)]


@functools.cache
def _country_codes() -> frozenset[str]:
    return frozenset(code for code, _name in countries)


class CountryField(forms.ChoiceField):
    """A country by its ISO code. The code is checked against a set: ChoiceField would
    rebuild and walk the 250 translated choices on every submission."""

    widget = CountrySelect

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(choices=country_choices, **kwargs)

    def valid_value(self, value: Any) -> bool:
        return isinstance(value, str) and value in _country_codes()


class LetterDetailsForm(forms.Form):
    kind = forms.ChoiceField(label=_("Type"), choices=LetterKind.choices)
    addressees = forms.CharField(
        label=_("Addressees"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Who the letter is addressed to, one per line."),
    )
    letter_date = forms.DateField(label=_("Date of the letter"), required=False, widget=DateInput)
    signature_deadline = forms.DateTimeField(
        label=in_zone(_("Signature deadline")), required=False, widget=DateTimeInput()
    )
    publish_at = forms.DateTimeField(
        label=in_zone(_("Publication date")),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Embargo: the public page appears from this moment."),
    )
    contact_name = forms.CharField(label=_("Contact person"), max_length=200, required=False)
    contact_role = forms.CharField(label=_("Contact person's role"), max_length=200, required=False)
    contact_email = forms.EmailField(label=_("Contact e-mail"), max_length=254, required=False)
    contact_phone = forms.CharField(label=_("Contact phone"), max_length=40, required=False)
    hashtags = forms.CharField(
        label=_("Hashtags"),
        max_length=200,
        required=False,
        help_text=_("For the share links, e.g. “#LastGirlFirst #EndExploitation”."),
    )
    signatory_order = forms.ChoiceField(
        label=_("Order of signatories in each group"), choices=SignatoryOrder.choices
    )

    def letter_values(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data}


class LetterCreateForm(LetterDetailsForm, LanguageMenuForm):
    language_label = _("Original language")
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: blank lines between paragraphs, *emphasis*, lists with “-”."),
    )
    field_order = ("kind", "language", "other_language", "title", "body")

    def letter_values(self) -> dict[str, Any]:
        values = super().letter_values()
        for name in ("language", "title", "body"):
            values.pop(name, None)
        return values


class TextForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    body = forms.CharField(
        label=_("Text"),
        max_length=100_000,
        widget=forms.Textarea(attrs={"rows": 16}),
        help_text=_("Markdown: blank lines between paragraphs, *emphasis*, lists with “-”."),
    )
    annex = forms.CharField(
        label=_("Annex"),
        max_length=200_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 10}),
    )
    evidence = forms.CharField(
        label=_("Evidence references"),
        max_length=20_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One source per line: a reference, a link, or both."),
    )
    footnote = forms.CharField(
        label=_("Footnote"),
        max_length=5000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AddLanguageForm(LanguageMenuForm):
    language_label = _("Add a translation in")

    def __init__(self, *args: Any, existing: Collection[str] = (), **kwargs: Any) -> None:
        # The menu offers the languages the text lacks: an untouched menu opened the
        # original for editing, and saving it told every signatory the text had changed.
        super().__init__(*args, without=existing, **kwargs)
        self.existing = frozenset(existing)

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        # Typed in the box, a language the text has is refused like the menu leaves it out.
        if cleaned.get("language") in self.existing:
            raise forms.ValidationError(
                _("The text exists in this language already: open it from the list of texts.")
            )
        return cleaned


class MoveForm(forms.Form):
    move = forms.ChoiceField(
        choices=[
            ("open", "open"),
            ("close", "close"),
            ("publish", "publish"),
            ("withdraw", "withdraw"),
        ],
        widget=forms.HiddenInput,
    )
    reason = forms.CharField(
        label=_("Reason for withdrawal"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    publish_at = forms.DateTimeField(
        label=in_zone(_("Publish from")),
        required=False,
        widget=DateTimeInput(),
        help_text=_("Leave empty to publish now."),
    )


class CategoryForm(forms.Form):
    name = forms.CharField(label=_("Name of the group"), max_length=120)
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=999, required=False)
    open_to_requests = StrictBooleanField(
        label=_("Organisations outside Haven may choose it"), required=False, initial=True
    )

    def __init__(self, *args: Any, languages: list[str], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.languages = languages
        for language in languages:
            self.fields[f"name_{language}"] = forms.CharField(
                label=_("Name in %(language)s") % {"language": language_name(language)},
                max_length=120,
                required=False,
            )

    def changes(self) -> dict[str, Any]:
        values: dict[str, Any] = {
            "name": self.cleaned_data["name"],
            "open_to_requests": self.cleaned_data["open_to_requests"],
            "translations": {
                language: self.cleaned_data.get(f"name_{language}", "")
                for language in self.languages
            },
        }
        if self.cleaned_data.get("position") is not None:
            values["position"] = self.cleaned_data["position"]
        return values


class CategoryChoiceField(forms.ModelChoiceField):  # type: ignore[type-arg]
    def label_from_instance(self, obj: Any) -> str:
        return str(obj.name)


class SignForm(forms.Form):
    signer_role = forms.CharField(
        label=_("Your role"),
        max_length=200,
        required=False,
        help_text=_("As it may appear to the organisers, e.g. “Executive director”."),
    )
    agree = StrictBooleanField(
        label=_("I am entitled to sign this text in my organisation's name.")
    )


class ExportForm(forms.Form):
    file_format = forms.ChoiceField(
        label=_("Format"), choices=[("xlsx", "XLSX"), ("csv", "CSV")], initial="xlsx"
    )
    passphrase = forms.CharField(
        label=_("Passphrase of the encrypted file"),
        min_length=PASSPHRASE_MIN_LENGTH,
        max_length=PASSPHRASE_MAX_LENGTH,
        help_text=_(
            "Note it down: the file opens only with it (7-Zip, or your system's archive tool)."
        ),
    )


class RequestForm(HoneypotMixin):
    """An organisation outside Haven asks to sign."""

    name = forms.CharField(label=_("Name of the organisation"), max_length=200)
    country = CountryField(label=_("Country"))
    category = CategoryChoiceField(
        label=_("Group"), queryset=SignatoryCategory.objects.none(), empty_label=None
    )
    website = forms.URLField(
        label=_("Website"), max_length=300, required=False, assume_scheme="https"
    )
    signer_name = forms.CharField(label=_("Your name"), max_length=200)
    signer_role = forms.CharField(label=_("Your role in the organisation"), max_length=200)
    signer_email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send a link there: the request counts once you confirm it."),
    )
    entitled = StrictBooleanField(
        label=_("I am entitled to sign this text in my organisation's name.")
    )

    def __init__(
        self, *args: Any, categories: list[SignatoryCategory], language: str, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        assert isinstance(category_field, CategoryChoiceField)
        ids = [category.pk for category in categories]
        category_field.queryset = SignatoryCategory.objects.filter(pk__in=ids).order_by(
            "position", "pk"
        )
        category_field.label_from_instance = lambda obj: obj.name_in(language)  # type: ignore[method-assign]
        if len(categories) == 1:
            category_field.widget = forms.HiddenInput()
            category_field.initial = categories[0].pk

    def clean_country(self) -> str:
        country: str = self.cleaned_data["country"]
        if not country:
            raise forms.ValidationError(_("Choose a country."))
        return country

    def clean_signer_email(self) -> str:
        address = checked_email(self.cleaned_data["signer_email"])
        if is_blocked_domain(address):
            raise forms.ValidationError(
                _("Please use your organisation's e-mail address, not a throw-away one.")
            )
        return address

    def clean_website(self) -> str:
        website: str = self.cleaned_data.get("website", "")
        if website and not website.lower().startswith(("http://", "https://")):
            raise forms.ValidationError(_("Give the website as an address starting with https://."))
        return website


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[("approve", _("Approve")), ("reject", _("Reject"))],
        widget=forms.RadioSelect,
    )
    category = CategoryChoiceField(
        label=_("Group"), queryset=SignatoryCategory.objects.none(), required=False
    )
    directory_entry = forms.ChoiceField(label=_("Directory entry"), required=False, choices=())
    reason = forms.CharField(
        label=_("Reason (told to the signer when rejected)"),
        max_length=500,
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def __init__(
        self,
        *args: Any,
        categories: list[SignatoryCategory],
        suggestions: list[Organisation],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        assert isinstance(category_field, CategoryChoiceField)
        category_field.queryset = SignatoryCategory.objects.filter(
            pk__in=[category.pk for category in categories]
        ).order_by("position", "pk")
        self.suggestions = {str(entry.pk): entry for entry in suggestions}
        self.fields["directory_entry"].choices = [  # type: ignore[attr-defined]
            ("", _("A new directory entry, as the request gives it")),
            *(
                (key, f"{entry.name}" + (f" ({entry.country.name})" if entry.country else ""))
                for key, entry in self.suggestions.items()
            ),
        ]

    def chosen_entry(self) -> Organisation | None:
        return self.suggestions.get(self.cleaned_data.get("directory_entry") or "")


class ArrangeForm(forms.Form):
    category = CategoryChoiceField(label=_("Group"), queryset=SignatoryCategory.objects.none())
    position = forms.IntegerField(label=_("Position"), min_value=0, max_value=100_000)

    def __init__(self, *args: Any, categories: list[SignatoryCategory], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        category_field = self.fields["category"]
        assert isinstance(category_field, CategoryChoiceField)
        category_field.queryset = SignatoryCategory.objects.filter(
            pk__in=[category.pk for category in categories]
        ).order_by("position", "pk")
