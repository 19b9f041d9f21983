"""Forms of the petition pages: the owner's, and the public's signature."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.abuse.addresses import checked_email, is_blocked_domain
from haven.abuse.honeypot import HoneypotMixin
from haven.letters.forms import CountryField, ExportForm, StrictBooleanField
from haven.organisations.language_fields import LanguageMenuForm
from haven.petitions.actions import LARGEST_GOAL, LONGEST_RETENTION_DAYS
from haven.petitions.models import DEFAULT_ANONYMISE_AFTER_DAYS, Petition
from haven.timezones import in_zone
from haven.widgets import DateTimeInput

__all__ = ["ExportForm", "InvalidateForm", "PetitionCreateForm", "PetitionForm", "SignatureForm"]


class PetitionForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=300)
    addressee = forms.CharField(label=_("Addressed to"), max_length=300, required=False)
    summary = forms.CharField(
        label=_("Summary"),
        max_length=500,
        required=False,
        help_text=_("One or two sentences, shown in share previews."),
    )
    body = forms.CharField(
        label=_("Text"),
        max_length=50_000,
        widget=forms.Textarea(attrs={"rows": 12}),
        help_text=_("Markdown: blank lines between paragraphs, *emphasis*, lists with “-”."),
    )
    closes_at = forms.DateTimeField(
        label=in_zone(_("Closes at")), required=False, widget=DateTimeInput()
    )
    goal = forms.IntegerField(label=_("Goal"), min_value=1, max_value=LARGEST_GOAL, required=False)
    consent_text = forms.CharField(
        label=_("Text of the consent to follow-up contact"),
        max_length=500,
        required=False,
        help_text=_("Signers tick it only if they wish; it is off by default."),
    )
    show_comments = StrictBooleanField(label=_("Show comments publicly"), required=False)
    blocked_domains = forms.CharField(
        label=_("Blocked e-mail domains"),
        max_length=10_000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "One domain per line, on top of the installation's list of throw-away domains."
        ),
    )
    anonymise_after_days = forms.IntegerField(
        label=_("Anonymise signatures this many days after closing"),
        min_value=1,
        max_value=LONGEST_RETENTION_DAYS,
        initial=DEFAULT_ANONYMISE_AFTER_DAYS,
    )
    hashtags = forms.CharField(label=_("Hashtags"), max_length=200, required=False)

    @staticmethod
    def initial_for(petition: Petition) -> dict[str, Any]:
        return {name: getattr(petition, name) for name in PetitionForm.base_fields}


class PetitionCreateForm(PetitionForm, LanguageMenuForm):
    field_order = ("language", "other_language", "title")

    def values(self) -> dict[str, Any]:
        return {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("language", "title", "body")
        }


class SignatureForm(HoneypotMixin):
    """The public's signature."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send you a link: your signature counts once you confirm it."),
    )
    country = CountryField(label=_("Country"), required=False)
    comment = forms.CharField(
        label=_("Comment (optional)"),
        max_length=1000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    show_name = StrictBooleanField(label=_("Show my name among the signatories"), required=False)
    contact_consent = StrictBooleanField(required=False)

    def __init__(self, *args: Any, petition: Petition, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.petition = petition
        self.fields["contact_consent"].label = petition.consent_text or _(
            "I agree to be contacted about this petition."
        )
        if not petition.show_comments:
            self.fields["comment"].help_text = _("Only the organisers read it.")
        else:
            self.fields["comment"].help_text = _(
                "Shown on this page with your name, if you let your name be shown."
            )

    def clean_email(self) -> str:
        address = checked_email(self.cleaned_data["email"])
        if is_blocked_domain(address, extra=self.petition.blocked_domain_list()):
            raise forms.ValidationError(
                _("Please sign with a permanent e-mail address, not a throw-away one.")
            )
        return address


class InvalidateForm(forms.Form):
    domain = forms.CharField(
        label=_("Every signature from this e-mail domain"), max_length=253, required=False
    )
    created_from = forms.DateTimeField(
        label=in_zone(_("Made from")), required=False, widget=DateTimeInput()
    )
    created_to = forms.DateTimeField(
        label=in_zone(_("Made until")), required=False, widget=DateTimeInput()
    )
    reason = forms.CharField(label=_("Reason"), max_length=200)
