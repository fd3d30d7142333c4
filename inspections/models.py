"""Field work: visits to households, what they took away, purchases, bans, conversions and publicity.

Every record keeps a copy of its unit's division code (`division_code`) so that jurisdiction and
subtree counts are one indexed prefix condition, like the household register. Records are never
deleted: `voided_at` / `void_reason` take them out of every count and list.
"""

from decimal import Decimal

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey, GenericRelation
from django.contrib.contenttypes.models import ContentType
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from divisions.geo import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS
from divisions.models import Division
from divisions.scoping import ScopedQuerySet, codes_q, view_codes
from households.models import NOTES_MAX_LENGTH, Household


class FieldQuerySet(ScopedQuerySet):
    scope_field = "division_code"

    def current(self):
        return self.filter(voided_at__isnull=True)


class NightOperationQuerySet(FieldQuerySet):
    """An operation is seen by the organising unit's subtree and by every unit it covers.

    A district-led 零点夜查 covering 五里堡 is visible in 五里堡, so its inspectors can attach their visits.
    """

    def visible_to(self, user):
        codes = view_codes(user)
        if codes is None:
            return self.all()
        covering = Q()
        for code in codes:
            prefixes = [code[:n] for n in range(1, len(code) + 1)]
            covering |= Q(covered__code__startswith=code) | Q(covered__code__in=prefixes)
        if not codes:
            return self.none()
        return self.filter(
            codes_q(codes, self.scope_field) | Q(pk__in=NightOperation.objects.filter(covering).values("pk"))
        )


class Voidable(models.Model):
    """Who recorded a row, and whether (and why) it was voided."""

    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("recorded by"), on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True)
    void_reason = models.TextField(_("reason for voiding"), blank=True)

    class Meta:
        abstract = True

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class Department(models.Model):
    """A department that takes part in joint enforcement (联合执法): 工商所, 行政执法局, 城管 …"""

    name = models.CharField(_("name"), max_length=50, unique=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        ordering = ["name"]
        verbose_name = _("department")
        verbose_name_plural = _("departments")

    def __str__(self) -> str:
        return self.name


class Photo(models.Model):
    """A photo attached to a visit, a ban or a publicity activity; checked, re-encoded and oriented.

    Files are stored under server-generated names and served only through a view that applies the
    record's jurisdiction (`division_code`), never as public media.
    """

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT)
    object_id = models.PositiveBigIntegerField()
    subject = GenericForeignKey("content_type", "object_id")
    division_code = models.CharField(max_length=20, db_index=True)
    image = models.ImageField(_("photo"), upload_to="photos/%Y/%m/")
    thumbnail = models.ImageField(upload_to="photos/%Y/%m/thumbs/")
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    taken_latitude = models.DecimalField(max_digits=9, decimal_places=6, null=True, blank=True)
    taken_longitude = models.DecimalField(max_digits=10, decimal_places=6, null=True, blank=True)
    # When the phone says the photo was taken (EXIF DateTimeOriginal); the file itself keeps no metadata.
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        indexes = [models.Index(fields=["content_type", "object_id"], name="photo_subject")]

    def __str__(self) -> str:
        return f"photo {self.pk}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:photo", args=[self.pk])

    @property
    def thumbnail_url(self) -> str:
        return reverse("inspections:photo-thumbnail", args=[self.pk])


class NightOperation(Voidable):
    """A planned night-check operation (夜查行动): a date, a leader, a team and the units it covers."""

    division = models.ForeignKey(
        Division, verbose_name=_("organising unit"), on_delete=models.PROTECT, related_name="night_operations"
    )
    division_code = models.CharField(max_length=20, db_index=True, editable=False)
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=100)
    leader = models.CharField(_("led by"), max_length=100, help_text=_("e.g. 区委书记、区长"))
    team = models.ManyToManyField(settings.AUTH_USER_MODEL, verbose_name=_("team"), blank=True, related_name="+")
    covered = models.ManyToManyField(Division, verbose_name=_("units covered"), related_name="+")
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = NightOperationQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("night-check operation")
        verbose_name_plural = _("night-check operations")

    def __str__(self) -> str:
        return f"{self.date:%Y-%m-%d} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:operation-detail", args=[self.pk])


