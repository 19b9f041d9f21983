"""Field encryption: what reaches the database, what decrypts where, rotation, blind index."""

from __future__ import annotations

import base64
import re
import secrets
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from django.core.exceptions import FieldError, ImproperlyConfigured, ValidationError
from django.core.management import call_command
from django.db import connection, models, transaction

from haven.organisations.models import Organisation
from haven.privacy import crypto
from haven.privacy.crypto import DecryptionError, MasterKeyError
from haven.privacy.fields import Ciphertext, EncryptedTextField, matches
from haven.privacy.management.commands import rotate_keys as rotate_keys_command
from haven.privacy.models import AuditEvent, DataKey
from tests.encryption_app.models import Secret

pytestmark = pytest.mark.usefixtures("unscoped")

NAME_CANARY = "Canary-Name-7f3a9c"
PHONE_CANARY = "+33 6 98 76 54 32"
TABLE = Secret._meta.db_table


@pytest.fixture(autouse=True)
def _fresh_key_cache() -> Iterator[None]:
    crypto.clear_key_cache()
    yield
    crypto.clear_key_cache()


@pytest.fixture(autouse=True)
def grace_waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """rotate_keys' wait for other processes, recorded instead of slept."""
    waits: list[float] = []
    monkeypatch.setattr(rotate_keys_command, "sleep", waits.append)
    return waits


def new_master_key() -> str:
    return base64.b64encode(secrets.token_bytes(32)).decode()


def make_secret(organisation: Organisation, name: str = NAME_CANARY, phone: str = "") -> Secret:
    secret = Secret(organisation=organisation, name=name, phone=phone)
    secret.save()
    return secret


def raw(secret_id: uuid.UUID, column: str) -> Any:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {column} FROM {TABLE} WHERE id = %s",
            [Secret._meta.pk.get_db_prep_value(secret_id, connection)],
        )
        return cursor.fetchone()[0]


def set_raw(secret_id: uuid.UUID, column: str, value: str | int) -> None:
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {TABLE} SET {column} = %s WHERE id = %s",
            [value, Secret._meta.pk.get_db_prep_value(secret_id, connection)],
        )


def reload(secret: Secret) -> Secret:
    return Secret.objects.get(pk=secret.pk)


def every_stored_text() -> str:
    """Every cell of every table, as one string."""
    cells: list[str] = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names():
            cursor.execute(f'SELECT * FROM "{table}"')
            for row in cursor.fetchall():
                for cell in row:
                    if isinstance(cell, memoryview):
                        cell = cell.tobytes()
                    if isinstance(cell, bytes):
                        cells.append(cell.decode("latin-1"))
                    else:
                        cells.append(str(cell))
    return "\n".join(cells)


def test_canary_plaintexts_never_reach_the_database(north: Organisation) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)
    secret.name = NAME_CANARY + " edited"
    secret.save()

    stored = every_stored_text()

    assert north.name in stored
    assert secret.pk.hex in stored.replace("-", "")
    for canary in (NAME_CANARY, NAME_CANARY.casefold(), PHONE_CANARY, "33698765432"):
        assert canary not in stored


def test_a_value_round_trips_and_is_stored_with_its_key_version(north: Organisation) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)

    again = reload(secret)

    assert again.name == NAME_CANARY
    assert again.phone == PHONE_CANARY
    assert re.fullmatch(r"v1:1:[A-Za-z0-9_=-]+", raw(secret.pk, "name"))
    assert crypto.token_version(raw(secret.pk, "phone")) == 1


def test_empty_values_are_stored_empty_without_ciphertext(north: Organisation) -> None:
    secret = make_secret(north, phone="")

    assert raw(secret.pk, "phone") == ""
    assert raw(secret.pk, "phone_index") == ""
    assert reload(secret).phone == ""


def test_a_ciphertext_copied_to_another_row_does_not_decrypt(north: Organisation) -> None:
    original = make_secret(north, name="first")
    other = make_secret(north, name="second")

    set_raw(other.pk, "name", raw(original.pk, "name"))

    with pytest.raises(DecryptionError):
        _ = reload(other).name
    assert reload(original).name == "first"


def test_a_ciphertext_copied_to_another_field_of_the_row_does_not_decrypt(
    north: Organisation,
) -> None:
    secret = make_secret(north, name="a name", phone="0612345678")

    set_raw(secret.pk, "phone", raw(secret.pk, "name"))

    with pytest.raises(DecryptionError):
        _ = reload(secret).phone


