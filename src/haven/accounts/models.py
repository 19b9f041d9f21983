"""Staff accounts, their roles in each organisation, invitations and API tokens."""

from __future__ import annotations

from typing import ClassVar

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.accounts.permissions import Role
from haven.accounts.usernames import UsernameValidator
from haven.organisations.models import Organisation


class User(AbstractUser):
    """A member of staff of one or more organisations."""

    # Django's username field with Haven's check, the one every way of naming an account
    # goes through: the invitation form, accept_invitation, createsuperuser, full_clean.
    username_validator = UsernameValidator()
    username = models.CharField(
        _("username"),
        max_length=150,
        unique=True,
        help_text=_("Required. 150 characters or fewer. Letters, digits and @/./+/-/_ only."),
        validators=[username_validator],
        error_messages={"unique": _("A user with that username already exists.")},
    )
    preferred_language = models.CharField(_("language"), max_length=10, blank=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                Lower("email"), name="unique_user_email", condition=~models.Q(email="")
            )
        ]

    @property
    def display_name(self) -> str:
        return self.name_of(self.username, self.first_name, self.last_name)

    @staticmethod
    def name_of(username: str, first_name: str, last_name: str) -> str:
        """What ``display_name`` shows, from the columns alone (for lists read as values)."""
        return f"{first_name} {last_name}".strip() or username


class RoleAssignment(models.Model):
    """One role of one user in one organisation; a user belongs where they have a role."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="role_assignments")
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="role_assignments"
    )
    role = models.CharField(_("role"), max_length=30, choices=Role.choices)
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["user", "organisation", "role"], name="one_assignment_per_role"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} is {self.role} of {self.organisation}"


class Invitation(models.Model):
    """An organisation admin's invitation to join, redeemed once through a secret link."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    email = models.EmailField(_("e-mail"), max_length=254)
    roles = models.JSONField(default=list)
    # The link carries a signature over (id, nonce); nothing secret is stored, so the
    # e-mail task can rebuild the link from the id alone.
    nonce = models.CharField(max_length=32)
    invited_by = models.ForeignKey(User, on_delete=models.SET_NULL, null=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    accepted_at = models.DateTimeField(null=True, blank=True)
    accepted_by = models.ForeignKey(
        User, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Invitation]] = ScopedManager(organisation="organisation")
    unscoped: ClassVar[models.Manager[Invitation]] = models.Manager()

    class Meta:
        ordering: ClassVar = ["-created_at"]

    def __str__(self) -> str:
        return f"invitation to {self.organisation}"

    def is_for(self, user: User) -> bool:
        """Whether the invitation was sent to the user's own address, whatever its case."""
        return bool(user.email) and user.email.strip().casefold() == self.email.strip().casefold()


class ApiToken(models.Model):
    """A personal API token; only its SHA-256 is stored."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=12)
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    def __str__(self) -> str:
        return f"{self.prefix}… ({self.name})"

    @property
    def has_expired(self) -> bool:
        return self.expires_at is not None and self.expires_at <= timezone.now()
