"""Tenancy and permissions for every page and API operation.

Three layers (DESIGN.md): the organisation comes from the URL and outsiders get 404;
private models have scoped managers, so the view body runs inside ``scope(organisation=…)``;
and each view declares the permission it needs. Each decorator also leaves an
``AccessRule`` on the view, which the generated authorisation matrix reads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache, wraps
from typing import Any, Literal, TypeVar, cast

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.db import connections, router
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django_scopes import scope
from ninja.decorators import decorate_view

from haven.accounts.models import RoleAssignment, User
from haven.accounts.permissions import (
    MFA_PERMISSION,
    check_permission_name,
    permissions_for,
)
from haven.organisations.models import Organisation
from haven.privacy import audit

AccessKind = Literal["public", "user", "organisation", "token"]
View = TypeVar("View", bound=Callable[..., Any])


@dataclass(frozen=True)
class AccessRule:
    """What a route needs: nobody, a signed-in user, or a permission in an organisation."""

    kind: AccessKind
    permission: str | None = None


class OrganisationRequest(HttpRequest):
    """A request inside an organisation, as the decorators below leave it."""

    user: User
    organisation: Organisation
    roles: frozenset[str]
    permissions: frozenset[str]


class UserRequest(HttpRequest):
    user: User


def access_rule(view: object) -> AccessRule | None:
    return getattr(view, "haven_access", None)


def _mark(view: View, rule: AccessRule) -> View:
    view.haven_access = rule  # type: ignore[attr-defined]
    return view


@dataclass(frozen=True)
class Standing:
    """A user's roles in each organisation and whether they have a second factor.

    Read once per request (``standing_of``), fresh from the database: a role taken away
    stops working on the next request.
    """

    organisations: tuple[Organisation, ...]
    roles: dict[int, frozenset[str]]
    has_second_factor: bool

    def roles_in(self, organisation: Organisation) -> frozenset[str]:
        return self.roles.get(organisation.pk, frozenset())

    def find(self, slug: str) -> Organisation | None:
        return next((o for o in self.organisations if o.slug == slug), None)


_STANDING_ATTRIBUTE = "_haven_standing"


@cache
def _standing_sql(alias: str) -> str:
    """The SQL of a user's standing: each role with its organisation, and whether the user
    has a second factor, by organisation name (written once per database)."""
    quote = connections[alias].ops.quote_name
    organisation = Organisation._meta
    assignment = RoleAssignment._meta
    authenticator = Authenticator._meta
    columns = ", ".join(f"o.{quote(field.column)}" for field in organisation.concrete_fields)

    def column(meta: Any, name: str) -> str:
        return quote(meta.get_field(name).column)

    # Only the models' own table and column names are written in; the values are parameters.
    return (
        f"SELECT {columns}, a.{column(assignment, 'role')} AS haven_role, "  # noqa: S608
        f"EXISTS (SELECT 1 FROM {quote(authenticator.db_table)} f "
        f"WHERE f.{column(authenticator, 'user')} = a.{column(assignment, 'user')} "
        f"AND f.{column(authenticator, 'type')} IN (%s, %s)) AS haven_second_factor "
        f"FROM {quote(assignment.db_table)} a JOIN {quote(organisation.db_table)} o "
        f"ON o.{quote(organisation.pk.column)} = a.{column(assignment, 'organisation')} "
        f"WHERE a.{column(assignment, 'user')} = %s "
        f"ORDER BY o.{column(organisation, 'name')}, o.{quote(organisation.pk.column)}"
    )


def _read_standing(user: User) -> Standing:
    # Every signed-in request reads this, and its SQL never changes: written out once, it
    # spares the 1 ms that building and compiling the ORM's query took each time, a
    # quarter of an empty page (bench/casework.py's floor).
    alias = router.db_for_read(RoleAssignment)
    rows = Organisation.objects.using(alias).raw(
        _standing_sql(alias),
        [Authenticator.Type.TOTP.value, Authenticator.Type.WEBAUTHN.value, user.pk],
    )
    organisations: dict[int, Organisation] = {}
    roles: dict[int, set[str]] = {}
    enrolled = False
    row: Any
    for row in rows:
        # Taken off the organisation, which then carries only its own fields.
        role, second_factor = (
            row.__dict__.pop("haven_role"),
            row.__dict__.pop("haven_second_factor"),
        )
        organisations.setdefault(row.pk, row)
        roles.setdefault(row.pk, set()).add(role)
        enrolled = enrolled or bool(second_factor)
    return Standing(
        organisations=tuple(organisations.values()),
        roles={pk: frozenset(names) for pk, names in roles.items()},
        has_second_factor=enrolled,
    )


def standing_of(request: HttpRequest | None, user: User) -> Standing:
    """The user's standing, read with one query and kept for the rest of the request."""
    if request is None:
        return _read_standing(user)
    kept: tuple[int, Standing] | None = getattr(request, _STANDING_ATTRIBUTE, None)
    if kept is not None and kept[0] == user.pk:
        return kept[1]
    standing = _read_standing(user)
    setattr(request, _STANDING_ATTRIBUTE, (user.pk, standing))
    return standing


