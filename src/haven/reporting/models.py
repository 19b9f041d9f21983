"""Coalition reporting: periods a network asks its members to report on, the members'
submissions and their sent revisions, the privacy budget each member spends, the e-mails
that ask and remind members, the deadline changes, and the figures the coordinator publishes.

A submission belongs to its member (scoped manager): its draft, computed from casework or
typed in, and the number of records left out for want of consent never leave it. What
leaves is a sent ``Revision`` with its ``Figure`` rows (noised first when the period uses
differential privacy); once sent it never changes, and a correction is a new revision.
"""

from __future__ import annotations

import datetime
from decimal import Decimal
from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django_scopes import ScopedManager

from haven.organisations.models import Network, Organisation


class PeriodKind(models.TextChoices):
    MONTH = "month", _("Month")
    QUARTER = "quarter", _("Quarter")
    YEAR = "year", _("Year")


class ReportingPeriod(models.Model):
    """A stretch of time a network's members report on, with its deadline and its rules."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(_("period"), max_length=10, choices=PeriodKind.choices)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    deadline = models.DateField(_("deadline"))
    # Counts below this are withheld (CTDC publishes with 11).
    threshold = models.PositiveSmallIntegerField(_("smallest count shown"), default=10)
    # Differential privacy: what each sending of figures spends (0: no noise), and what a
    # member may spend in all on this period.
    epsilon = models.DecimalField(
        _("privacy loss per sending (ε)"), max_digits=4, decimal_places=2, default=Decimal("1.00")
    )
    budget = models.DecimalField(
        _("privacy budget per member (ε)"), max_digits=4, decimal_places=2, default=Decimal("2.00")
    )
    # The membership categories asked: a member that joins in one of them later is asked too.
    categories = models.JSONField(_("members asked"), default=list)
    # The first reminder, this many days before a member's deadline (0: none that early).
    remind_days_before = models.PositiveSmallIntegerField(
        _("first reminder, days before the deadline"), default=7
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-starts_on", "kind"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["network", "kind", "starts_on"], name="one_period_per_kind_and_start"
            ),
            models.CheckConstraint(
                condition=Q(ends_on__gte=F("starts_on")), name="period_ends_after_it_starts"
            ),
            models.CheckConstraint(
                condition=Q(epsilon__gte=0) & Q(budget__gte=F("epsilon")),
                name="period_budget_covers_one_sending",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} from {self.starts_on}"

    @property
    def label(self) -> str:
        from haven.reporting.periods import label

        return label(self.kind, self.starts_on)

    @property
    def private(self) -> bool:
        """Whether figures of this period are noised before they leave each member."""
        return self.epsilon > 0


class SubmissionStatus(models.TextChoices):
    DUE = "due", _("Due")
    DRAFT = "draft", _("Draft")
    SENT = "sent", _("Sent")


class Source(models.TextChoices):
    COMPUTED = "computed", _("Computed from casework")
    MANUAL = "manual", _("Entered by hand")
    UPLOAD = "upload", _("Uploaded file")


class Submission(models.Model):
    """One member's report for one period: its draft, and its sent revisions."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="submissions"
    )
    status = models.CharField(
        max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.DUE
    )
    source = models.CharField(max_length=10, choices=Source.choices, blank=True)
    # Exact figures by "table|category": the member's own; never shown to the coordinator.
    draft = models.JSONField(default=dict, blank=True)
    # Records the computation left out for want of statistics consent, by kind.
    left_out = models.JSONField(default=dict, blank=True)
    prepared_at = models.DateTimeField(null=True, blank=True)
    prepared_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    # A later deadline for this member alone; the network's deadline applies when it is
    # later or this is empty (see ``due_on``).
    deadline = models.DateField(_("own deadline"), null=True, blank=True)
    # When the member stopped being asked, having left the network before sending; a sent
    # submission is never released, and a member that comes back is asked again.
    released_at = models.DateTimeField(null=True, blank=True)
    # The draft as sent (with its source, left-out counts and who prepared it), kept while
    # a correction is in progress so that cancelling the correction puts it back.
    before_correction = models.JSONField(default=dict, blank=True)

    objects: ClassVar[models.Manager[Submission]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["-period__starts_on"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "period"], name="one_submission_per_member_and_period"
            )
        ]

    def __str__(self) -> str:
        return f"submission of {self.organisation_id} for {self.period_id}"

    @property
    def due_on(self) -> datetime.date:
        """The member's deadline: its own if later than the network's, else the network's."""
        if self.deadline is not None and self.deadline > self.period.deadline:
            return self.deadline
        return self.period.deadline

    @property
    def asked(self) -> bool:
        """Whether the network still asks this member for the report."""
        return self.released_at is None


