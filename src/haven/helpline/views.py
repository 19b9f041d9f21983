"""The helpline console, the call list, one call, and closing a follow-up."""

from __future__ import annotations

import datetime
import uuid
from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.casework.models import Person
from haven.dates import filter_date_problem
from haven.helpline import access, actions
from haven.helpline.forms import DATETIME_LOCAL, CallFilterForm, CallForm
from haven.helpline.models import HelplineCall
from haven.organisations.languages import is_language_code, language_options

PAGE_SIZE = 50
RECENT_DAYS = 28


def _is_htmx(request: OrganisationRequest) -> bool:
    return request.headers.get("HX-Request") == "true"


def _default_language(request: OrganisationRequest) -> str:
    """The organisation's first language, else the operator's own, else none."""
    for code in request.organisation.languages or []:
        if isinstance(code, str) and is_language_code(code):
            return code
    preferred = (request.user.preferred_language or "").split("-")[0].lower()
    return preferred if is_language_code(preferred) else ""


CHOICE_FIELDS = ("caller_type", "topics", "outcome", "channel")


def _focus(form: CallForm, default: str = "caller_type") -> str:
    """The field to put the cursor in: the first one in error, else ``default``."""
    name = next((name for name in form.fields if name in form.errors), default)
    if name and name not in CHOICE_FIELDS:
        form.fields[name].widget.attrs["autofocus"] = True
    return name


def _fresh_form(request: OrganisationRequest) -> CallForm:
    now = timezone.localtime().replace(second=0, microsecond=0)
    return CallForm(
        initial={
            "started_at": now,
            "opened_at": now.strftime(DATETIME_LOCAL),
            "language": _default_language(request),
        }
    )


def _person_from_code(form: CallForm, request: OrganisationRequest) -> tuple[bool, Any]:
    """(found, person): an empty code is an anonymous call; an unknown one is an error."""
    code = form.cleaned_data.get("person_code", "")
    if not code:
        return True, None
    person = access.person_by_code(request.organisation, code)
    if person is None:
        form.add_error("person_code", _("No person has this code here."))
        return False, None
    return True, person


CALL_FIELDS = (
    "started_at",
    "duration_minutes",
    "channel",
    "language",
    "caller_type",
    "topics",
    "outcome",
    "follow_up_on",
    "notes",
)


def _call_values(form: CallForm) -> dict[str, Any]:
    """The form's valid values (all of them once the form is valid), as the actions take them."""
    data = form.cleaned_data
    values = {name: data[name] for name in CALL_FIELDS if name in data}
    if "language" in values:
        values["language"] = values["language"].strip().lower()
    if "topics" in values:
        values["topics"] = list(values["topics"])
    if "notes" in values:
        values["notes"] = values["notes"].strip()
    return values


def _checked(
    form: CallForm, request: OrganisationRequest, call: HelplineCall | None = None
) -> tuple[dict[str, Any], Person | None] | None:
    """The call's values and linked person when the form is valid, else None with every
    problem on the form at once: the form's own, an unknown code, and the actions' checks of
    the values that are valid (a time ahead, a language code, consent...)."""
    valid = form.is_valid()
    found, person = _person_from_code(form, request)
    values = _call_values(form)
    if call is not None:
        values = _same_minute_as_stored(values, call)
    if valid and found:
        return values, person
    checkable = dict(values)
    if person is not None:
        checkable["person"] = person
    _add_problems(form, actions.call_problems(request.organisation, checkable, call))
    return None


def _same_minute_as_stored(values: dict[str, Any], call: HelplineCall) -> dict[str, Any]:
    """The values with the call's stored start kept when the form left it unchanged to the
    minute: the form shows minutes only, and a call logged through the API has seconds."""
    submitted = values.get("started_at")
    if isinstance(submitted, datetime.datetime) and _to_the_minute(submitted) == _to_the_minute(
        call.started_at
    ):
        return {**values, "started_at": call.started_at}
    return values


def _to_the_minute(moment: datetime.datetime) -> datetime.datetime:
    return timezone.localtime(moment).replace(second=0, microsecond=0)


def _console_context(request: OrganisationRequest, form: CallForm) -> dict[str, Any]:
    organisation = request.organisation
    today = timezone.localdate()
    show_all = request.GET.get("calls") == "all"
    today_calls = access.calls_on(organisation, today, None if show_all else request.user)
    return {
        "organisation": organisation,
        "form": form,
        "focus": _focus(form),
        "today_calls": list(today_calls[:100]),
        "show_all": show_all,
        "follow_ups": list(access.follow_ups_due(organisation, today)[:PAGE_SIZE]),
        **_counts(request),
    }


def _with_languages(request: OrganisationRequest, context: dict[str, Any]) -> dict[str, Any]:
    """A whole page's context with the language box's suggestions: the page holds them
    outside the form, so the form each save sends back does not carry them again."""
    return {**context, "language_options": language_options(request.organisation)}


def _counts(request: OrganisationRequest) -> dict[str, Any]:
    today = timezone.localdate()
    start_of_today = access.day_bounds(today)[0]
    recent = access.day_bounds(today - datetime.timedelta(days=RECENT_DAYS - 1))[0]
    return {
        "count_today": access.count_since(request.organisation, start_of_today),
        "count_recent": access.count_since(request.organisation, recent),
        "recent_days": RECENT_DAYS,
    }


