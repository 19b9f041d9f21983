"""Events: their programme, who registers, and who came through the door.

An event belongs to the organisation whose advocacy staff run it (its owner). Places are
counted on the event row (``places_taken``) by one conditional UPDATE per registration,
so capacity is exact under concurrency (docs/decisions/0020). Registrants' names, e-mail
addresses and answers are encrypted with the owner's key and anonymised a set time after
the event. The shared meeting link is encrypted too and only ever reaches a registrant
through their personal, revocable link.
"""

from __future__ import annotations

import json
import uuid
from typing import Any, ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from django_countries.fields import CountryField
from django_scopes import ScopedManager

from haven.organisations.languages import language_name, validate_language_codes
from haven.organisations.models import Organisation
from haven.privacy.fields import EncryptedTextField


class EventKind(models.TextChoices):
    CONFERENCE = "conference", _("Conference")
    SEMINAR = "seminar", _("Seminar")
    MEETING = "meeting", _("Meeting")
    MARCH = "march", _("March or demonstration")
    SIDE_EVENT = "side_event", _("Side event")
    TRAINING = "training", _("Training")
    WEBINAR = "webinar", _("Webinar")
    COLLOQUIUM = "colloquium", _("Colloquium")
    PRESS_CONFERENCE = "press_conference", _("Press conference")
    OTHER = "other", _("Other")


class EventStatus(models.TextChoices):
    DRAFT = "draft", _("Draft")
    PUBLISHED = "published", _("Published")
    CANCELLED = "cancelled", pgettext_lazy("event status", "Cancelled")
    # Taken off every public page (410 Gone); the owner keeps the event and its registrants.
    WITHDRAWN = "withdrawn", pgettext_lazy("event status", "Withdrawn")


class Visibility(models.TextChoices):
    PUBLIC = "public", _("Public: anyone may register")
    INVITATION = "invitation", _("Invitation only: registration needs a code")


DEFAULT_ANONYMISE_AFTER_DAYS = 90
DEFAULT_OFFER_HOURS = 48


class Event(models.Model):
    """An event with its venue or online room, its programme and its registration rules."""

    owner = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    slug = models.SlugField(_("identifier in addresses"), max_length=60)
    kind = models.CharField(
        _("type"), max_length=20, choices=EventKind.choices, default=EventKind.CONFERENCE
    )
    status = models.CharField(
        _("status"), max_length=20, choices=EventStatus.choices, default=EventStatus.DRAFT
    )
    # The original language of the title and description; translations are EventText rows.
    language = models.CharField(_("original language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(
        _("description"), max_length=20_000, blank=True, help_text=_("Markdown.")
    )
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    timezone = models.CharField(_("time zone"), max_length=64, default="UTC")
    in_person = models.BooleanField(_("in person"), default=True)
    online = models.BooleanField(_("online"), default=False)
    venue_name = models.CharField(_("venue"), max_length=200, blank=True)
    venue_address = models.CharField(_("address"), max_length=300, blank=True)
    room = models.CharField(_("room"), max_length=100, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    country = CountryField(_("country"), blank=True)
    languages = models.JSONField(
        _("languages of the event"), default=list, blank=True, validators=[validate_language_codes]
    )
    interpretation = models.JSONField(
        _("interpretation offered into"),
        default=list,
        blank=True,
        validators=[validate_language_codes],
    )
    visibility = models.CharField(
        _("who may register"), max_length=20, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    registration_open = models.BooleanField(_("registration open"), default=True)
    registration_closes_at = models.DateTimeField(_("registration deadline"), null=True, blank=True)
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty: no limit.")
    )
    # Places held by confirmed registrations and by waiting-list offers not yet answered.
    places_taken = models.PositiveIntegerField(default=0)
    waiting_list = models.BooleanField(_("waiting list when full"), default=True)
    offer_hours = models.PositiveIntegerField(
        _("hours to accept a place offered from the waiting list"), default=DEFAULT_OFFER_HOURS
    )
    group_size = models.PositiveIntegerField(
        _("most people one registration may bring"),
        default=1,
        help_text=_("1: each person registers alone."),
    )
    id_check = models.BooleanField(_("check an ID or press card at the door"), default=False)
    recording_url = models.URLField(_("recording"), max_length=500, blank=True)
    report_url = models.URLField(_("report"), max_length=500, blank=True)
    hashtags = models.CharField(_("hashtags"), max_length=200, blank=True)
    anonymise_after_days = models.PositiveIntegerField(
        _("anonymise registrants this many days after the event"),
        default=DEFAULT_ANONYMISE_AFTER_DAYS,
    )
    published_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    cancel_reason = models.CharField(_("reason"), max_length=500, blank=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)
    withdrawal_reason = models.CharField(_("reason for withdrawal"), max_length=500, blank=True)
    reminders_sent_at = models.DateTimeField(null=True, blank=True)
    anonymised_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects: ClassVar[models.Manager[Event]] = ScopedManager(organisation="owner")

    class Meta:
        ordering: ClassVar = ["starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        indexes: ClassVar = [
            models.Index(fields=["status", "starts_at"], name="event_public_listing"),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["owner", "slug"], name="event_slug_unique_per_owner"),
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="event_ends_after_start"
            ),
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(places_taken__lte=models.F("capacity")),
                name="event_never_overbooked",
            ),
        ]

    def __str__(self) -> str:
        return self.slug

    @property
    def full(self) -> bool:
        return self.capacity is not None and self.places_taken >= self.capacity

    @property
    def places_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.places_taken)


