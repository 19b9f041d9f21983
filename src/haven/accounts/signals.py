"""Logins, failed logins, failed second factors and password changes go to the audit trail;
a new password revokes the account's API tokens.

Django's authentication signals are the one place every login path passes through
(password, passkey, MFA step), and allauth's password and MFA signals the one place its
reset, change and set flows and its code checks pass through, so auditing listens there
instead of in an action. A refusal by the lockout sends no signal: the account adapter
(password step) and the MFA forms (code step) record those.
"""

from __future__ import annotations

from typing import Any

from allauth.account.signals import password_changed, password_reset, password_set
from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed as mfa_authentication_failed
from allauth.mfa.signals import authenticator_added, authenticator_removed, authenticator_reset
from django.contrib import messages
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils.translation import ngettext

from haven.accounts import actions
from haven.accounts.access import account_of_credentials
from haven.accounts.models import User
from haven.privacy import audit


@receiver(user_logged_in)
def audit_login(sender: object, request: HttpRequest | None, user: User, **kwargs: Any) -> None:
    audit.record("auth.login", actor=user, target=user, request=request)


@receiver(user_logged_out)
def audit_logout(
    sender: object, request: HttpRequest | None, user: User | None, **kwargs: Any
) -> None:
    if user is not None:
        audit.record("auth.logout", actor=user, target=user, request=request)


@receiver(user_login_failed)
def audit_failed_login(
    sender: object, credentials: dict[str, Any], request: HttpRequest | None = None, **kwargs: Any
) -> None:
    user = account_of_credentials(credentials)
    actions.record_refused_sign_in(
        action="auth.login_failed",
        account=user,
        details={"known_account": user is not None},
        request=request,
    )


@receiver(mfa_authentication_failed)
def audit_failed_second_factor(
    sender: object,
    request: HttpRequest | None,
    user: User,
    reauthentication: bool = False,
    **kwargs: Any,
) -> None:
    # Someone who has the password and is guessing codes. allauth names the account's main
    # authenticator whichever kind of code was typed, so no type is recorded, nor the code.
    actions.record_refused_sign_in(
        action="auth.second_factor_failed",
        account=user,
        signed_in=reauthentication,
        details={"reauthentication": reauthentication},
        request=request,
    )


_PASSWORD_ACTIONS = {
    password_reset: "auth.password_reset",
    password_changed: "auth.password_changed",
    password_set: "auth.password_set",
}


@receiver(list(_PASSWORD_ACTIONS))
def audit_password_change(
    sender: object, signal: object, request: HttpRequest | None, user: User, **kwargs: Any
) -> None:
    # Only that it happened: nothing typed, old or new, goes into the details.
    action = _PASSWORD_ACTIONS[signal]
    audit.record(action, actor=user, target=user, request=request)
    revoked = actions.revoke_api_tokens_for_new_password(
        user=user, reason=action.removeprefix("auth."), request=request
    )
    if revoked and request is not None and hasattr(request, "_messages"):
        messages.warning(
            request,
            ngettext(
                "Your API token was revoked with the old password: make a new one on "
                "My account if a script needs it.",
                "Your %(count)d API tokens were revoked with the old password: make new ones "
                "on My account if scripts need them.",
                revoked,
            )
            % {"count": revoked},
        )


@receiver(authenticator_added)
@receiver(authenticator_removed)
@receiver(authenticator_reset)
def audit_second_factor(
    sender: object,
    signal: object,
    request: HttpRequest | None,
    user: User,
    authenticator: Authenticator,
    **kwargs: Any,
) -> None:
    # Someone holding a session and the password could add a factor of their own to keep a
    # way in: every change to the account's second factors is on its trail.
    change = {
        authenticator_added: "added",
        authenticator_removed: "removed",
        authenticator_reset: "reset",
    }[signal]
    audit.record(
        f"auth.second_factor_{change}",
        actor=user,
        target=user,
        details={"type": str(authenticator.type)},
        request=request,
    )
