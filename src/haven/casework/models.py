"""The people an organisation supports: persons, households, consent, cases and notes.

Everything here is private to one organisation (scoped managers). Identifying values are
encrypted (privacy/fields.py); the neutral facts used for statistics are plain, and
nothing is inferred from anything else: each situation is a fact staff record.
"""

from __future__ import annotations

import uuid
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField
from django_scopes import ScopedManager

from haven.casework.htcds import CaseStatus, Gender, Sector, TraffickingStatus
from haven.organisations.models import Organisation
from haven.privacy.fields import BlindIndexField, EncryptedTextField


class AgeBand(models.TextChoices):
    CHILD_0_11 = "0-11", _("0–11")
    CHILD_12_17 = "12-17", _("12–17")
    ADULT_18_24 = "18-24", _("18–24")
    ADULT_25_34 = "25-34", _("25–34")
    ADULT_35_49 = "35-49", _("35–49")
    ADULT_50_64 = "50-64", _("50–64")
    ADULT_65 = "65+", _("65 and over")
    UNKNOWN = "unknown", _("Unknown")


class MigrationStatus(models.TextChoices):
    CITIZEN = "citizen", _("Citizen")
    RESIDENT = "resident", _("Regular resident")
    ASYLUM_SEEKER = "asylum_seeker", _("Asylum seeker")
    REFUGEE = "refugee", _("Refugee or protected status")
    IRREGULAR = "irregular", _("Irregular / undocumented")
    VISITOR = "visitor", _("Visitor or short stay")
    UNKNOWN = "unknown", _("Unknown")


class Household(models.Model):
    """People supported together (a family), so services can be given to all of them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)
    # Members without a record of their own (young children, mostly), counted only.
    other_members = models.PositiveSmallIntegerField(_("other members"), default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Household]] = ScopedManager(organisation="organisation")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "code"], name="household_code_unique")
        ]

    def __str__(self) -> str:
        return self.code


class Person(models.Model):
    """Someone the organisation supports, known to staff by a pseudonymous code."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    code = models.CharField(_("code"), max_length=20)

    # Identifying: encrypted, shown only to roles with casework.view_identity.
    given_name = EncryptedTextField(_("given name"), max_length=200, blank=True)
    family_name = EncryptedTextField(_("family name"), max_length=200, blank=True)
    alias = EncryptedTextField(_("alias"), max_length=200, blank=True)
    birth_date = EncryptedTextField(_("date of birth"), max_length=10, blank=True)
    estimated_age = EncryptedTextField(_("estimated age"), max_length=3, blank=True)
    phone = EncryptedTextField(_("phone"), max_length=40, blank=True)
    identity_document = EncryptedTextField(_("identity document"), max_length=200, blank=True)
    address = EncryptedTextField(_("address"), max_length=500, blank=True)
    notes = EncryptedTextField(_("notes"), max_length=10_000, blank=True)
    given_name_index = BlindIndexField(source="given_name")
    family_name_index = BlindIndexField(source="family_name")
    alias_index = BlindIndexField(source="alias")
    phone_index = BlindIndexField(source="phone")

    # Neutral facts for statistics (HTCDS vocabulary).
    gender = models.CharField(_("sex / gender"), max_length=30, choices=Gender.choices, blank=True)
    age_band = models.CharField(_("age band"), max_length=10, choices=AgeBand.choices, blank=True)
    citizenship = models.JSONField(_("citizenship"), default=list, blank=True)
    languages = models.JSONField(_("languages"), default=list, blank=True)
    migration_status = models.CharField(
        _("migration status"), max_length=20, choices=MigrationStatus.choices, blank=True
    )

    # Situation: separate facts, each recorded by staff; none implies another.
    trafficking_status = models.CharField(
        _("trafficking"), max_length=40, choices=TraffickingStatus.choices, blank=True
    )
    exploitation_types = models.JSONField(_("types of exploitation"), default=list, blank=True)
    sector = models.CharField(_("sector"), max_length=60, choices=Sector.choices, blank=True)
    exploitation_country = CountryField(_("country of exploitation"), blank=True)
    means_of_control = models.JSONField(_("means of control"), default=list, blank=True)
    in_sex_work = models.BooleanField(_("in prostitution / sex work"), null=True, blank=True)
    vulnerabilities = models.JSONField(
        _("other exploitation or vulnerability"), default=list, blank=True
    )

    household = models.ForeignKey(
        Household, on_delete=models.SET_NULL, null=True, blank=True, related_name="members"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    # Last service, note or call: what retention periods count from.
    last_activity_at = models.DateTimeField(db_index=True)
    # The first day of support recorded for the person: a service to them or their current
    # household, a call linked to them, a shelter stay or a case. Coalition statistics tell
    # new persons from continuing ones by it. Kept by every action that records, changes or
    # removes such a record (see casework.actions.refresh_first_activity).
    first_activity_on = models.DateField(null=True, blank=True, editable=False)

    objects: ClassVar[models.Manager[Person]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-last_activity_at"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["organisation", "code"], name="person_code_unique")
        ]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "given_name_index"]),
            models.Index(fields=["organisation", "family_name_index"]),
            models.Index(fields=["organisation", "alias_index"]),
            models.Index(fields=["organisation", "phone_index"]),
            models.Index(fields=["organisation", "-last_activity_at"]),
            # Coalition statistics list the households with a member who did not consent,
            # for the whole network, from this index alone (decision 34).
            models.Index(
                fields=["household"],
                include=["organisation", "id"],
                condition=Q(household__isnull=False),
                name="person_in_household",
            ),
        ]

    def __str__(self) -> str:
        return self.code


