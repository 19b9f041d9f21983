"""A TOTP code from the window before still counts; older ones, and a code used once, do not."""

from __future__ import annotations

import time

import pyotp
import pytest
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret

from haven.accounts.permissions import Role
from tests.conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def totp(north):
    user = make_user("tess", north, Role.CASEWORKER, mfa=False)
    secret = generate_totp_secret()
    return TOTP.activate(user, secret), pyotp.TOTP(secret)


def test_a_code_of_the_window_before_is_accepted_once(totp):
    authenticator, codes = totp
    previous = codes.at(time.time() - 30)
    assert authenticator.validate_code(previous)
    assert not authenticator.validate_code(previous)


def test_a_code_two_windows_old_is_refused(totp):
    authenticator, codes = totp
    assert not authenticator.validate_code(codes.at(time.time() - 65))
