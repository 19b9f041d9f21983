"""Pages of petitions: the owner's, and the public page where people sign and confirm."""

from __future__ import annotations

import functools
import uuid
from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import (
    require_GET,
    require_http_methods,
    require_POST,
    require_safe,
)
from django_scopes import scope

from haven.abuse.addresses import canonical_email
from haven.abuse.ratelimit import check_public_submission
from haven.accounts.tenancy import OrganisationRequest, organisation_view, public_view
from haven.letters.content import (
    embed_code,
    hashtag_list,
    plain_summary,
    render_markdown,
    share_links,
)
from haven.letters.views import COUNTER_POLICY, add_errors, form_errors, refused
from haven.mail.compose import absolute_url
from haven.petitions import access, actions
from haven.petitions.exports import signature_export
from haven.petitions.forms import (
    ExportForm,
    InvalidateForm,
    PetitionCreateForm,
    PetitionForm,
    SignatureForm,
)
from haven.petitions.models import Petition, PetitionStatus, SignatureStatus
from haven.privacy import audit
from haven.records.export import generate_passphrase

SIGNATURES_PER_PAGE = 100


@organisation_view("advocacy.manage")
@require_GET
def petition_list(request: OrganisationRequest) -> HttpResponse:
    now = timezone.now()
    rows = [
        (
            petition,
            PetitionStatus(access.status_now(petition, now)),
            access.signing_paused(petition, now),
        )
        for petition in access.petitions_of(request.organisation)
    ]
    return render(request, "petitions/list.html", {"rows": rows})


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def petition_create(request: OrganisationRequest) -> HttpResponse:
    form = PetitionCreateForm(
        request.POST or None,
        initial={"language": request.LANGUAGE_CODE},
        organisation=request.organisation,
        in_use=access.languages_in_use(request.organisation),
    )
    if request.method == "POST" and form.is_valid():
        try:
            petition = actions.create_petition(
                actor=request.user,
                owner=request.organisation,
                title=form.cleaned_data["title"],
                body=form.cleaned_data["body"],
                language=form.cleaned_data["language"],
                values=form.values(),
                request=request,
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Draft saved."))
            return redirect(
                "petition_detail", org=request.organisation.slug, petition_id=petition.pk
            )
    status = 400 if form.is_bound else 200
    return render(request, "petitions/form.html", {"form": form, "petition": None}, status=status)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def petition_edit(request: OrganisationRequest, petition_id: int) -> HttpResponse:
    petition = access.petition_for(request.organisation, petition_id)
    form = PetitionForm(request.POST or None, initial=PetitionForm.initial_for(petition))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_petition(
                actor=request.user, petition=petition, changes=form.cleaned_data, request=request
            )
        except ValidationError as error:
            add_errors(form, error)
        else:
            messages.success(request, _("Changes saved."))
            return redirect(
                "petition_detail", org=request.organisation.slug, petition_id=petition.pk
            )
    status = 400 if form.is_bound else 200
    return render(
        request, "petitions/form.html", {"form": form, "petition": petition}, status=status
    )


@organisation_view("advocacy.manage")
@require_GET
def petition_detail(request: OrganisationRequest, petition_id: int) -> HttpResponse:
    petition = access.petition_for(request.organisation, petition_id)
    status = request.GET.get("status", "")
    if status and status not in SignatureStatus.values:
        back = reverse(
            "petition_detail", kwargs={"org": petition.owner.slug, "petition_id": petition.pk}
        )
        return refused(request, [_("Choose one of the statuses.")], back)
    page = Paginator(access.signatures_of(petition, status), SIGNATURES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    audit.record(
        "petition.signatures_viewed",
        actor=request.user,
        organisation=request.organisation,
        target=petition,
        details={"count": len(page.object_list), "status": status},
        request=request,
    )
    kwargs = {"org": petition.owner.slug, "petition": petition.slug}
    now = timezone.now()
    context = {
        "petition": petition,
        "state": PetitionStatus(access.status_now(petition, now)),
        "paused": access.signing_paused(petition, now),
        "count": access.confirmed_count(petition),
        "waiting": access.signatures_of(petition, SignatureStatus.PENDING).count(),
        "page": page,
        "status": status,
        "status_query": f"status={status}" if status else "",
        "statuses": SignatureStatus.choices,
        "invalidate_form": InvalidateForm(),
        "public_url": absolute_url(reverse("petition_public", kwargs=kwargs)),
        "anonymise_on": actions.anonymisation_due(petition),
    }
    return render(request, "petitions/detail.html", context)


@organisation_view("advocacy.manage")
@require_POST
def petition_move(request: OrganisationRequest, petition_id: int) -> HttpResponse:
    petition = access.petition_for(request.organisation, petition_id)
    back = reverse(
        "petition_detail", kwargs={"org": petition.owner.slug, "petition_id": petition.pk}
    )
    try:
        actions.move_petition(
            actor=request.user,
            petition=petition,
            move=request.POST.get("move", "")[:20],
            request=request,
        )
    except ValidationError as error:
        return refused(request, error.messages, back)
    messages.success(request, _("Saved."))
    return redirect(back)


def _uuids(values: list[str]) -> list[uuid.UUID]:
    found = []
    for value in values[:SIGNATURES_PER_PAGE]:
        try:
            found.append(uuid.UUID(value[:40]))
        except ValueError:
            continue
    return found


@organisation_view("advocacy.manage")
@require_POST
def petition_invalidate(request: OrganisationRequest, petition_id: int) -> HttpResponse:
    petition = access.petition_for(request.organisation, petition_id)
    form = InvalidateForm(request.POST)
    chosen = _uuids(request.POST.getlist("signature"))
    back = reverse(
        "petition_detail", kwargs={"org": petition.owner.slug, "petition_id": petition.pk}
    )
    if not form.is_valid():
        return refused(request, form_errors(form), back)
    try:
        count = actions.invalidate_signatures(
            actor=request.user,
            petition=petition,
            signature_ids=chosen,
            domain=form.cleaned_data["domain"],
            created_from=form.cleaned_data["created_from"],
            created_to=form.cleaned_data["created_to"],
            reason=form.cleaned_data["reason"],
            request=request,
        )
    except ValidationError as error:
        return refused(request, error.messages, back)
    messages.success(request, _("%(count)d signatures invalidated.") % {"count": count})
    return redirect(back)


@organisation_view("advocacy.manage")
@require_http_methods(["GET", "POST"])
def petition_export(request: OrganisationRequest, petition_id: int) -> HttpResponse:
    petition = access.petition_for(request.organisation, petition_id)
    form = ExportForm(request.POST or None, initial={"passphrase": generate_passphrase()})
    if request.method == "POST" and form.is_valid():
        exported = signature_export(
            petition,
            file_format=form.cleaned_data["file_format"],
            passphrase=form.cleaned_data["passphrase"],
        )
        actions.note_export(
            actor=request.user,
            petition=petition,
            rows=exported.rows,
            file_format=form.cleaned_data["file_format"],
            request=request,
        )
        response = HttpResponse(exported.content, content_type="application/zip")
        response["Content-Disposition"] = f'attachment; filename="{exported.filename}"'
        return response
    status = 400 if form.is_bound else 200
    return render(
        request, "petitions/export.html", {"form": form, "petition": petition}, status=status
    )


# --- public pages -------------------------------------------------------------------------


@functools.lru_cache(maxsize=64)
def _blank_form(petition: Petition, updated_at: datetime, language: str) -> str:
    # The empty signature form is the same for every visitor of a petition in a language,
    # and drawing it is half the public page's time: drawn once per petition version.
    return SignatureForm(petition=petition).as_div()


@functools.lru_cache(maxsize=64)
def _page_parts(
    petition: Petition, updated_at: datetime, owner: str, language: str, base_url: str
) -> dict[str, Any]:
    # What the page shows of the petition itself is the same for every visitor in a
    # language until the petition (or its owner's address, or the site's) changes: drawn
    # once, since the page is read all through a rush (bench/petition_rush.py).
    kwargs = {"org": owner, "petition": petition.slug}
    page_url = absolute_url(reverse("petition_public", kwargs=kwargs))
    counter_url = absolute_url(reverse("petition_counter", kwargs=kwargs))
    tags = hashtag_list(petition.hashtags)
    return {
        "body_html": render_markdown(petition.body),
        "page_url": page_url,
        "counter_url": counter_url,
        "share": share_links(page_url, petition.title, tags),
        "embed_code": embed_code(counter_url, petition.title),
        "hashtags": tags,
        "summary": petition.summary or plain_summary(petition.body),
    }


@functools.lru_cache(maxsize=64)
def _sent_url(owner: str, slug: str) -> str:
    # Every signature is sent there: found once rather than on each of a rush's requests.
    return reverse("petition_sent", kwargs={"org": owner, "petition": slug})


def _public_context(petition: Petition) -> dict[str, Any]:
    count = access.public_count(petition)
    parts = _page_parts(
        petition,
        petition.updated_at,
        petition.owner.slug,
        get_language(),
        settings.HAVEN_BASE_URL,
    )
    return {
        **parts,
        "petition": petition,
        "count": count,
        "percent": min(100, round(100 * count / petition.goal)) if petition.goal else None,
        "accepts": access.accepts_signatures(petition),
        # Past its closing time a petition is over, even before the nightly task closes it.
        "paused": access.signing_paused(petition),
        "names": access.public_names(petition),
    }


@public_view
@require_http_methods(["GET", "HEAD", "POST"])
def petition_public(request: HttpRequest, org: str, petition: str) -> HttpResponse:
    found = access.public_petition(org, petition)
    accepts = access.accepts_signatures(found)
    # Only a posted form is built: the empty one is drawn once (_blank_form).
    form = SignatureForm(request.POST, petition=found) if request.method == "POST" else None
    if form is not None and accepts:
        if form.is_valid():
            data = form.cleaned_data
            check_public_submission(
                request,
                scope="petition-sign",
                address=canonical_email(data["email"]),
                target=found.pk,
            )
            with scope(organisation=found.owner):
                try:
                    actions.sign_petition(
                        petition=found,
                        name=data["name"],
                        email=data["email"],
                        country=data["country"],
                        comment=data["comment"],
                        show_name=data["show_name"],
                        contact_consent=data["contact_consent"],
                        language=request.LANGUAGE_CODE,
                    )
                except ValidationError as error:
                    add_errors(form, error)
                else:
                    return HttpResponseRedirect(_sent_url(found.owner.slug, found.slug))
        else:
            check_public_submission(request, scope="petition-sign")
    status = 400 if request.method == "POST" else 200
    if not accepts:
        form = None
    blank = "" if form is not None else _blank_form(found, found.updated_at, request.LANGUAGE_CODE)
    return render(
        request,
        "petitions/public.html",
        {**_public_context(found), "form": form, "blank_form": blank},
        status=status,
    )


@public_view
@require_safe
def petition_sent(request: HttpRequest, org: str, petition: str) -> HttpResponse:
    found = access.public_petition(org, petition)
    return render(request, "petitions/sent.html", {"petition": found})


@public_view
@xframe_options_exempt
@require_safe
def petition_counter(request: HttpRequest, org: str, petition: str) -> HttpResponse:
    found = access.public_petition(org, petition)
    context = _public_context(found)
    response = render(request, "petitions/counter.html", context)
    response["Content-Security-Policy"] = COUNTER_POLICY
    response["Cache-Control"] = "public, max-age=30"
    return response


@public_view
@require_http_methods(["GET", "HEAD", "POST"])
def petition_confirm(request: HttpRequest, org: str, petition: str, token: str) -> HttpResponse:
    found = access.public_petition(org, petition)
    signature = access.signature_from_token(found, token)
    if signature is None:
        return render(request, "petitions/confirm_invalid.html", {"petition": found}, status=400)
    error = ""
    # A mail scanner that follows the link only GETs this page; the button POSTs.
    if request.method == "POST":
        with scope(organisation=found.owner):
            try:
                actions.confirm_signature(signature=signature)
            except ValidationError as refusal:
                error = " ".join(refusal.messages)
            # Whatever the button did: a signature the owner set aside stays set aside.
            signature.refresh_from_db(fields=["status"])
    confirmed = signature.status == SignatureStatus.CONFIRMED
    # Said before the button rather than after it: pressing it now could only fail.
    paused = access.signing_paused(found)
    return render(
        request,
        "petitions/confirm.html",
        {
            "petition": found,
            "confirmed": confirmed,
            "invalidated": signature.status == SignatureStatus.INVALIDATED,
            "error": error,
            "paused": paused,
            "closed": not paused and not access.accepts_signatures(found),
            "days": access.CONFIRM_DAYS,
        },
        status=400 if error else 200,
    )