class Revision(models.Model):
    """Figures as a member sent them; never changed. The newest one is current."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="revisions")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    number = models.PositiveSmallIntegerField()
    is_current = models.BooleanField(default=True)
    source = models.CharField(max_length=10, choices=Source.choices)
    reason = models.TextField(_("reason for the correction"), max_length=2000, blank=True)
    # The privacy loss this sending spent, and the scale of the noise added (0: none).
    epsilon = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(0))
    noise_scale = models.DecimalField(max_digits=8, decimal_places=2, default=Decimal(0))
    sent_at = models.DateTimeField()
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # When the network's coordinators were e-mailed about this sending (claimed by the
    # worker that e-mails them; empty again if that failed, for the hourly run to retry).
    coordinators_told_at = models.DateTimeField(null=True, blank=True)

    objects: ClassVar[models.Manager[Revision]] = ScopedManager(organisation="organisation")

    class Meta:
        ordering: ClassVar = ["submission", "-number"]
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["submission", "number"], name="revision_numbers_are_unique"
            ),
            models.UniqueConstraint(
                fields=["submission"],
                condition=Q(is_current=True),
                name="one_current_revision_per_submission",
            ),
        ]
        indexes: ClassVar = [models.Index(fields=["period", "is_current"])]

    def __str__(self) -> str:
        return f"revision {self.number} of {self.submission_id}"


class Figure(models.Model):
    """One cell of a sent revision."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    revision = models.ForeignKey(Revision, on_delete=models.CASCADE, related_name="figures")
    table = models.CharField(max_length=40)
    category = models.CharField(max_length=60)
    value = models.DecimalField(max_digits=16, decimal_places=2)

    objects: ClassVar[models.Manager[Figure]] = ScopedManager(organisation="organisation")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["revision", "table", "category"], name="one_figure_per_cell"
            )
        ]

    def __str__(self) -> str:
        return f"{self.table}|{self.category}={self.value}"


class PrivacyBudget(models.Model):
    """How much privacy loss a member has spent on a period; never more than its total."""

    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    total = models.DecimalField(max_digits=4, decimal_places=2)
    spent = models.DecimalField(max_digits=4, decimal_places=2, default=Decimal(0))

    objects: ClassVar[models.Manager[PrivacyBudget]] = ScopedManager(organisation="organisation")

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["organisation", "period"], name="one_budget_per_member_and_period"
            ),
            # The last line of defence: the database itself refuses an overspent budget.
            models.CheckConstraint(
                condition=Q(spent__gte=0) & Q(spent__lte=F("total")),
                name="budget_never_overspent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.spent}/{self.total} of {self.organisation_id} on {self.period_id}"

    @property
    def left(self) -> Decimal:
        return self.total - self.spent

    def covers(self, epsilon: Decimal) -> bool:
        """Whether one more sending that spends ``epsilon`` fits in the budget."""
        return self.spent + epsilon <= self.total


class DeadlineChange(models.Model):
    """A coordinator's change of a period's deadline, for every member or for one."""

    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="deadline_changes"
    )
    # Empty: the network's deadline, for every member without a later one of its own.
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    previous = models.DateField(_("previous deadline"))
    deadline = models.DateField(_("new deadline"))
    reason = models.TextField(_("reason"), max_length=500, blank=True)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering: ClassVar = ["-changed_at", "-pk"]

    def __str__(self) -> str:
        return f"deadline of {self.period_id}: {self.previous} -> {self.deadline}"

    @property
    def extended(self) -> bool:
        return self.deadline > self.previous


class NoticeKind(models.TextChoices):
    ASKED = "asked", _("Asked for the report")
    BEFORE = "before", _("Reminder before the deadline")
    DUE = "due", _("Reminder on the day of the deadline")
    LATE = "late", _("Reminder after the deadline")
    MANUAL = "manual", _("Reminder from the coordinator")
    DEADLINE = "deadline", _("Deadline changed")


