"""The public's registration form, built from the event's own questions."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from haven.abuse.addresses import checked_email, is_blocked_domain
from haven.abuse.honeypot import HoneypotMixin
from haven.events.actions import LARGEST_GROUP
from haven.events.content import question_in
from haven.events.models import Event, Question, QuestionKind, Visibility
from haven.organisations.languages import language_name

# As many as the largest group an event may take (the page says "up to N people"; the API
# takes them all too).
MAX_COMPANIONS = LARGEST_GROUP - 1


def throwaway_refusal() -> str:
    """Why an address at a throw-away domain cannot register (the form's and the API's)."""
    return str(_("Please register with a permanent e-mail address, not a throw-away one."))


class RegistrationForm(HoneypotMixin):
    """Name, e-mail, the people brought along, the invitation code and the questions."""

    name = forms.CharField(label=_("Your name"), max_length=200)
    email = forms.EmailField(
        label=_("Your e-mail"),
        max_length=254,
        help_text=_("We send your confirmation, and your ticket or joining link, there."),
    )

    def __init__(
        self,
        *args: Any,
        event: Event,
        questions: list[Question],
        language: str,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.event = event
        self.questions = questions
        self.language = language
        for number in range(1, min(event.group_size, MAX_COMPANIONS + 1)):
            self.fields[f"companion_{number}"] = forms.CharField(
                label=_("Name of the person you bring (%(number)d)") % {"number": number},
                max_length=200,
                required=False,
            )
        if event.visibility == Visibility.INVITATION:
            self.fields["code"] = forms.CharField(
                label=_("Invitation code"), max_length=40, required=True
            )
        for question in questions:
            self.fields[f"question_{question.pk}"] = self._field_for(question)

    def _field_for(self, question: Question) -> forms.Field:
        wording = question_in(question, self.event, self.language)
        common: dict[str, Any] = {
            # Marked as the other public forms mark theirs (a petition's comment, say).
            "label": wording.label
            if question.required
            else _("%(question)s (optional)") % {"question": wording.label},
            "required": question.required,
            "help_text": wording.help_text,
        }
        if question.kind == QuestionKind.LONG_TEXT:
            return forms.CharField(
                max_length=2000, widget=forms.Textarea(attrs={"rows": 3}), **common
            )
        if question.kind == QuestionKind.CHOICE:
            # The value is the original choice: the answer reads the same in every language.
            return forms.ChoiceField(choices=[("", "—"), *wording.choices], **common)
        if question.kind == QuestionKind.YES_NO:
            answers = [("yes", _("Yes")), ("no", _("No"))]
            if question.required:
                return forms.ChoiceField(choices=answers, widget=forms.RadioSelect, **common)
            # An optional answer can be taken back.
            return forms.ChoiceField(
                choices=[("", _("No answer")), *answers],
                widget=forms.RadioSelect,
                initial="",
                **common,
            )
        if question.kind == QuestionKind.LANGUAGE:
            options = [(code, language_name(code)) for code in self.event.interpretation]
            return forms.ChoiceField(choices=[("", "—"), *options], **common)
        return forms.CharField(max_length=300, **common)

    def clean_email(self) -> str:
        address = checked_email(self.cleaned_data["email"])
        if is_blocked_domain(address):
            raise forms.ValidationError(throwaway_refusal())
        return address

    def companions(self) -> list[str]:
        return [
            str(value)
            for name, value in self.cleaned_data.items()
            if name.startswith("companion_") and value
        ]

    def answers(self) -> dict[str, str]:
        return {
            str(question.pk): str(self.cleaned_data.get(f"question_{question.pk}") or "")
            for question in self.questions
        }


class MemberForm(forms.Form):
    """One member of the registrant's group (by registration id), or none: the whole group
    to cancel, or the registrant's own offer to accept."""

    member = forms.UUIDField(required=False)
