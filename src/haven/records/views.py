"""Pages for exports, imports, erasure on request and retention."""

from __future__ import annotations

import secrets
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, cast

from django.contrib import messages
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, ngettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from haven.accounts.tenancy import OrganisationRequest, organisation_view
from haven.records import access, actions
from haven.records.export import ExportRequest, Kind, TooManyRows, generate_passphrase
from haven.records.forms import (
    KIND_CHOICES,
    ConfirmImportForm,
    EraseForm,
    ExportForm,
    ImportForm,
)
from haven.records.imports import (
    IMPORT_PERMISSIONS,
    KINDS,
    MAX_BYTES,
    ColumnGuide,
    ImportRefused,
    ParsedImport,
    TicketRefused,
    column_guide,
    parse_import,
    stash,
    template_csv,
)
from haven.records.tasks import pending_run

DOWNLOAD_SECONDS = 10 * 60

# The counts actions.import_records returns, as the page words them.
IMPORTED_COUNTS = {
    "persons": ngettext_lazy(
        "%(counter)s person recorded", "%(counter)s people recorded", "counter"
    ),
    "households": ngettext_lazy(
        "%(counter)s household created", "%(counter)s households created", "counter"
    ),
    "consents": ngettext_lazy(
        "%(counter)s consent recorded", "%(counter)s consents recorded", "counter"
    ),
    "deliveries": ngettext_lazy(
        "%(counter)s service recorded", "%(counter)s services recorded", "counter"
    ),
}

# The counts an erasure record keeps (records.actions._erase), as the erasures page words them.
ERASED_COUNTS = {
    "cases": ngettext_lazy("%(counter)s case", "%(counter)s cases", "counter"),
    "notes": ngettext_lazy("%(counter)s case note", "%(counter)s case notes", "counter"),
    "consents": ngettext_lazy("%(counter)s consent", "%(counter)s consents", "counter"),
    "stays": ngettext_lazy("%(counter)s shelter stay", "%(counter)s shelter stays", "counter"),
    "services_unlinked": ngettext_lazy(
        "%(counter)s service kept without the link",
        "%(counter)s services kept without the link",
        "counter",
    ),
    "stays_unlinked": ngettext_lazy(
        "%(counter)s shelter stay kept without the link",
        "%(counter)s shelter stays kept without the link",
        "counter",
    ),
    "calls_unlinked": ngettext_lazy(
        "%(counter)s helpline call unlinked", "%(counter)s helpline calls unlinked", "counter"
    ),
}


def _worded(words: Mapping[str, Any], counts: Mapping[str, int]) -> list[str]:
    # In the order of ``words``, not of the stored counts: PostgreSQL's jsonb keeps its
    # own order. A count nobody has worded yet still shows, under its key.
    worded = [words[key] % {"counter": counts[key]} for key in words if key in counts]
    return worded + [f"{key}: {count}" for key, count in counts.items() if key not in words]


def _download_key(request: OrganisationRequest, ticket: str) -> str:
    return f"haven:records:export:{request.organisation.pk}:{request.user.pk}:{ticket}"


def _identity_allowed(request: OrganisationRequest) -> bool:
    return "casework.view_identity" in request.permissions