def roles_in(user: User, organisation: Organisation) -> frozenset[str]:
    """The user's roles in one organisation, read fresh."""
    return frozenset(
        RoleAssignment.objects.filter(user=user, organisation=organisation).values_list(
            "role", flat=True
        )
    )


def organisations_of(user: User, request: HttpRequest | None = None) -> list[Organisation]:
    """The organisations where the user holds at least one role, by name."""
    return list(standing_of(request, user).organisations)


def has_second_factor(user: User) -> bool:
    enrolled: bool = Authenticator.objects.filter(
        user=user, type__in=[Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN]
    ).exists()
    return enrolled


def must_enrol_mfa(user: User, request: HttpRequest | None = None) -> bool:
    """True for a user whose roles see persons and who has no second factor yet."""
    if settings.HAVEN_DEMO:
        return False
    standing = standing_of(request, user)
    every_role = {role for names in standing.roles.values() for role in names}
    if MFA_PERMISSION not in permissions_for(every_role):
        return False
    return not standing.has_second_factor


_REFUSAL_RECORDED_ATTRIBUTE = "_haven_refusal_recorded"


def _record_refusal(
    request: HttpRequest,
    user: User,
    organisation: Organisation | None,
    outcome: str,
    details: dict[str, str],
) -> None:
    audit.record(
        "access.refused",
        actor=user,
        organisation=organisation,
        outcome=outcome,
        details=details,
        request=request,
    )
    setattr(request, _REFUSAL_RECORDED_ATTRIBUTE, True)


def authorise(
    request: HttpRequest, user: User, slug: str, permission: str
) -> tuple[Organisation, frozenset[str], frozenset[str]]:
    """The organisation named in the URL if the user may act there, else 404 or 403."""
    standing = standing_of(request, user)
    organisation = standing.find(slug)
    if organisation is None:
        # Only now look the slug up, so the refusal names the organisation it was aimed at.
        known = Organisation.objects.filter(slug=slug).first() if len(slug) <= 60 else None
        _record_refusal(request, user, known, "not_found", {"path": request.path[:200]})
        raise Http404
    roles = standing.roles_in(organisation)
    granted = permissions_for(roles)
    if permission not in granted:
        _record_refusal(
            request,
            user,
            organisation,
            "forbidden",
            {"path": request.path[:200], "permission": permission},
        )
        raise PermissionDenied(_("Your roles in this organisation do not allow this."))
    return organisation, roles, granted


def record_refusal_within(
    request: HttpRequest, user: User, organisation: Organisation, permission: str
) -> None:
    """Audit a refusal made inside a view or an operation, once per request."""
    # The permission a route declares is checked by ``authorise``; a finer one (identifying
    # fields, a search by name) is refused by the body, which raises PermissionDenied
    # without recording it. The event is the one ``authorise`` writes.
    if getattr(request, _REFUSAL_RECORDED_ATTRIBUTE, False):
        return
    _record_refusal(
        request,
        user,
        organisation,
        "forbidden",
        {"path": request.path[:200], "permission": permission},
    )


def _mfa_redirect(request: HttpRequest) -> HttpResponse:
    messages.warning(
        request,
        _(
            "Your role lets you see the people your organisation supports. "
            "Set up two-factor authentication before you continue."
        ),
    )
    return redirect("mfa_activate_totp")