def test_a_ciphertext_of_one_organisation_is_unreadable_as_another(
    north: Organisation, south: Organisation
) -> None:
    theirs = make_secret(south, name="south's secret")
    ours = make_secret(north, name="north's secret")

    set_raw(theirs.pk, "organisation_id", north.pk)
    set_raw(ours.pk, "organisation_id", south.pk)

    with pytest.raises(DecryptionError):
        _ = reload(theirs).name
    with pytest.raises(DecryptionError):
        _ = reload(ours).name


def test_a_tampered_ciphertext_does_not_decrypt(north: Organisation) -> None:
    secret = make_secret(north)
    prefix, blob = raw(secret.pk, "name").rsplit(":", 1)
    data = bytearray(base64.urlsafe_b64decode(blob))
    data[-5] ^= 0x01

    set_raw(secret.pk, "name", f"{prefix}:{base64.urlsafe_b64encode(bytes(data)).decode()}")

    with pytest.raises(DecryptionError):
        _ = reload(secret).name


@pytest.mark.parametrize("garbage", ["plain text", "v1:9:AAAA", "v1:1:!!!", "v2:1:AAAA"])
def test_malformed_stored_values_raise_a_decryption_error(
    north: Organisation, garbage: str
) -> None:
    secret = make_secret(north)

    set_raw(secret.pk, "name", garbage)

    with pytest.raises(DecryptionError):
        _ = reload(secret).name


def test_loaded_values_are_decrypted_only_when_read(
    north: Organisation, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)
    calls: list[bytes] = []
    real_decrypt = crypto.decrypt

    def counting_decrypt(organisation_id: int, aad: bytes, token: str) -> str:
        calls.append(aad)
        return real_decrypt(organisation_id, aad, token)

    monkeypatch.setattr(crypto, "decrypt", counting_decrypt)

    loaded = reload(secret)
    assert calls == []
    assert loaded.name == NAME_CANARY
    assert loaded.name == NAME_CANARY
    assert calls == [f"{TABLE}|{secret.pk}|name".encode()]


def test_saving_an_untouched_row_keeps_its_ciphertexts(north: Organisation) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)
    before = raw(secret.pk, "name"), raw(secret.pk, "phone"), raw(secret.pk, "phone_index")

    reload(secret).save()

    assert (raw(secret.pk, "name"), raw(secret.pk, "phone"), raw(secret.pk, "phone_index")) == (
        before
    )


def test_assigning_plaintext_re_encrypts_on_save(north: Organisation) -> None:
    secret = make_secret(north)
    before = raw(secret.pk, "name")

    loaded = reload(secret)
    loaded.name = "a new name"
    loaded.save()

    assert raw(secret.pk, "name") != before
    assert reload(secret).name == "a new name"


def test_an_instance_saved_under_a_new_id_is_re_encrypted_for_its_new_row(
    north: Organisation,
) -> None:
    original = make_secret(north, phone=PHONE_CANARY)

    copy = reload(original)
    copy.pk = uuid.uuid4()
    copy._state.adding = True
    copy.save()

    assert reload(copy).name == NAME_CANARY
    assert reload(copy).phone == PHONE_CANARY
    assert raw(copy.pk, "name") != raw(original.pk, "name")
    assert matches(Secret.objects.all(), "phone", PHONE_CANARY, organisation=north) != []


def test_refresh_from_db_gives_the_stored_plaintext(north: Organisation) -> None:
    secret = make_secret(north)
    other = reload(secret)
    other.name = "changed elsewhere"
    other.save()

    secret.refresh_from_db()

    assert secret.name == "changed elsewhere"


def test_deferred_encrypted_fields_load_and_decrypt_on_access(north: Organisation) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)

    loaded = Secret.objects.only("id", "organisation").get(pk=secret.pk)

    assert loaded.phone == PHONE_CANARY


def test_values_and_values_list_give_ciphertext(north: Organisation) -> None:
    secret = make_secret(north)

    (name,) = Secret.objects.filter(pk=secret.pk).values_list("name", flat=True)
    row = Secret.objects.filter(pk=secret.pk).values("name").get()

    assert isinstance(name, Ciphertext)
    assert name == row["name"] == raw(secret.pk, "name")
    assert NAME_CANARY not in name


def test_queries_cannot_compare_plaintext_with_ciphertext(north: Organisation) -> None:
    make_secret(north)

    with pytest.raises(FieldError, match="encrypted"):
        Secret.objects.filter(name=NAME_CANARY).exists()
    with pytest.raises(FieldError, match="encrypted"):
        Secret.objects.filter(name__icontains="canary").exists()
    assert Secret.objects.filter(name__isnull=False).count() == 1