@organisation_view("casework.export")
@require_http_methods(["GET", "POST"])
def export_page(request: OrganisationRequest) -> HttpResponse:
    may_identify = _identity_allowed(request)
    if request.method != "POST":
        form = ExportForm(may_include_identity=may_identify)
        return render(request, "records/export.html", {"form": form})
    form = ExportForm(request.POST, may_include_identity=may_identify)
    if not form.is_valid():
        return render(request, "records/export.html", {"form": form}, status=400)
    data = form.cleaned_data
    chosen = data["passphrase"]
    passphrase = chosen or generate_passphrase()
    wanted = ExportRequest(
        kind=data["kind"],
        format=data["format"],
        include_identity=bool(data.get("include_identity")),
        date_from=data["date_from"] if data["kind"] == "services" else None,
        date_to=data["date_to"] if data["kind"] == "services" else None,
    )
    try:
        exported = actions.create_export(
            actor=request.user,
            organisation=request.organisation,
            wanted=wanted,
            passphrase=passphrase,
            passphrase_generated=not chosen,
            request=request,
        )
    except TooManyRows:
        form.add_error(None, _("This export has too many rows; choose a shorter date range."))
        return render(request, "records/export.html", {"form": form}, status=400)
    ticket = secrets.token_urlsafe(24)
    cache.set(
        _download_key(request, ticket),
        {"filename": exported.filename, "content": exported.content},
        DOWNLOAD_SECONDS,
    )
    context: dict[str, Any] = {
        "exported": exported,
        "wanted": wanted,
        "ticket": ticket,
        "passphrase": None if chosen else passphrase,
    }
    response = render(request, "records/export_ready.html", context)
    response["Cache-Control"] = "no-store"
    return response


@organisation_view("casework.export")
@require_GET
def export_download(request: OrganisationRequest) -> HttpResponse:
    ticket = request.GET.get("ticket", "")[:64]
    stored = cache.get(_download_key(request, ticket)) if ticket else None
    if not isinstance(stored, dict):
        return render(request, "records/export_gone.html", status=400)
    response = HttpResponse(stored["content"], content_type="application/zip")
    response["Content-Disposition"] = f'attachment; filename="{stored["filename"]}"'
    response["Cache-Control"] = "no-store"
    return response


@dataclass(frozen=True)
class _KindGuide:
    kind: str
    label: str
    columns: list[ColumnGuide]


def _guides(request: OrganisationRequest) -> list[_KindGuide]:
    labels = dict(KIND_CHOICES)
    return [
        _KindGuide(
            kind=kind,
            label=str(labels[kind]),
            columns=column_guide(
                kind, request.organisation, may_import_identity=_identity_allowed(request)
            ),
        )
        for kind in _kinds(request)
    ]


def _import_context(
    request: OrganisationRequest,
    form: ImportForm,
    parsed: ParsedImport | None = None,
    **extra: Any,
) -> Any:
    return {
        "form": form,
        "parsed": parsed,
        "max_mb": MAX_BYTES // (1024 * 1024),
        "guides": _guides(request),
        **extra,
    }


def _kinds(request: OrganisationRequest) -> list[Kind]:
    return [kind for kind in KINDS if IMPORT_PERMISSIONS[kind] in request.permissions]


