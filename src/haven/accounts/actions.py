"""Every change to staff accounts, roles, invitations and API tokens."""

from __future__ import annotations

import secrets
from collections.abc import Collection
from datetime import timedelta
from functools import partial

from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import get_language, gettext_lazy
from django.utils.translation import gettext as _

from haven.accounts.access import (
    API_TOKEN_PREFIX,
    hash_api_token,
    is_invited,
    is_staff_address,
)
from haven.accounts.models import ApiToken, Invitation, RoleAssignment, User
from haven.accounts.permissions import Role, assignable_roles
from haven.accounts.tasks import (
    send_api_token_notice,
    send_invitation_email,
    send_powerful_roles_notice,
)
from haven.organisations.models import Organisation
from haven.privacy import audit

INVITATION_LIFETIME = timedelta(days=7)
API_TOKEN_MIN_LIFETIME = timedelta(days=1)
API_TOKEN_DEFAULT_LIFETIME = timedelta(days=90)
API_TOKEN_MAX_LIFETIME = timedelta(days=365)
# The name of the lock that new accounts take turns on (hashed to PostgreSQL's lock key).
NEW_ACCOUNT_LOCK = "haven.accounts.new_account"
# Roles that manage the staff or read the people's identities and the audit trail: the
# organisation's other admins and DPOs are told whenever someone gains one, so a taken-over
# admin account cannot quietly give itself or an accomplice more (roles.changed is audited,
# but only a DPO reads the trail).
POWERFUL_ROLES = frozenset({Role.ORGANISATION_ADMIN, Role.DATA_PROTECTION_OFFICER})
USERNAME_TAKEN = gettext_lazy("This username is taken; choose another.")
EMAIL_TAKEN = gettext_lazy(
    "An account already uses this e-mail address: log in, then open the link."
)
WRONG_ADDRESS = gettext_lazy(
    "This invitation was sent to another e-mail address than your account's. Sign out and "
    "open the link again, or ask the organisation's admin to invite your own address."
)


def _check_roles(
    organisation: Organisation, roles: Collection[str], kind: str | None = None
) -> list[str]:
    allowed = assignable_roles(kind or organisation.kind)
    unknown = [role for role in roles if role not in allowed]
    if unknown:
        raise ValidationError(
            _("These roles cannot be given here: %(roles)s") % {"roles": ", ".join(unknown)}
        )
    return sorted(set(roles))


def _keeps_an_admin(organisation: Organisation, user: User, new_roles: Collection[str]) -> bool:
    if Role.ORGANISATION_ADMIN in new_roles:
        return True
    other_admins = RoleAssignment.objects.filter(
        organisation=organisation, role=Role.ORGANISATION_ADMIN
    ).exclude(user=user)
    return other_admins.exists()


def invite_user(
    *,
    actor: User,
    organisation: Organisation,
    email: str,
    roles: Collection[str],
    request: HttpRequest | None = None,
) -> Invitation:
    """Invite someone by e-mail to join the organisation with the given roles."""
    checked = _check_roles(organisation, roles)
    if not checked:
        raise ValidationError(_("Choose at least one role."))
    email = email.strip()
    with transaction.atomic():
        # Its type as it is now: an invitation must not offer a role that a change of type
        # made meanwhile no longer allows (organisations.update_organisation). Under the
        # same lock, two invitations to one address sent at once cannot both be made.
        checked = _check_roles(organisation, checked, lock_role_changes(organisation))
        if is_staff_address(organisation, email):
            raise ValidationError(
                {
                    "email": _(
                        "Someone with this address already works here: change their roles instead."
                    )
                }
            )
        if is_invited(organisation, email):
            raise ValidationError(
                {
                    "email": _(
                        "An invitation to this address is still waiting to be used. Revoke "
                        "it first to send a new one."
                    )
                }
            )
        invitation = Invitation.objects.create(
            organisation=organisation,
            email=email,
            roles=checked,
            nonce=secrets.token_hex(16),
            invited_by=actor,
            expires_at=timezone.now() + INVITATION_LIFETIME,
        )
        audit.record(
            "invitation.sent",
            actor=actor,
            organisation=organisation,
            target=invitation,
            details={"roles": checked},
            request=request,
        )
        transaction.on_commit(
            partial(send_invitation_email.enqueue, invitation.pk, get_language() or "en")
        )
    return invitation


def revoke_invitation(
    *, actor: User, invitation: Invitation, request: HttpRequest | None = None
) -> None:
    """Make an unused invitation link stop working."""
    with transaction.atomic():
        locked = Invitation.unscoped.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at:
            raise ValidationError(
                _(
                    "This invitation was already accepted, so there is nothing to revoke: to "
                    "take the person's access away, remove their roles."
                )
            )
        if locked.revoked_at:
            raise ValidationError(_("This invitation was already revoked."))
        if locked.expires_at <= timezone.now():
            raise ValidationError(_("This invitation has expired: its link no longer works."))
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
        audit.record(
            "invitation.revoked",
            actor=actor,
            organisation=locked.organisation,
            target=locked,
            request=request,
        )


