"""Field encryption: per-organisation data keys, AES-256-GCM values, blind indexes.

Each organisation has numbered data keys (version 1, 2, ...; the highest is current)
and one index key (version 0, never rotated so blind indexes stay comparable). Every
key is 32 random bytes stored wrapped with AES-GCM under ``HAVEN_MASTER_KEY``; the
wrapping is bound to the organisation and version, so a wrapped key copied to another
organisation does not unwrap. Values look like ``v1:<key version>:<base64url(nonce +
ciphertext)>`` and the caller's associated data binds each one to its table, row and
field. See docs/decisions/0003-field-encryption.md.

A process keeps the current version it last read for ``CURRENT_KEY_SECONDS`` before it
reads it again (decision 13), so a write needs no query for its key; a rotation made
elsewhere is taken up within that time, at once by a process that meets the new version,
and ``rotate_keys`` waits ``ROTATION_GRACE_SECONDS`` before it re-encrypts.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import secrets
import time
import unicodedata
from typing import Literal

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import IntegrityError, transaction

from haven.privacy.models import DataKey

FORMAT = "v1"
INDEX_KEY_VERSION = 0
INDEX_LENGTH = 8  # hex characters: 32 bits, so an index alone never singles out a value
NONCE_BYTES = 12

IndexKind = Literal["text", "phone"]

# How long a process seals new values with the current version it last read before reading
# it again: the longest a rotation made in another process goes unseen here.
CURRENT_KEY_SECONDS = 10.0
# How long rotate_keys waits between creating new keys and re-encrypting: past it, no
# process seals a value with a previous key, so the pass leaves none behind.
ROTATION_GRACE_SECONDS = CURRENT_KEY_SECONDS + 5.0

_keys: dict[tuple[int, int], bytes] = {}
# organisation id -> (current version, when it was read from the database)
_current: dict[int, tuple[int, float]] = {}
_clock = time.monotonic


class CryptoError(Exception):
    """Base class for everything that can go wrong with field encryption."""


class DecryptionError(CryptoError):
    """A value was tampered with, belongs to another row or organisation, or is malformed."""


class MasterKeyError(CryptoError):
    """A data key cannot be unwrapped with the configured master keys."""


def clear_key_cache() -> None:
    """Forget every unwrapped key, and every current version, held by this process."""
    _keys.clear()
    _current.clear()


def _decode_master(encoded: str, setting: str) -> bytes:
    try:
        key = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        key = b""
    if len(key) != 32:
        raise ImproperlyConfigured(f"{setting} must be base64 of 32 random bytes")
    return key


def master_key_id(key: bytes) -> str:
    """The public name of a master key: the first 16 hex digits of its SHA-256."""
    return hashlib.sha256(key).hexdigest()[:16]


def current_master_key() -> tuple[str, bytes]:
    key = _decode_master(settings.HAVEN_MASTER_KEY, "HAVEN_MASTER_KEY")
    return master_key_id(key), key


def _master_keys() -> dict[str, bytes]:
    keys = {
        master_key_id(key): key
        for key in (
            _decode_master(encoded, "HAVEN_RETIRED_MASTER_KEYS")
            for encoded in settings.HAVEN_RETIRED_MASTER_KEYS
        )
    }
    current_id, current = current_master_key()
    keys[current_id] = current
    return keys


def _wrapping_aad(organisation_id: int, version: int) -> bytes:
    return f"haven-datakey|{organisation_id}|{version}".encode()


def wrap_key(organisation_id: int, version: int, key: bytes) -> tuple[bytes, str]:
    """Wrap a data key with the current master key; returns (wrapped bytes, master key id)."""
    master_id, master = current_master_key()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(master).encrypt(nonce, key, _wrapping_aad(organisation_id, version))
    return nonce + sealed, master_id


def unwrap_key(row: DataKey) -> bytes:
    """Unwrap a stored data key with whichever configured master key wrapped it."""
    master = _master_keys().get(row.master_key_id)
    if master is None:
        raise MasterKeyError(
            f"data key v{row.version} of organisation {row.organisation_id} was wrapped by "
            f"master key {row.master_key_id}, which is neither HAVEN_MASTER_KEY nor one of "
            "HAVEN_RETIRED_MASTER_KEYS"
        )
    wrapped = bytes(row.wrapped_key)
    try:
        return AESGCM(master).decrypt(
            wrapped[:NONCE_BYTES],
            wrapped[NONCE_BYTES:],
            _wrapping_aad(row.organisation_id, row.version),
        )
    except InvalidTag as error:
        raise MasterKeyError(
            f"data key v{row.version} of organisation {row.organisation_id} does not unwrap: "
            "it was altered or moved"
        ) from error


def _remember(organisation_id: int, version: int, key: bytes) -> None:
    # Only a committed key may be cached: a key whose row is rolled back must not
    # outlive it, or values would be sealed under a key nobody can find again.
    def remember() -> None:
        _keys[organisation_id, version] = key

    transaction.on_commit(remember)


def _remember_current(organisation_id: int, version: int, read_at: float) -> None:
    # Committed keys only, as above; a newer version already known is kept.
    def remember() -> None:
        known = _current.get(organisation_id)
        if known is None or known[0] < version or (known[0] == version and known[1] < read_at):
            _current[organisation_id] = (version, read_at)

    transaction.on_commit(remember)


def _saw_version(organisation_id: int, version: int) -> None:
    """A version newer than the cached current one exists: read the current one again."""
    known = _current.get(organisation_id)
    if known is not None and known[0] < version:
        del _current[organisation_id]


def _create_key(organisation_id: int, version: int) -> bytes:
    """Store a new random key; if another process got there first, use theirs."""
    key = secrets.token_bytes(32)
    wrapped, master_id = wrap_key(organisation_id, version, key)
    try:
        with transaction.atomic():
            DataKey.objects.create(
                organisation_id=organisation_id,
                version=version,
                wrapped_key=wrapped,
                master_key_id=master_id,
            )
    except IntegrityError:
        row = DataKey.objects.get(organisation_id=organisation_id, version=version)
        key = unwrap_key(row)
    _remember(organisation_id, version, key)
    if version > INDEX_KEY_VERSION:
        _saw_version(organisation_id, version)
    return key


def _row_key(row: DataKey) -> bytes:
    cached = _keys.get((row.organisation_id, row.version))
    if cached is not None:
        return cached
    key = unwrap_key(row)
    _remember(row.organisation_id, row.version, key)
    return key


def _stored_key(organisation_id: int, version: int) -> bytes | None:
    cached = _keys.get((organisation_id, version))
    if cached is not None:
        return cached
    row = DataKey.objects.filter(organisation_id=organisation_id, version=version).first()
    if row is None:
        return None
    if version > INDEX_KEY_VERSION:
        # A value under a version this process has not met: a rotation happened elsewhere.
        _saw_version(organisation_id, version)
    return _row_key(row)


def current_version(organisation_id: int) -> int | None:
    """The organisation's newest data-key version, or None when it has none yet."""
    version = (
        DataKey.objects.filter(organisation_id=organisation_id, version__gt=INDEX_KEY_VERSION)
        .order_by("-version")
        .values_list("version", flat=True)
        .first()
    )
    if version is not None:
        _saw_version(organisation_id, version)
    return version


