"""Cases (问题 / 整改): problems to fix by a deadline, checked again so they do not come back, and the
accountability that follows when they are not fixed.

A case belongs to its responsible unit (a subdistrict or a community); `division_code` copies that
unit's code, so jurisdiction works as everywhere else. Its lifecycle is recorded as CaseEvents, the
timeline a case page shows.
"""

from django.conf import settings
from django.contrib.contenttypes.fields import GenericRelation
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from divisions.models import Division
from divisions.scoping import ScopedQuerySet, codes_q, view_codes
from households.models import Household
from inspections.models import Inspection, Photo


def actor_name(user) -> str:
    """A user's display name, or "system" for steps the periodic tasks take (actor is None)."""
    if user is None:
        return str(_("system"))
    return user.first_name or user.username


class CaseQuerySet(ScopedQuerySet):
    scope_field = "division_code"

    def current(self):
        return self.filter(voided_at__isnull=True)

    def counted(self):
        """Cases that count: not voided and not duplicates of another case."""
        return self.current().filter(duplicate_of__isnull=True)

    def unfinished(self):
        return self.exclude(status=Case.Status.CLOSED)

    def overdue(self, on=None):
        """Past their deadline on `on` (default today) with the work not done: not closed, and not reported
        rectified (a case awaiting verification waits on the unit above, not on the responsible unit).
        The one definition of overdue that lists, figures, digests and work lists use."""
        on = on or timezone.localdate()
        return self.unfinished().exclude(status=Case.Status.RECTIFIED).filter(deadline__lt=on)


class NoticeQuerySet(CaseQuerySet):
    def visible_to(self, user):
        """Notices to the user's units, and notices that list a problem (a case) the user may see: a unit can
        open the notice its own case came from. Which of its problems the user sees is still cut by the cases'
        own jurisdiction (the notice page and the API list only the visible ones)."""
        codes = view_codes(user)
        if codes is None:
            return self.all()
        own_case = Case.objects.filter(codes_q(codes, "division_code"), notice=models.OuterRef("pk"))
        return self.filter(codes_q(codes, "division_code") | models.Q(models.Exists(own_case)))