def accept_invitation(
    *,
    invitation: Invitation,
    user: User | None = None,
    username: str = "",
    password: str = "",
    request: HttpRequest | None = None,
) -> User:
    """Join the invitation's organisation, as the signed-in user or as a new account."""
    if user is not None and not invitation.is_for(user):
        # Recorded outside the refused transaction, which would roll the event back with it.
        audit.record(
            "invitation.accept_refused",
            actor=user,
            organisation=invitation.organisation,
            target=invitation,
            outcome="refused",
            details={"reason": "another_address"},
            request=request,
        )
        raise ValidationError(WRONG_ADDRESS, code="another_address")
    with transaction.atomic():
        locked = Invitation.unscoped.select_for_update().get(pk=invitation.pk)
        if locked.accepted_at or locked.revoked_at or locked.expires_at <= timezone.now():
            raise ValidationError(_("This invitation is no longer valid."))
        if user is None:
            # Compared as it will be stored: create_user folds a name typed in full-width
            # letters to plain ones (NFKC), which a check of the typed form let through.
            username = User.normalize_username(username)
            # Two invitations accepted at once would each find the name free, then make it
            # twice: in another case or as a look-alike, which no constraint of the
            # database sees. New accounts are checked and made one at a time.
            _one_new_account_at_a_time()
            _check_new_account(username, locked.email)
            try:
                # A savepoint, so that the database can still be asked why after a refusal.
                with transaction.atomic():
                    user = User.objects.create_user(
                        username=username, email=locked.email, password=password
                    )
            except IntegrityError:
                # Made meanwhile by a way that does not wait its turn (createsuperuser):
                # a username and an address are all an account must not share, so if the
                # address is still free, the name was taken.
                if User.objects.filter(email__iexact=locked.email).exists():
                    raise ValidationError(EMAIL_TAKEN) from None
                raise ValidationError(USERNAME_TAKEN) from None
            audit.record(
                "user.created",
                actor=user,
                organisation=locked.organisation,
                target=user,
                request=request,
            )
        for role in locked.roles:
            RoleAssignment.objects.get_or_create(
                user=user, organisation=locked.organisation, role=role
            )
        locked.accepted_at = timezone.now()
        locked.accepted_by = user
        locked.save(update_fields=["accepted_at", "accepted_by"])
        audit.record(
            "invitation.accepted",
            actor=user,
            organisation=locked.organisation,
            target=locked,
            details={"roles": list(locked.roles)},
            request=request,
        )
        # Told even when the inviter's account is gone: a deleted admin's invitation
        # still gives the roles it names.
        _tell_overseers(
            organisation=locked.organisation,
            user=user,
            actor=locked.invited_by,
            roles=locked.roles,
        )
    return user


def _one_new_account_at_a_time() -> None:
    # Held until the transaction ends. SQLite runs one write transaction at a time.
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [NEW_ACCOUNT_LOCK])


def _check_new_account(username: str, email: str) -> None:
    # The model's checks, letters of one script among them: create_user runs none.
    User._meta.get_field("username").run_validators(username)
    if User.objects.filter(username__iexact=username).exists():
        raise ValidationError(USERNAME_TAKEN)
    if User.objects.filter(email__iexact=email).exists():
        raise ValidationError(EMAIL_TAKEN)


def _tell_overseers(
    *, organisation: Organisation, user: User, actor: User | None, roles: Collection[str]
) -> None:
    powerful = sorted(role for role in roles if role in POWERFUL_ROLES)
    if powerful:
        actor_id = actor.pk if actor is not None else None
        notice = partial(
            send_powerful_roles_notice.enqueue, organisation.pk, user.pk, actor_id, powerful
        )
        transaction.on_commit(notice)


def lock_role_changes(organisation: Organisation) -> str:
    """Make the organisation's role changes wait until this transaction ends; return its
    type as it is now."""
    # Two admins taking each other's admin role at once would each still see the other and
    # leave the organisation with none, and a change of type could let through a role it
    # no longer allows: role changes, invitations and changes of type take turns on the
    # organisation's row. (No key update: rows that merely refer to it are not held up.)
    return (
        Organisation.objects.select_for_update(no_key=True)
        .filter(pk=organisation.pk)
        .values_list("kind", flat=True)
        .get()
    )