class EventText(models.Model):
    """The title and description of an event in one more language."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), max_length=20_000, blank=True)

    class Meta:
        ordering: ClassVar = ["language"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["event", "language"], name="one_event_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.event_id} in {self.language}"


class EventSecret(models.Model):
    """The shared meeting link and joining details: never shown on a public page."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.OneToOneField(Event, on_delete=models.CASCADE, related_name="secret")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    meeting_url = EncryptedTextField(_("meeting link"), max_length=1000, blank=True)
    joining_details = EncryptedTextField(
        _("joining details"),
        max_length=2000,
        blank=True,
        help_text=_("Meeting ID, passcode, dial-in numbers: sent to registrants only."),
    )

    objects: ClassVar[models.Manager[EventSecret]] = ScopedManager(organisation="organisation")

    def __str__(self) -> str:
        return f"secret of {self.event_id}"


class PartnerRole(models.TextChoices):
    CO_ORGANISER = "co_organiser", _("Co-organiser")
    CO_HOST = "co_host", _("Co-host")
    CO_SPONSOR = "co_sponsor", _("Co-sponsor")
    COOPERATION = "cooperation", _("In cooperation with")


class EventPartner(models.Model):
    """Another organisation of the directory named on the event, and in what role."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="partners")
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    role = models.CharField(_("role"), max_length=20, choices=PartnerRole.choices)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["role", "position", "organisation__name"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["event", "organisation", "role"], name="one_partner_role_per_event"
            )
        ]

    def __str__(self) -> str:
        return f"{self.organisation_id} as {self.role} of {self.event_id}"


class Speaker(models.Model):
    """A public person who speaks, moderates or hosts: their title and organisation."""

    owner = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(_("name"), max_length=200)
    title = models.CharField(_("title or function"), max_length=300, blank=True)
    organisation = models.ForeignKey(
        Organisation,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("organisation in the directory"),
    )
    affiliation = models.CharField(
        _("organisation, if not in the directory"), max_length=200, blank=True
    )

    objects: ClassVar[models.Manager[Speaker]] = ScopedManager(organisation="owner")

    class Meta:
        ordering: ClassVar = ["name"]
        verbose_name = _("speaker")
        verbose_name_plural = _("speakers")

    def __str__(self) -> str:
        return self.name

    @property
    def organisation_name(self) -> str:
        return self.organisation.name if self.organisation is not None else self.affiliation


class SessionKind(models.TextChoices):
    OPENING = "opening", _("Opening")
    KEYNOTE = "keynote", _("Keynote")
    PANEL = "panel", _("Panel")
    ROUND_TABLE = "round_table", _("Round table")
    TALK = "talk", _("Talk")
    WORKSHOP = "workshop", _("Workshop")
    BREAK = "break", _("Break")
    CLOSING = "closing", _("Closing")
    PRESS_CONFERENCE = "press_conference", _("Press conference")
    OTHER = "other", _("Other")


class Session(models.Model):
    """One slot of the programme."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="sessions")
    kind = models.CharField(
        _("type"), max_length=20, choices=SessionKind.choices, default=SessionKind.PANEL
    )
    title = models.CharField(_("title"), max_length=300)
    description = models.TextField(_("description"), max_length=5000, blank=True)
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))
    room = models.CharField(_("room"), max_length=100, blank=True)

    class Meta:
        ordering: ClassVar = ["starts_at", "pk"]
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints: ClassVar = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")), name="session_ends_after_start"
            )
        ]

    def __str__(self) -> str:
        return self.title