@organisation_view("casework.import")
@require_GET
def import_template(request: OrganisationRequest) -> HttpResponse:
    kind = request.GET.get("kind", "")
    if kind not in KINDS:
        return HttpResponse(
            _("Ask for kind=persons or kind=services."),
            status=400,
            content_type="text/plain; charset=utf-8",
        )
    actions.check_may_import(request.user, request.organisation, kind, request)
    content = template_csv(
        cast(Kind, kind), request.organisation, may_import_identity=_identity_allowed(request)
    )
    response = HttpResponse(content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="haven-import-{kind}.csv"'
    return response


@organisation_view("casework.import")
@require_http_methods(["GET", "POST"])
def import_page(request: OrganisationRequest) -> HttpResponse:
    if request.method != "POST":
        form = ImportForm(kinds=_kinds(request))
        return render(request, "records/import.html", _import_context(request, form))
    if "ticket" in request.POST:
        return _confirm_import(request)
    if request.POST.get("kind") in IMPORT_PERMISSIONS:
        actions.check_may_import(request.user, request.organisation, request.POST["kind"], request)
    form = ImportForm(request.POST, request.FILES, kinds=_kinds(request))
    if not form.is_valid():
        return render(request, "records/import.html", _import_context(request, form), status=400)
    upload = form.cleaned_data["file"]
    kind = form.cleaned_data["kind"]
    if upload.size is None or upload.size > MAX_BYTES:
        form.add_error("file", _("The file is larger than 5 MB; split it into smaller files."))
        return render(request, "records/import.html", _import_context(request, form), status=400)
    content = upload.read()
    try:
        parsed = parse_import(
            organisation=request.organisation,
            actor=request.user,
            kind=kind,
            content=content,
            may_import_identity=_identity_allowed(request),
        )
    except ImportRefused as refused:
        form.add_error("file", refused)
        return render(request, "records/import.html", _import_context(request, form), status=400)
    earlier = access.earlier_import_of(request.organisation, parsed.checksum)
    if not parsed.valid:
        context = _import_context(request, form, parsed, earlier=earlier)
        return render(request, "records/import.html", context, status=400)
    ticket = stash(request.organisation, request.user, kind, content)
    confirm = ConfirmImportForm(initial={"ticket": ticket})
    context = _import_context(request, form, parsed, confirm_form=confirm, earlier=earlier)
    return render(request, "records/import.html", context)


def _confirm_import(request: OrganisationRequest) -> HttpResponse:
    confirm = ConfirmImportForm(request.POST)
    ticket = confirm.cleaned_data["ticket"] if confirm.is_valid() else ""
    try:
        parsed, counts = actions.confirm_import(
            actor=request.user,
            organisation=request.organisation,
            ticket=ticket,
            may_import_identity=_identity_allowed(request),
            request=request,
        )
    except TicketRefused as refused:
        if refused.already_claimed:
            problem = _(
                "This preview was already confirmed, or is being imported right now: a file"
                " is imported once per preview. Nothing more was written."
            )
        else:
            problem = _("This preview has expired. Upload the file again.")
        context = _import_context(request, ImportForm(kinds=_kinds(request)), problems=[problem])
        return render(request, "records/import.html", context, status=400)
    except actions.ImportNotWritten as error:
        context = _import_context(
            request, ImportForm(kinds=_kinds(request)), error.parsed, problems=error.messages
        )
        return render(request, "records/import.html", context, status=400)
    except ValidationError as error:
        context = _import_context(
            request, ImportForm(kinds=_kinds(request)), problems=error.messages
        )
        return render(request, "records/import.html", context, status=400)
    rows = len(parsed.values)
    messages.success(
        request,
        ngettext("Imported %(rows)d row.", "Imported %(rows)d rows.", rows) % {"rows": rows},
    )
    context = _import_context(
        request, ImportForm(kinds=_kinds(request)), imported=_worded(IMPORTED_COUNTS, counts)
    )
    return render(request, "records/import.html", context)


@organisation_view("casework.erase")
@require_http_methods(["GET", "POST"])
def erase_person(request: OrganisationRequest, person_id: str) -> HttpResponse:
    person = access.person_to_erase(request, person_id)
    if request.method != "POST":
        return render(request, "records/erase.html", {"person": person, "form": EraseForm()})
    form = EraseForm(request.POST)
    if form.is_valid():
        try:
            actions.erase_person(
                actor=request.user,
                person=person,
                confirm_code=form.cleaned_data["confirm_code"],
                request=request,
            )
        except ValidationError as error:
            form.add_error("confirm_code", error)
        else:
            messages.success(
                request, _("%(code)s was erased.") % {"code": form.cleaned_data["confirm_code"]}
            )
            return redirect("erasure_records", org=request.organisation.slug)
    return render(request, "records/erase.html", {"person": person, "form": form}, status=400)


@organisation_view("casework.erase")
@require_GET
def erasure_records(request: OrganisationRequest) -> HttpResponse:
    paginator = Paginator(access.erasure_records_of(request.organisation), 50)
    page = paginator.get_page(request.GET.get("page", "1")[:10])
    rows = [(record, _worded(ERASED_COUNTS, record.records_removed)) for record in page]
    return render(request, "records/erasures.html", {"page": page, "rows": rows})


@organisation_view("casework.view_retention")
@require_GET
def retention_status(request: OrganisationRequest) -> HttpResponse:
    context = {
        "settings": access.retention_settings_of(request.organisation),
        "last_run": access.last_retention_event(request.organisation),
        "next_run": pending_run(),
    }
    return render(request, "records/retention.html", context)