def data_key(organisation_id: int, version: int | None = None) -> tuple[int, bytes]:
    """An organisation's data key: (version, key); the current one, created if missing."""
    if version is None:
        known = _current.get(organisation_id)
        if known is not None and _clock() - known[1] < CURRENT_KEY_SECONDS:
            key = _keys.get((organisation_id, known[0]))
            if key is not None:
                return known[0], key
        read_at = _clock()
        row = (
            DataKey.objects.filter(organisation_id=organisation_id, version__gt=INDEX_KEY_VERSION)
            .order_by("-version")
            .first()
        )
        if row is None:
            key = _create_key(organisation_id, 1)
            _remember_current(organisation_id, 1, read_at)
            return 1, key
        _remember_current(organisation_id, row.version, read_at)
        return row.version, _row_key(row)
    key = _stored_key(organisation_id, version) if version > INDEX_KEY_VERSION else None
    if key is None:
        raise DecryptionError(f"organisation {organisation_id} has no data key version {version}")
    return version, key


def new_data_key(organisation_id: int) -> int:
    """Add a data key one version above the current one and return its version."""
    version = (current_version(organisation_id) or 0) + 1
    _create_key(organisation_id, version)
    return version


def _index_key(organisation_id: int) -> bytes:
    key = _stored_key(organisation_id, INDEX_KEY_VERSION)
    if key is None:
        key = _create_key(organisation_id, INDEX_KEY_VERSION)
    return key


