"""Forms of the accounts pages."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from allauth.core import context as allauth_context
from allauth.mfa.adapter import get_adapter
from allauth.mfa.base import forms as mfa_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.webauthn import forms as webauthn_forms
from allauth.mfa.webauthn.internal import auth as webauthn_auth
from django import forms
from django.contrib.auth import password_validation
from django.utils.translation import gettext_lazy as _

from haven.abuse.addresses import checked_email
from haven.accounts import actions
from haven.accounts.adapter import LOCKED_OUT
from haven.accounts.models import User
from haven.accounts.permissions import Role, assignable_roles
from haven.organisations.models import Organisation


class RolesField(forms.MultipleChoiceField):
    widget = forms.CheckboxSelectMultiple


def _role_choices(organisation: Organisation) -> list[tuple[str, str]]:
    labels = dict(Role.choices)
    return [(role, str(labels[role])) for role in assignable_roles(organisation.kind)]


def _well_formed(address: str) -> None:
    checked_email(address)


def invitation_address_field(**kwargs: Any) -> forms.EmailField:
    """The address an invitation goes to, checked by Django and by Haven."""
    # Django's check refuses a non-ASCII name before the @; Haven's own (abuse.addresses)
    # refuses what Django lets through in the domain (an invisible character, a bare host,
    # an IP address). The API checks its invitations with these very fields.
    return forms.EmailField(
        label=_("E-mail address"), max_length=254, validators=[_well_formed], **kwargs
    )


class InviteForm(forms.Form):
    email = invitation_address_field()
    roles = RolesField(label=_("Roles"))

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices(organisation)  # type: ignore[attr-defined]


class RolesForm(forms.Form):
    roles = RolesField(label=_("Roles"), required=False)

    def __init__(self, *args: Any, organisation: Organisation, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["roles"].choices = _role_choices(organisation)  # type: ignore[attr-defined]


class AcceptInvitationForm(forms.Form):
    username = forms.CharField(
        label=_("Username"),
        max_length=150,
        validators=[User.username_validator],
        help_text=_("Letters of one script, digits and @ . + - _ only."),
    )
    password1 = forms.CharField(
        label=_("Password"),
        max_length=200,
        widget=forms.PasswordInput(render_value=False),
        help_text=_("At least 12 characters, not a common password."),
    )
    password2 = forms.CharField(
        label=_("Password again"), max_length=200, widget=forms.PasswordInput(render_value=False)
    )

    def __init__(self, *args: Any, email: str = "", **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        first, second = data.get("password1"), data.get("password2")
        if first and second and first != second:
            self.add_error("password2", _("The two passwords differ."))
        elif first:
            # The account to be: without it, the check that a password is not the username
            # or the e-mail address had nothing to compare with.
            account = User(username=data.get("username", ""), email=self.email)
            try:
                password_validation.validate_password(first, user=account)
            except forms.ValidationError as error:
                self.add_error("password1", error)
        return data


class ApiTokenForm(forms.Form):
    name = forms.CharField(
        label=_("Name"),
        max_length=100,
        help_text=_("Say what will use it, e.g. “reporting script”."),
    )
    lifetime_days = forms.TypedChoiceField(
        label=_("Works for"),
        coerce=int,
        choices=[
            (7, _("7 days")),
            (30, _("30 days")),
            (90, _("90 days")),
            (180, _("180 days")),
            (365, _("1 year")),
        ],
        initial=90,
        help_text=_("Then it stops working: make a new one. A year at most."),
    )


def _code_checked(check: Callable[[], str], *, user: User, reauthentication: bool) -> str:
    # allauth refuses a code over the login-attempt limit without checking it and without
    # a signal: the trail of someone guessing codes with a stolen password would stop at the
    # lockout, however long they went on.
    try:
        return check()
    except forms.ValidationError as error:
        if error.code == LOCKED_OUT:
            actions.record_refused_sign_in(
                action="auth.second_factor_locked_out",
                account=user,
                signed_in=reauthentication,
                details={"reauthentication": reauthentication},
                request=allauth_context.request,
            )
        raise


def _key_answer_read(check: Callable[[], Authenticator]) -> Authenticator:
    # An answer missing one of its parts ("rawId") escapes allauth's own parsing as an
    # error of the server, a 500 for anyone; it is a wrong answer like any other.
    try:
        return check()
    except (KeyError, TypeError, ValueError):
        raise get_adapter().validation_error("incorrect_code") from None


def _key_checked(
    check: Callable[[], Authenticator], *, user: User, reauthentication: bool
) -> Authenticator:
    # allauth sends a signal when a code is refused, but none when a security key's or
    # passkey's answer is: without this, a refused key would leave no trace at all.
    try:
        return _key_answer_read(check)
    except forms.ValidationError as error:
        locked_out = error.code == LOCKED_OUT
        actions.record_refused_sign_in(
            action="auth.second_factor_locked_out" if locked_out else "auth.second_factor_failed",
            account=user,
            signed_in=reauthentication,
            details={"reauthentication": reauthentication},
            request=allauth_context.request,
        )
        raise


# allauth sets no limit on a key's name: a name of any length was stored and listed.
KEY_NAME_MAX_LENGTH = 100


class AddWebAuthnForm(webauthn_forms.AddWebAuthnForm):  # type: ignore[misc]
    """allauth's adding of a security key or passkey (MFA_FORMS), a malformed answer or an
    oversized name refused."""

    name = forms.CharField(required=False, max_length=KEY_NAME_MAX_LENGTH)

    def clean(self) -> dict[str, Any]:
        # As at sign-in, an answer missing one of its parts ("rawId") escapes allauth's
        # parsing as an error of the server: a 500 on the page that adds a second factor.
        try:
            data: dict[str, Any] = super().clean() or {}
        except (KeyError, TypeError, ValueError):
            raise get_adapter().validation_error("incorrect_code") from None
        return data


class EditWebAuthnForm(webauthn_forms.EditWebAuthnForm):  # type: ignore[misc]
    """allauth's renaming of a security key or passkey (MFA_FORMS), an oversized name refused."""

    name = forms.CharField(required=True, max_length=KEY_NAME_MAX_LENGTH)


