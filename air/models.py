"""Hourly readings of the national monitoring stations (国控点), and the imports that brought them.

Readings are public facts, like the stations: every signed-in user may see them (docs/jurisdiction.md). What
lies beside them on a station's page (the night checks and findings in its priority zone) stays scoped.
"""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from divisions.models import MonitoringStation

# Concentrations in µg/m³ and the AQI: the national files give whole numbers; a feed may give a decimal.
MEASURE = {"max_digits": 7, "decimal_places": 1, "null": True, "blank": True}


class Reading(models.Model):
    """One station's hour: the mean of the hour *ending* at `hour_ending` (hour 16 = 15:00–16:00 Asia/Shanghai,
    as the national files count it). A blank in the source stays NULL (missing), never zero."""

    # No index of its own: the unique (station, hour_ending) index serves every look-up by station, and a second
    # index only slowed a year's import (each row written into both).
    station = models.ForeignKey(
        MonitoringStation,
        verbose_name=_("monitoring station"),
        on_delete=models.PROTECT,
        related_name="readings",
        db_index=False,
    )
    hour_ending = models.DateTimeField(_("hour ending"))
    pm25 = models.DecimalField("PM2.5", **MEASURE)
    pm10 = models.DecimalField("PM10", **MEASURE)
    aqi = models.DecimalField("AQI", **MEASURE)
    imported_at = models.DateTimeField(_("imported at"), auto_now=True)

    class Meta:
        ordering = ["station", "hour_ending"]
        verbose_name = _("reading")
        verbose_name_plural = _("readings")
        constraints = [
            # The key of the bulk upsert (INSERT … ON CONFLICT), and the index every chart and mean reads by.
            models.UniqueConstraint(fields=["station", "hour_ending"], name="air_reading_station_hour"),
        ]

    def __str__(self) -> str:
        return f"{self.station.code} {timezone.localtime(self.hour_ending):%Y-%m-%d %H:%M}"


class ReadingImport(models.Model):
    """One import of station files (upload, command or scheduled pull): what it brought, for the audit log."""

    class Source(models.TextChoices):
        UPLOAD = "upload", _("Upload")
        COMMAND = "command", _("Command")
        SCHEDULE = "schedule", _("Scheduled pull")

    at = models.DateTimeField(_("time"), auto_now_add=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("user"), null=True, blank=True, on_delete=models.PROTECT
    )
    source = models.CharField(_("source"), max_length=20, choices=Source.choices)
    names = models.CharField(_("files"), max_length=500)
    first_hour = models.DateTimeField(_("first hour"), null=True)
    last_hour = models.DateTimeField(_("last hour"), null=True)
    created = models.PositiveIntegerField(_("hours added"))
    changed = models.PositiveIntegerField(_("hours changed"))
    unchanged = models.PositiveIntegerField(_("hours unchanged"))
    unknown_stations = models.JSONField(_("unknown station codes"), default=list, blank=True)

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("readings import")
        verbose_name_plural = _("readings imports")

    def __str__(self) -> str:
        return f"{self.names} ({timezone.localtime(self.at):%Y-%m-%d %H:%M})"