def set_roles(
    *,
    actor: User,
    organisation: Organisation,
    user: User,
    roles: Collection[str],
    request: HttpRequest | None = None,
) -> None:
    """Give and take away roles so that the user holds exactly ``roles`` in the organisation."""
    wanted = set(_check_roles(organisation, roles))
    with transaction.atomic():
        # Its type as it is now, not as the page that asked for the change saw it: a role
        # the type no longer allows is not given (organisations.update_organisation).
        wanted = set(_check_roles(organisation, wanted, lock_role_changes(organisation)))
        current = set(
            RoleAssignment.objects.select_for_update()
            .filter(organisation=organisation, user=user)
            .values_list("role", flat=True)
        )
        if not _keeps_an_admin(organisation, user, wanted):
            raise ValidationError(_("The organisation must keep at least one organisation admin."))
        added, removed = sorted(wanted - current), sorted(current - wanted)
        RoleAssignment.objects.filter(
            organisation=organisation, user=user, role__in=removed
        ).delete()
        for role in added:
            RoleAssignment.objects.create(user=user, organisation=organisation, role=role)
        _tell_overseers(organisation=organisation, user=user, actor=actor, roles=added)
        if added or removed:
            audit.record(
                "roles.changed",
                actor=actor,
                organisation=organisation,
                target=user,
                details={"added": added, "removed": removed},
                request=request,
            )
        if removed and not RoleAssignment.objects.filter(user=user).exists():
            _revoke_tokens_of_leaver(
                actor=actor, organisation=organisation, user=user, request=request
            )


def _revoke_tokens_of_leaver(
    *, actor: User, organisation: Organisation, user: User, request: HttpRequest | None
) -> None:
    # A token of someone who belongs nowhere any more would still answer /api/me. Each
    # revocation names the organisation they left last: its DPO no longer counts them as
    # staff, so an event without one would never reach that DPO's trail.
    now = timezone.now()
    for token in ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True):
        token.revoked_at = now
        token.save(update_fields=["revoked_at"])
        audit.record(
            "api_token.revoked",
            actor=actor,
            organisation=organisation,
            target=token,
            details={"reason": "no_organisation_left"},
            request=request,
        )


def remove_from_organisation(
    *, actor: User, organisation: Organisation, user: User, request: HttpRequest | None = None
) -> None:
    """Take away every role the user holds in the organisation."""
    set_roles(actor=actor, organisation=organisation, user=user, roles=[], request=request)


def create_api_token(
    *,
    actor: User,
    name: str,
    lifetime: timedelta = API_TOKEN_DEFAULT_LIFETIME,
    request: HttpRequest | None = None,
) -> tuple[ApiToken, str]:
    """Make a personal API token; the secret is returned once and never stored."""
    name = name.strip()
    if not name or len(name) > 100:
        raise ValidationError(_("Give the token a name of at most 100 characters."))
    if not API_TOKEN_MIN_LIFETIME <= lifetime <= API_TOKEN_MAX_LIFETIME:
        raise ValidationError(_("A token lasts from one day to one year."))
    # A leaver's tokens are revoked when their last role goes. One made after that would
    # wait, seen by no organisation's audit trail, and act again if they were re-invited.
    if not RoleAssignment.objects.filter(user=actor).exists():
        raise ValidationError(_("Only staff of an organisation can make an API token."))
    secret = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=actor,
            name=name,
            prefix=secret[: len(API_TOKEN_PREFIX) + 4],
            token_hash=hash_api_token(secret),
            expires_at=timezone.now() + lifetime,
        )
        audit.record(
            "api_token.created",
            actor=actor,
            target=token,
            details={"lifetime_days": lifetime.days},
            request=request,
        )
        # Whoever took over a session or a password could make a token to keep their way
        # in: the account's owner hears of every new one.
        transaction.on_commit(partial(send_api_token_notice.enqueue, token.pk))
    return token, secret


def revoke_api_token(*, actor: User, token: ApiToken, request: HttpRequest | None = None) -> None:
    """Make an API token stop working at once, or take an expired one off the list."""
    with transaction.atomic():
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        audit.record(
            "api_token.revoked",
            actor=actor,
            target=token,
            details={"expired": True} if token.has_expired else None,
            request=request,
        )


def revoke_api_tokens_for_new_password(
    *, user: User, reason: str, request: HttpRequest | None = None
) -> int:
    """Revoke every token of a user whose password was changed, reset or set; how many."""
    # A token made by someone who knew the old password would outlive the change that
    # was meant to lock them out.
    now = timezone.now()
    with transaction.atomic():
        tokens = list(
            ApiToken.objects.select_for_update().filter(user=user, revoked_at__isnull=True)
        )
        for token in tokens:
            token.revoked_at = now
            token.save(update_fields=["revoked_at"])
            audit.record(
                "api_token.revoked",
                actor=user,
                target=token,
                details={"reason": reason},
                request=request,
            )
    return len(tokens)


def record_refused_sign_in(
    *,
    action: str,
    account: User | None,
    signed_in: bool = False,
    details: dict[str, str | bool] | None = None,
    request: HttpRequest | None = None,
) -> None:
    """Put a refused sign-in step on the trail of the account it named; never what was typed."""
    # The typed login is never stored (it may be a password typed in the wrong box), nor a
    # code: only which account was named, if any. Before the sign-in completes nobody acts.
    audit.record(
        action,
        actor=account if signed_in else None,
        target=account,
        object_type="accounts.user",
        outcome="refused",
        details=details,
        request=request,
    )


def note_api_token_use(token: ApiToken) -> None:
    """Remember when a token was last used, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at > timedelta(minutes=1):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
