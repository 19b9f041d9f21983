"""Encrypted model fields and the blind index that lets caseworkers find a value exactly.

``EncryptedTextField`` stores ``crypto.encrypt`` output and gives plaintext on attribute
access. A value loaded from the database stays sealed until it is read, and is written
back unchanged unless it was reassigned or the row's identity changed. The associated
data is ``<table>|<pk>|<field name>``, so the model needs a client-side UUID primary key
(known before INSERT) and an organisation foreign key; a model without them fails at
import time.

Queries never see plaintext: ``values()`` and ``values_list()`` give the stored
ciphertext (as ``Ciphertext``), lookups other than ``isnull`` are refused, ordering by an
encrypted field is meaningless, and writing anything but ciphertext (``update(name=...)``,
``bulk_update``, raw fixture loads) raises instead of storing plaintext. Exact-match
search goes through a ``BlindIndexField`` and ``matches()``.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist, FieldError, ImproperlyConfigured
from django.core.validators import MaxLengthValidator
from django.db import models, transaction
from django.db.models.query_utils import DeferredAttribute
from django.db.models.signals import class_prepared, post_init

from haven.privacy import crypto
from haven.privacy.crypto import IndexKind

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.lookups import Lookup

    from haven.organisations.models import Organisation

_M = TypeVar("_M", bound=models.Model)
Binding = tuple[int, bytes]


class Ciphertext(str):
    """A value exactly as stored; assigning one to a field stores it as it is."""

    __slots__ = ()


@dataclass
class _Sealed:
    token: Ciphertext
    # The (organisation id, associated data) the token was made for, once known.
    binding: Binding | None = None
    plaintext: str | None = None


class EncryptedAttribute(DeferredAttribute):
    """Keeps loaded values sealed and decrypts them on first read."""

    field: EncryptedTextField

    def __get__(self, instance: models.Model | None, cls: type[models.Model] | None = None) -> Any:
        if instance is None:
            return self
        value = super().__get__(instance, cls)
        if isinstance(value, _Sealed):
            return self.field.open(instance, value)
        return value

    def __set__(self, instance: models.Model, value: Any) -> None:
        if isinstance(value, Ciphertext):
            value = _Sealed(value)
        instance.__dict__[self.field.attname] = value


def _uuid(pk: object) -> uuid.UUID:
    return pk if isinstance(pk, uuid.UUID) else uuid.UUID(str(pk))


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """Text encrypted with the row's organisation key; ``max_length`` limits the plaintext."""

    descriptor_class = EncryptedAttribute

    def __init__(self, *args: Any, organisation_field: str = "organisation", **kwargs: Any):
        self.organisation_field = organisation_field
        super().__init__(*args, **kwargs)
        if self.max_length is not None:
            self.validators.append(MaxLengthValidator(self.max_length))

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _, args, kwargs = super().deconstruct()
        if self.organisation_field != "organisation":
            kwargs["organisation_field"] = self.organisation_field
        return name, "haven.privacy.fields.EncryptedTextField", args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            class_prepared.connect(self._refuse_unfit_model, sender=cls, weak=False)
            post_init.connect(self._bind_loaded_value, sender=cls, weak=False)

    def _refuse_unfit_model(self, sender: type[models.Model], **kwargs: Any) -> None:
        meta = sender._meta
        pk = meta.pk
        if not isinstance(pk, models.UUIDField) or not pk.has_default():
            raise ImproperlyConfigured(
                f"{meta.label}.{self.name} is encrypted, so {meta.label} needs "
                "`id = models.UUIDField(primary_key=True, default=uuid.uuid4)`: the row's "
                "identity is bound into each value before it is inserted"
            )
        try:
            organisation = meta.get_field(self.organisation_field)
        except FieldDoesNotExist:
            organisation = None
        if organisation is None or not organisation.many_to_one:
            raise ImproperlyConfigured(
                f"{meta.label}.{self.name} is encrypted with its organisation's key, so "
                f"{meta.label} needs a foreign key `{self.organisation_field}`"
            )

    def _organisation_attname(self) -> str:
        return self.model._meta.get_field(self.organisation_field).attname  # type: ignore[union-attr]

    def associated_data(self, pk: object) -> bytes:
        """What binds a value to this table, row and field."""
        return f"{self.model._meta.db_table}|{_uuid(pk)}|{self.name}".encode()

    def binding(self, instance: models.Model) -> Binding:
        organisation_id = getattr(instance, self._organisation_attname())
        if organisation_id is None or instance.pk is None:
            raise ValueError(
                f"{self.model._meta.label}.{self.name} needs the row's id and organisation "
                "before it can be encrypted or decrypted"
            )
        return int(organisation_id), self.associated_data(instance.pk)

    def _bind_loaded_value(
        self, sender: type[models.Model], instance: models.Model, **kwargs: Any
    ) -> None:
        # Remember which row a loaded value came from, so changing the instance's pk or
        # organisation later re-encrypts it instead of saving a value bound elsewhere.
        value = instance.__dict__.get(self.attname)
        if not isinstance(value, _Sealed) or value.binding is not None:
            return
        organisation_id = instance.__dict__.get(self._organisation_attname())
        pk = instance.__dict__.get(instance._meta.pk.attname)
        if organisation_id is not None and pk is not None:
            value.binding = int(organisation_id), self.associated_data(pk)

    def open(self, instance: models.Model, sealed: _Sealed) -> str:
        """Decrypt a sealed value of ``instance`` (once; the plaintext is kept)."""
        if sealed.plaintext is None:
            if sealed.binding is None:
                sealed.binding = self.binding(instance)
            organisation_id, aad = sealed.binding
            sealed.plaintext = crypto.decrypt(organisation_id, aad, sealed.token)
        return sealed.plaintext

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        value = model_instance.__dict__.get(self.attname)
        if isinstance(value, _Sealed):
            binding = self.binding(model_instance)
            if value.binding is None or value.binding == binding:
                return value.token
            plaintext = self.open(model_instance, value)
        elif value is None or value == "":
            return value
        else:
            plaintext = str(value)
            binding = self.binding(model_instance)
        organisation_id, aad = binding
        token = Ciphertext(crypto.encrypt(organisation_id, aad, plaintext))
        model_instance.__dict__[self.attname] = _Sealed(token, binding, plaintext)
        return token

    def from_db_value(
        self, value: str | None, expression: Any, connection: BaseDatabaseWrapper
    ) -> Any:
        return Ciphertext(value) if value else value

    def get_db_prep_save(self, value: Any, connection: BaseDatabaseWrapper) -> Any:
        if (
            value is None
            or value == ""
            or isinstance(value, Ciphertext)
            or hasattr(value, "resolve_expression")
        ):
            return super().get_db_prep_save(value, connection)
        raise ValueError(
            f"refusing to write plaintext to the encrypted field "
            f"{self.model._meta.label}.{self.name}: assign it on an instance and save() it"
        )

    def get_lookup(self, lookup_name: str) -> type[Lookup[Any]] | None:
        if lookup_name == "isnull":
            return super().get_lookup(lookup_name)
        raise FieldError(
            f"{self.model._meta.label}.{self.name} is encrypted and cannot be searched with "
            f"'{lookup_name}'; search a BlindIndexField with haven.privacy.fields.matches()"
        )


