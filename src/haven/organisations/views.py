"""The public directory of a network, its coordinators' pages, and an organisation's profile."""

from __future__ import annotations

from itertools import groupby
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts.tenancy import OrganisationRequest, organisation_view, public_view
from haven.organisations import access, actions
from haven.organisations.forms import (
    DirectoryFilterForm,
    EndMembershipForm,
    ExistingMemberForm,
    FirstAdminForm,
    MemberFilterForm,
    MembershipForm,
    NewMemberForm,
    OrganisationForm,
    OrganisationSearchForm,
)
from haven.organisations.models import Membership, MembershipCategory, Network, Organisation

if TYPE_CHECKING:
    from django_stubs_ext import StrPromise

MEMBERS_PER_PAGE = 50

# Headings of the public directory, in the order networks list their signatories.
GROUP_TITLES: dict[str, StrPromise] = {
    MembershipCategory.MEMBER: gettext_lazy("Members"),
    MembershipCategory.PARTNER: gettext_lazy("Partners"),
    MembershipCategory.INTERNATIONAL_NETWORK: gettext_lazy("International networks"),
    MembershipCategory.DOMESTIC_NGO: gettext_lazy("Domestic NGOs"),
    MembershipCategory.SUPPORTER: gettext_lazy("Supporters"),
}


def _add_errors(form: Any, error: ValidationError) -> None:
    """Put an action's refusal next to the fields it names, or above the form."""
    if hasattr(error, "error_dict"):
        for field, messages_ in error.message_dict.items():
            form.add_error(field if field in form.fields else None, messages_)
    else:
        form.add_error(None, error.messages)


@public_view
@require_GET
def network_directory(request: HttpRequest, network: str) -> HttpResponse:
    found = access.network_by_slug(network)
    everyone = list(access.current_memberships(found))
    country_codes = sorted(
        {m.organisation.country.code for m in everyone if m.organisation.country}
    )
    form = DirectoryFilterForm(request.GET or None, country_codes=country_codes)
    country = form.cleaned_data.get("country", "") if form.is_valid() else ""
    status = 400 if form.is_bound and not form.is_valid() else 200
    order: dict[str, int] = {category: index for index, category in enumerate(GROUP_TITLES)}
    memberships = sorted(
        (m for m in everyone if not country or m.organisation.country.code == country),
        key=lambda m: (order.get(m.category, 99), m.organisation.name.casefold()),
    )
    groups = [
        (GROUP_TITLES.get(category, category), list(items))
        for category, items in groupby(memberships, key=lambda m: m.category)
    ]
    return render(
        request,
        "organisations/directory.html",
        {
            "network": found,
            "groups": groups,
            "total": len(memberships),
            "country_count": len(
                {m.organisation.country.code for m in memberships if m.organisation.country}
            ),
            "form": form,
            "country": country,
        },
        status=status,
    )


def _coordinated(request: OrganisationRequest) -> Network:
    return access.network_run_by(request.organisation)