class ConsentPurpose(models.TextChoices):
    CASEWORK = "casework", _("Casework (recording and support)")
    REFERRAL = "referral", _("Referral to a named organisation")
    STATISTICS = "statistics", _("Coalition statistics")
    LINKAGE = "linkage", _("Record linkage between members")


class ConsentMethod(models.TextChoices):
    WRITTEN = "written", _("Written, signed")
    VERBAL = "verbal", _("Verbal, witnessed")
    ELECTRONIC = "electronic", _("Electronic")
    GUARDIAN = "guardian", _("By a parent or guardian")


class Consent(models.Model):
    """A person's consent to one purpose, until withdrawn."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="consents")
    purpose = models.CharField(_("purpose"), max_length=20, choices=ConsentPurpose.choices)
    # Only for referrals: the one organisation the person agreed to be referred to.
    recipient = models.ForeignKey(
        Organisation, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    given_on = models.DateField(_("given on"))
    method = models.CharField(
        _("how it was obtained"), max_length=20, choices=ConsentMethod.choices
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    withdrawn_on = models.DateField(_("withdrawn on"), null=True, blank=True)
    withdrawn_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )

    objects: ClassVar[models.Manager[Consent]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-given_on"]
        indexes: ClassVar = [
            # Coalition statistics hash each member's consenting persons from it alone.
            models.Index(
                fields=["organisation", "person"],
                include=["given_on", "withdrawn_on"],
                condition=Q(purpose="statistics"),
                name="statistics_consents",
            )
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(purpose="referral", recipient__isnull=False)
                | (~Q(purpose="referral") & Q(recipient__isnull=True)),
                name="consent_recipient_only_for_referral",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} consent of {self.person_id}"


class Need(models.TextChoices):
    HOUSING = "housing", _("Housing")
    FOOD = "food", _("Food")
    HEALTH = "health", _("Health")
    MENTAL_HEALTH = "mental_health", _("Mental health")
    LEGAL = "legal", _("Legal")
    SAFETY = "safety", _("Safety")
    INCOME = "income", _("Income")
    DOCUMENTS = "documents", _("Documents")
    EDUCATION = "education", _("Education and training")
    EMPLOYMENT = "employment", _("Employment")
    CHILDCARE = "childcare", _("Childcare")
    INTERPRETATION = "interpretation", _("Interpretation")
    OTHER = "other", _("Other")


class RiskLevel(models.TextChoices):
    LOW = "low", _("Low")
    MEDIUM = "medium", _("Medium")
    HIGH = "high", _("High")
    CRITICAL = "critical", _("Critical")


class Case(models.Model):
    """An episode of support for one person."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.CASCADE, related_name="cases")
    status = models.CharField(
        _("status"), max_length=20, choices=CaseStatus.choices, default=CaseStatus.ACTIVE
    )
    opened_on = models.DateField(_("opened on"))
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    assigned_to = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("assigned to"),
    )
    needs = models.JSONField(_("needs"), default=list, blank=True)
    risk_level = models.CharField(
        _("risk level"), max_length=10, choices=RiskLevel.choices, default=RiskLevel.LOW
    )
    follow_up_on = models.DateField(_("follow up on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects: ClassVar[models.Manager[Case]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-opened_on"]
        indexes: ClassVar = [
            models.Index(fields=["organisation", "assigned_to", "status"]),
            models.Index(fields=["organisation", "follow_up_on"]),
        ]
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(closed_on__isnull=True) | Q(closed_on__gte=models.F("opened_on")),
                name="case_closes_after_it_opens",
            ),
        ]

    def __str__(self) -> str:
        return f"case of {self.person_id} from {self.opened_on}"