@organisation_view("helpline.log_call")
@require_http_methods(["GET", "POST"])
def console(request: OrganisationRequest) -> HttpResponse:
    if request.method == "GET":
        context = _console_context(request, _fresh_form(request))
        return render(request, "helpline/console.html", _with_languages(request, context))
    form = CallForm(request.POST)
    call: HelplineCall | None = None
    checked = _checked(form, request)
    if checked is not None:
        values, person = checked
        try:
            call = actions.log_call(
                actor=request.user,
                organisation=request.organisation,
                person=person,
                timed_from_start=form.timed_from_start(),
                request=request,
                **values,
            )
        except ValidationError as error:
            _add_errors(form, error)
    if call is None:
        if _is_htmx(request):
            context = {"organisation": request.organisation, "form": form, "focus": _focus(form)}
            return render(request, "helpline/_call_form.html", context, status=400)
        context = _with_languages(request, _console_context(request, form))
        return render(request, "helpline/console.html", context, status=400)
    if _is_htmx(request):
        context = {
            **_console_context(request, _fresh_form(request)),
            "saved": call,
        }
        return render(request, "helpline/_console_saved.html", context)
    messages.success(request, _("Call saved."))
    return redirect("helpline_console", org=request.organisation.slug)


def _add_errors(form: CallForm, error: ValidationError) -> None:
    """An action's refusal, on the form."""
    if hasattr(error, "error_dict"):
        _add_problems(form, error.message_dict)
    else:
        form.add_error(None, error)


def _add_problems(form: CallForm, problems: dict[str, list[str]]) -> None:
    """Each problem beside its field (the linked person's, such as their consent, beside
    their code), unless that field already says what is wrong with it."""
    for name, errors in problems.items():
        field = "person_code" if name == "person" else name
        if field not in form.fields:
            form.add_error(None, errors)
        elif field not in form.errors:
            form.add_error(field, errors)


@organisation_view("helpline.log_call")
@require_GET
def call_list(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    form = CallFilterForm(request.GET or None, organisation=organisation)
    filters = access.CallFilters()
    status = 200
    if form.is_bound:
        if form.is_valid():
            for name in ("date_from", "date_to"):
                day = form.cleaned_data[name]
                if day is not None and (problem := filter_date_problem(day)):
                    form.add_error(name, problem)
        if form.is_valid():
            data = form.cleaned_data
            filters = access.CallFilters(
                date_from=data["date_from"],
                date_to=data["date_to"],
                channel=data["channel"],
                caller_type=data["caller_type"],
                topic=data["topic"],
                outcome=data["outcome"],
                operator_id=data["operator"],
                follow_up=data["follow_up"],
            )
        else:
            status = 400
    calls = access.filtered_calls(organisation, filters) if status == 200 else None
    page = None
    if calls is not None:
        page = Paginator(calls, PAGE_SIZE).get_page(request.GET.get("page"))
    if page is not None:
        access.record_listing(request, len(page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "helpline/call_list.html",
        {
            "organisation": organisation,
            "form": form,
            "page": page,
            "query": query.urlencode(),
        },
        status=status,
    )


@organisation_view("helpline.log_call")
@require_http_methods(["GET", "POST"])
def call_detail(request: OrganisationRequest, call_id: uuid.UUID) -> HttpResponse:
    call = access.call_for(request, call_id)
    status = 200
    if request.method == "POST":
        form = CallForm(request.POST, editing=True)
        checked = _checked(form, request, call)
        if checked is not None:
            values, person = checked
            try:
                actions.update_call(
                    actor=request.user,
                    call=call,
                    changes={**values, "person": person},
                    request=request,
                )
            except ValidationError as error:
                _add_errors(form, error)
            else:
                messages.success(request, _("Call saved."))
                return redirect("helpline_call", org=request.organisation.slug, call_id=call.pk)
        status = 400
    else:
        form = CallForm(
            initial={
                "caller_type": call.caller_type,
                "topics": call.topics,
                "outcome": call.outcome,
                "duration_minutes": call.duration_minutes,
                "channel": call.channel,
                "language": call.language,
                "started_at": timezone.localtime(call.started_at),
                "follow_up_on": call.follow_up_on,
                "person_code": call.person.code if call.person else "",
                "notes": call.notes,
            },
            editing=True,
        )
    return render(
        request,
        "helpline/call_detail.html",
        {
            "organisation": request.organisation,
            "call": call,
            "form": form,
            "focus": _focus(form, default="") if form.is_bound else "",
            "language_options": language_options(request.organisation),
        },
        status=status,
    )


@organisation_view("helpline.log_call")
@require_http_methods(["GET", "POST"])
def follow_up_done(request: OrganisationRequest, call_id: uuid.UUID) -> HttpResponse:
    call = access.call_in(request.organisation, call_id)
    if request.method == "GET":
        return render(
            request,
            "helpline/follow_up_done.html",
            {"organisation": request.organisation, "call": call},
        )
    try:
        actions.mark_follow_up_done(actor=request.user, call=call, request=request)
    except ValidationError as error:
        if _is_htmx(request):
            return HttpResponse(" ".join(error.messages), status=400)
        return render(
            request,
            "helpline/follow_up_done.html",
            {"organisation": request.organisation, "call": call, "error": error},
            status=400,
        )
    if _is_htmx(request):
        # The console drops the row it came from.
        return HttpResponse("")
    messages.success(request, _("Follow-up marked as done."))
    if request.GET.get("from") == "console":
        return redirect("helpline_console", org=request.organisation.slug)
    return redirect("helpline_call", org=request.organisation.slug, call_id=call.pk)