# Notices that remind of a deadline; they are dropped when the figures are sent meanwhile.
REMINDERS = (NoticeKind.BEFORE, NoticeKind.DUE, NoticeKind.LATE, NoticeKind.MANUAL)


class Notice(models.Model):
    """An e-mail to the people of a member who send its reports, about one report.

    ``key`` names the occasion ("due:2026-10-30", "deadline:17", "manual:…"): one notice
    per submission and key, so each reminder is sent once however often the run repeats
    and however many workers run it. ``sent_at`` is set when a worker claims it.
    """

    submission = models.ForeignKey(Submission, on_delete=models.CASCADE, related_name="notices")
    organisation = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(ReportingPeriod, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=NoticeKind.choices)
    key = models.CharField(max_length=80)
    # The member's deadline the e-mail speaks of.
    deadline = models.DateField()
    change = models.ForeignKey(
        DeadlineChange, on_delete=models.CASCADE, null=True, blank=True, related_name="+"
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    # The coordinator's note with a reminder sent by hand.
    note = models.TextField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    # How many people it went to: 0 when it was dropped (figures sent meanwhile, member gone)
    # or nobody holds the permission to send reports.
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        ordering: ClassVar = ["-created_at", "-pk"]
        constraints: ClassVar = [
            models.UniqueConstraint(fields=["submission", "key"], name="one_notice_per_occasion")
        ]
        indexes: ClassVar = [
            models.Index(
                fields=["created_at"], condition=Q(sent_at__isnull=True), name="notice_unsent"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} notice of {self.submission_id}"


class PublicationStatus(models.TextChoices):
    GENERATING = "generating", _("Being generated")
    PUBLISHED = "published", _("Published")
    WITHDRAWN = "withdrawn", _("Withdrawn")
    # A later publication of the same period took its place.
    SUPERSEDED = "superseded", _("Replaced by a later publication")
    FAILED = "failed", _("Failed")


class Publication(models.Model):
    """The figures of one period the coordinator publishes, after disclosure control."""

    network = models.ForeignKey(Network, on_delete=models.CASCADE, related_name="+")
    period = models.ForeignKey(
        ReportingPeriod, on_delete=models.CASCADE, related_name="publications"
    )
    status = models.CharField(
        max_length=12, choices=PublicationStatus.choices, default=PublicationStatus.GENERATING
    )
    # Percent done while generating, for the progress bar.
    progress = models.PositiveSmallIntegerField(default=0)
    tables = models.JSONField(default=list)
    note = models.TextField(_("note shown with the figures"), max_length=2000, blank=True)
    # The headline's parts: members reporting, their countries, persons (lower bound).
    members = models.PositiveIntegerField(default=0)
    countries = models.PositiveIntegerField(default=0)
    persons = models.PositiveIntegerField(default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, related_name="+"
    )
    requested_at = models.DateTimeField(auto_now_add=True)
    published_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering: ClassVar = ["-period__starts_on", "-requested_at"]
        indexes: ClassVar = [models.Index(fields=["network", "status"])]

    def __str__(self) -> str:
        return f"publication {self.pk} of {self.period_id}"


class PublishedFigure(models.Model):
    """One published cell: a network total (``column`` empty) or one country's figure."""

    publication = models.ForeignKey(Publication, on_delete=models.CASCADE, related_name="figures")
    table = models.CharField(max_length=40)
    # Empty: the table's total.
    category = models.CharField(max_length=60, blank=True)
    # Empty: the whole network; else an ISO 3166 country code.
    column = models.CharField(max_length=2, blank=True)
    # None when suppressed.
    value = models.DecimalField(max_digits=16, decimal_places=2, null=True)
    # Half-width of the 95% interval of the noise, when the figure is noised.
    accuracy = models.DecimalField(max_digits=12, decimal_places=2, null=True)

    class Meta:
        constraints: ClassVar = [
            models.UniqueConstraint(
                fields=["publication", "table", "category", "column"],
                name="one_published_figure_per_cell",
            )
        ]

    def __str__(self) -> str:
        return f"{self.table}|{self.category}|{self.column}={self.value}"
