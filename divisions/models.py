"""The administrative hierarchy, the national monitoring stations and who belongs where."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coalgov.wording import with_note

from .scoping import Role, ScopedQuerySet

__all__ = ["Division", "Level", "Membership", "MonitoringStation", "Role"]


class Level(models.TextChoices):
    PROVINCE = "province", _("Province")
    CITY = "city", _("City")
    DISTRICT = "district", _("District")
    SUBDISTRICT = "subdistrict", _("Subdistrict")
    COMMUNITY = "community", _("Community")
    GRID = "grid", _("Grid")


# 410103006001: a community's code; a grid's code extends its community's, so its records fold into it.
COMMUNITY_CODE_LENGTH = 12


def community_code(code: str) -> str:
    """The community a division code belongs to (a subdistrict's or district's own code stays as it is)."""
    return code[:COMMUNITY_CODE_LENGTH]


LEVEL_ORDER = [Level.PROVINCE, Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY, Level.GRID]


class DivisionQuerySet(ScopedQuerySet):
    scope_field = "code"


class Division(models.Model):
    """An administrative unit: 区, 街道/镇, 社区/村, or a 网格 below a community.

    `code` is the national statistical division code (6 / 9 / 12 digits for district / subdistrict /
    community). Every unit's code starts with its parent's code, so a whole subtree is one prefix
    condition on `code` — the basis of jurisdiction scoping. Grids, which have no national code, get
    their community's code plus a suffix.
    """

    code = models.CharField(_("code"), max_length=20, unique=True)
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    parent = models.ForeignKey(
        "self", verbose_name=_("parent"), null=True, blank=True, on_delete=models.PROTECT, related_name="children"
    )
    is_active = models.BooleanField(_("active"), default=True)

    objects = DivisionQuerySet.as_manager()

    class Meta:
        ordering = ["code"]
        verbose_name = _("division")
        verbose_name_plural = _("divisions")
        indexes = [models.Index(fields=["level", "code"], name="division_level_code")]

    def __str__(self) -> str:
        return self.name

    def is_within(self, other: "Division") -> bool:
        """True if this unit is `other` or lies below it."""
        return self.code.startswith(other.code)

    def ancestors(self) -> models.QuerySet["Division"]:
        """The units above this one, top first (by code prefix, in one query)."""
        prefixes = [self.code[:n] for n in range(1, len(self.code))]
        return Division.objects.filter(code__in=prefixes).order_by("code")

    @property
    def full_name(self) -> str:
        return "".join(d.name for d in self.ancestors() if d.level not in (Level.PROVINCE, Level.CITY)) + self.name


class MonitoringStation(models.Model):
    """A national air-quality monitoring station (国控点); households near it form its priority zone."""

    code = models.CharField(_("code"), max_length=16, unique=True)
    name = models.CharField(_("name"), max_length=100)
    city = models.CharField(_("city"), max_length=50, blank=True)
    longitude = models.DecimalField(_("longitude"), max_digits=10, decimal_places=6)
    latitude = models.DecimalField(_("latitude"), max_digits=10, decimal_places=6)
    is_background = models.BooleanField(
        _("background station"), default=False, help_text=_("A reference (对照) station away from the city.")
    )
    has_priority_zone = models.BooleanField(_("has a priority zone"), default=True)
    priority_radius_m = models.PositiveIntegerField(
        _("priority zone radius (m)"), default=settings.PRIORITY_ZONE_DEFAULT_RADIUS_M
    )

    class Meta:
        ordering = ["code"]
        verbose_name = _("monitoring station")
        verbose_name_plural = _("monitoring stations")

    def __str__(self) -> str:
        return with_note(self.name, self.code)


class MembershipQuerySet(ScopedQuerySet):
    scope_field = "division__code"

    def active(self):
        return self.filter(is_active=True, user__is_active=True)


class Membership(models.Model):
    """A user's place in the hierarchy: they see `division`'s subtree and enter what `role` allows there."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), on_delete=models.CASCADE, related_name="memberships"
    )
    division = models.ForeignKey(
        Division, verbose_name=_("division"), on_delete=models.PROTECT, related_name="memberships"
    )
    role = models.CharField(_("role"), max_length=32, choices=Role.choices)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    objects = MembershipQuerySet.as_manager()

    class Meta:
        ordering = ["division__code", "role"]
        verbose_name = _("membership")
        verbose_name_plural = _("memberships")
        constraints = [
            models.UniqueConstraint(
                fields=["user", "division", "role"],
                condition=models.Q(is_active=True),
                name="membership_unique_active",
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.division} · {self.get_role_display()}"