class SupervisionNotice(models.Model):
    """A supervision notice (督导通报) from the province, the city, the district or a supervision group."""

    class Level(models.TextChoices):
        PROVINCE = "province", _("Province")
        CITY = "city", _("City")
        DISTRICT = "district", _("District")
        SUPERVISION_GROUP = "supervision_group", _("Supervision group")

    division = models.ForeignKey(Division, verbose_name=_("receiving unit"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, db_index=True, editable=False)
    number = models.CharField(_("number"), max_length=60)
    issued_on = models.DateField(_("issued on"))
    level = models.CharField(_("issued by"), max_length=20, choices=Level.choices)
    title = models.CharField(_("title"), max_length=200)
    text = models.TextField(_("text"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)
    voided_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        ordering = ["-issued_on", "-id"]
        verbose_name = _("supervision notice")
        verbose_name_plural = _("supervision notices")
        constraints = [models.UniqueConstraint(fields=["division", "number"], name="notice_number_unique")]

    def __str__(self) -> str:
        return f"{self.number} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:notice-detail", args=[self.pk])


class Case(models.Model):
    """A problem a unit must fix by a deadline (问题 / 整改)."""

    class Source(models.TextChoices):
        NOTICE = "notice", _("Supervision notice")
        NIGHT_CHECK = "night_check", _("Night-check finding")
        TIP_OFF = "tip_off", _("Public tip-off")
        SPOT_CHECK = "spot_check", _("Supervision spot check")

    class Severity(models.TextChoices):
        SERIOUS = "serious", _("Serious")
        NORMAL = "normal", _("Normal")
        MINOR = "minor", _("Minor")

    class Status(models.TextChoices):
        OPEN = "open", _("Open")
        RECTIFYING = "rectifying", _("Being rectified")
        RECTIFIED = "rectified", _("Rectified, awaiting verification")
        CLOSED = "closed", _("Verified and closed")

    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    notice = models.ForeignKey(
        SupervisionNotice,
        verbose_name=_("supervision notice"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="cases",
    )
    inspection = models.ForeignKey(
        Inspection, verbose_name=_("finding visit"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    household = models.ForeignKey(
        Household, verbose_name=_("place"), null=True, blank=True, on_delete=models.PROTECT, related_name="cases"
    )
    responsible_unit = models.ForeignKey(
        Division, verbose_name=_("responsible unit"), on_delete=models.PROTECT, related_name="cases"
    )
    division_code = models.CharField(max_length=20, editable=False)
    title = models.CharField(_("problem"), max_length=200)
    description = models.TextField(_("details"), blank=True)
    severity = models.CharField(_("severity"), max_length=10, choices=Severity.choices, default=Severity.NORMAL)
    deadline = models.DateField(_("deadline"))
    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.OPEN)
    reminded_for = models.DateField(
        null=True, blank=True, editable=False, help_text="The deadline a reminder was last sent for."
    )
    overdue_since = models.DateField(_("overdue since"), null=True, blank=True, editable=False)
    escalated_to = models.ForeignKey(
        Division,
        verbose_name=_("escalated to"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    # The escalated unit's own deadline: still overdue after it, the case goes one level further up.
    escalation_due = models.DateField(_("escalated deadline"), null=True, blank=True, editable=False)
    duplicate_of = models.ForeignKey(
        "self",
        verbose_name=_("duplicate of"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="duplicates",
        editable=False,
    )
    reporter_name = models.CharField(_("reporter"), max_length=50, blank=True)
    reporter_contact = models.CharField(_("reporter's contact (kept private)"), max_length=50, blank=True)
    rebounds = models.PositiveIntegerField(_("rebounds"), default=0, editable=False)
    accountability_flagged = models.BooleanField(_("flagged for accountability"), default=False, editable=False)
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("opened at"), default=timezone.now)
    # The form's own key: the same form sent twice (back, then send again) opens one case (cases.services).
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True, editable=False)
    voided_at = models.DateTimeField(null=True, blank=True, editable=False)
    void_reason = models.TextField(blank=True, editable=False)
    # The rectification notice (整改通知书) is issued when the case is opened: its number in the issuing unit's
    # series for the year and its date are written then, once, and every print and download shows them.
    notice_issuer = models.ForeignKey(
        Division,
        verbose_name=_("notice issued by"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    notice_year = models.PositiveSmallIntegerField(_("notice year"), null=True, blank=True, editable=False)
    notice_serial = models.PositiveIntegerField(_("notice number"), null=True, blank=True, editable=False)
    notice_issued_on = models.DateField(_("notice issued on"), null=True, blank=True, editable=False)
    # The deadline the notice demanded when it was issued: a served notice prints as served, whatever deadline
    # the case was given later (the follow-up sheet shows the current one).
    notice_deadline = models.DateField(_("deadline at issue"), null=True, blank=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["deadline", "id"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        constraints = [
            # One number series per issuing unit and year: a number is never given to two notices.
            models.UniqueConstraint(
                fields=["notice_issuer", "notice_year", "notice_serial"], name="case_notice_number_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["division_code", "status", "deadline"],
                name="case_scope_status_deadline",
                opclasses=["varchar_pattern_ops", "varchar_ops", "date_ops"],
            ),
            # The periodic task's question: unfinished cases by deadline.
            models.Index(fields=["deadline"], name="case_unfinished_deadline", condition=~models.Q(status="closed")),
        ]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("cases:detail", args=[self.pk])

    @property
    def is_overdue(self) -> bool:
        """As CaseQuerySet.overdue: past the deadline, neither closed nor awaiting verification (nor voided)."""
        return (
            self.voided_at is None
            and self.status in (self.Status.OPEN, self.Status.RECTIFYING)
            and self.deadline < timezone.localdate()
        )

    @property
    def status_display(self) -> str:
        """The state pages show: a voided case is voided, whatever step it had reached when it was voided."""
        return str(_("Voided")) if self.voided_at is not None else self.get_status_display()


class NoticeSeries(models.Model):
    """The last rectification-notice number an issuing unit gave in a year. Allocating a number locks this row,
    so two cases opened at the same moment get consecutive numbers, never the same one."""

    issuer = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField()
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("notice number series")
        verbose_name_plural = _("notice number series")
        constraints = [models.UniqueConstraint(fields=["issuer", "year"], name="notice_series_once_per_year")]

    def __str__(self) -> str:
        return f"{self.issuer_id} {self.year}: {self.last_number}"


class CaseEvent(models.Model):
    """One step in a case's life: who did what, when, why, with what evidence. Append-only."""

    class Action(models.TextChoices):
        OPENED = "opened", _("opened")
        STARTED = "started", _("rectification started")
        RECTIFIED = "rectified", _("reported rectified")
        RETURNED = "returned", _("returned for more work")
        CLOSED = "closed", _("verified and closed")
        REOPENED = "reopened", _("reopened: coal found again")
        REMINDED = "reminded", _("reminded of the deadline")
        OVERDUE = "overdue", _("overdue")
        ESCALATED = "escalated", _("escalated")
        DEADLINE = "deadline", _("deadline changed")
        DUPLICATE = "duplicate", _("linked as duplicate")
        STANDALONE = "standalone", _("no longer a duplicate")
        RECHECKED = "rechecked", _("re-checked")
        UNDONE = "undone", _("undone: the visit was voided")
        VOIDED = "voided", _("voided")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="events")
    division_code = models.CharField(max_length=20, editable=False)
    at = models.DateTimeField(default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    action = models.CharField(max_length=12, choices=Action.choices)
    from_status = models.CharField(max_length=12, blank=True)
    to_status = models.CharField(max_length=12, blank=True)
    note = models.TextField(blank=True)
    # The visit behind a re-check or a reopening, so that voiding the visit can undo the step.
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # A deadline change's old and new deadline, so that the record says what the deadline became.
    old_deadline = models.DateField(null=True, blank=True)
    new_deadline = models.DateField(null=True, blank=True)
    photos = GenericRelation(Photo)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")

    def __str__(self) -> str:
        return f"{self.case_id} {self.action} {self.at:%Y-%m-%d %H:%M}"

    @property
    def actor_name(self) -> str:
        """Who took the step, as pages and documents show it; the morning task's steps have no user."""
        return actor_name(self.actor)


def undone_reopenings() -> models.QuerySet:
    """The keys of reopenings undone since (their visit was voided and the case closed again: services.visit_voided
    records that as an UNDONE step from OPEN naming the same visit): no rebound any more, in no figure."""
    undone = CaseEvent.objects.filter(
        case=models.OuterRef("case"),
        inspection=models.OuterRef("inspection"),
        action=CaseEvent.Action.UNDONE,
        from_status=Case.Status.OPEN,
    )
    return CaseEvent.objects.filter(models.Exists(undone), action=CaseEvent.Action.REOPENED).values("pk")


class Recheck(models.Model):
    """A 回头看 re-check scheduled after a case closed, and the visit that did it."""

    class Status(models.TextChoices):
        SCHEDULED = "scheduled", _("Scheduled")
        DONE = "done", _("Done")
        CANCELLED = "cancelled", _("Cancelled")

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="rechecks")
    division_code = models.CharField(max_length=20, editable=False)
    due_on = models.DateField(_("due on"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.SCHEDULED)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["due_on", "id"]
        verbose_name = _("re-check")
        verbose_name_plural = _("re-checks")
        constraints = [models.UniqueConstraint(fields=["case", "due_on"], name="recheck_once_per_day")]

    def __str__(self) -> str:
        return f"{self.case} {self.due_on}"


class AccountabilityQuerySet(CaseQuerySet):
    def confirmed(self):
        """Measures in force: recorded by a person, or proposed by the morning task and confirmed."""
        return self.filter(status=Accountability.Status.CONFIRMED)

    def proposed(self):
        return self.filter(status=Accountability.Status.PROPOSED)


class Accountability(models.Model):
    """A measure of the three-level accountability mechanism (区、镇办、社区三级督导问责).

    People record measures directly; the morning task proposes them (repeated overdue cases, rebounds) for the
    district office to confirm or dismiss with a reason.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", _("Proposed, awaiting the district's decision")
        CONFIRMED = "confirmed", _("Confirmed")
        DISMISSED = "dismissed", _("Dismissed")

    class Kind(models.TextChoices):
        PRAISE = "praise", _("Praise notice")
        CRITICISM = "criticism", _("Criticism notice")
        INTERVIEW = "interview", _("Interview")
        OTHER = "other", _("Other measure")

    class Level(models.TextChoices):
        DISTRICT = "district", _("District")
        SUBDISTRICT = "subdistrict", _("Subdistrict")
        COMMUNITY = "community", _("Community")

    kind = models.CharField(_("measure"), max_length=12, choices=Kind.choices)
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    unit = models.ForeignKey(Division, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    person = models.CharField(_("person held responsible"), max_length=100, blank=True)
    reason = models.TextField(_("reason"))
    decided_on = models.DateField(_("date"))
    cases = models.ManyToManyField(Case, verbose_name=_("cases"), blank=True, related_name="accountability")
    # None: proposed by the morning task.
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.CONFIRMED)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", editable=False
    )
    decision_note = models.TextField(_("reason for the decision"), blank=True, editable=False)

    objects = AccountabilityQuerySet.as_manager()

    class Meta:
        ordering = ["-decided_on", "-id"]
        verbose_name = _("accountability measure")
        verbose_name_plural = _("accountability measures")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.unit} {self.decided_on}"


class Notification(models.Model):
    """A message to a unit's members on their work list: a deadline is near, passed, escalated, rebounded."""

    class Kind(models.TextChoices):
        REMINDER = "reminder", _("Deadline tomorrow")
        OVERDUE = "overdue", _("Overdue")
        ESCALATED = "escalated", _("Escalated to your unit")
        REBOUND = "rebound", _("Coal found again")
        RECHECK = "recheck", _("Re-check due")

    division = models.ForeignKey(Division, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="notifications")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # What makes the notification unique (kind, case, unit and the deadline or day it is about), so that the
    # periodic task can run any number of times and notify once.
    key = models.CharField(max_length=120, unique=True, editable=False)

    objects = CaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.case}"
