"""The household register: every place that may burn coal."""

import re
import unicodedata

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator
from django.db import models
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from divisions.geo import LATITUDE_VALIDATORS, LONGITUDE_VALIDATORS
from divisions.models import Division, MonitoringStation
from divisions.scoping import ScopedQuerySet

# Notes on a household or a record of field work: a paragraph, not a document. Unbounded, one pasted by mistake
# would fill a ledger's cell past the 32,767 characters a spreadsheet cell holds.
NOTES_MAX_LENGTH = 2000


class Kind(models.TextChoices):
    RESIDENCE = "residence", _("Residence")
    STREET_SHOP = "street_shop", _("Street shop")
    BATHHOUSE = "bathhouse", _("Bathhouse")
    RESTAURANT = "restaurant", _("Restaurant")
    FOOD_STALL = "food_stall", _("Mobile food stall")
    COAL_SALE_POINT = "coal_sale_point", _("Coal sale point")
    STORAGE_POINT = "storage_point", _("Coal storage point")


class Heating(models.TextChoices):
    UNKNOWN = "unknown", _("Unknown")
    COAL = "coal", _("Coal")
    ELECTRIC = "electric", _("Electric")
    GAS = "gas", _("Gas")
    CENTRAL = "central", _("Central heating")
    OTHER = "other", _("Other")
    NONE = "none", _("None")


phone_validator = RegexValidator(
    r"^(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})$",
    _("Enter an 11-digit mobile number or a landline number such as 0371-66668888."),
)
MOBILE = re.compile(r"(?:\+86|0086)?-?(1[3-9]\d{9})")
# A landline as offices write it: (0371)66668888, 0371-6666 8888, +86-371-66669999 (the area code without its 0).
LANDLINE = re.compile(r"(?:(?:\+86|0086)-?\(?0?|\(?0)(\d{2,3})\)?-?(\d{7,8})")
SPACING = re.compile(r"[\s\u00a0\u3000]+")


def phone_normalized(text: str) -> str:
    """A number as people write it in a form or a spreadsheet, as the register keeps it: full-width characters
    (１３８…, （0371）) read as plain ones, spaces dropped; a mobile number without its dashes or +86/0086
    (13800001111); a landline as 0371-66668888, its area code's brackets and +86 taken off. Anything else is left
    as it was typed, for the check to refuse quoting what the clerk will find in the cell."""
    compact = SPACING.sub("", unicodedata.normalize("NFKC", text))
    if mobile := MOBILE.fullmatch(compact.replace("-", "")):
        return mobile[1]
    if phone_validator.regex.fullmatch(compact):
        return compact  # 037166668888: where the area code ends is not for us to guess (010 or 0106?)
    if landline := LANDLINE.fullmatch(compact):
        return f"0{landline[1]}-{landline[2]}"
    return text.strip()


class CoalStatus(models.TextChoices):
    NEVER = "never", _("Never found")
    FOUND = "found", _("Found, not yet cleared")
    CLEARED = "cleared", _("Cleared")


class HouseholdQuerySet(ScopedQuerySet):
    scope_field = "division_code"

    def current(self) -> "HouseholdQuerySet":
        """Households not voided."""
        return self.filter(voided_at__isnull=True)


