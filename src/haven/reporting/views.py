"""Pages of coalition reporting: a member's reports, a coordinator's periods, review,
publications and dashboard, and the network's public figures."""

from __future__ import annotations

import hashlib
from decimal import Decimal
from typing import Any, Literal

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.functional import Promise, SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.access import organisations_with_nobody_holding
from haven.accounts.tenancy import OrganisationRequest, organisation_view, public_view
from haven.organisations.access import network_by_slug
from haven.organisations.models import MembershipCategory, Network, Organisation
from haven.records.imports import ImportRefused, checksum_of
from haven.reporting import access, actions, entry, exports
from haven.reporting.charts import bar_chart
from haven.reporting.dashboard import (
    build_dashboard,
    dashboard_periods,
    dashboard_version,
    public_figures,
)
from haven.reporting.forms import (
    DashboardForm,
    DeadlineForm,
    PeriodForm,
    PublishForm,
    RemindForm,
    SendForm,
    UploadForm,
)
from haven.reporting.models import (
    PeriodKind,
    PublicationStatus,
    ReportingPeriod,
    Source,
    Submission,
    SubmissionStatus,
)
from haven.reporting.report import review_views
from haven.reporting.schema import (
    SECTIONS,
    TABLES,
    categories_of,
    currency_choices,
    label_of,
    number_example,
    section_tables,
    service_choices,
)

OPEN_ROWS = 4


def _add_errors(form: Any, error: ValidationError) -> None:
    if hasattr(error, "error_dict"):
        for name, found in error.message_dict.items():
            form.add_error(name if name in form.fields else None, found)
    else:
        form.add_error(None, error.messages)


def _download(content: bytes, filename: str, kind: str) -> HttpResponse:
    content_type = (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        if kind == "xlsx"
        else "text/csv; charset=utf-8"
    )
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}.{kind}"'
    return response


def _file_kind(request: HttpRequest, allowed: tuple[str, ...] = ("csv", "xlsx")) -> str:
    kind = request.GET.get("format", "csv")
    if kind not in allowed:
        raise Http404
    return kind


# --- A member's reports -------------------------------------------------------------------


@organisation_view("reporting.submit")
@require_GET
def report_list(request: OrganisationRequest) -> HttpResponse:
    submissions = list(access.submissions_of(request.organisation))
    asked = [s for s in submissions if s.asked]
    return render(
        request,
        "reporting/report_list.html",
        {
            "due": sorted(
                (s for s in asked if s.status != SubmissionStatus.SENT),
                key=lambda s: (s.due_on, s.period.starts_on),
            ),
            "sent": [s for s in asked if s.status == SubmissionStatus.SENT],
            "released": [s for s in submissions if not s.asked],
            "organisation": request.organisation,
        },
    )


def _draft_views(submission: Submission) -> list[tuple[str, list[dict[str, Any]]]]:
    """The draft's tables by section, as rows of (label, value), for the member."""
    figures = actions.draft_figures(submission)
    sections: dict[str, list[dict[str, Any]]] = {}
    for table_ in TABLES:
        rows = [
            (label_of(table_, code), figures.get((table_.key, code), Decimal(0)))
            for code in categories_of(table_, figures)
        ]
        total = sum((value for _label, value in rows), Decimal(0))
        sections.setdefault(table_.section, []).append(
            {"table": table_, "rows": rows, "total": total if table_.has_column_totals else None}
        )
    return [(str(SECTIONS[key]), tables) for key, tables in sections.items()]


def _submission_page(
    request: OrganisationRequest,
    submission: Submission,
    *,
    send_form: SendForm | None = None,
    status: int = 200,
) -> HttpResponse:
    revisions = access.revisions_of(submission)
    period = submission.period
    return render(
        request,
        "reporting/report_detail.html",
        {
            "submission": submission,
            "period": period,
            "sections": _draft_views(submission) if submission.draft else [],
            "revisions": revisions,
            "correcting": access.correction_in_progress(submission, revisions),
            "correctable": access.can_correct(submission),
            "budget": access.budget_of(request.organisation, period) if period.private else None,
            "send_form": send_form or SendForm(),
            "left_out": submission.left_out,
            "deadline_changes": access.deadline_changes_for(submission),
            "organisation": request.organisation,
        },
        status=status,
    )