class BlindIndexField(models.CharField):  # type: ignore[type-arg]
    """A keyed, truncated digest of an encrypted field, kept up to date on save.

    ``kind="phone"`` compares digits only (and a leading +); it is the default when the
    source field's name contains "phone". ``label`` names the index space: two fields
    with the same label can be matched against each other; it defaults to the model's
    label and the source field.
    """

    def __init__(
        self,
        *args: Any,
        source: str,
        label: str = "",
        kind: IndexKind | None = None,
        **kwargs: Any,
    ):
        self.source = source
        self.label = label
        self.kind: IndexKind = kind or ("phone" if "phone" in source else "text")
        self._kind_given = kind is not None
        kwargs.setdefault("max_length", crypto.INDEX_LENGTH)
        kwargs.setdefault("editable", False)
        kwargs.setdefault("blank", True)
        kwargs.setdefault("default", "")
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> tuple[str, str, Sequence[Any], dict[str, Any]]:
        name, _, args, kwargs = super().deconstruct()
        for key, default in {
            "max_length": crypto.INDEX_LENGTH,
            "editable": False,
            "blank": True,
            "default": "",
            "db_index": True,
        }.items():
            if kwargs.get(key, not default) == default:
                kwargs.pop(key, None)
        kwargs["source"] = self.source
        if self.label:
            kwargs["label"] = self.label
        if self._kind_given:
            kwargs["kind"] = self.kind
        return name, "haven.privacy.fields.BlindIndexField", args, kwargs

    def contribute_to_class(
        self, cls: type[models.Model], name: str, private_only: bool = False
    ) -> None:
        super().contribute_to_class(cls, name, private_only=private_only)
        if not cls._meta.abstract:
            class_prepared.connect(self._check_source, sender=cls, weak=False)

    def _check_source(self, sender: type[models.Model], **kwargs: Any) -> None:
        self.source_field()

    def source_field(self) -> EncryptedTextField:
        try:
            field = self.model._meta.get_field(self.source)
        except FieldDoesNotExist:
            field = None
        if not isinstance(field, EncryptedTextField):
            raise ImproperlyConfigured(
                f"{self.model._meta.label}.{self.name} indexes {self.source!r}, "
                "which is not an EncryptedTextField of the same model"
            )
        return field

    @property
    def index_label(self) -> str:
        return self.label or f"{self.model._meta.label_lower}.{self.source}"

    def digest(self, organisation_id: int, value: str) -> str:
        return crypto.blind_index(organisation_id, self.index_label, value, self.kind)

    def pre_save(self, model_instance: models.Model, add: bool) -> Any:
        source = self.source_field()
        sealed = model_instance.__dict__.get(source.attname)
        current = model_instance.__dict__.get(self.attname)
        # A loaded value that was never read, changed or moved keeps its index; reading
        # it only to recompute the same digest would cost a decryption on every save.
        if (
            isinstance(sealed, _Sealed)
            and sealed.plaintext is None
            and current
            and sealed.binding is not None
            and sealed.binding == source.binding(model_instance)
        ):
            return current
        organisation_id, _ = source.binding(model_instance)
        digest = self.digest(organisation_id, getattr(model_instance, source.attname) or "")
        setattr(model_instance, self.attname, digest)
        return digest


