"""Forms of the casework pages: intake, person details, search, consent, cases and settings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from haven.casework.actions import FACT_FIELDS, IDENTITY_FIELDS
from haven.casework.htcds import (
    CaseStatus,
    Exploitation,
    Gender,
    MeansOfControl,
    Sector,
    TraffickingStatus,
    Vulnerability,
)
from haven.casework.models import (
    AgeBand,
    ConsentMethod,
    ConsentPurpose,
    MigrationStatus,
    Need,
    RiskLevel,
    Terminology,
)
from haven.organisations.forms import LanguagesField
from haven.organisations.models import Organisation
from haven.timezones import main_zone_of, zone_choices
from haven.widgets import DateInput

if TYPE_CHECKING:
    from haven.accounts.models import User

SEX_WORK_CHOICES = [("", _("Not recorded")), ("yes", _("Yes")), ("no", _("No"))]


def _with_blank(choices: Sequence[tuple[str, Any]], label: Any = "—") -> list[tuple[str, Any]]:
    return [("", label), *choices]


def _country_choices() -> list[tuple[str, str]]:
    return [(code, str(name)) for code, name in countries]


def _yes_no(value: str) -> bool | None:
    return {"yes": True, "no": False}.get(value)


class PersonForm(forms.Form):
    """Identifying details (only for roles that may see them) and neutral facts."""

    given_name = forms.CharField(label=_("Given name"), max_length=200, required=False)
    family_name = forms.CharField(label=_("Family name"), max_length=200, required=False)
    alias = forms.CharField(label=_("Alias"), max_length=200, required=False)
    birth_date = forms.DateField(label=_("Date of birth"), required=False, widget=DateInput)
    estimated_age = forms.IntegerField(
        label=_("Estimated age"), required=False, min_value=0, max_value=120
    )
    phone = forms.CharField(label=_("Phone"), max_length=40, required=False)
    identity_document = forms.CharField(
        label=_("Identity document"), max_length=200, required=False
    )
    address = forms.CharField(
        label=_("Address"), max_length=500, required=False, widget=forms.Textarea({"rows": 2})
    )
    notes = forms.CharField(
        label=_("Notes"), max_length=10_000, required=False, widget=forms.Textarea({"rows": 3})
    )

    gender = forms.ChoiceField(
        label=_("Sex / gender"), choices=_with_blank(Gender.choices), required=False
    )
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=_with_blank(AgeBand.choices), required=False
    )
    citizenship = forms.MultipleChoiceField(
        label=_("Citizenship"), choices=_country_choices, required=False
    )
    languages = LanguagesField(label=_("Languages"))
    migration_status = forms.ChoiceField(
        label=_("Migration status"), choices=_with_blank(MigrationStatus.choices), required=False
    )
    trafficking_status = forms.ChoiceField(
        label=_("Trafficking"),
        choices=_with_blank(TraffickingStatus.choices, _("Not recorded")),
        required=False,
        help_text=_("Only what staff have recorded; nothing is inferred from other facts."),
    )
    exploitation_types = forms.MultipleChoiceField(
        label=_("Types of exploitation"),
        choices=Exploitation.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    sector = forms.ChoiceField(
        label=_("Sector of exploitation"), choices=_with_blank(Sector.choices), required=False
    )
    exploitation_country = forms.ChoiceField(
        label=_("Country of exploitation"),
        choices=lambda: _with_blank(_country_choices()),
        required=False,
    )
    means_of_control = forms.MultipleChoiceField(
        label=_("Means of control"),
        choices=MeansOfControl.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    in_sex_work = forms.TypedChoiceField(
        label=_("In prostitution / sex work"),
        choices=SEX_WORK_CHOICES,
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    vulnerabilities = forms.MultipleChoiceField(
        label=_("Other exploitation or vulnerability"),
        choices=Vulnerability.choices,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args: Any, show_identity: bool = True, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not show_identity:
            for name in IDENTITY_FIELDS:
                del self.fields[name]
        first = next(iter(self.fields.values()))
        first.widget.attrs["autofocus"] = True

    @classmethod
    def initial_for(cls, person: Any, *, show_identity: bool) -> dict[str, Any]:
        names = (IDENTITY_FIELDS if show_identity else ()) + FACT_FIELDS
        initial = {name: getattr(person, name) for name in names}
        if "in_sex_work" in initial:
            initial["in_sex_work"] = {True: "yes", False: "no"}.get(initial["in_sex_work"], "")
        return initial

    def person_values(self) -> dict[str, Any]:
        """The cleaned values, as the person actions take them."""
        values = {
            name: self.cleaned_data[name] for name in self.fields if name in self.cleaned_data
        }
        if "birth_date" in values:
            values["birth_date"] = values["birth_date"].isoformat() if values["birth_date"] else ""
        if "estimated_age" in values:
            age = values["estimated_age"]
            values["estimated_age"] = "" if age is None else str(age)
        return {name: values[name] for name in (*IDENTITY_FIELDS, *FACT_FIELDS) if name in values}


class IntakeForm(PersonForm):
    """A new person: their details, their household and the casework consent given."""

    HOUSEHOLD_CHOICES = [
        ("none", _("No household")),
        ("new", _("Start a new household")),
        ("existing", _("Join an existing household")),
    ]

    household_choice = forms.ChoiceField(
        label=_("Household"),
        choices=HOUSEHOLD_CHOICES,
        initial="none",
        widget=forms.RadioSelect,
    )
    household_code = forms.CharField(
        label=_("Code of the household to join"),
        max_length=20,
        required=False,
        help_text=_("For example H-00012."),
    )
    consent_given_on = forms.DateField(
        label=_("Casework consent given on"),
        widget=DateInput,
        help_text=_("Record nothing about a person who has not agreed to it."),
    )
    consent_method = forms.ChoiceField(
        label=_("How consent was obtained"), choices=_with_blank(ConsentMethod.choices)
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["consent_given_on"].initial = timezone.localdate

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("household_choice") == "existing" and not data.get("household_code"):
            self.add_error("household_code", _("Give the code of the household to join."))
        return data


class HouseholdSearchForm(forms.Form):
    """Find a household by its code."""

    code = forms.CharField(
        label=_("Code"), max_length=20, required=False, help_text=_("Whole code or its start.")
    )


class PersonSearchForm(forms.Form):
    """Search by code, exact identifying value, situation, service and last activity."""

    code = forms.CharField(
        label=_("Code"), max_length=20, required=False, help_text=_("Whole code or its start.")
    )
    name = forms.CharField(
        label=_("Exact name, alias or phone"),
        max_length=200,
        required=False,
        help_text=_(
            "A given name, family name or both, an alias or a phone: each matches whole only "
            "(capitals and extra spaces ignored, accents count)."
        ),
    )
    trafficking_status = forms.ChoiceField(
        label=_("Trafficking"), choices=_with_blank(TraffickingStatus.choices), required=False
    )
    exploitation_type = forms.ChoiceField(
        label=_("Type of exploitation"), choices=_with_blank(Exploitation.choices), required=False
    )
    in_sex_work = forms.TypedChoiceField(
        label=_("In prostitution / sex work"),
        choices=[("", "—"), ("yes", _("Yes")), ("no", _("No"))],
        coerce=_yes_no,
        empty_value=None,
        required=False,
    )
    gender = forms.ChoiceField(
        label=_("Sex / gender"), choices=_with_blank(Gender.choices), required=False
    )
    age_band = forms.ChoiceField(
        label=_("Age band"), choices=_with_blank(AgeBand.choices), required=False
    )
    service = forms.ChoiceField(label=_("Service received"), choices=[], required=False)
    active_from = forms.DateField(label=_("Active from"), required=False, widget=DateInput)
    active_to = forms.DateField(label=_("Active until"), required=False, widget=DateInput)

    def __init__(
        self, *args: Any, organisation: Organisation, show_identity: bool, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["service"].choices = _with_blank(service_choices(organisation))  # type: ignore[attr-defined]
        if not show_identity:
            del self.fields["name"]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("active_from"), data.get("active_to")
        if start and end and end < start:
            self.add_error("active_to", _("The end comes before the start."))
        return data


def service_choices(organisation: Organisation) -> list[tuple[str, str]]:
    """Codes and translated names of the service types the organisation can record."""
    from haven.services.access import service_label_of
    from haven.services.models import ServiceType

    rows = ServiceType.objects.filter(
        Q(organisation=organisation) | Q(organisation__isnull=True)
    ).values_list("organisation_id", "code", "name")
    labels = {code: service_label_of(owner, code, name) for owner, code, name in rows}
    return sorted(labels.items(), key=lambda item: item[1])


class ConsentForm(forms.Form):
    purpose = forms.ChoiceField(label=_("Purpose"), choices=_with_blank(ConsentPurpose.choices))
    recipient = forms.ModelChoiceField(
        label=_("Organisation (for a referral)"),
        queryset=Organisation.objects.none(),
        required=False,
    )
    given_on = forms.DateField(label=_("Given on"), widget=DateInput)
    method = forms.ChoiceField(
        label=_("How it was obtained"), choices=_with_blank(ConsentMethod.choices)
    )

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["recipient"].queryset = Organisation.objects.exclude(  # type: ignore[attr-defined]
            pk=organisation.pk
        ).order_by("name")
        self.fields["given_on"].initial = timezone.localdate
        self.fields["purpose"].widget.attrs["autofocus"] = True


class WithdrawConsentForm(forms.Form):
    withdrawn_on = forms.DateField(label=_("Withdrawn on"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["withdrawn_on"].initial = timezone.localdate


class HouseholdChoiceForm(forms.Form):
    """Join a household by its code, start a new one, or leave the current one."""

    CHOICES = [
        ("new", _("Start a new household")),
        ("existing", _("Join an existing household")),
        ("leave", _("Leave the household")),
    ]
    choice = forms.ChoiceField(label=_("Household"), choices=CHOICES, widget=forms.RadioSelect)
    household_code = forms.CharField(
        label=_("Code of the household to join"), max_length=20, required=False
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("choice") == "existing" and not data.get("household_code"):
            self.add_error("household_code", _("Give the code of the household to join."))
        return data


class HouseholdForm(forms.Form):
    other_members = forms.IntegerField(
        label=_("Other members without a record"),
        min_value=0,
        max_value=100,
        help_text=_("Young children, for example, counted for services given to the family."),
    )


class CaseForm(forms.Form):
    assigned_to: forms.ModelChoiceField[User] = forms.ModelChoiceField(
        label=_("Assigned to"), queryset=None, required=False, empty_label="—"
    )
    needs = forms.MultipleChoiceField(
        label=_("Needs"), choices=Need.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    risk_level = forms.ChoiceField(label=_("Risk level"), choices=RiskLevel.choices)
    opened_on = forms.DateField(label=_("Opened on"), widget=DateInput)
    follow_up_on = forms.DateField(label=_("Follow up on"), required=False, widget=DateInput)
    status = forms.ChoiceField(
        label=_("Status"),
        choices=[
            (CaseStatus.ACTIVE, CaseStatus.ACTIVE.label),
            (CaseStatus.FOLLOW_UP, CaseStatus.FOLLOW_UP.label),
        ],
    )

    def __init__(self, *args: Any, staff: Any, opening: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assigned_to"].queryset = staff  # type: ignore[attr-defined]
        self.fields["assigned_to"].label_from_instance = _staff_label  # type: ignore[attr-defined]
        self.fields["opened_on"].initial = timezone.localdate
        if opening:
            del self.fields["status"]
        self.fields["assigned_to"].widget.attrs["autofocus"] = True


def _staff_label(user: User) -> str:
    return user.get_full_name() or user.username


class CloseCaseForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Outcome"),
        choices=[
            (CaseStatus.CLOSED, CaseStatus.CLOSED.label),
            (CaseStatus.CLOSED_REFERRED, CaseStatus.CLOSED_REFERRED.label),
        ],
    )
    closed_on = forms.DateField(label=_("Closed on"), widget=DateInput)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["closed_on"].initial = timezone.localdate


class NoteForm(forms.Form):
    text = forms.CharField(label=_("Note"), max_length=20_000, widget=forms.Textarea({"rows": 4}))


class SettingsForm(forms.Form):
    terminology = forms.ChoiceField(
        label=_("The people we support are called"), choices=Terminology.choices
    )
    code_prefix = forms.RegexField(
        label=_("Prefix of person codes"),
        regex=r"^[A-Za-z0-9]{1,8}$",
        max_length=8,
        help_text=_("1 to 8 letters or digits; new codes look like P-00042."),
        error_messages={"invalid": _("Use 1 to 8 letters or digits.")},
    )
    person_retention_months = forms.IntegerField(
        label=_("Delete persons this many months after their last activity"),
        min_value=0,
        max_value=600,
        help_text=_("0 keeps records until they are erased on request."),
    )
    call_retention_months = forms.IntegerField(
        label=_("Anonymise helpline calls after this many months"), min_value=0, max_value=600
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        required=False,
        help_text=_(
            "What “today” means on your pages, and the hours you see and type (helpline calls, "
            "the shelter board, follow-ups)."
        ),
    )

    def __init__(self, *args: Any, country: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        default = _("%(zone)s (the main zone of your country)") % {"zone": main_zone_of(country)}
        field = self.fields["time_zone"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", default), *zone_choices(country)]
