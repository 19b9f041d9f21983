"""Lookups of accounts data, always inside one organisation; anything else is 404."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core import signing
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone
from django_scopes import scope

from haven.accounts.models import ApiToken, Invitation, RoleAssignment, User
from haven.accounts.permissions import roles_with
from haven.organisations.models import Organisation
from haven.timezones import zone_of_slug

INVITATION_SALT = "haven.accounts.invitation"
API_TOKEN_PREFIX = "haven_"


def account_named(login: str) -> User | None:
    """The account a typed login names: its username or its e-mail address, any case."""
    login = login.strip()
    if not login:
        return None
    return User.objects.filter(Q(username__iexact=login) | Q(email__iexact=login)).first()


def account_of_credentials(credentials: Mapping[str, object]) -> User | None:
    """The account that the login of a sign-in attempt names (username or e-mail), if any."""
    login = str(credentials.get("username") or credentials.get("email") or "")
    # No username or address is longer: a longer login names nobody.
    return account_named(login) if len(login) <= 254 else None


def staff_of(organisation: Organisation) -> list[tuple[User, list[str]]]:
    """Every user with a role in the organisation, with their roles, by name."""
    by_user: dict[int, tuple[User, list[str]]] = {}
    assignments = (
        RoleAssignment.objects.filter(organisation=organisation)
        .select_related("user")
        .order_by("user__username", "role")
    )
    for assignment in assignments:
        by_user.setdefault(assignment.user_id, (assignment.user, []))[1].append(assignment.role)
    return list(by_user.values())


def people_holding(organisation: Organisation, permission: str) -> list[User]:
    """Active users with an e-mail address whose roles in the organisation grant
    ``permission``: whom to write to about the organisation's part in it."""
    return list(
        User.objects.filter(
            is_active=True,
            role_assignments__organisation=organisation,
            role_assignments__role__in=roles_with(permission),
        )
        .exclude(email="")
        .distinct()
        .order_by("pk")
    )


def organisations_with_nobody_holding(organisation_ids: Iterable[int], permission: str) -> set[int]:
    """Of these organisations, those where no active user with an e-mail address holds
    ``permission``: nobody there can be written to about it."""
    wanted = set(organisation_ids)
    reached = (
        RoleAssignment.objects.filter(
            organisation_id__in=wanted,
            role__in=roles_with(permission),
            user__is_active=True,
        )
        .exclude(user__email="")
        .values_list("organisation_id", flat=True)
        .distinct()
    )
    return wanted - set(reached)


def overseers_of(organisation: Organisation) -> list[User]:
    """Whom to tell when someone gains power over the organisation's staff or data: those
    who manage its staff and those who read its audit trail."""
    found = {user.pk: user for user in people_holding(organisation, "accounts.manage_users")}
    for user in people_holding(organisation, "audit.view"):
        found.setdefault(user.pk, user)
    return list(found.values())


def language_of(user: User, organisation: Organisation | None) -> str:
    """The language to write to a user in: their own choice, else their organisation's
    first language Haven speaks, else Haven's default."""
    known = [code for code, _name in settings.LANGUAGES]
    languages = organisation.languages if organisation is not None else []
    for code in [user.preferred_language, *(languages or [])]:
        short = str(code or "").split("-")[0].lower()
        if short in known:
            return short
    return str(settings.LANGUAGE_CODE)


def first_organisation_of(user: User) -> Organisation | None:
    """The organisation that speaks for a user's own account, which belongs to no one
    organisation: the first of theirs by name."""
    first = (
        RoleAssignment.objects.filter(user=user)
        .select_related("organisation")
        .order_by("organisation__name", "organisation_id")
        .first()
    )
    return first.organisation if first is not None else None


def own_language(user: User) -> str:
    """The language to write to a user in about their own account: as ``language_of``,
    with their first organisation."""
    return language_of(user, first_organisation_of(user))


def own_zone(user: User) -> str:
    """The time zone to write times in to a user about their own account: their first
    organisation's, else Haven's."""
    first = first_organisation_of(user)
    zone = zone_of_slug(first.slug) if first is not None else None
    return zone or str(settings.TIME_ZONE)


def staff_member_for(organisation: Organisation, user_id: int) -> User:
    """A user who holds a role in the organisation, or 404."""
    user = (
        User.objects.filter(pk=user_id, role_assignments__organisation=organisation)
        .distinct()
        .first()
    )
    if user is None:
        raise Http404
    return user


def _pending(organisation: Organisation) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organisation=organisation,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=timezone.now(),
    )


def pending_invitations(organisation: Organisation) -> list[Invitation]:
    """Invitations not yet accepted, revoked or expired."""
    return list(_pending(organisation))


def is_invited(organisation: Organisation, email: str) -> bool:
    """Whether an invitation to the address, in any case, still waits to be used."""
    # Actions also run outside a page's scope; the organisation is the one given.
    with scope(organisation=organisation):
        return _pending(organisation).filter(email__iexact=email).exists()


def is_staff_address(organisation: Organisation, email: str) -> bool:
    """Whether the address, in any case, is that of someone with a role in the organisation."""
    return RoleAssignment.objects.filter(
        organisation=organisation, user__email__iexact=email
    ).exists()


def invitation_for(organisation: Organisation, invitation_id: int) -> Invitation:
    """One of the organisation's invitations, or 404."""
    invitation = Invitation.objects.filter(organisation=organisation, pk=invitation_id).first()
    if invitation is None:
        raise Http404
    return invitation


def invitation_link_token(invitation: Invitation) -> str:
    return signing.dumps({"i": invitation.pk, "n": invitation.nonce}, salt=INVITATION_SALT)


def open_invitation_by_token(token: str) -> Invitation | None:
    """The pending invitation a link's token names, or None for anything else."""
    if len(token) > 500:
        return None
    try:
        payload = signing.loads(token, salt=INVITATION_SALT)
    except signing.BadSignature:
        return None
    if not isinstance(payload, dict) or not isinstance(payload.get("i"), int):
        return None
    invitation = (
        Invitation.unscoped.select_related("organisation")
        .filter(pk=int(payload["i"]), nonce=str(payload.get("n")))
        .first()
    )
    if (
        invitation is None
        or invitation.accepted_at
        or invitation.revoked_at
        or invitation.expires_at <= timezone.now()
    ):
        return None
    return invitation


def tokens_of(user: User) -> list[ApiToken]:
    """The user's API tokens not revoked: those that work, and those that expired."""
    return list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("-created_at"))


def token_of(user: User, token_id: int) -> ApiToken:
    """One of the user's own API tokens not yet revoked, or 404."""
    token = ApiToken.objects.filter(user=user, pk=token_id, revoked_at__isnull=True).first()
    if token is None:
        raise Http404
    return token


def hash_api_token(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def api_token_by_secret(raw: str) -> ApiToken | None:
    """The live token whose secret this is, or None."""
    if not raw.startswith(API_TOKEN_PREFIX) or len(raw) > 100:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(token_hash=hash_api_token(raw), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None or (token.expires_at is not None and token.expires_at <= timezone.now()):
        return None
    return token