class AuthenticateWebAuthnForm(webauthn_forms.AuthenticateWebAuthnForm):  # type: ignore[misc]
    """allauth's security-key step of a login (MFA_FORMS), a refused answer audited."""

    def clean_credential(self) -> Authenticator:
        return _key_checked(super().clean_credential, user=self.user, reauthentication=False)


def _account_named_by(answer: object) -> User | None:
    # The account whose handle the answer carries, as a typed login names one: the sender
    # chose it, so it says only whose trail the refusal goes on, never who tried.
    try:
        user: User = webauthn_auth.extract_user_from_response(answer)
    except (forms.ValidationError, AttributeError):
        return None
    return user


class LoginWebAuthnForm(webauthn_forms.LoginWebAuthnForm):  # type: ignore[misc]
    """allauth's login with a passkey (MFA_FORMS), a refusal audited, a malformed answer no 500."""

    def clean_credential(self) -> Authenticator:
        return _key_answer_read(super().clean_credential)

    def clean(self) -> dict[str, Any]:
        data: dict[str, Any] = super().clean() or {}
        # allauth sends no signal for a refused passkey, whatever was wrong with the answer
        # (unreadable, no such account or key, a bad signature): without this, a passkey
        # login could be tried again and again with no trace at all.
        if "credential" in self.errors:
            answer = self.data.get("credential", "")
            try:
                parsed = json.loads(answer) if isinstance(answer, str) else None
            except ValueError:
                parsed = None
            account = _account_named_by(parsed)
            actions.record_refused_sign_in(
                action="auth.passkey_login_failed",
                account=account,
                details={"known_account": account is not None},
                request=allauth_context.request,
            )
        return data


class ReauthenticateWebAuthnForm(webauthn_forms.ReauthenticateWebAuthnForm):  # type: ignore[misc]
    """allauth's security key asked again before a sensitive change, a refusal audited."""

    def clean_credential(self) -> Authenticator:
        return _key_checked(super().clean_credential, user=self.user, reauthentication=True)


class AuthenticateForm(mfa_forms.AuthenticateForm):  # type: ignore[misc]
    """allauth's second step of a login (MFA_FORMS), a refusal by the lockout audited."""

    def clean_code(self) -> str:
        return _code_checked(super().clean_code, user=self.user, reauthentication=False)


class ReauthenticateForm(mfa_forms.ReauthenticateForm):  # type: ignore[misc]
    """allauth's code asked again before a sensitive change, a refusal by the lockout audited."""

    def clean_code(self) -> str:
        return _code_checked(super().clean_code, user=self.user, reauthentication=True)