def test_plaintext_is_never_written_by_update(north: Organisation) -> None:
    secret = make_secret(north)

    with pytest.raises(ValueError, match="refusing to write plaintext"), transaction.atomic():
        Secret.objects.filter(pk=secret.pk).update(name="written around the field")

    assert reload(secret).name == NAME_CANARY


def test_max_length_limits_the_plaintext(north: Organisation) -> None:
    secret = Secret(organisation=north, name="x" * 201)

    with pytest.raises(ValidationError) as raised:
        secret.full_clean()

    assert "name" in raised.value.message_dict


def test_saving_without_an_organisation_is_refused(db: None) -> None:
    with pytest.raises(ValueError, match="organisation"):
        Secret(name=NAME_CANARY).save()


def test_a_model_without_a_uuid_primary_key_cannot_have_encrypted_fields(db: None) -> None:
    with pytest.raises(ImproperlyConfigured, match="UUIDField"):

        class Unfit(models.Model):
            organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT)
            name = EncryptedTextField()

            class Meta:
                app_label = "encryption_app"

            def __str__(self) -> str:
                return "unfit"


# --- Rotation -----------------------------------------------------------------------------


def test_rotate_keys_re_encrypts_every_value_under_a_new_key_version(
    north: Organisation, south: Organisation
) -> None:
    ours = make_secret(north, phone=PHONE_CANARY)
    theirs = make_secret(south, name="south's")
    before = {pk: raw(pk, "name") for pk in (ours.pk, theirs.pk)}
    index_before = raw(ours.pk, "phone_index")

    call_command("rotate_keys", stdout=open_devnull())

    for pk in (ours.pk, theirs.pk):
        assert raw(pk, "name") != before[pk]
        assert crypto.token_version(raw(pk, "name")) == 2
    assert crypto.token_version(raw(ours.pk, "phone")) == 2
    crypto.clear_key_cache()
    assert reload(ours).name == NAME_CANARY
    assert reload(ours).phone == PHONE_CANARY
    assert reload(theirs).name == "south's"
    assert raw(ours.pk, "phone_index") == index_before
    assert matches(Secret.objects.all(), "phone", PHONE_CANARY, organisation=north) == [ours]
    assert set(DataKey.objects.filter(organisation=north).values_list("version", flat=True)) == {
        0,
        1,
        2,
    }
    events = AuditEvent.unscoped.filter(action="keys.rotated")
    assert {event.organisation_id for event in events} == {north.pk, south.pk}
    assert events.get(organisation=north).details["values_reencrypted"] == 2


def test_new_values_after_rotation_use_the_new_key(north: Organisation) -> None:
    make_secret(north)
    call_command("rotate_keys", stdout=open_devnull())

    later = make_secret(north, name="after rotation")

    assert crypto.token_version(raw(later.pk, "name")) == 2


def test_rotate_keys_waits_once_for_other_processes_before_re_encrypting(
    north: Organisation, south: Organisation, grace_waits: list[float]
) -> None:
    make_secret(north)
    make_secret(south)

    call_command("rotate_keys", stdout=open_devnull())

    assert grace_waits == [crypto.ROTATION_GRACE_SECONDS]
    assert crypto.ROTATION_GRACE_SECONDS > crypto.CURRENT_KEY_SECONDS


def test_rewrapping_alone_does_not_wait(north: Organisation, grace_waits: list[float]) -> None:
    make_secret(north)

    call_command("rotate_keys", "--rewrap-only", stdout=open_devnull())

    assert grace_waits == []


def test_rotate_keys_resume_finishes_without_another_key(north: Organisation) -> None:
    done = make_secret(north, name="done")
    call_command("rotate_keys", stdout=open_devnull())
    after_rotation = raw(done.pk, "name")
    # A value still on the old key, as if the rotation had stopped before reaching it.
    left_behind = make_secret(north, name="left behind")
    old_version, old_key = crypto.data_key(north.pk, 1)
    aad = Secret._meta.get_field("name").associated_data(left_behind.pk)
    assert old_version == 1
    set_raw(left_behind.pk, "name", encrypt_with(old_key, north.pk, 1, aad, "left behind"))

    call_command("rotate_keys", "--resume", stdout=open_devnull())

    assert raw(done.pk, "name") == after_rotation
    assert crypto.token_version(raw(left_behind.pk, "name")) == 2
    assert reload(left_behind).name == "left behind"
    assert crypto.current_version(north.pk) == 2


