"""API authentication: personal tokens sent as ``Authorization: Bearer haven_…``."""

from __future__ import annotations

from django.http import HttpRequest
from ninja.security import HttpBearer

from haven.accounts import actions
from haven.accounts.access import api_token_by_secret
from haven.accounts.models import User


class PersonalTokenAuth(HttpBearer):
    def authenticate(self, request: HttpRequest, token: str) -> User | None:
        api_token = api_token_by_secret(token)
        if api_token is None:
            return None
        actions.note_api_token_use(api_token)
        request.user = api_token.user
        return api_token.user