class CaseNote(models.Model):
    """A caseworker's note on a case; the text is encrypted."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="notes")
    text = EncryptedTextField(_("note"), max_length=20_000)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    written_at = models.DateTimeField(db_index=True)

    objects: ClassVar[models.Manager[CaseNote]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-written_at"]

    def __str__(self) -> str:
        return f"note on {self.case_id}"


class Terminology(models.TextChoices):
    PERSON = "person", _("person / people supported")
    SURVIVOR = "survivor", _("survivor")
    SEX_WORKER = "sex_worker", _("sex worker")
    PERSON_IN_PROSTITUTION = "person_in_prostitution", _("person in prostitution")
    CLIENT = "client", _("client")
    BENEFICIARY = "beneficiary", _("beneficiary")


class OrganisationSettings(models.Model):
    """An organisation's casework settings: its words, retention periods and time zone."""

    organisation = models.OneToOneField(
        Organisation, on_delete=models.CASCADE, related_name="casework_settings"
    )
    terminology = models.CharField(
        _("the people we support are called"),
        max_length=30,
        choices=Terminology.choices,
        default=Terminology.PERSON,
    )
    code_prefix = models.CharField(_("prefix of person codes"), max_length=8, default="P")
    # Counters for codes, taken under a row lock so two intakes never get the same code.
    next_person_number = models.PositiveIntegerField(default=1, editable=False)
    next_household_number = models.PositiveIntegerField(default=1, editable=False)
    # Retention: 0 means keep until erased on request.
    person_retention_months = models.PositiveSmallIntegerField(
        _("delete persons this many months after their last activity"), default=60
    )
    call_retention_months = models.PositiveSmallIntegerField(
        _("anonymise helpline calls after this many months"), default=24
    )
    # An IANA zone name; empty: the main zone of the organisation's country (timezones.py).
    time_zone = models.CharField(_("time zone"), max_length=64, blank=True, default="")

    objects: ClassVar[models.Manager[OrganisationSettings]] = ScopedManager(
        organisation="organisation"
    )

    def __str__(self) -> str:
        return f"casework settings of {self.organisation_id}"


class ErasureRecord(models.Model):
    """Proof that a person's data was erased, on request or by retention, without the data."""

    class Reason(models.TextChoices):
        REQUEST = "request", _("Request of the person")
        RETENTION = "retention", _("Retention period ended")

    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    person_code = models.CharField(max_length=20)
    reason = models.CharField(max_length=20, choices=Reason.choices)
    erased_at = models.DateTimeField(auto_now_add=True)
    erased_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    records_removed = models.JSONField(default=dict)

    objects: ClassVar[models.Manager[ErasureRecord]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-erased_at"]

    def __str__(self) -> str:
        return f"erasure of {self.person_code}"
