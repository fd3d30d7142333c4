"""Reads for the report pages that are not field-work figures (those are inspections.selectors')."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count, Q

from divisions.models import Division
from inspections.models import Conversion, ConversionTarget
from inspections.seasons import season_bounds


@dataclass(frozen=True)
class ConversionProgress:
    season: str
    target: int | None
    completed: int
    electricity: int
    gas: int
    planned: int

    @property
    def percent(self) -> int | None:
        if not self.target:
            return None
        return min(100, round(100 * self.completed / self.target))


def conversion_progress(*, unit: Division, season: str) -> ConversionProgress:
    """A community's conversions completed in a heating season against its target for that season."""
    target = ConversionTarget.objects.filter(division=unit, season=season).values_list("households", flat=True).first()
    first, last = season_bounds(season)
    in_season = Q(status=Conversion.Status.COMPLETED, completed_on__gte=first, completed_on__lte=last)
    counts = (
        Conversion.objects.current()
        .filter(division_code__startswith=unit.code)
        .aggregate(
            electricity=Count("pk", filter=in_season & Q(kind=Conversion.Kind.ELECTRICITY)),
            gas=Count("pk", filter=in_season & Q(kind=Conversion.Kind.GAS)),
            planned=Count("pk", filter=Q(status=Conversion.Status.PLANNED)),
        )
    )
    return ConversionProgress(season=season, target=target, completed=counts["electricity"] + counts["gas"], **counts)
