"""Filters of the audit trail."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.validators import RegexValidator
from django.utils.translation import gettext_lazy as _

from haven.privacy.models import outcome_label
from haven.widgets import DateInput

# Actions and object types are recorded in lower case (auth.login_failed, casework.person):
# a filter written otherwise matches nothing, and would look like an empty trail. On SQLite,
# whose LIKE ignores case, "Auth." would even match what PostgreSQL does not.
ACTION_PREFIX = RegexValidator(
    r"^[a-z0-9_.]+\Z",
    _(
        "Write an action, or its start, in lower-case letters, digits, “_” and “.”, "
        "such as “auth.” or “auth.login_failed”."
    ),
)
OBJECT_TYPE = RegexValidator(
    r"^[a-z0-9_]+\.[a-z0-9_]+\Z",
    _("Write an object type as app.model in lower case, such as “casework.person”."),
)


class AuditFilterForm(forms.Form):
    user = forms.CharField(label=_("User"), max_length=150, required=False)
    action = forms.CharField(
        label=_("Action"), max_length=60, required=False, validators=[ACTION_PREFIX]
    )
    object_type = forms.CharField(
        label=_("Object type"), max_length=60, required=False, validators=[OBJECT_TYPE]
    )
    object_id = forms.CharField(label=_("Object id"), max_length=64, required=False)
    outcome = forms.ChoiceField(label=_("Outcome"), required=False)
    since = forms.DateField(label=_("From"), required=False, widget=DateInput())
    until = forms.DateField(label=_("To"), required=False, widget=DateInput())

    def __init__(self, *args: Any, outcomes: Iterable[str] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        outcome = self.fields["outcome"]
        assert isinstance(outcome, forms.ChoiceField)
        outcome.choices = [("", _("Any")), *((value, outcome_label(value)) for value in outcomes)]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("since") and data.get("until") and data["since"] > data["until"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data