def test_rotate_keys_for_one_organisation_leaves_the_others(
    north: Organisation, south: Organisation
) -> None:
    ours = make_secret(north)
    theirs = make_secret(south)
    before = raw(theirs.pk, "name")

    call_command("rotate_keys", "--organisation", "north", stdout=open_devnull())

    assert crypto.token_version(raw(ours.pk, "name")) == 2
    assert raw(theirs.pk, "name") == before


def test_rotate_keys_refuses_an_unknown_organisation(db: None) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="nowhere"):
        call_command("rotate_keys", "--organisation", "nowhere", stdout=open_devnull())


def test_master_key_rotation_keeps_values_readable_and_rewraps_every_key(
    north: Organisation, settings: Any
) -> None:
    secret = make_secret(north, phone=PHONE_CANARY)
    old_master = settings.HAVEN_MASTER_KEY
    settings.HAVEN_MASTER_KEY = new_master_key()
    settings.HAVEN_RETIRED_MASTER_KEYS = [old_master]
    crypto.clear_key_cache()
    new_id, _ = crypto.current_master_key()

    assert reload(secret).name == NAME_CANARY
    call_command("rotate_keys", "--rewrap-only", stdout=open_devnull())

    assert set(DataKey.objects.values_list("master_key_id", flat=True)) == {new_id}
    settings.HAVEN_RETIRED_MASTER_KEYS = []
    crypto.clear_key_cache()
    assert reload(secret).name == NAME_CANARY
    assert matches(Secret.objects.all(), "phone", PHONE_CANARY, organisation=north) == [secret]
    assert crypto.token_version(raw(secret.pk, "name")) == 1


def test_a_replaced_master_key_without_the_old_one_cannot_unwrap(
    north: Organisation, settings: Any
) -> None:
    secret = make_secret(north)
    settings.HAVEN_MASTER_KEY = new_master_key()
    crypto.clear_key_cache()

    with pytest.raises(MasterKeyError):
        _ = reload(secret).name


def test_a_wrapped_key_moved_to_another_organisation_does_not_unwrap(
    north: Organisation, south: Organisation
) -> None:
    make_secret(north)
    theirs = make_secret(south)
    north_key = DataKey.objects.get(organisation=north, version=1)
    DataKey.objects.filter(organisation=south, version=1).update(wrapped_key=north_key.wrapped_key)
    crypto.clear_key_cache()

    with pytest.raises(MasterKeyError):
        _ = reload(theirs).name


# --- Blind index --------------------------------------------------------------------------


def test_blind_index_finds_exact_matches_ignoring_case_and_spacing(
    north: Organisation,
) -> None:
    wanted = make_secret(north, phone="+33 6 12 34 56 78")
    make_secret(north, phone="+33 6 12 34 56 79")
    make_secret(north, phone="")

    for query in ("+33612345678", "  +33 (6) 12-34-56-78 ", "+33 6 12 34 56 78"):
        assert matches(Secret.objects.all(), "phone", query, organisation=north) == [wanted]
    assert matches(Secret.objects.all(), "phone", "+33 6 12 34 56 7", organisation=north) == []
    assert matches(Secret.objects.all(), "phone", "", organisation=north) == []


def test_blind_index_of_text_ignores_case_width_and_spacing(north: Organisation) -> None:
    reference = crypto.blind_index(north.pk, "test.name", "María García")

    assert crypto.blind_index(north.pk, "test.name", "  MARÍA   garcía ") == reference
    assert crypto.blind_index(north.pk, "test.name", "Ｍａｒíａ García") == reference
    assert crypto.blind_index(north.pk, "test.name", "Maria Garcia") != reference
    assert crypto.blind_index(north.pk, "test.other", "María García") != reference


def test_blind_index_is_eight_hex_characters_and_differs_between_organisations(
    north: Organisation, south: Organisation
) -> None:
    ours = make_secret(north, phone=PHONE_CANARY)
    theirs = make_secret(south, phone=PHONE_CANARY)

    index = raw(ours.pk, "phone_index")

    assert re.fullmatch(r"[0-9a-f]{8}", index)
    assert raw(theirs.pk, "phone_index") != index
    assert matches(Secret.objects.all(), "phone", PHONE_CANARY, organisation=north) == [ours]
    assert matches(Secret.objects.all(), "phone", PHONE_CANARY, organisation=south) == [theirs]


def test_blind_index_follows_a_changed_value(north: Organisation) -> None:
    secret = make_secret(north, phone="0612345678")

    loaded = reload(secret)
    loaded.phone = "0799999999"
    loaded.save()

    assert matches(Secret.objects.all(), "phone", "0612345678", organisation=north) == []
    assert matches(Secret.objects.all(), "phone", "07 99 99 99 99", organisation=north) == [secret]


