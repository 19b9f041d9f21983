"""Forms of the service pages: the quick record, distributions, edits, filters, catalogue."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from haven.accounts.access import staff_of
from haven.casework.models import Household, Person
from haven.casework.terminology import people_words
from haven.organisations.language_fields import LanguageCodeField
from haven.organisations.models import Organisation
from haven.services import access
from haven.services.models import Channel, ServiceCategory, ServiceDelivery, ServiceType
from haven.widgets import DateInput


def _decimal(label: Any, *, minimum: Decimal, required: bool = True) -> forms.DecimalField:
    return forms.DecimalField(
        label=label,
        max_digits=12,
        decimal_places=2,
        min_value=minimum,
        required=required,
        widget=forms.NumberInput({"step": "0.01", "inputmode": "decimal"}),
    )


def _count(label: Any) -> forms.IntegerField:
    return forms.IntegerField(
        label=label,
        min_value=1,
        max_value=10_000_000,
        required=False,
        widget=forms.NumberInput({"inputmode": "numeric"}),
    )


def _use_words(form: forms.Form, words: dict[str, str]) -> None:
    """Name the people served as the organisation does (its terminology profile)."""
    if "person" in form.fields:
        form.fields["person"].label = _("%(Person)s code") % words
    if "people_reached" in form.fields:
        form.fields["people_reached"].label = _("%(People)s reached") % words


class DeliveryForm(forms.Form):
    """Every field of a delivery; the record and distribution forms leave some out."""

    service_type = forms.ChoiceField(label=_("Service"))
    delivered_on = forms.DateField(label=_("Date"), widget=DateInput)
    person = forms.CharField(
        label=_("Person code"),
        max_length=20,
        required=False,
        help_text=_(
            "Leave empty for a service given to no one in particular, and give the number "
            "of people or households reached."
        ),
    )
    household = forms.CharField(label=_("or household code"), max_length=20, required=False)
    quantity = _decimal(_("Quantity"), minimum=Decimal("0.01"))
    people_reached = _count(_("People reached"))
    households_reached = _count(_("Households reached"))
    amount = _decimal(_("Amount"), minimum=Decimal(0), required=False)
    currency = forms.CharField(
        label=_("Currency"),
        max_length=3,
        required=False,
        help_text=_("ISO 4217 code, e.g. EUR, INR. Only for services that record money."),
        widget=forms.TextInput({"autocapitalize": "characters", "size": "4"}),
    )
    channel = forms.ChoiceField(label=_("Channel"), choices=Channel.choices)
    language = LanguageCodeField(
        label=_("Language"),
        datalist="language-options",
        help_text=_("Its code or name, e.g. bn or Bengali."),
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    staff = forms.TypedChoiceField(label=_("Staff member"), coerce=int, required=False)
    next = forms.CharField(widget=forms.HiddenInput, max_length=500, required=False)

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        current: ServiceType | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.organisation = organisation
        _use_words(self, people_words(organisation))
        self.fields["service_type"].choices = [  # type: ignore[attr-defined]
            ("", "—"),
            *access.service_choices(organisation, also=current),
        ]
        self.fields["service_type"].widget.attrs["autofocus"] = True
        if "staff" in self.fields:
            self.fields["staff"].choices = [  # type: ignore[attr-defined]
                ("", "—"),
                *((str(user.pk), user.display_name) for user, _roles in staff_of(organisation)),
            ]

    def clean_service_type(self) -> ServiceType:
        chosen = self.cleaned_data["service_type"]
        try:
            found = access.service_type_for(self.organisation, int(chosen))
        except Exception as error:
            raise forms.ValidationError(_("Choose a service from your catalogue.")) from error
        return found

    def clean_currency(self) -> str:
        return str(self.cleaned_data.get("currency") or "").strip().upper()

    def clean_person(self) -> Person | None:
        code = self.cleaned_data.get("person") or ""
        if not code.strip():
            return None
        person = access.person_by_code(self.organisation, code)
        if person is None:
            raise forms.ValidationError(_("No one has this code in your organisation."))
        return person

    def clean_household(self) -> Household | None:
        code = self.cleaned_data.get("household") or ""
        if not code.strip():
            return None
        household = access.household_by_code(self.organisation, code)
        if household is None:
            raise forms.ValidationError(_("No household has this code in your organisation."))
        return household

    def delivery_values(self, *, default_staff: Any) -> dict[str, Any]:
        """The cleaned values under the names the actions take."""
        values = {
            name: value
            for name, value in self.cleaned_data.items()
            if name not in ("next", "staff")
        }
        if "staff" in self.fields:
            staff_id = self.cleaned_data.get("staff")
            members = {user.pk: user for user, _roles in staff_of(self.organisation)}
            values["staff"] = members.get(staff_id) if staff_id else default_staff
        else:
            values["staff"] = default_staff
        return values

    @classmethod
    def initial_for(cls, delivery: ServiceDelivery) -> dict[str, Any]:
        return {
            "service_type": str(delivery.service_type_id),
            "delivered_on": delivery.delivered_on,
            "person": delivery.person.code if delivery.person else "",
            "household": delivery.household.code if delivery.household else "",
            "quantity": delivery.quantity,
            "people_reached": delivery.people_reached,
            "households_reached": delivery.households_reached,
            "amount": delivery.amount,
            "currency": delivery.currency,
            "channel": delivery.channel,
            "language": delivery.language,
            "city": delivery.city,
            "staff": str(delivery.staff_id or ""),
        }


class RecordForm(DeliveryForm):
    """The quick form: a service to a person, a household, or no one in particular."""

    people_reached = None  # type: ignore[assignment]
    households_reached = None  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["person"].help_text = _(
            "Or give a household code. A service to no one in particular is recorded as a "
            "distribution or group session, with the number reached."
        )


class DistributionForm(DeliveryForm):
    """A bulk distribution or group session, counted without names."""

    person = None  # type: ignore[assignment]
    household = None  # type: ignore[assignment]
    staff = None  # type: ignore[assignment]
    field_order = (
        "service_type",
        "delivered_on",
        "city",
        "people_reached",
        "households_reached",
        "quantity",
        "channel",
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if not data.get("people_reached") and not data.get("households_reached"):
            raise forms.ValidationError(
                _("Give the number of people reached, of households reached, or both.")
            )
        return data


def new_record_initial(organisation: Organisation, user_id: int) -> dict[str, Any]:
    return {
        "delivered_on": timezone.localdate(),
        "quantity": Decimal(1),
        "channel": Channel.IN_PERSON,
        "city": organisation.city,
        "staff": str(user_id),
    }


class DeliveryFilterForm(forms.Form):
    service_type = forms.TypedChoiceField(label=_("Service"), coerce=int, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=DateInput)
    date_to = forms.DateField(label=_("To"), required=False, widget=DateInput)
    channel = forms.ChoiceField(
        label=_("Channel"), required=False, choices=[("", _("Any")), *Channel.choices]
    )
    city = forms.CharField(label=_("City"), max_length=100, required=False)
    staff = forms.TypedChoiceField(label=_("Staff member"), coerce=int, required=False)
    person = forms.CharField(label=_("Person code"), max_length=20, required=False)

    def __init__(
        self,
        *args: Any,
        organisation: Organisation,
        words: dict[str, str] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        _use_words(self, words or people_words(organisation))
        self.fields["service_type"].choices = [  # type: ignore[attr-defined]
            ("", _("Any")),
            *(
                (str(entry.service_type.pk), entry.label)
                for entry in access.catalogue_for(organisation)
            ),
        ]
        self.fields["staff"].choices = [  # type: ignore[attr-defined]
            ("", _("Anyone")),
            *((str(user.pk), user.display_name) for user, _roles in staff_of(organisation)),
        ]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("date_from") and data.get("date_to") and data["date_from"] > data["date_to"]:
            raise forms.ValidationError(_("The start date is after the end date."))
        return data

    def filters(self) -> access.DeliveryFilters:
        data = self.cleaned_data if self.is_bound else {}
        return access.DeliveryFilters(
            service_type_id=data.get("service_type") or None,
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            channel=data.get("channel") or "",
            city=data.get("city") or "",
            staff_id=data.get("staff") or None,
            person_code=data.get("person") or "",
        )


class ServiceTypeForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=100)
    category = forms.ChoiceField(label=_("Category"), choices=ServiceCategory.choices)
    unit = forms.CharField(
        label=_("Unit"), max_length=30, help_text=_("What one counts, e.g. parcel, session.")
    )
    counts_money = forms.BooleanField(label=_("Records an amount of money"), required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["name"].widget.attrs["autofocus"] = True

    @classmethod
    def initial_for(cls, service_type: ServiceType) -> dict[str, Any]:
        return {name: getattr(service_type, name) for name in cls.base_fields}


class VisibilityForm(forms.Form):
    hidden = forms.ChoiceField(choices=[("1", "1"), ("0", "0")], widget=forms.HiddenInput)
