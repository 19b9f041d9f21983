"""API authentication: personal tokens, ``Authorization: Bearer haven_…`` (or ``Token``)."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from haven.accounts import actions
from haven.accounts.access import api_token_by_secret
from haven.accounts.models import User

# Bearer is the documented scheme; "Token" is the Django REST framework habit, and a
# client sending it means the same token.
ACCEPTED_SCHEMES = frozenset({"bearer", "token"})


class PersonalTokenAuth(HttpBearer):
    def __call__(self, request: HttpRequest) -> User | None:
        # ninja's own parsing logs a header with any other scheme in full, secret included,
        # when DEBUG is on: this one never logs the header.
        scheme, _space, token = request.headers.get(self.header, "").strip().partition(" ")
        if scheme.lower() not in ACCEPTED_SCHEMES:
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = api_token_by_secret(token)
        if api_token is None:
            return None
        actions.note_api_token_use(api_token)
        request.user = api_token.user
        return api_token.user