def organisation_view(permission: str) -> Callable[[View], View]:
    """Decorate a view whose URL has ``<slug:org>``; it runs scoped to that organisation."""
    check_permission_name(permission)

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, org: str, *args: Any, **kwargs: Any) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            user = request.user
            if must_enrol_mfa(user, request):
                return _mfa_redirect(request)
            organisation, roles, granted = authorise(request, user, org, permission)
            scoped = cast(OrganisationRequest, request)
            scoped.organisation, scoped.roles, scoped.permissions = organisation, roles, granted
            with scope(organisation=organisation):
                try:
                    return cast(HttpResponse, view(scoped, *args, **kwargs))
                except PermissionDenied:
                    record_refusal_within(request, user, organisation, permission)
                    raise

        return _mark(cast(View, wrapper), AccessRule("organisation", permission))

    return decorator


def user_view(view: View) -> View:
    """Decorate a view for any signed-in user (who has enrolled MFA if their roles need it)."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if must_enrol_mfa(request.user, request):
            return _mfa_redirect(request)
        return cast(HttpResponse, view(request, *args, **kwargs))

    return _mark(cast(View, wrapper), AccessRule("user"))


def public_view(view: View) -> View:
    """Declare a view open to anyone, so the authorisation matrix knows it is meant to be."""
    return _mark(view, AccessRule("public"))


_PENDING_ACCESS_ATTRIBUTE = "_haven_pending_access"


def _authorise_operation(
    request: HttpRequest, org: str, permission: str
) -> tuple[Organisation, frozenset[str], frozenset[str]]:
    # The API's token authentication has run, so this is a real user.
    user = cast(User, request.user)
    if must_enrol_mfa(user, request):
        raise PermissionDenied(_("Set up two-factor authentication before you use the API."))
    return authorise(request, user, org, permission)


def _noting_access(permission: str) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """A decorator of ninja's ``Operation.run``: notes on the request what the operation
    needs, before ninja validates the query and body (and may refuse them) ahead of it."""

    def decorator(run: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(run)
        def noted(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            setattr(request, _PENDING_ACCESS_ATTRIBUTE, (str(kwargs.get("org", "")), permission))
            return run(request, *args, **kwargs)

        return noted

    return decorator


def authorise_refused_input(request: HttpRequest) -> None:
    """Raise the 404 or 403 an organisation operation owes a caller whose input ninja refused
    before the operation could authorise them, so bad input tells an outsider nothing."""
    pending: tuple[str, str] | None = getattr(request, _PENDING_ACCESS_ATTRIBUTE, None)
    if pending is None or not request.user.is_authenticated:
        return
    setattr(request, _PENDING_ACCESS_ATTRIBUTE, None)
    _authorise_operation(request, *pending)


def api_organisation_operation(permission: str) -> Callable[[View], View]:
    """Decorate an API operation whose path has ``{org}``; it runs scoped to it."""
    check_permission_name(permission)

    def decorator(operation: View) -> View:
        @wraps(operation)
        def wrapper(request: HttpRequest, *args: Any, org: str, **kwargs: Any) -> Any:
            # Authorised here: a refusal of input from now on is for an allowed caller.
            setattr(request, _PENDING_ACCESS_ATTRIBUTE, None)
            organisation, roles, granted = _authorise_operation(request, org, permission)
            user = cast(User, request.user)
            scoped = cast(OrganisationRequest, request)
            scoped.organisation, scoped.roles, scoped.permissions = organisation, roles, granted
            with scope(organisation=organisation):
                try:
                    return operation(scoped, *args, org=org, **kwargs)
                except PermissionDenied:
                    record_refusal_within(request, user, organisation, permission)
                    raise

        # ninja validates the query and body before calling the operation: the note lets
        # the API's error handlers authorise first (haven.api.api._refused_first).
        noted = decorate_view(_noting_access(permission))(wrapper)
        return _mark(cast(View, noted), AccessRule("organisation", permission))

    return decorator


def api_user_operation(operation: View) -> View:
    """Declare an API operation for any holder of a valid token."""
    return _mark(operation, AccessRule("token"))


def api_public_operation(operation: View) -> View:
    """Declare an API operation open to anyone."""
    return _mark(operation, AccessRule("public"))