@organisation_view("network.manage_members")
@require_GET
def network_members(request: OrganisationRequest) -> HttpResponse:
    network = _coordinated(request)
    form = MemberFilterForm(request.GET or None, country_codes=access.member_countries(network))
    status = 200
    filters = access.MemberFilters()
    if form.is_bound:
        if form.is_valid():
            data = form.cleaned_data
            filters = access.MemberFilters(
                category=data["category"],
                country=data["country"],
                status=data["status"] or "all",
                search=data["q"],
            )
        else:
            status = 400
    page = Paginator(access.members_of(network, filters), MEMBERS_PER_PAGE).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "organisations/members.html",
        {
            "network": network,
            "page": page,
            "form": form,
            "query": query.urlencode(),
            "organisation": request.organisation,
        },
        status=status,
    )


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_member_add(request: OrganisationRequest) -> HttpResponse:
    network = _coordinated(request)
    form = NewMemberForm(request.POST or None, initial={"kind": "ngo", "category": "member"})
    duplicate = None
    similar: list[Organisation] = []
    if request.method == "POST" and form.is_valid():
        try:
            membership = actions.create_member_organisation(
                actor=request.user,
                network=network,
                organisation_values={
                    field: form.cleaned_data[field] for field in OrganisationForm.base_fields
                },
                category=form.cleaned_data["category"],
                since=form.cleaned_data["since"],
                confirm_duplicate=form.cleaned_data["confirm_duplicate"],
                request=request,
            )
        except actions.DuplicateOrganisation as error:
            duplicate = error.existing
            _add_errors(form, error)
        except actions.PossibleDuplicate as error:
            similar = error.similar
            _add_errors(form, error)
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _("%(name)s is now in the network.") % {"name": membership.organisation.name},
            )
            return redirect("network_members", org=request.organisation.slug)
    return render(
        request,
        "organisations/member_add.html",
        {
            "network": network,
            "form": form,
            "duplicate": duplicate,
            "duplicate_is_member": duplicate is not None
            and duplicate.pk in access.open_membership_ids(network),
            "similar": similar,
            "members": access.open_membership_ids(network) if similar else set(),
            "organisation": request.organisation,
        },
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_member_add_existing(request: OrganisationRequest) -> HttpResponse:
    network = _coordinated(request)
    status = 200
    add_form = ExistingMemberForm(
        request.POST or None,
        initial={"category": "member", "organisation": request.GET.get("organisation", "")},
    )
    if request.method == "POST":
        if add_form.is_valid():
            candidate = access.organisation_by_id(add_form.cleaned_data["organisation"])
            try:
                actions.add_membership(
                    actor=request.user,
                    network=network,
                    organisation=candidate,
                    category=add_form.cleaned_data["category"],
                    since=add_form.cleaned_data["since"],
                    request=request,
                )
            except ValidationError as error:
                messages.error(request, " ".join(error.messages))
            else:
                messages.success(
                    request, _("%(name)s is now in the network.") % {"name": candidate.name}
                )
                return redirect("network_members", org=request.organisation.slug)
        status = 400
    search = OrganisationSearchForm(request.GET or None)
    query = search.cleaned_data["q"] if search.is_valid() else ""
    if search.is_bound and not search.is_valid():
        status = 400
    chosen = None
    chosen_id = request.GET.get("organisation", "")
    if chosen_id.isdecimal() and len(chosen_id) < 12:
        chosen = access.organisation_by_id(int(chosen_id))
    context = {
        "network": network,
        "search": search,
        "query": query,
        "results": access.organisations_named(query),
        "chosen": chosen,
        "members": access.open_membership_ids(network),
        "add_form": add_form,
        "organisation": request.organisation,
    }
    template = (
        "organisations/_search_results.html"
        if request.headers.get("HX-Request") and request.method == "GET"
        else "organisations/member_add_existing.html"
    )
    return render(request, template, context, status=status)


def _membership_page(
    request: OrganisationRequest,
    network: Network,
    membership: Membership,
    *,
    form: MembershipForm,
    end_form: EndMembershipForm,
    status: int = 200,
) -> HttpResponse:
    until = membership.until
    return render(
        request,
        "organisations/membership_edit.html",
        {
            "network": network,
            "membership": membership,
            "form": form,
            "end_form": end_form,
            "can_end": until is None or until >= timezone.localdate(),
            "organisation": request.organisation,
        },
        status=status,
    )


def _membership_initial(membership: Membership) -> dict[str, Any]:
    return {"category": membership.category, "since": membership.since, "until": membership.until}


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_membership_edit(request: OrganisationRequest, membership_id: int) -> HttpResponse:
    network = _coordinated(request)
    membership = access.membership_for(network, membership_id)
    form = MembershipForm(request.POST or None, initial=_membership_initial(membership))
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_membership(
                actor=request.user,
                membership=membership,
                changes=form.cleaned_data,
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Membership saved."))
            return redirect("network_members", org=request.organisation.slug)
    return _membership_page(
        request,
        network,
        membership,
        form=form,
        end_form=EndMembershipForm(),
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("network.manage_members")
@require_POST
def network_membership_end(request: OrganisationRequest, membership_id: int) -> HttpResponse:
    network = _coordinated(request)
    membership = access.membership_for(network, membership_id)
    end_form = EndMembershipForm(request.POST)
    if end_form.is_valid():
        until = end_form.cleaned_data["until"]
        try:
            if not end_form.cleaned_data["confirmed"]:
                last_day = actions.check_end_membership(membership, until)
                return render(
                    request,
                    "organisations/membership_end.html",
                    {
                        "network": network,
                        "membership": membership,
                        "last_day": last_day,
                        "confirm_form": EndMembershipForm(
                            initial={"until": last_day, "confirmed": "yes"}
                        ),
                        "organisation": request.organisation,
                    },
                )
            actions.end_membership(
                actor=request.user, membership=membership, until=until, request=request
            )
        except ValidationError as error:
            _add_errors(end_form, error)
        else:
            messages.success(
                request,
                _("The membership of %(name)s ends on %(until)s.")
                % {"name": membership.organisation.name, "until": membership.until},
            )
            return redirect("network_members", org=request.organisation.slug)
    return _membership_page(
        request,
        network,
        membership,
        form=MembershipForm(initial=_membership_initial(membership)),
        end_form=end_form,
        status=400,
    )


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_membership_delete(request: OrganisationRequest, membership_id: int) -> HttpResponse:
    network = _coordinated(request)
    membership = access.membership_for(network, membership_id)
    try:
        actions.check_delete_membership(membership)
    except ValidationError as error:
        refusal = " ".join(error.messages)
    else:
        refusal = ""
    if request.method == "POST" and not refusal:
        name = membership.organisation.name
        try:
            actions.delete_membership(actor=request.user, membership=membership, request=request)
        except ValidationError as error:
            refusal = " ".join(error.messages)
        else:
            messages.success(request, _("The membership of %(name)s was deleted.") % {"name": name})
            return redirect("network_members", org=request.organisation.slug)
    return render(
        request,
        "organisations/membership_delete.html",
        {
            "network": network,
            "membership": membership,
            "refusal": refusal,
            "organisation": request.organisation,
        },
        status=400 if request.method == "POST" else 200,
    )


def _organisation_page(
    request: OrganisationRequest,
    organisation: Any,
    *,
    template: str,
    success: str,
    **context: Any,
) -> HttpResponse:
    form = OrganisationForm(
        request.POST or None, initial=OrganisationForm.initial_for(organisation)
    )
    try:
        actions.check_may_edit_entry(request.organisation, organisation)
    except ValidationError as error:
        # Shown, not offered: the entry is another's to keep.
        return render(
            request,
            template,
            {
                "subject": organisation,
                "organisation": request.organisation,
                "locked": " ".join(error.messages),
                **context,
            },
            status=400 if request.method == "POST" else 200,
        )
    if request.method == "POST" and form.is_valid():
        try:
            actions.update_organisation(
                actor=request.user,
                acting_organisation=request.organisation,
                organisation=organisation,
                changes=form.organisation_values(),
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(request, _("Directory entry saved."))
            return redirect(success, org=request.organisation.slug)
    return render(
        request,
        template,
        {"form": form, "subject": organisation, "organisation": request.organisation, **context},
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_organisation_edit(request: OrganisationRequest, organisation_id: int) -> HttpResponse:
    network = _coordinated(request)
    subject = access.organisation_in_network(network, organisation_id)
    return _organisation_page(
        request,
        subject,
        template="organisations/organisation_edit.html",
        success="network_members",
        network=network,
        memberships=list(access.members_of(network).filter(organisation=subject)),
        # A member with staff invites its own people: their addresses are not the network's.
        waiting=[] if access.has_staff(subject) else access.waiting_invitations(subject),
    )


def _revoke_first_admin_invitation(
    request: OrganisationRequest, network: Network, subject: Organisation
) -> HttpResponse:
    invitation_id = request.POST["revoke"]
    invitation = (
        access.waiting_invitation(subject, int(invitation_id))
        if invitation_id.isdecimal() and len(invitation_id) < 12
        else None
    )
    if invitation is None:
        # A second press, or a page left open while the invitation was used or expired.
        messages.info(request, _("This invitation is no longer waiting: nothing to withdraw."))
    else:
        try:
            actions.revoke_first_admin_invitation(
                actor=request.user,
                network=network,
                organisation=subject,
                invitation=invitation,
                request=request,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request,
                _("The invitation to %(email)s was withdrawn: its link no longer works.")
                % {"email": invitation.email},
            )
    return redirect(
        "network_first_admin", org=request.organisation.slug, organisation_id=subject.pk
    )


@organisation_view("network.manage_members")
@require_http_methods(["GET", "POST"])
def network_first_admin(request: OrganisationRequest, organisation_id: int) -> HttpResponse:
    network = _coordinated(request)
    subject = access.organisation_in_network(network, organisation_id)
    if request.method == "POST" and "revoke" in request.POST:
        return _revoke_first_admin_invitation(request, network, subject)
    form = FirstAdminForm(request.POST or None)
    try:
        actions.check_may_invite_first_admin(network, subject)
    except ValidationError as error:
        refusal = " ".join(error.messages)
    else:
        refusal = ""
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            invitation = actions.invite_first_admin(
                actor=request.user,
                network=network,
                organisation=subject,
                email=form.cleaned_data["email"],
                request=request,
            )
        except ValidationError as error:
            _add_errors(form, error)
        else:
            messages.success(
                request,
                _(
                    "An invitation was sent to %(email)s. Once accepted, they manage the "
                    "staff and the directory entry of %(name)s."
                )
                % {"email": invitation.email, "name": subject.name},
            )
            return redirect(
                "network_organisation_edit",
                org=request.organisation.slug,
                organisation_id=subject.pk,
            )
    return render(
        request,
        "organisations/first_admin.html",
        {
            "network": network,
            "subject": subject,
            "form": form,
            "refusal": refusal,
            # Shown, to be withdrawn, even once the membership ended: only staff of the
            # member's own make them the member's business.
            "waiting": [] if access.has_staff(subject) else access.waiting_invitations(subject),
            "organisation": request.organisation,
        },
        status=400 if request.method == "POST" else 200,
    )


@organisation_view("organisation.edit_profile")
@require_http_methods(["GET", "POST"])
def organisation_profile(request: OrganisationRequest) -> HttpResponse:
    return _organisation_page(
        request,
        request.organisation,
        template="organisations/profile.html",
        success="organisation_profile",
    )