class Inspection(Voidable):
    """A visit to a household (排查 / 夜查 / 回头看 / 督导抽查 / 联合执法) and what was found."""

    class Kind(models.TextChoices):
        SURVEY = "survey", _("Survey")
        NIGHT_CHECK = "night_check", _("Night check")
        RECHECK = "recheck", _("Re-check")
        SPOT_CHECK = "spot_check", _("Supervision spot check")
        JOINT_ENFORCEMENT = "joint_enforcement", _("Joint enforcement")

    class Outcome(models.TextChoices):
        NO_COAL = "no_coal", _("No coal")
        LOOSE_COAL = "loose_coal", _("Loose coal found")
        STOVE_IN_USE = "stove_in_use", _("Stove in use")
        REFUSED = "refused", _("Refused entry")
        NOBODY_HOME = "nobody_home", _("Nobody home")

    # Outcomes that mean coal was found at the place.
    FOUND = (Outcome.LOOSE_COAL, Outcome.STOVE_IN_USE)

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="inspections"
    )
    division_code = models.CharField(max_length=20, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    started_at = models.DateTimeField(_("time of visit"))
    is_night = models.BooleanField(_("at night"), default=False, editable=False)
    in_priority_zone = models.BooleanField(_("in a priority zone"), default=False, editable=False)
    outcome = models.CharField(_("outcome"), max_length=20, choices=Outcome.choices)
    operation = models.ForeignKey(
        NightOperation,
        verbose_name=_("night-check operation"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="inspections",
    )
    inspectors = models.ManyToManyField(
        settings.AUTH_USER_MODEL, verbose_name=_("inspectors"), blank=True, related_name="+"
    )
    leaders = models.CharField(_("accompanying leaders"), max_length=200, blank=True)
    departments = models.ManyToManyField(Department, verbose_name=_("departments"), blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    # Where the phone was, WGS84; bounded to China like the register's coordinates.
    latitude = models.DecimalField(
        _("latitude"),
        max_digits=9,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LATITUDE_VALIDATORS,
    )
    longitude = models.DecimalField(
        _("longitude"),
        max_digits=10,
        decimal_places=6,
        null=True,
        blank=True,
        validators=LONGITUDE_VALIDATORS,
    )
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    photos = GenericRelation(Photo)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["-started_at", "-id"]
        verbose_name = _("inspection")
        verbose_name_plural = _("inspections")
        indexes = [
            # Lists and counts: a unit's subtree over a period.
            models.Index(
                fields=["division_code", "started_at"],
                name="inspection_scope_time",
                opclasses=["varchar_pattern_ops", "timestamptz_ops"],
            ),
            models.Index(fields=["household", "started_at"], name="inspection_household_time"),
            # District-wide questions about a day or a week: the period selects, the prefix only filters.
            models.Index(fields=["started_at"], name="inspection_time"),
        ]

    def __str__(self) -> str:
        # Local time: read back from the database the moment is in UTC, and the audit log named a voided visit
        # eight hours off from the same visit's other entries.
        return f"{self.get_kind_display()} {self.household} {timezone.localtime(self.started_at):%Y-%m-%d %H:%M}"

    def get_absolute_url(self) -> str:
        return reverse("inspections:detail", args=[self.pk])

    @property
    def found_coal(self) -> bool:
        return self.outcome in self.FOUND


class Seizure(models.Model):
    """Something a visit took away: recovered, confiscated or destroyed (回收 / 没收 / 销毁)."""

    class Item(models.TextChoices):
        LOOSE_COAL = "loose_coal", _("Loose coal (kg)")
        BRIQUETTE = "briquette", _("Briquettes / honeycomb coal (pieces)")
        STOVE = "stove", _("Stoves")
        CHARCOAL = "charcoal", _("Charcoal (boxes)")
        OTHER = "other", _("Other")

    class Method(models.TextChoices):
        VOLUNTARY = "voluntary", _("Handed over voluntarily")
        CONFISCATED = "confiscated", _("Confiscated")
        DESTROYED = "destroyed", _("Destroyed")

    inspection = models.ForeignKey(Inspection, on_delete=models.PROTECT, related_name="seizures")
    division_code = models.CharField(max_length=20, editable=False)
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    method = models.CharField(_("how"), max_length=20, choices=Method.choices)
    description = models.CharField(_("description"), max_length=200, blank=True)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["id"]
        verbose_name = _("seizure")
        verbose_name_plural = _("seizures")

    def __str__(self) -> str:
        return f"{self.get_item_display()} {self.quantity}"


class Purchase(Voidable):
    """Coal bought from a vulnerable household above the market price (以高于市场的价格出资购买)."""

    class Item(models.TextChoices):
        LOOSE_COAL = "loose_coal", _("Loose coal (kg)")
        BRIQUETTE = "briquette", _("Briquettes / honeycomb coal (pieces)")

    household = models.ForeignKey(Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    purchased_on = models.DateField(_("date"))
    item = models.CharField(_("item"), max_length=20, choices=Item.choices)
    quantity = models.DecimalField(
        _("quantity"), max_digits=12, decimal_places=2, validators=[MinValueValidator(Decimal("0.01"))]
    )
    unit_price = models.DecimalField(
        _("price paid per unit (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    market_price = models.DecimalField(
        _("market price that day (yuan)"), max_digits=10, decimal_places=2, validators=[MinValueValidator(0)]
    )
    amount = models.DecimalField(_("amount paid (yuan)"), max_digits=12, decimal_places=2, editable=False)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["-purchased_on", "-id"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")

    def __str__(self) -> str:
        return f"{self.household} {self.get_item_display()} {self.quantity}"


class Ban(Voidable):
    """An unlicensed coal sale point shut, a storage point cleared, a mobile food stall moved on (取缔)."""

    class Kind(models.TextChoices):
        SALE_POINT = "sale_point", _("Unlicensed coal sale point shut")
        STORAGE_POINT = "storage_point", _("Coal storage point cleared")
        FOOD_STALL = "food_stall", _("Mobile food stall moved on")

    household = models.ForeignKey(Household, verbose_name=_("place"), on_delete=models.PROTECT, related_name="bans")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    banned_at = models.DateTimeField(_("when"))
    officers = models.CharField(_("by whom"), max_length=200, blank=True)
    departments = models.ManyToManyField(Department, verbose_name=_("departments"), blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    rebound_at = models.DateTimeField(
        _("found trading again"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("Set when a later visit finds coal at the place: a rebound (反弹)."),
    )
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    photos = GenericRelation(Photo)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["-banned_at", "-id"]
        verbose_name = _("ban")
        verbose_name_plural = _("bans")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.household}"


class Conversion(Voidable):
    """A household's clean-heating conversion: coal-to-electricity or coal-to-gas, planned or completed."""

    class Kind(models.TextChoices):
        ELECTRICITY = "electricity", _("Coal-to-electricity")
        GAS = "gas", _("Coal-to-gas")

    class Status(models.TextChoices):
        PLANNED = "planned", _("Planned")
        COMPLETED = "completed", _("Completed")

    household = models.ForeignKey(
        Household, verbose_name=_("household"), on_delete=models.PROTECT, related_name="conversions"
    )
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    status = models.CharField(_("status"), max_length=20, choices=Status.choices, default=Status.PLANNED)
    completed_on = models.DateField(_("completed on"), null=True, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("conversion")
        verbose_name_plural = _("conversions")
        constraints = [
            models.UniqueConstraint(
                fields=["household"], condition=models.Q(voided_at__isnull=True), name="conversion_one_per_household"
            ),
            models.CheckConstraint(
                condition=models.Q(status="planned") | models.Q(completed_on__isnull=False),
                name="conversion_completed_has_date",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.household} {self.get_kind_display()} {self.get_status_display()}"


class ConversionTarget(models.Model):
    """How many households a community is to convert in a heating season (optional)."""

    division = models.ForeignKey(Division, verbose_name=_("community"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    season = models.CharField(_("heating season"), max_length=9, help_text=_("e.g. 2016-2017"))
    households = models.PositiveIntegerField(_("households to convert"))

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["division_code", "-season"]
        verbose_name = _("conversion target")
        verbose_name_plural = _("conversion targets")
        constraints = [models.UniqueConstraint(fields=["division", "season"], name="conversion_target_unique")]

    def __str__(self) -> str:
        return f"{self.division} {self.season}: {self.households}"


class Publicity(Voidable):
    """Publicity work (宣传) by a unit on a day: banners, LED screens, vehicles, notices, visits, posts."""

    class Kind(models.TextChoices):
        BANNER = "banner", _("Banners")
        LED_SCREEN = "led_screen", _("LED screens")
        VEHICLE = "vehicle", _("Propaganda vehicles")
        NOTICE = "notice", _("Posted notices")
        BOARD = "board", _("Bulletin boards")
        LEAFLET = "leaflet", _("Leaflets")
        DOOR_TO_DOOR = "door_to_door", _("Door-to-door visits")
        WECHAT = "wechat", _("WeChat posts")
        SMS = "sms", _("SMS messages")
        WEB = "web", _("Web posts")

    division = models.ForeignKey(Division, verbose_name=_("unit"), on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=20, editable=False, db_index=True)
    date = models.DateField(_("date"))
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices)
    # At most a district's every household and more, on one day: a count beyond is a slip of the keyboard, and
    # would swamp the bulletin's totals.
    count = models.PositiveIntegerField(_("count"), validators=[MinValueValidator(1), MaxValueValidator(1_000_000)])
    place = models.CharField(_("where"), max_length=200, blank=True)
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    photos = GenericRelation(Photo)

    objects = FieldQuerySet.as_manager()

    class Meta:
        ordering = ["-date", "-id"]
        verbose_name = _("publicity")
        verbose_name_plural = _("publicity")

    def __str__(self) -> str:
        return f"{self.division} {self.date} {self.get_kind_display()} ×{self.count}"


class Rollup(models.Model):
    """What one community's current visits add up to over a period (inspections.rollups keeps it).

    `code` is the community's code: the first 12 digits of the visits' division codes, so a grid's visits
    fold into its community. Distinct-household counts are distinct within the row's period only.
    """

    code = models.CharField(max_length=20)
    inspections = models.PositiveIntegerField(default=0)
    night_checks = models.PositiveIntegerField(default=0)
    priority_zone_checks = models.PositiveIntegerField(default=0)
    households_checked = models.PositiveIntegerField(default=0)
    households_with_coal_found = models.PositiveIntegerField(default=0)
    households_recovered = models.PositiveIntegerField(default=0)
    briquettes_pieces = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    loose_coal_kg = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    stoves = models.DecimalField(max_digits=16, decimal_places=2, default=0)
    charcoal_boxes = models.DecimalField(max_digits=16, decimal_places=2, default=0)

    class Meta:
        abstract = True


class DailyRollup(Rollup):
    """A community's day (local date). The `first_*` columns count the households whose first visit (first
    finding, first recovery) in the community fell on the day: their sum up to a date is the number of
    distinct households checked by then, which per-day distinct counts cannot give. `week_first_checked`
    counts the households whose first visit of the week in the community fell on the day: its sum from
    Monday to a day is the households checked that week so far (the digest's)."""

    day = models.DateField()
    first_checked = models.IntegerField(default=0)
    first_found = models.IntegerField(default=0)
    first_recovered = models.IntegerField(default=0)
    week_first_checked = models.IntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "day"], name="dailyrollup_code_day")]
        indexes = [models.Index(fields=["day"], name="dailyrollup_day")]

    def __str__(self) -> str:
        return f"{self.code} {self.day}"


class WeeklyRollup(Rollup):
    """A community's week, Monday to Sunday (local dates): the weekly ranking's distinct households."""

    week = models.DateField(help_text="The Monday.")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["code", "week"], name="weeklyrollup_code_week")]
        indexes = [models.Index(fields=["week"], name="weeklyrollup_week")]

    def __str__(self) -> str:
        return f"{self.code} {self.week}"