class Household(models.Model):
    """A place that may burn coal: a home, a shop, a bathhouse, a stall, a coal sale or storage point.

    `division` is the community (or grid) it belongs to; `division_code` copies that unit's code so
    jurisdiction and subtree filters are one indexed prefix condition, without a join.
    `in_priority_zone` and `priority_station` are computed from the location by the service.
    """

    # Not indexed on its own: household_address (division, estate, …) serves every look-up by division (migration
    # 0012; an index less for every registration to write).
    division = models.ForeignKey(
        Division,
        verbose_name=_("community / grid"),
        on_delete=models.PROTECT,
        related_name="households",
        db_index=False,
    )
    # Indexed for its order (a unit's ledger); its prefix and equality conditions read household_unit_newest, so the
    # varchar_pattern_ops twin Django makes beside a CharField's index on PostgreSQL is dropped (migration 0012).
    division_code = models.CharField(max_length=20, db_index=True, editable=False)
    kind = models.CharField(_("kind"), max_length=20, choices=Kind.choices, default=Kind.RESIDENCE)
    estate = models.CharField(_("estate / compound"), max_length=100, blank=True)
    building = models.CharField(_("building"), max_length=20, blank=True)
    unit = models.CharField(_("stairwell"), max_length=20, blank=True)
    room = models.CharField(_("room"), max_length=20, blank=True)
    address = models.CharField(
        _("street address"), max_length=200, blank=True, help_text=_("For shops, stalls and places without a room.")
    )
    head_name = models.CharField(_("head of household / operator"), max_length=50, blank=True)
    phone = models.CharField(_("phone"), max_length=20, blank=True, validators=[phone_validator])
    unmanaged = models.BooleanField(_("no property management (无主管)"), default=False)
    no_gas_or_heating = models.BooleanField(_("neither gas nor central heating (无双气)"), default=False)
    elderly_alone = models.BooleanField(_("elderly living alone"), default=False)
    low_income = models.BooleanField(_("low-income household"), default=False)
    disabled = models.BooleanField(_("disabled resident"), default=False)
    heating = models.CharField(_("heating"), max_length=16, choices=Heating.choices, default=Heating.UNKNOWN)
    # WGS84, as phones report it. Bounds are China's, to catch swapped or mistyped coordinates.
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
    in_priority_zone = models.BooleanField(_("in a priority zone"), default=False, editable=False)
    priority_station = models.ForeignKey(
        MonitoringStation,
        verbose_name=_("priority-zone station"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        editable=False,
        related_name="households",
    )
    notes = models.TextField(_("notes"), blank=True, max_length=NOTES_MAX_LENGTH)
    # Derived from the visits by inspections.services.household_visit_marks_refresh; never edited.
    coal_status = models.CharField(
        _("coal status"), max_length=10, choices=CoalStatus.choices, default=CoalStatus.NEVER, editable=False
    )
    coal_status_at = models.DateTimeField(
        _("coal status since"),
        null=True,
        blank=True,
        editable=False,
        help_text=_("The visit that found coal, or the clean check that cleared it."),
    )
    # When a current visit last saw inside (neither refused nor nobody home); None: never. Kept by the visit
    # services as coal_status is (inspections.services.household_visit_marks_refresh), so the night-check
    # planner's "not visited lately" and its rest days are a column condition instead of a scan of the visits.
    last_seen_at = models.DateTimeField(_("last seen inside"), null=True, blank=True, editable=False)
    client_uuid = models.UUIDField(null=True, blank=True, unique=True, editable=False)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    # Not indexed: nothing looks households up by who registered them (a user is deactivated, never deleted).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        editable=False,
        db_index=False,
    )
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # The import that registered it: that import's one audit entry (households.imports), which the household's
    # history shows as its registration (who, when, which file). Households registered otherwise, and by imports
    # before there was one entry per import, have their own "created" entry instead. Neither indexed nor
    # constrained: nothing looks households up by their import, and the audit log is append-only (its entries are
    # never deleted), so a constraint would only check every row of a 300,000-row import once more.
    import_event = models.ForeignKey(
        "coalgov.AuditEvent",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        editable=False,
        related_name="+",
        db_index=False,
        db_constraint=False,
    )
    voided_at = models.DateTimeField(_("voided at"), null=True, blank=True, editable=False)
    void_reason = models.TextField(_("reason for voiding"), blank=True, editable=False)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        ordering = ["-id"]
        verbose_name = _("household")
        verbose_name_plural = _("households")
        indexes = [
            # The register as a phone walks it: community → building → unit → room.
            models.Index(fields=["division", "estate", "building", "unit", "room"], name="household_address"),
            models.Index(
                fields=["priority_station"],
                name="household_priority_station",
                condition=models.Q(in_priority_zone=True),
            ),
            # The dashboard's "coal found, not yet cleared": counted (in and out of the priority zones) from
            # the index alone, and the latest ones for the map, however many households are registered.
            models.Index(
                fields=["division_code", "in_priority_zone"],
                name="household_found_scope",
                condition=models.Q(coal_status="found", voided_at__isnull=True),
                opclasses=["varchar_pattern_ops", "bool_ops"],
            ),
            # The register's search matches a full phone number exactly (for those who see numbers); with
            # the trigram indexes of migration 0004 the whole search is index-driven (docs/households.md).
            models.Index(fields=["phone"], name="household_phone"),
            models.Index(
                fields=["coal_status_at"],
                name="household_found_latest",
                condition=models.Q(coal_status="found", voided_at__isnull=True),
            ),
            # The weekly ranking's register as it stood at a week's end: today's counts less the households
            # registered or voided since (reports.ranking.households_registered), a few rows for a recent week.
            models.Index(fields=["created_at"], name="household_created_at"),
            models.Index(fields=["voided_at"], name="household_voided_at", condition=models.Q(voided_at__isnull=False)),
            # The register list of one community (or subdistrict), newest first: its capped count and its pages
            # read this index (voided_at included, so the count of current households needs no table visit)
            # instead of filtering the whole register walked backwards by id. Not partial: a partial index
            # over every current household would tempt the planner away from the search's trigram indexes.
            models.Index(
                fields=["division_code", "id"],
                name="household_unit_newest",
                opclasses=["varchar_pattern_ops", "int8_ops"],
                include=["voided_at"],
            ),
            # The night-check planner's places without a rare reason, by score class in each unit: every column
            # their score and its conditions read (counted per class from the index alone), each class's places
            # in the plan's address order (a class's first places read without sorting). A unit's register
            # search would rather read its trigram indexes than this wide one (tests/households).
            models.Index(
                fields=[
                    "division_code",
                    "in_priority_zone",
                    "kind",
                    "unmanaged",
                    "no_gas_or_heating",
                    "estate",
                    "building",
                    "unit",
                    "room",
                    "address",
                    "id",
                ],
                name="household_plan_class",
                opclasses=[
                    "varchar_pattern_ops",
                    "bool_ops",
                    "varchar_ops",
                    "bool_ops",
                    "bool_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "int8_ops",
                ],
                include=["priority_station", "last_seen_at", "coal_status", "voided_at"],
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("households:detail", args=[self.pk])

    def clean(self) -> None:
        errors = {}
        if (self.latitude is None) != (self.longitude is None):
            errors["longitude"] = _("Give both latitude and longitude, or neither.")
        if not (self.estate.strip() or self.address.strip()):
            errors["estate"] = _("Give the estate / compound or the street address.")
        if errors:
            raise ValidationError(errors)

    LABEL_FIELDS = ("pk", "estate", "building", "unit", "room", "address")

    @property
    def label(self) -> str:
        """The address as people write it: 小区 3号楼2单元501, or the street address for a shop."""
        return self.label_of(*(getattr(self, name) for name in self.LABEL_FIELDS))

    @staticmethod
    def label_of(pk, estate: str, building: str, unit: str, room: str, address: str) -> str:
        """`label` from the fields alone, for rows read with values_list (the dashboard's map, the ledgers);
        with no pk, an empty address is an empty label."""
        parts = [estate]
        if building:
            parts.append(f"{building}号楼" if building.isdigit() else building)
        if unit:
            parts.append(f"{unit}单元" if unit.isdigit() else unit)
        if room:
            parts.append(room)
        text = "".join(parts) or address
        return text or (f"#{pk}" if pk is not None else "")

    @property
    def is_vulnerable(self) -> bool:
        return self.elderly_alone or self.low_income or self.disabled

    @property
    def is_voided(self) -> bool:
        return self.voided_at is not None


class RegisterCount(models.Model):
    """How many current households a community has (a grid's count in its community's): the denominator of
    the ranking's coverage, kept by households.services so the ranking never counts a million rows."""

    code = models.CharField(max_length=20, unique=True)
    households = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.code}: {self.households}"


class HouseholdImportQuerySet(models.QuerySet):
    def visible_to(self, user) -> "HouseholdImportQuerySet":
        """An import is seen only by the user who sent it: anyone else gets 404 for every page of it."""
        if user is None or not user.is_authenticated:
            return self.none()
        return self.filter(requested_by=user)

    def pending(self) -> "HouseholdImportQuerySet":
        return self.filter(status__in=[HouseholdImport.Status.QUEUED, HouseholdImport.Status.RUNNING])


class HouseholdImport(models.Model):
    """A spreadsheet too large for one request, checked and imported in the background (households.jobs).

    The uploaded file is stored under MEDIA_ROOT/imports/ with a random name (never served) and removed when
    the import is finished, or by beat after HOUSEHOLD_IMPORT_KEEP_HOURS. `attempts` counts claims: a worker
    writes progress and the result only while its claim is the latest, and the result is committed in the same
    transaction as the households, so a task run twice imports once.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("Queued")
        RUNNING = "running", _("Being imported")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("requested by"), on_delete=models.PROTECT, related_name="+"
    )
    name = models.CharField(_("file"), max_length=200)
    file = models.FileField(upload_to="imports/", max_length=200, blank=True, editable=False)
    size = models.PositiveBigIntegerField(_("file size"), default=0, editable=False)
    dry_run = models.BooleanField(_("only checked"), default=False)
    # 只检查 ticked: a file that edits households is previewed as any is, but never offered for applying.
    check_only = models.BooleanField(_("only checked on request"), default=False, editable=False)
    language = models.CharField(max_length=10, default="zh-hans", editable=False)
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.QUEUED)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_checked = models.PositiveIntegerField(_("rows checked"), default=0)
    rows_written = models.PositiveIntegerField(_("rows written"), default=0)
    created = models.PositiveIntegerField(_("households registered"), default=0)
    skipped = models.PositiveIntegerField(_("already registered"), default=0)
    error_count = models.PositiveIntegerField(_("wrong rows"), default=0)
    errors = models.JSONField(_("errors"), default=list, blank=True)
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveIntegerField(default=0, editable=False)
    claimed_until = models.DateTimeField(null=True, blank=True, editable=False)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = HouseholdImportQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("household import")
        verbose_name_plural = _("household imports")
        indexes = [models.Index(fields=["requested_by", "-created_at"], name="household_import_mine")]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("households:import-job", args=[self.pk])

    @property
    def is_pending(self) -> bool:
        return self.status in (self.Status.QUEUED, self.Status.RUNNING)

    @property
    def rows(self) -> int:
        """The rows checked: the check report reads an import's result and the page's alike."""
        return self.rows_checked

    @property
    def percent(self) -> int:
        """Checking is the first half of the work, writing the second (a check only: all of it)."""
        if self.status == self.Status.DONE:
            return 100
        if not self.rows_total:
            return 0
        if self.dry_run:
            return min(100, 100 * self.rows_checked // self.rows_total)
        return min(100, 50 * (self.rows_checked + self.rows_written) // self.rows_total)