def test_an_index_collision_is_not_a_match(north: Organisation) -> None:
    secret = make_secret(north, phone="0612345678")
    other = make_secret(north, phone="0700000000")
    # Force a collision: the other row carries the wanted value's index.
    Secret.objects.filter(pk=other.pk).update(phone_index=raw(secret.pk, "phone_index"))

    assert matches(Secret.objects.all(), "phone", "0612345678", organisation=north) == [secret]


def test_the_index_key_survives_data_key_rotation(north: Organisation) -> None:
    make_secret(north, phone=PHONE_CANARY)
    index_key = DataKey.objects.get(organisation=north, version=0).wrapped_key

    call_command("rotate_keys", stdout=open_devnull())

    assert DataKey.objects.get(organisation=north, version=0).wrapped_key == index_key


# --- Helpers ------------------------------------------------------------------------------


def open_devnull() -> Any:
    import io

    return io.StringIO()


def encrypt_with(key: bytes, organisation_id: int, version: int, aad: bytes, text: str) -> str:
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    nonce = secrets.token_bytes(12)
    full_aad = f"haven-field|v1|{organisation_id}|".encode() + aad
    sealed = AESGCM(key).encrypt(nonce, text.encode(), full_aad)
    return f"v1:{version}:{base64.urlsafe_b64encode(nonce + sealed).decode()}"


# --- The current key held in the process (decision 13) ------------------------------------


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    ticking = Clock()
    monkeypatch.setattr(crypto, "_clock", ticking)
    return ticking


def committed_secret(organisation: Organisation, capture: Any, name: str = NAME_CANARY) -> Secret:
    """A secret saved as if its transaction committed: keys read on the way are cached."""
    with capture(execute=True):
        return make_secret(organisation, name=name)


def rotation_elsewhere(organisation: Organisation, version: int) -> bytes:
    """A new data key made by another process: stored, never seen by this one."""
    key = secrets.token_bytes(32)
    wrapped, master_id = crypto.wrap_key(organisation.pk, version, key)
    DataKey.objects.create(
        organisation=organisation, version=version, wrapped_key=wrapped, master_key_id=master_id
    )
    return key


def test_a_write_reuses_the_current_key_without_a_query(
    north: Organisation,
    clock: Clock,
    django_capture_on_commit_callbacks: Any,
    django_assert_num_queries: Any,
) -> None:
    committed_secret(north, django_capture_on_commit_callbacks)

    with django_assert_num_queries(0):
        version, _key = crypto.data_key(north.pk)

    assert version == 1


def test_a_rotation_elsewhere_is_taken_up_within_the_current_key_lifetime(
    north: Organisation, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    committed_secret(north, django_capture_on_commit_callbacks)
    rotation_elsewhere(north, 2)

    clock.now += crypto.CURRENT_KEY_SECONDS - 1
    before = make_secret(north, name="just before")
    clock.now += 1
    after = make_secret(north, name="just after")

    assert crypto.token_version(raw(before.pk, "name")) == 1
    assert crypto.token_version(raw(after.pk, "name")) == 2
    assert reload(after).name == "just after"


def test_a_value_under_a_newer_key_decrypts_at_once_and_moves_writes_to_that_key(
    north: Organisation, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    committed_secret(north, django_capture_on_commit_callbacks)
    newer = rotation_elsewhere(north, 2)
    written_elsewhere = make_secret(north, name="placeholder")
    aad = Secret._meta.get_field("name").associated_data(written_elsewhere.pk)
    set_raw(written_elsewhere.pk, "name", encrypt_with(newer, north.pk, 2, aad, "from elsewhere"))

    assert reload(written_elsewhere).name == "from elsewhere"
    later = make_secret(north, name="sealed here")

    assert crypto.token_version(raw(later.pk, "name")) == 2


def test_a_key_made_by_rotate_keys_here_is_used_at_once(
    north: Organisation, clock: Clock, django_capture_on_commit_callbacks: Any
) -> None:
    committed_secret(north, django_capture_on_commit_callbacks)

    with django_capture_on_commit_callbacks(execute=True):
        call_command("rotate_keys", stdout=open_devnull())
    later = make_secret(north, name="after rotation")

    assert crypto.token_version(raw(later.pk, "name")) == 2


def test_a_current_version_read_in_a_rolled_back_transaction_is_not_kept(
    north: Organisation, clock: Clock, django_assert_num_queries: Any
) -> None:
    with transaction.atomic():
        make_secret(north)
    # The test's own transaction never commits, so nothing read in it was cached.
    with django_assert_num_queries(1):
        crypto.data_key(north.pk)