class SpeakerRole(models.TextChoices):
    SPEAKER = "speaker", _("Speaker")
    KEYNOTE = "keynote", _("Keynote speaker")
    PANELIST = "panelist", _("Panelist")
    MODERATOR = "moderator", _("Moderator")
    HOST = "host", _("Host")


class SessionSpeaker(models.Model):
    """A speaker in a session, in a role, with the title of their talk."""

    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="speakers")
    speaker = models.ForeignKey(Speaker, on_delete=models.CASCADE, related_name="sessions")
    role = models.CharField(
        _("role"), max_length=20, choices=SpeakerRole.choices, default=SpeakerRole.SPEAKER
    )
    talk_title = models.CharField(_("title of the talk"), max_length=300, blank=True)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["session", "speaker", "role"], name="one_role_per_speaker_and_session"
            )
        ]

    def __str__(self) -> str:
        return f"{self.speaker_id} in {self.session_id}"


def choice_lines(text: str) -> list[str]:
    """Choices written one per line, without blank lines and surrounding spaces."""
    return [line.strip() for line in text.splitlines() if line.strip()]


class QuestionKind(models.TextChoices):
    TEXT = "text", _("Short text")
    LONG_TEXT = "long_text", _("Long text")
    CHOICE = "choice", _("One of a list")
    YES_NO = "yes_no", _("Yes or no")
    LANGUAGE = "language", _("A language of interpretation")


class Question(models.Model):
    """A question the registration form asks, typed, required or not."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    label = models.CharField(_("question"), max_length=200)
    kind = models.CharField(
        _("type of answer"), max_length=20, choices=QuestionKind.choices, default=QuestionKind.TEXT
    )
    required = models.BooleanField(_("required"), default=False)
    help_text = models.CharField(_("help"), max_length=300, blank=True)
    # For "one of a list": the choices, one per line.
    choices = models.TextField(_("choices, one per line"), max_length=5000, blank=True)
    # Shown to door staff next to the registrant (a press card number, say).
    show_at_door = models.BooleanField(_("show to door staff"), default=False)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["position", "pk"]
        verbose_name = _("question")
        verbose_name_plural = _("questions")

    def __str__(self) -> str:
        return self.label

    def choice_list(self) -> list[str]:
        return choice_lines(self.choices)

    def answer_label(self, value: str) -> str:
        """An answer as people read it: Yes or No, a language's name; others as given."""
        if self.kind == QuestionKind.YES_NO and value in ("yes", "no"):
            return str(_("Yes") if value == "yes" else _("No"))
        if self.kind == QuestionKind.LANGUAGE and value:
            return language_name(value)
        return value


class QuestionText(models.Model):
    """A question's wording, help and choices in one more language (as ``EventText``)."""

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="texts")
    language = models.CharField(_("language"), max_length=8)
    label = models.CharField(_("question"), max_length=200)
    help_text = models.CharField(_("help"), max_length=300, blank=True)
    # Line for line the original's choices: answers keep the original's text, so an
    # answer reads the same whatever language it was given in. Empty: the original's.
    choices = models.TextField(_("choices, one per line"), max_length=5000, blank=True)

    class Meta:
        ordering: ClassVar = ["language"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["question", "language"], name="one_question_text_per_language"
            )
        ]

    def __str__(self) -> str:
        return f"{self.question_id} in {self.language}"

    def choice_list(self) -> list[str]:
        return choice_lines(self.choices)


