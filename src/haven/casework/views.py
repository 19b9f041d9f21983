"""Casework pages: persons (intake, details, identity, search), households, consent, cases.

The person's own page with its timeline belongs to the workspace app; the details page
here shows the recorded facts, consents, cases and household.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.db.models import Choices
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods
from django_countries import countries

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.casework import access, actions
from haven.casework.forms import (
    CaseForm,
    CloseCaseForm,
    ConsentForm,
    HouseholdChoiceForm,
    HouseholdForm,
    HouseholdSearchForm,
    IntakeForm,
    NoteForm,
    PersonForm,
    PersonSearchForm,
    SettingsForm,
    WithdrawConsentForm,
)
from haven.casework.htcds import Exploitation, MeansOfControl, Vulnerability
from haven.casework.models import Case, Household, Need, Person
from haven.casework.terminology import people_words
from haven.display import ListFormatter

PER_PAGE = 50
VIEW_IDENTITY = "casework.view_identity"
EDIT = "casework.edit"


def _add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's refusal next to the fields it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


def _context(request: OrganisationRequest, **extra: Any) -> dict[str, Any]:
    return {
        "organisation": request.organisation,
        "words": people_words(request.organisation),
        "can_view_identity": VIEW_IDENTITY in request.permissions,
        "can_edit": EDIT in request.permissions,
        **extra,
    }


def _labels(choices: type[Choices], codes: list[str]) -> list[str]:
    """The labels the forms offer for stored codes (a code no longer offered shows as is)."""
    formatter = ListFormatter()
    return [formatter.choice(choices, code) for code in codes]


def _status(form: Any) -> int:
    return 400 if form.is_bound and not form.is_valid() else 200


# Persons


@organisation_view("casework.view_person")
@require_GET
def person_list(request: OrganisationRequest) -> HttpResponse:
    show_identity = VIEW_IDENTITY in request.permissions
    form = PersonSearchForm(
        request.GET or None, organisation=request.organisation, show_identity=show_identity
    )
    filters = access.PersonFilters()
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        filters = access.PersonFilters(
            code=data["code"],
            name=data.get("name", ""),
            trafficking_status=data["trafficking_status"],
            exploitation_type=data["exploitation_type"],
            in_sex_work=data["in_sex_work"],
            gender=data["gender"],
            age_band=data["age_band"],
            service=data["service"],
            active_from=data["active_from"],
            active_to=data["active_to"],
        )
    persons = access.for_person_listing(access.search_persons(request.organisation, filters))
    if form.is_bound and not form.is_valid():
        # A search that cannot be read lists no one rather than everyone: the caseworker
        # was looking for someone in particular, and the form says what to correct.
        persons = persons.none()
    page = Paginator(persons, PER_PAGE).get_page(request.GET.get("page"))
    access.record_listing(
        request,
        "person.listed",
        len(page.object_list),
        matched=list(page.object_list) if filters.name else None,
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "casework/person_list.html",
        _context(request, form=form, page=page, query=query.urlencode()),
        status=_status(form),
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def person_create(request: OrganisationRequest) -> HttpResponse:
    form = IntakeForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        household: Household | None = None
        if data["household_choice"] == "existing":
            household = access.household_by_code(request.organisation, data["household_code"])
            if household is None:
                form.add_error("household_code", _("No household has this code."))
        if form.is_valid():
            try:
                person = actions.create_person(
                    actor=request.user,
                    organisation=request.organisation,
                    values=form.person_values(),
                    consent_given_on=data["consent_given_on"],
                    consent_method=data["consent_method"],
                    household=household,
                    new_household=data["household_choice"] == "new",
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(
                    request, _("Recorded with the code %(code)s.") % {"code": person.code}
                )
                return redirect(
                    "person_details", org=request.organisation.slug, person_id=person.pk
                )
    return render(
        request,
        "casework/person_form.html",
        _context(request, form=form, person=None),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("casework.view_person")
@require_GET
def person_details(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_for(request, person_id)
    return render(
        request,
        "casework/person_details.html",
        _context(
            request,
            person=person,
            consents=access.consents_of(person),
            cases=access.cases_of_person(person),
            household_members=_household_members(person.household),
            citizenship=[countries.name(code) or code for code in person.citizenship],
            exploitation_types=_labels(Exploitation, person.exploitation_types),
            means_of_control=_labels(MeansOfControl, person.means_of_control),
            vulnerabilities=_labels(Vulnerability, person.vulnerabilities),
        ),
    )


def _household_members(household: Household | None) -> list[Person]:
    if household is None:
        return []
    return list(Person.objects.filter(household=household).order_by("code"))


@organisation_view(VIEW_IDENTITY)
@require_GET
def person_identity(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_in(request.organisation, person_id)
    access.reveal_identity(request, person)
    fragment = request.headers.get("HX-Request") == "true"
    return render(
        request,
        "casework/_identity.html" if fragment else "casework/person_identity.html",
        _context(request, person=person),
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def person_edit(request: OrganisationRequest, person_id: str) -> HttpResponse:
    show_identity = VIEW_IDENTITY in request.permissions
    # The form shows identifying values to those who may see them: that read is the audited one.
    person = access.person_for(request, person_id, audited=not show_identity)
    if show_identity:
        access.reveal_identity(request, person)
    form = PersonForm(
        request.POST or None,
        show_identity=show_identity,
        initial=PersonForm.initial_for(person, show_identity=show_identity),
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_person(
                actor=request.user, person=person, values=form.person_values(), request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("person_details", org=request.organisation.slug, person_id=person.pk)
    return render(
        request,
        "casework/person_form.html",
        _context(request, form=form, person=person),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def person_household(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_for(request, person_id)
    form = HouseholdChoiceForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        choice = form.cleaned_data["choice"]
        try:
            if choice == "new":
                actions.create_household(
                    actor=request.user,
                    organisation=request.organisation,
                    members=[person],
                    request=request,
                )
            elif choice == "existing":
                household = access.household_by_code(
                    request.organisation, form.cleaned_data["household_code"]
                )
                if household is None:
                    raise ValidationError({"household_code": _("No household has this code.")})
                actions.add_to_household(
                    actor=request.user, household=household, person=person, request=request
                )
            elif person.household is not None:
                actions.remove_from_household(
                    actor=request.user, household=person.household, person=person, request=request
                )
        except ValidationError as error:
            if hasattr(error, "error_dict") and "members" in error.error_dict:
                # Starting a household for someone already in one: said beside the choice.
                form.add_error("choice", error.message_dict["members"])
            else:
                _add_errors(form, error)
        else:
            messages.success(request, _("Household changed."))
            return redirect("person_details", org=request.organisation.slug, person_id=person.pk)
    return render(
        request,
        "casework/person_household.html",
        _context(request, form=form, person=person),
        status=400 if request.method == "POST" else 200,
    )


# Consent


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def consent_add(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_for(request, person_id)
    form = ConsentForm(request.POST or None, organisation=request.organisation)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            actions.record_consent(
                actor=request.user,
                person=person,
                purpose=data["purpose"],
                given_on=data["given_on"],
                method=data["method"],
                recipient=data["recipient"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Consent recorded."))
            return redirect("person_details", org=request.organisation.slug, person_id=person.pk)
    return render(
        request,
        "casework/consent_form.html",
        _context(request, form=form, person=person),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def consent_withdraw(request: OrganisationRequest, person_id: str, consent_id: str) -> HttpResponse:
    person = access.person_for(request, person_id)
    consent = access.consent_for(request.organisation, consent_id, person=person)
    form = WithdrawConsentForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.withdraw_consent(
                actor=request.user,
                consent=consent,
                withdrawn_on=form.cleaned_data["withdrawn_on"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Consent withdrawn."))
            return redirect("person_details", org=request.organisation.slug, person_id=person.pk)
    return render(
        request,
        "casework/consent_withdraw.html",
        _context(request, form=form, person=person, consent=consent),
        status=400 if request.method == "POST" else 200,
    )


# Households


@organisation_view("casework.view_person")
@require_GET
def household_list(request: OrganisationRequest) -> HttpResponse:
    form = HouseholdSearchForm(request.GET or None)
    code = form.cleaned_data["code"] if form.is_bound and form.is_valid() else ""
    households_found = access.households_of(request.organisation, code)
    if form.is_bound and not form.is_valid():
        # As the person search: a search that cannot be read lists none, and says why.
        households_found = households_found.none()
    page = Paginator(households_found, PER_PAGE).get_page(request.GET.get("page"))
    households = list(page.object_list)
    counts: dict[Any, int] = {}
    for household_id in Person.objects.filter(
        organisation=request.organisation, household__in=households
    ).values_list("household_id", flat=True):
        counts[household_id] = counts.get(household_id, 0) + 1
    rows = [(household, counts.get(household.pk, 0)) for household in households]
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "casework/household_list.html",
        _context(request, form=form, page=page, rows=rows, code=code, query=query.urlencode()),
        status=_status(form),
    )


@organisation_view("casework.view_person")
@require_GET
def household_detail(request: OrganisationRequest, household_id: str) -> HttpResponse:
    household = access.household_for(request.organisation, household_id)
    members = _household_members(household)
    access.record_listing(request, "person.listed", len(members))
    return render(
        request,
        "casework/household_detail.html",
        _context(request, household=household, members=members),
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def household_edit(request: OrganisationRequest, household_id: str) -> HttpResponse:
    household = access.household_for(request.organisation, household_id)
    form = HouseholdForm(request.POST or None, initial={"other_members": household.other_members})
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_household(
                actor=request.user,
                household=household,
                other_members=form.cleaned_data["other_members"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect(
                "household_detail", org=request.organisation.slug, household_id=household.pk
            )
    return render(
        request,
        "casework/household_edit.html",
        _context(request, household=household, form=form),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def household_member_remove(
    request: OrganisationRequest, household_id: str, person_id: str
) -> HttpResponse:
    household = access.household_for(request.organisation, household_id)
    person = access.person_for(request, person_id)
    if person.household_id != household.pk:
        raise Http404
    if request.method == "POST":
        actions.remove_from_household(
            actor=request.user, household=household, person=person, request=request
        )
        messages.success(request, _("%(code)s left the household.") % {"code": person.code})
        return redirect(
            "household_detail", org=request.organisation.slug, household_id=household.pk
        )
    return render(
        request,
        "casework/household_member_remove.html",
        _context(request, household=household, person=person),
    )


# Cases


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def case_open(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_for(request, person_id)
    form = CaseForm(
        request.POST or None,
        staff=access.assignable_staff(request.organisation),
        opening=True,
        initial={"assigned_to": request.user.pk, "risk_level": "low"},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = actions.open_case(
                actor=request.user,
                person=person,
                opened_on=data["opened_on"],
                assigned_to=data["assigned_to"],
                needs=data["needs"],
                risk_level=data["risk_level"],
                follow_up_on=data["follow_up_on"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Case opened."))
            return redirect("case_detail", org=request.organisation.slug, case_id=case.pk)
    return render(
        request,
        "casework/case_form.html",
        _context(
            request,
            form=form,
            person=person,
            case=None,
            # A second open case splits one person's support in two; staff usually
            # meant to add to the first (Primero warns the same way).
            open_cases=access.open_cases_of_person(person),
        ),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("casework.view_person")
@require_GET
def case_list(request: OrganisationRequest) -> HttpResponse:
    mine = request.GET.get("mine") == "1"
    cases = (
        access.open_cases_assigned_to(request.organisation, request.user)
        if mine
        else access.cases_of(request.organisation).order_by("-opened_on", "-created_at")
    )
    page = Paginator(cases, PER_PAGE).get_page(request.GET.get("page"))
    access.record_listing(request, "case.listed", len(page.object_list))
    return render(request, "casework/case_list.html", _context(request, page=page, mine=mine))


@organisation_view("casework.view_person")
@require_GET
def case_detail(request: OrganisationRequest, case_id: str) -> HttpResponse:
    case = access.case_for(request, case_id)
    show_notes = VIEW_IDENTITY in request.permissions
    notes = None
    if show_notes:
        notes = Paginator(access.notes_of(request.organisation, case), PER_PAGE).get_page(
            request.GET.get("page")
        )
        notes.object_list = access.notes_read(request, case, notes.object_list)
    return render(
        request,
        "casework/case_detail.html",
        _context(
            request,
            case=case,
            person=case.person,
            notes=notes,
            needs=_labels(Need, case.needs),
            show_notes=show_notes,
            note_form=NoteForm(),
            open=case.status in access.OPEN_STATUSES,
        ),
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def case_edit(request: OrganisationRequest, case_id: str) -> HttpResponse:
    case = access.case_for(request, case_id)
    form = CaseForm(
        request.POST or None,
        staff=access.assignable_staff(request.organisation),
        initial={
            "assigned_to": case.assigned_to_id,
            "needs": case.needs,
            "risk_level": case.risk_level,
            "opened_on": case.opened_on,
            "follow_up_on": case.follow_up_on,
            "status": case.status,
        },
    )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_case(
                actor=request.user, case=case, values=dict(form.cleaned_data), request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Saved."))
            return redirect("case_detail", org=request.organisation.slug, case_id=case.pk)
    return render(
        request,
        "casework/case_form.html",
        _context(request, form=form, person=case.person, case=case),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def case_close(request: OrganisationRequest, case_id: str) -> HttpResponse:
    case = access.case_for(request, case_id)
    form = CloseCaseForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.close_case(
                actor=request.user,
                case=case,
                closed_on=form.cleaned_data["closed_on"],
                status=form.cleaned_data["status"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Case closed."))
            return redirect("case_detail", org=request.organisation.slug, case_id=case.pk)
    return render(
        request,
        "casework/case_close.html",
        _context(request, form=form, case=case, person=case.person),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view(EDIT)
@require_http_methods(["GET", "POST"])
def note_add(request: OrganisationRequest, case_id: str) -> HttpResponse:
    case: Case = access.case_in(request.organisation, case_id)
    form = NoteForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            actions.add_note(
                actor=request.user, case=case, text=form.cleaned_data["text"], request=request
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Note added."))
            return redirect("case_detail", org=request.organisation.slug, case_id=case.pk)
    return render(
        request,
        "casework/note_form.html",
        _context(request, form=form, case=case, person=case.person),
        status=400 if request.method == "POST" else 200,
    )


# Settings


@organisation_view("casework.manage_settings")
@require_http_methods(["GET", "POST"])
def casework_settings(request: OrganisationRequest) -> HttpResponse:
    current = access.settings_of(request.organisation)
    form = SettingsForm(
        request.POST or None,
        initial={
            "terminology": current.terminology,
            "code_prefix": current.code_prefix,
            "person_retention_months": current.person_retention_months,
            "call_retention_months": current.call_retention_months,
            "time_zone": current.time_zone,
        },
        country=request.organisation.country.code or "",
    )
    removal = None
    periods = ""
    if request.method == "POST" and form.is_valid():
        values = dict(form.cleaned_data)
        # The periods ("<persons>:<calls>") the admin saw the removal count for and
        # confirmed (settings.html): a confirmation counts only for the periods it was shown.
        confirmed = request.POST.get("confirm_removal", "")
        periods = f"{values['person_retention_months']}:{values['call_retention_months']}"
        try:
            actions.save_settings(
                actor=request.user,
                organisation=request.organisation,
                values=values,
                confirm_removal=confirmed == periods,
                request=request,
            )
        except actions.RetentionRemovesRecords as error:
            removal = error.removal
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Settings saved."))
            return redirect("casework_settings", org=request.organisation.slug)
    return render(
        request,
        "casework/settings.html",
        _context(request, form=form, removal=removal, periods=periods),
        status=400 if request.method == "POST" else 200,
    )