def _value_aad(organisation_id: int, aad: bytes) -> bytes:
    return f"haven-field|{FORMAT}|{organisation_id}|".encode() + aad


def encrypt(organisation_id: int, aad: bytes, plaintext: str) -> str:
    """Encrypt a value with the organisation's current data key, bound to ``aad``."""
    version, key = data_key(organisation_id)
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(key).encrypt(nonce, plaintext.encode(), _value_aad(organisation_id, aad))
    return f"{FORMAT}:{version}:{base64.urlsafe_b64encode(nonce + sealed).decode('ascii')}"


def token_version(token: str) -> int:
    """The data-key version a stored value was encrypted with."""
    parts = token.split(":", 2)
    if len(parts) != 3 or parts[0] != FORMAT or not parts[1].isdecimal():
        raise DecryptionError("not an encrypted value in a format Haven knows")
    return int(parts[1])


def decrypt(organisation_id: int, aad: bytes, token: str) -> str:
    """Decrypt a value; DecryptionError unless it was made for this organisation and ``aad``."""
    version = token_version(token)
    try:
        blob = base64.urlsafe_b64decode(token.split(":", 2)[2].encode("ascii"))
    except (binascii.Error, ValueError, UnicodeEncodeError) as error:
        raise DecryptionError("the encrypted value is not valid base64") from error
    if len(blob) <= NONCE_BYTES:
        raise DecryptionError("the encrypted value is truncated")
    _, key = data_key(organisation_id, version)
    try:
        plaintext = AESGCM(key).decrypt(
            blob[:NONCE_BYTES], blob[NONCE_BYTES:], _value_aad(organisation_id, aad)
        )
    except InvalidTag as error:
        raise DecryptionError(
            "the encrypted value was altered, or belongs to another row, field or organisation"
        ) from error
    return plaintext.decode()


_NON_DIGITS = re.compile(r"[^0-9]")


def normalise(value: str, kind: IndexKind = "text") -> str:
    """The form a blind index compares: case, width and spacing ignored; phones digits only."""
    text = " ".join(unicodedata.normalize("NFKC", value).casefold().split())
    if kind == "phone":
        return ("+" if text.startswith("+") else "") + _NON_DIGITS.sub("", text)
    return text


def blind_index(
    organisation_id: int, field_label: str, value: str, kind: IndexKind = "text"
) -> str:
    """A keyed, truncated digest of a value for exact-match search; "" for an empty value."""
    normalised = normalise(value, kind)
    if not normalised:
        return ""
    digest = hmac.new(
        _index_key(organisation_id),
        f"{field_label}\x00{normalised}".encode(),
        hashlib.sha256,
    ).hexdigest()
    return digest[:INDEX_LENGTH]


def rewrap_keys(organisation_id: int) -> int:
    """Rewrap the organisation's keys held by a retired master key; returns how many."""
    current_id, _ = current_master_key()
    count = 0
    with transaction.atomic():
        stale = DataKey.objects.select_for_update().filter(organisation_id=organisation_id)
        for row in stale.exclude(master_key_id=current_id).order_by("version"):
            wrapped, master_id = wrap_key(organisation_id, row.version, unwrap_key(row))
            DataKey.objects.filter(pk=row.pk).update(wrapped_key=wrapped, master_key_id=master_id)
            count += 1
    return count