def encrypted_fields(model: type[models.Model]) -> list[EncryptedTextField]:
    """The encrypted fields stored in ``model``'s own table."""
    return [
        field
        for field in model._meta.local_concrete_fields
        if isinstance(field, EncryptedTextField)
    ]


def models_with_encrypted_fields() -> Iterator[type[models.Model]]:
    """Every installed, managed, concrete model with an encrypted field in its table."""
    for model in apps.get_models():
        meta = model._meta
        if meta.managed and not meta.proxy and encrypted_fields(model):
            yield model


def reencrypt(model: type[models.Model], organisation_id: int, *, chunk_size: int = 500) -> int:
    """Re-encrypt one organisation's values of ``model`` that are not on its newest key.

    Returns how many values changed. Rows are locked chunk by chunk, each chunk in its
    own transaction, so an interrupted run keeps what it did and a rerun finishes it.
    """
    fields = encrypted_fields(model)
    newest = crypto.current_version(organisation_id)
    if not fields or newest is None:
        return 0
    organisation_attname = fields[0]._organisation_attname()
    rows = model._base_manager.filter(**{organisation_attname: organisation_id}).order_by("pk")
    changed = 0
    last_pk: Any = None
    while True:
        with transaction.atomic():
            chunk = rows if last_pk is None else rows.filter(pk__gt=last_pk)
            values = list(
                chunk.select_for_update().values_list("pk", *(f.attname for f in fields))[
                    :chunk_size
                ]
            )
            for pk, *tokens in values:
                updates: dict[str, Ciphertext] = {}
                for field, token in zip(fields, tokens, strict=True):
                    if not token or crypto.token_version(token) >= newest:
                        continue
                    aad = field.associated_data(pk)
                    plaintext = crypto.decrypt(organisation_id, aad, token)
                    updates[field.attname] = Ciphertext(
                        crypto.encrypt(organisation_id, aad, plaintext)
                    )
                if updates:
                    rows.filter(pk=pk).update(**updates)
                    changed += len(updates)
        if len(values) < chunk_size:
            return changed
        last_pk = values[-1][0]


def _index_field(model: type[models.Model], source: str) -> BlindIndexField:
    for field in model._meta.concrete_fields:
        if isinstance(field, BlindIndexField) and field.source == source:
            return field
    raise FieldError(f"{model._meta.label}.{source} has no BlindIndexField")


def matches(
    queryset: models.QuerySet[_M],
    field: str,
    value: str,
    *,
    organisation: Organisation | int,
) -> list[_M]:
    """Rows of one organisation whose encrypted ``field`` equals ``value`` once normalised.

    The index is 32 bits, so it narrows the search to a few candidates; each candidate is
    decrypted and compared, so a collision never returns a wrong row.
    """
    index = _index_field(queryset.model, field)
    organisation_id = organisation if isinstance(organisation, int) else organisation.pk
    wanted = crypto.normalise(value, index.kind)
    if not wanted:
        return []
    candidates = queryset.filter(
        **{
            index.source_field()._organisation_attname(): organisation_id,
            index.name: index.digest(organisation_id, value),
        }
    )
    return [
        row
        for row in candidates
        if crypto.normalise(getattr(row, field) or "", index.kind) == wanted
    ]