class InvitationCode(models.Model):
    """A code that lets its holders register for an invitation-only event."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="invitation_codes")
    code = models.CharField(_("code"), max_length=40)
    label = models.CharField(_("for whom"), max_length=200, blank=True)
    uses_allowed = models.PositiveIntegerField(_("how many registrations it allows"), default=1)
    uses = models.PositiveIntegerField(default=0)
    revoked_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-created_at"]
        constraints: ClassVar = [
            # In any case: a registrant may type the code in small letters (events migration
            # 0005 put the codes made before in capitals).
            models.UniqueConstraint(
                F("event"), Upper("code"), name="invitation_code_unique_in_any_case"
            ),
            models.CheckConstraint(
                condition=Q(uses__lte=models.F("uses_allowed")), name="invitation_code_not_overused"
            ),
        ]

    def __str__(self) -> str:
        return self.code


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Registered")
    WAITING = "waiting", _("On the waiting list")
    OFFERED = "offered", _("Offered a place")
    CANCELLED = "cancelled", pgettext_lazy("registration status", "Cancelled")
    EXPIRED = "expired", _("Offer expired")


# Statuses that hold a place against the capacity.
HOLDS_PLACE = (RegistrationStatus.CONFIRMED, RegistrationStatus.OFFERED)


class Registration(models.Model):
    """One person's place at an event (a group registration is one row per person)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="registrations")
    # The owner, whose key encrypts the personal data.
    organisation = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    # Rows registered together share the group; the booker's row carries the e-mail, and
    # the booker is told of every row's changes (a place offered to a companion, say).
    group = models.UUIDField(default=uuid.uuid4)
    booker = models.BooleanField(default=True)
    # Name, e-mail and answers sealed together as one JSON value; empty once anonymised.
    personal = EncryptedTextField(_("name, e-mail and answers"), max_length=20_000, blank=True)
    # A keyed digest of the booker's normalised address: one registration per address.
    email_key = models.CharField(max_length=64, blank=True, default="")
    language = models.CharField(max_length=8, default="en")
    status = models.CharField(
        max_length=20, choices=RegistrationStatus.choices, default=RegistrationStatus.CONFIRMED
    )
    invitation = models.ForeignKey(
        InvitationCode, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    # Rotated when the personal link and ticket are revoked: the old ones stop working.
    link_nonce = models.CharField(max_length=32, default="")
    # The SHA-256 of the ticket code: the door finds the ticket without the database
    # holding anything that would let a reader forge one.
    ticket_digest = models.CharField(max_length=64, unique=True, null=True, blank=True)
    link_revoked_at = models.DateTimeField(null=True, blank=True)
    offer_expires_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    cancelled_at = models.DateTimeField(null=True, blank=True)
    # Set once, by one conditional UPDATE: a ticket is never admitted twice.
    checked_in_at = models.DateTimeField(null=True, blank=True)
    checked_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    id_checked = models.BooleanField(default=False)
    # The status the booker was last e-mailed about for this row (their own or a
    # companion's); the notice dispatcher sends whatever differs (a new ticket after a
    # revocation clears it too).
    notified_status = models.CharField(max_length=20, blank=True, default="")
    anonymised_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Registration]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["created_at"]
        indexes: ClassVar = [
            models.Index(fields=["event", "status", "created_at"], name="registration_by_status"),
            models.Index(fields=["group"], name="registration_group"),
            # What the notice dispatcher still has to send.
            models.Index(
                fields=["created_at"],
                condition=~Q(notified_status=F("status")),
                name="registration_notices_to_send",
            ),
        ]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["event", "email_key"],
                condition=~Q(email_key="") & Q(status__in=["confirmed", "waiting", "offered"]),
                name="one_active_registration_per_address",
            )
        ]

    def __str__(self) -> str:
        return f"registration {self.pk} for {self.event_id}"

    def _personal(self) -> dict[str, Any]:
        if not self.personal:
            return {}
        values = json.loads(self.personal)
        return values if isinstance(values, dict) else {}

    def set_personal(self, *, name: str, email: str, answers: dict[str, str]) -> None:
        self.personal = json.dumps({"name": name, "email": email, "answers": answers})

    @property
    def name(self) -> str:
        return str(self._personal().get("name", ""))

    @property
    def email(self) -> str:
        return str(self._personal().get("email", ""))

    @property
    def answers(self) -> dict[str, str]:
        answers = self._personal().get("answers", {})
        return {str(key): str(value) for key, value in answers.items()} if answers else {}

    @property
    def holds_place(self) -> bool:
        return self.status in HOLDS_PLACE


class CheckInResult(models.TextChoices):
    ADMITTED = "admitted", _("Admitted")
    ALREADY = "already", _("Already checked in")
    CANCELLED = "cancelled", _("Registration cancelled")
    NOT_CONFIRMED = "not_confirmed", _("Not confirmed: waiting list or offer")
    UNKNOWN = "unknown", _("Not a ticket for this event")
    ID_REQUIRED = "id_required", _("Check the ID or press card first")


class CheckInAttempt(models.Model):
    """Every scan at the door, admitted or refused, for the live counts and the record."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="check_ins")
    registration = models.ForeignKey(
        Registration, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    result = models.CharField(max_length=20, choices=CheckInResult.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # When the door scanned it: earlier than ``recorded_at`` if it was queued offline.
    scanned_at = models.DateTimeField()
    recorded_at = models.DateTimeField(auto_now_add=True)
    offline = models.BooleanField(default=False)

    class Meta:
        ordering: ClassVar = ["-recorded_at"]

    def __str__(self) -> str:
        return f"{self.result} at {self.event_id}"