@organisation_view("reporting.submit")
@require_GET
def report_detail(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    return _submission_page(request, access.submission_for(request.organisation, submission_id))


def _refused(
    request: OrganisationRequest, submission: Submission, error: ValidationError
) -> HttpResponse:
    # Bound even to an empty POST (a compute button sends no field), so errors can be added.
    form = SendForm(request.POST)
    form.is_valid()
    _add_errors(form, error)
    return _submission_page(request, submission, send_form=form, status=400)


@organisation_view("reporting.submit")
@require_POST
def report_compute(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    try:
        actions.prepare_from_casework(actor=request.user, submission=submission, request=request)
    except ValidationError as error:
        return _refused(request, submission, error)
    messages.success(request, _("Figures computed from your casework. Review them, then send."))
    return redirect("report_detail", org=request.organisation.slug, submission_id=submission.pk)


@organisation_view("reporting.submit")
@require_POST
def report_send(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    form = SendForm(request.POST)
    if not form.is_valid():
        return _submission_page(request, submission, send_form=form, status=400)
    try:
        revision = actions.send_submission(
            actor=request.user,
            submission=submission,
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as error:
        return _refused(request, submission, error)
    messages.success(
        request,
        _("Revision %(number)d sent to %(network)s. It is locked now.")
        % {"number": revision.number, "network": submission.period.network.organisation.name},
    )
    return redirect("report_detail", org=request.organisation.slug, submission_id=submission.pk)


@organisation_view("reporting.submit")
@require_http_methods(["GET", "POST"])
def report_correct(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    if request.method == "POST":
        try:
            actions.start_correction(actor=request.user, submission=submission, request=request)
        except ValidationError as error:
            return _refused(request, submission, error)
        messages.info(request, _("Correct the figures, then send them again with a reason."))
        return redirect("report_detail", org=request.organisation.slug, submission_id=submission.pk)
    return render(
        request,
        "reporting/report_correct.html",
        {
            "submission": submission,
            "correctable": access.can_correct(submission),
            "organisation": request.organisation,
        },
    )


@organisation_view("reporting.submit")
@require_http_methods(["GET", "POST"])
def report_correct_cancel(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    if request.method == "POST":
        try:
            actions.cancel_correction(actor=request.user, submission=submission, request=request)
        except ValidationError as error:
            return _refused(request, submission, error)
        messages.info(request, _("Correction cancelled: the figures sent stay as they were."))
        return redirect("report_detail", org=request.organisation.slug, submission_id=submission.pk)
    return render(
        request,
        "reporting/report_correct_cancel.html",
        {
            "submission": submission,
            "correcting": access.correction_in_progress(submission),
            "organisation": request.organisation,
        },
    )


def _open_row(name: str, category: str, value: object) -> dict[str, Any]:
    """One open row of the entry form; a row of money splits its category into the service
    and the currency its two lists show."""
    service, _colon, currency = category.partition(":")
    return {
        "name": name,
        "category": category,
        "service": service,
        "currency": currency,
        "value": value,
    }


def _posted_category(posted: Any, stem: str) -> str:
    """An open row's category as posted: typed in, or chosen as a service and a currency."""
    if f"{stem}:category" in posted:
        return str(posted.get(f"{stem}:category", ""))[:60]
    return ":".join(str(posted.get(f"{stem}:{part}", ""))[:40] for part in ("service", "currency"))


def _entry_tables(
    submission: Submission, posted: Any = None
) -> list[tuple[str, list[dict[str, Any]]]]:
    """The entry form's cells, with what was posted if the form comes back with errors."""
    figures = actions.draft_figures(submission)
    sections: dict[str, list[dict[str, Any]]] = {}
    for table_ in TABLES:
        step = "0.01" if table_.decimals else "1"
        if table_.categories is not None:
            cells = [
                {
                    "name": f"cell:{table_.key}|{code}",
                    "label": label,
                    "value": posted.get(f"cell:{table_.key}|{code}", "")[:40]
                    if posted is not None
                    else figures.get((table_.key, code), ""),
                }
                for code, label in table_.categories()
            ]
            open_rows: list[dict[str, Any]] = []
        else:
            cells = []
            present = categories_of(table_, figures)
            open_rows = [
                _open_row(f"open:{table_.key}:{index}", code, figures.get((table_.key, code), ""))
                for index, code in enumerate([*present, *[""] * OPEN_ROWS])
            ]
            if posted is not None:
                prefix = f"open:{table_.key}:"
                count = sum(
                    1 for name in posted if name.startswith(prefix) and name.endswith(":value")
                )
                open_rows = [
                    _open_row(
                        f"{prefix}{index}",
                        _posted_category(posted, f"{prefix}{index}"),
                        posted.get(f"{prefix}{index}:value", "")[:40],
                    )
                    for index in range(min(count, 400))
                ]
        sections.setdefault(table_.section, []).append(
            {"table": table_, "cells": cells, "open_rows": open_rows, "step": step}
        )
    return [(str(SECTIONS[key]), tables) for key, tables in sections.items()]


@organisation_view("reporting.submit")
@require_http_methods(["GET", "POST"])
def report_entry(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    errors: list[entry.EntryError] = []
    status = 200
    if request.method == "POST":
        checked = entry.from_form(request.POST)
        if checked.valid:
            try:
                actions.save_figures(
                    actor=request.user,
                    submission=submission,
                    figures=checked.figures,
                    source=Source.MANUAL,
                    request=request,
                )
            except ValidationError as error:
                return _refused(request, submission, error)
            messages.success(request, _("Figures saved. Review them, then send."))
            return redirect(
                "report_detail", org=request.organisation.slug, submission_id=submission.pk
            )
        errors, status = checked.errors, 400
    sections = _entry_tables(submission, request.POST if request.method == "POST" else None)
    # The refused cells the form has a box for: marked invalid, and linked from the list.
    boxes = {cell["name"] for _s, tables in sections for item in tables for cell in item["cells"]}
    invalid = {f"cell:{error.cell}" for error in errors} & boxes
    return render(
        request,
        "reporting/report_entry.html",
        {
            "submission": submission,
            "sections": sections,
            "errors": errors,
            "invalid": invalid,
            "example": number_example(),
            "services": service_choices(),
            "currencies": currency_choices(),
            "organisation": request.organisation,
        },
        status=status,
    )


@organisation_view("reporting.submit")
@require_http_methods(["GET", "POST"])
def report_upload(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    form = UploadForm(request.POST or None, request.FILES or None)
    errors: list[entry.EntryError] = []
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            content = form.cleaned_data["file"].read()
            try:
                checked = entry.from_file(content)
            except ImportRefused as refused:
                form.add_error("file", refused.messages)
            else:
                if checked.valid:
                    try:
                        actions.save_figures(
                            actor=request.user,
                            submission=submission,
                            figures=checked.figures,
                            source=Source.UPLOAD,
                            checksum=checksum_of(content),
                            request=request,
                        )
                    except ValidationError as error:
                        return _refused(request, submission, error)
                    messages.success(request, _("File read. Review the figures, then send."))
                    return redirect(
                        "report_detail",
                        org=request.organisation.slug,
                        submission_id=submission.pk,
                    )
                errors = checked.errors
    return render(
        request,
        "reporting/report_upload.html",
        {
            "submission": submission,
            "form": form,
            "errors": errors,
            "organisation": request.organisation,
        },
        status=status,
    )


@organisation_view("reporting.submit")
@require_GET
def report_download(request: OrganisationRequest, submission_id: int) -> HttpResponse:
    submission = access.submission_for(request.organisation, submission_id)
    kind = _file_kind(request)
    figures = actions.draft_figures(submission)
    content = exports.render(kind, "figures", exports.DRAFT_HEADER, exports.draft_rows(figures))
    name = f"{request.organisation.slug}-{submission.period.kind}-{submission.period.starts_on}"
    return _download(content, name, kind)


# --- A coordinator's periods and publications -------------------------------------------------


def _network(request: OrganisationRequest) -> Any:
    return access.network_of(request.organisation)


@organisation_view("reporting.coordinate")
@require_GET
def reporting_home(request: OrganisationRequest) -> HttpResponse:
    network = _network(request)
    periods = list(access.periods_of(network))
    statuses = {period.pk: access.member_statuses(period) for period in periods[:24]}
    return render(
        request,
        "reporting/home.html",
        {
            "network": network,
            "periods": [
                (
                    period,
                    sum(1 for s in statuses.get(period.pk, []) if s.asked or s.revision),
                    sum(1 for status in statuses.get(period.pk, []) if status.revision),
                    sum(1 for status in statuses.get(period.pk, []) if status.late),
                )
                for period in periods
            ],
            "publications": list(access.publications_of(network)[:24]),
            "organisation": request.organisation,
        },
    )


@organisation_view("reporting.coordinate")
@require_http_methods(["GET", "POST"])
def period_create(request: OrganisationRequest) -> HttpResponse:
    network = _network(request)
    form = PeriodForm(request.POST or None, initial=PeriodForm.initial_values())
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            period = actions.create_period(
                actor=request.user,
                network=network,
                kind=data["kind"],
                starts_on=data["starts_on"],
                deadline=data["deadline"],
                threshold=data["threshold"],
                epsilon=data["epsilon"],
                budget=data["budget"],
                categories=data["categories"],
                remind_days_before=data["remind_days_before"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(period)s is open: the members were asked to report by %(deadline)s.")
                % {"period": period.label, "deadline": date_format(period.deadline)},
            )
            return redirect("period_review", org=request.organisation.slug, period_id=period.pk)
    return render(
        request,
        "reporting/period_form.html",
        {"form": form, "network": network, "organisation": request.organisation},
        status=400 if request.method == "POST" else 200,
    )


def _review_page(
    request: OrganisationRequest,
    period: Any,
    *,
    publish_form: PublishForm | None = None,
    refusal: ValidationError | None = None,
    status: int = 200,
) -> HttpResponse:
    network = period.network
    by: Literal["member", "country"] = "member" if request.GET.get("by") == "member" else "country"
    section = request.GET.get("section", "persons")
    if section not in SECTIONS:
        section = "persons"
    statuses = access.member_statuses(period)
    sent_any = any(member.revision for member in statuses)
    waiting = [member for member in statuses if member.asked and not member.revision]
    unreachable = organisations_with_nobody_holding(
        [member.organisation.pk for member in waiting], "reporting.submit"
    )
    reminders = access.remindable(
        period,
        [m.submission_id for m in waiting if m.organisation.pk not in unreachable],
        timezone.now(),
        actions.REMIND_AGAIN_AFTER,
    )
    sent_count = sum(1 for member in statuses if member.revision)
    asked_count = sum(1 for member in statuses if member.asked or member.revision)
    categories = dict(MembershipCategory.choices)
    last = access.last_emailed(period)
    return render(
        request,
        "reporting/period_review.html",
        {
            "network": network,
            "period": period,
            "statuses": statuses,
            "asked_count": asked_count,
            "waiting_count": sum(1 for m in statuses if m.asked and not m.revision),
            "remindable": reminders.submissions,
            "unreachable": unreachable,
            "reminders_open_at": reminders.opens_at,
            "categories": [str(categories.get(code, code)) for code in period.categories],
            "rows": [(member, last.get(member.submission_id)) for member in statuses],
            "deadline_changes": access.deadline_changes_of(period),
            "refusal": refusal.messages if refusal is not None else [],
            "sent_count": sent_count,
            "few_members": actions.few_members_warning(sent_count, asked_count)
            if 0 < sent_count < actions.FEW_MEMBERS
            else "",
            "views": review_views(period, by, section_tables(section), statuses)
            if sent_any
            else [],
            "by": by,
            "section": section,
            "sections": [(key, str(title)) for key, title in SECTIONS.items()],
            "publish_form": publish_form or PublishForm(),
            # Its own ids: the publishing form on the same page has a note too.
            "remind_form": RemindForm(statuses=statuses, auto_id="remind_%s"),
            "publications": list(access.publications_of(network).filter(period=period)),
            "organisation": request.organisation,
        },
        status=status,
    )


@organisation_view("reporting.coordinate")
@require_GET
def period_review(request: OrganisationRequest, period_id: int) -> HttpResponse:
    return _review_page(request, access.period_for(_network(request), period_id))


def _chosen_member(period: ReportingPeriod, value: str) -> Organisation | None:
    """The member a coordinator's form names (already one of the form's choices)."""
    if not value:
        return None
    return access.asked_member(period, int(value)).organisation


@organisation_view("reporting.coordinate")
@require_POST
def period_remind(request: OrganisationRequest, period_id: int) -> HttpResponse:
    period = access.period_for(_network(request), period_id)
    form = RemindForm(request.POST, statuses=access.member_statuses(period))
    if not form.is_valid():
        refusal = ValidationError([text for errors in form.errors.values() for text in errors])
        return _review_page(request, period, refusal=refusal, status=400)
    try:
        reminded = actions.remind_members(
            actor=request.user,
            period=period,
            organisation=_chosen_member(period, form.cleaned_data["member"]),
            note=form.cleaned_data["note"],
            request=request,
        )
    except ValidationError as error:
        return _review_page(request, period, refusal=error, status=400)
    text = ngettext(
        "%(count)d member is reminded by e-mail.",
        "%(count)d members are reminded by e-mail.",
        len(reminded.reminded),
    ) % {"count": len(reminded.reminded)}
    if reminded.recently:
        text += " " + ngettext(
            "%(count)d was e-mailed less than a day ago and is left out.",
            "%(count)d were e-mailed less than a day ago and are left out.",
            len(reminded.recently),
        ) % {"count": len(reminded.recently)}
    if reminded.unreachable:
        text += " " + ngettext(
            "%(count)d has nobody to e-mail: no one there may send reports.",
            "%(count)d have nobody to e-mail: no one there may send reports.",
            len(reminded.unreachable),
        ) % {"count": len(reminded.unreachable)}
    messages.success(request, text)
    return redirect("period_review", org=request.organisation.slug, period_id=period.pk)


@organisation_view("reporting.coordinate")
@require_http_methods(["GET", "POST"])
def period_deadline(request: OrganisationRequest, period_id: int) -> HttpResponse:
    period = access.period_for(_network(request), period_id)
    statuses = access.member_statuses(period)
    initial = {"deadline": period.deadline, "member": request.GET.get("member", "")[:20]}
    form = DeadlineForm(request.POST or None, statuses=statuses, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            change = actions.change_deadline(
                actor=request.user,
                period=period,
                deadline=data["deadline"],
                organisation=_chosen_member(period, data["member"]),
                reason=data["reason"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("The deadline is now %(deadline)s; the members concerned are told by e-mail.")
                % {"deadline": date_format(change.deadline)},
            )
            return redirect("period_review", org=request.organisation.slug, period_id=period.pk)
    return render(
        request,
        "reporting/period_deadline.html",
        {
            "form": form,
            "period": period,
            "network": period.network,
            "anyone_sent": any(status.revision for status in statuses),
            "shortening_days": actions.SHORTENING_NOTICE.days,
            "organisation": request.organisation,
        },
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("reporting.coordinate")
@require_POST
def period_publish(request: OrganisationRequest, period_id: int) -> HttpResponse:
    period = access.period_for(_network(request), period_id)
    form = PublishForm(request.POST)
    if form.is_valid():
        try:
            publication = actions.request_publication(
                actor=request.user,
                period=period,
                tables=form.cleaned_data["tables"],
                note=form.cleaned_data["note"],
                few_members_confirmed=form.cleaned_data["confirm_few_members"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            return redirect(
                "publication_detail",
                org=request.organisation.slug,
                publication_id=publication.pk,
            )
    return _review_page(request, period, publish_form=form, status=400)


def _publication_context(request: OrganisationRequest, publication_id: int) -> dict[str, Any]:
    network = _network(request)
    publication = access.publication_for(network, publication_id)
    return {"network": network, "publication": publication, "organisation": request.organisation}


@organisation_view("reporting.coordinate")
@require_GET
def publication_detail(request: OrganisationRequest, publication_id: int) -> HttpResponse:
    context = _publication_context(request, publication_id)
    publication = context["publication"]
    if publication.status == PublicationStatus.PUBLISHED:
        context["figures"] = public_figures(publication)
    return render(request, "reporting/publication_detail.html", context)


@organisation_view("reporting.coordinate")
@require_GET
def publication_progress(request: OrganisationRequest, publication_id: int) -> HttpResponse:
    context = _publication_context(request, publication_id)
    response = render(request, "reporting/_progress.html", context)
    if context["publication"].status != PublicationStatus.GENERATING:
        # Done: htmx reloads the page, which then shows the figures.
        response["HX-Refresh"] = "true"
    return response


@organisation_view("reporting.coordinate")
@require_http_methods(["GET", "POST"])
def publication_withdraw(request: OrganisationRequest, publication_id: int) -> HttpResponse:
    context = _publication_context(request, publication_id)
    if request.method == "POST":
        try:
            actions.withdraw_publication(
                actor=request.user, publication=context["publication"], request=request
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
            return render(request, "reporting/publication_withdraw.html", context, status=400)
        messages.success(request, _("The figures are no longer public."))
        return redirect(
            "publication_detail", org=request.organisation.slug, publication_id=publication_id
        )
    return render(request, "reporting/publication_withdraw.html", context)


def _chosen_periods(
    request: OrganisationRequest, network: Network
) -> tuple[DashboardForm, tuple[str, list[ReportingPeriod]] | None]:
    """The dashboard's form, and the kind and periods it chose (None if it is not valid)."""
    form = DashboardForm(request.GET or None)
    if form.is_bound and not form.is_valid():
        return form, None
    data = form.cleaned_data if form.is_bound else {}
    return form, dashboard_periods(
        network, data.get("kind") or "", data.get("start"), data.get("end")
    )


def _dashboard_context(
    request: OrganisationRequest, network: Network, form: DashboardForm
) -> dict[str, Any]:
    return {
        "form": form,
        "query": request.GET.urlencode(),
        "network": network,
        "organisation": request.organisation,
    }


def _dashboard_page(request: OrganisationRequest, template: str) -> HttpResponse:
    network = _network(request)
    form, chosen = _chosen_periods(request, network)
    context = _dashboard_context(request, network, form)
    if chosen is None:
        return render(request, template, context, status=400)
    kind, periods = chosen
    # The page's figures are drawn again only when what they are drawn from changes (a
    # sending, a correction, a period's rules): the template caches them by this version.
    context["version"] = dashboard_version(network, kind, periods)
    context["dashboard"] = SimpleLazyObject(lambda: build_dashboard(network, kind, periods))
    return render(request, template, context)


@organisation_view("reporting.coordinate")
@require_GET
def dashboard(request: OrganisationRequest) -> HttpResponse:
    return _dashboard_page(request, "reporting/dashboard.html")


@organisation_view("reporting.coordinate")
@require_GET
def dashboard_print(request: OrganisationRequest) -> HttpResponse:
    return _dashboard_page(request, "reporting/dashboard_print.html")


@organisation_view("reporting.coordinate")
@require_GET
def dashboard_export(request: OrganisationRequest) -> HttpResponse:
    kind = _file_kind(request)
    network = _network(request)
    form, chosen = _chosen_periods(request, network)
    if chosen is None:
        # The dashboard's own answer to a bad choice, so that the coordinator sees why.
        context = _dashboard_context(request, network, form)
        return render(request, "reporting/dashboard.html", context, status=400)
    found = build_dashboard(network, *chosen)
    rows = exports.view_rows(found.all_views())
    content = exports.render(kind, "dashboard", exports.VIEW_HEADER, rows)
    return _download(content, f"{found.network.slug}-figures", kind)


# --- The public's ---------------------------------------------------------------------


def _published_page(
    request: HttpRequest, network: Any, publication: Any, *, with_trend: bool
) -> HttpResponse:
    publications = list(access.published(network)[:60])
    # Published figures never change, so the page's figures are cached by the set of
    # publications in force (a new or withdrawn one changes the key) and the language;
    # they are computed only when the cache misses.
    version = hashlib.sha256(",".join(str(p.pk) for p in publications).encode()).hexdigest()[:16]
    return render(
        request,
        "reporting/public_figures.html",
        {
            "network": network,
            "publication": publication,
            "publications": publications,
            "figures": SimpleLazyObject(lambda: public_figures(publication))
            if publication
            else None,
            "trend": SimpleLazyObject(lambda: _trend_chart(network, publication.period.kind))
            if with_trend and publication
            else None,
            "version": version,
            "with_trend": with_trend,
        },
    )


@public_view
@require_GET
def network_figures(request: HttpRequest, network: str) -> HttpResponse:
    found = network_by_slug(network)
    return _published_page(request, found, access.published(found).first(), with_trend=True)


TREND_TITLES: dict[str, Promise] = {
    PeriodKind.MONTH: gettext_lazy("Persons supported, by month"),
    PeriodKind.QUARTER: gettext_lazy("Persons supported, by quarter"),
    PeriodKind.YEAR: gettext_lazy("Persons supported, by year"),
}


def _trend_chart(network: Any, kind: str) -> Any:
    """The persons of each published period of ``kind``, the kind of the latest publication."""
    from haven.reporting.report import Shown

    rows = access.published_trend(network, "persons.status", kind)
    if len(rows) < 2:
        return None
    items = [
        (publication.period.label, Shown(figure.value, figure.accuracy))
        for publication, figure in rows
    ]
    title = str(TREND_TITLES[kind])
    return {"chart": bar_chart(title, items), "items": items, "title": title}


@public_view
@require_GET
def network_publication(request: HttpRequest, network: str, publication_id: int) -> HttpResponse:
    found = network_by_slug(network)
    publication = access.public_publication(found, publication_id)
    return _published_page(request, found, publication, with_trend=False)


@public_view
@require_GET
def network_publication_download(
    request: HttpRequest, network: str, publication_id: int
) -> HttpResponse:
    found = network_by_slug(network)
    publication = access.public_publication(found, publication_id)
    kind = _file_kind(request, ("csv", "xlsx", "htcds"))
    name = f"{found.slug}-{publication.period.kind}-{publication.period.starts_on}"
    if kind == "htcds":
        rows = exports.htcds_rows(publication, access.published_figures(publication))
        content = exports.render("csv", "htcds", exports.HTCDS_HEADER, rows)
        return _download(content, f"{name}-htcds", "csv")
    views = public_figures(publication).views
    content = exports.render(kind, "figures", exports.VIEW_HEADER, exports.view_rows(views))
    return _download(content, name, kind)
