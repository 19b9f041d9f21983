"""Pages for signing in to an organisation, its dashboard, and its staff."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import cast

from allauth.account.decorators import reauthentication_required
from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from haven.accounts import access, actions
from haven.accounts.forms import AcceptInvitationForm, ApiTokenForm, InviteForm, RolesForm
from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import role_labels
from haven.accounts.tenancy import (
    OrganisationRequest,
    UserRequest,
    organisation_view,
    organisations_of,
    public_view,
    user_view,
)
from haven.organisations import access as directory
from haven.organisations.models import Network, Organisation


def no_email_management(request: HttpRequest) -> HttpResponse:
    """allauth's page for adding e-mail addresses and choosing the primary one: closed.

    An account's address is the one its invitation was sent to: invitations are accepted
    only by the account holding their address, and password resets go there. With that
    page, anyone holding a session could add an address and make it the primary one,
    without a password or any check, and then reset the password to it or accept an
    invitation sent to it.
    """
    raise Http404


@public_view
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    if request.user.is_authenticated:
        organisations = organisations_of(request.user, request)
        if organisations:
            return redirect("organisation_dashboard", org=organisations[0].slug)
    # Counted as the directory and the API count them: members in force today.
    networks = directory.public_networks()
    return render(request, "accounts/home.html", {"networks": networks})


@user_view
@require_GET
def switch_organisation(request: UserRequest) -> HttpResponse:
    slug = request.GET.get("org", "")
    if not any(
        organisation.slug == slug for organisation in organisations_of(request.user, request)
    ):
        raise Http404
    return redirect("organisation_dashboard", org=slug)


# The secret of a token just made, kept in the session for the one page that shows it:
# the POST answers with a redirect, so reloading the page cannot make a second token.
NEW_TOKEN_SESSION_KEY = "haven_new_api_token"


def _settings_page(
    request: UserRequest,
    form: ApiTokenForm,
    status: int = 200,
    new_token: dict[str, str] | None = None,
) -> HttpResponse:
    context = {"tokens": access.tokens_of(request.user), "token_form": form, "new_token": new_token}
    return render(request, "accounts/settings.html", context, status=status)


@user_view
@require_GET
def account_settings(request: UserRequest) -> HttpResponse:
    kept = request.session.pop(NEW_TOKEN_SESSION_KEY, None)
    new_token = (
        {"name": str(kept.get("name", "")), "secret": str(kept.get("secret", ""))}
        if isinstance(kept, dict)
        else None
    )
    return _settings_page(request, ApiTokenForm(), new_token=new_token)


def _makes_a_token(request: HttpRequest) -> bool:
    # Only a request that would make a token asks for the password again; bad input is
    # refused as it stands, without a detour through the sign-in pages.
    return ApiTokenForm(request.POST).is_valid()


# A stolen session must not be enough to make a token that outlives it: allauth asks for
# the password (or a passkey or TOTP code) unless it was given in the last few minutes,
# then replays this POST.
_reauthenticated = cast(
    Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]],
    reauthentication_required(enabled=_makes_a_token),
)


@user_view
@require_POST
@_reauthenticated
def api_token_create(request: UserRequest) -> HttpResponse:
    form = ApiTokenForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form, status=400)
    try:
        token, secret = actions.create_api_token(
            actor=request.user,
            name=form.cleaned_data["name"],
            lifetime=timedelta(days=form.cleaned_data["lifetime_days"]),
            request=request,
        )
    except ValidationError as error:
        form.add_error(None, error)
        return _settings_page(request, form, status=400)
    request.session[NEW_TOKEN_SESSION_KEY] = {"name": token.name, "secret": secret}
    return redirect(reverse("account_settings") + "#new-token")


@user_view
@require_POST
def api_token_revoke(request: UserRequest, token_id: int) -> HttpResponse:
    token = access.token_of(request.user, token_id)
    actions.revoke_api_token(actor=request.user, token=token, request=request)
    if token.has_expired:
        messages.success(request, _("The expired token was removed."))
    else:
        messages.success(request, _("The token no longer works."))
    return redirect("account_settings")


@organisation_view("organisation.view_dashboard")
@require_GET
def organisation_dashboard(request: OrganisationRequest) -> HttpResponse:
    organisation = request.organisation
    context = {
        "organisation": organisation,
        "my_roles": role_labels(sorted(request.roles)),
        "staff_count": RoleAssignment.objects.filter(organisation=organisation)
        .values("user")
        .distinct()
        .count(),
        "network": Network.objects.filter(organisation=organisation).first(),
        "memberships": organisation.memberships.select_related("network__organisation"),
    }
    return render(request, "accounts/dashboard.html", context)


@organisation_view("accounts.manage_users")
@require_GET
def staff_list(request: OrganisationRequest) -> HttpResponse:
    return _staff_page(request, InviteForm(organisation=request.organisation))


def _staff_page(request: OrganisationRequest, form: InviteForm, status: int = 200) -> HttpResponse:
    staff = [(user, role_labels(roles)) for user, roles in access.staff_of(request.organisation)]
    context = {
        "organisation": request.organisation,
        "staff": staff,
        "invitations": [
            (invitation, role_labels(invitation.roles))
            for invitation in access.pending_invitations(request.organisation)
        ],
        "form": form,
    }
    return render(request, "accounts/staff.html", context, status=status)


@organisation_view("accounts.manage_users")
@require_POST
def staff_invite(request: OrganisationRequest) -> HttpResponse:
    form = InviteForm(request.POST, organisation=request.organisation)
    if form.is_valid():
        try:
            actions.invite_user(
                actor=request.user,
                organisation=request.organisation,
                email=form.cleaned_data["email"],
                roles=form.cleaned_data["roles"],
                request=request,
            )
        except ValidationError as error:
            form.add_error(None, error)
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s.") % {"email": form.cleaned_data["email"]},
            )
            return redirect("staff_list", org=request.organisation.slug)
    return _staff_page(request, form, status=400)


@organisation_view("accounts.manage_users")
@require_http_methods(["GET", "POST"])
def staff_roles(request: OrganisationRequest, user_id: int) -> HttpResponse:
    member = access.staff_member_for(request.organisation, user_id)
    current = list(
        RoleAssignment.objects.filter(organisation=request.organisation, user=member).values_list(
            "role", flat=True
        )
    )
    status = 200
    if request.method == "POST":
        form = RolesForm(request.POST, organisation=request.organisation)
        if form.is_valid():
            try:
                actions.set_roles(
                    actor=request.user,
                    organisation=request.organisation,
                    user=member,
                    roles=form.cleaned_data["roles"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error(None, error)
            else:
                messages.success(request, _("Roles saved."))
                return redirect("staff_list", org=request.organisation.slug)
        status = 400
    else:
        form = RolesForm(initial={"roles": current}, organisation=request.organisation)
    return render(
        request,
        "accounts/staff_roles.html",
        {"organisation": request.organisation, "member": member, "form": form},
        status=status,
    )


@organisation_view("accounts.manage_users")
@require_POST
def staff_remove(request: OrganisationRequest, user_id: int) -> HttpResponse:
    member = access.staff_member_for(request.organisation, user_id)
    try:
        actions.remove_from_organisation(
            actor=request.user, organisation=request.organisation, user=member, request=request
        )
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(
            request, _("%(name)s no longer has access.") % {"name": member.display_name}
        )
    return redirect("staff_list", org=request.organisation.slug)


@organisation_view("accounts.manage_users")
@require_POST
def invitation_revoke(request: OrganisationRequest, invitation_id: int) -> HttpResponse:
    invitation = access.invitation_for(request.organisation, invitation_id)
    try:
        actions.revoke_invitation(actor=request.user, invitation=invitation, request=request)
    except ValidationError as error:
        messages.error(request, " ".join(error.messages))
    else:
        messages.success(request, _("The invitation link no longer works."))
    return redirect("staff_list", org=request.organisation.slug)


@public_view
@require_http_methods(["GET", "POST"])
def accept_invitation(request: HttpRequest, token: str) -> HttpResponse:
    invitation = access.open_invitation_by_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    organisation: Organisation = invitation.organisation
    signed_in = request.user.is_authenticated
    form = (
        AcceptInvitationForm(request.POST or None, email=invitation.email)
        if not signed_in
        else None
    )
    status = 400 if request.method == "POST" else 200
    if request.method == "POST" and (signed_in or (form is not None and form.is_valid())):
        try:
            user = actions.accept_invitation(
                invitation=invitation,
                user=cast(User, request.user) if signed_in else None,
                username=form.cleaned_data["username"] if form else "",
                password=form.cleaned_data["password1"] if form else "",
                request=request,
            )
        except ValidationError as error:
            if form is not None:
                form.add_error(None, error)
            elif error.code == "another_address":
                # The page itself says why and how to go on.
                status = 403
            else:
                messages.error(request, " ".join(error.messages))
                return redirect("home")
        else:
            if not signed_in:
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
            messages.success(
                request, _("Welcome to %(organisation)s.") % {"organisation": organisation.name}
            )
            return redirect("organisation_dashboard", org=organisation.slug)
    other_address = signed_in and not invitation.is_for(cast(User, request.user))
    return render(
        request,
        "accounts/invitation_accept.html",
        {
            "invitation": invitation,
            "organisation": organisation,
            "roles": role_labels(invitation.roles),
            "form": form,
            "other_address": actions.WRONG_ADDRESS if other_address else None,
        },
        status=status,
    )
