"""Distances on the ground, and which monitoring station's priority zone a point lies in.

The station list holds a dozen rows per city, so the zone test is done in Python with the haversine
formula rather than with a spatial database: exact to well under a metre at 1000 m.
"""

from __future__ import annotations

import math
from decimal import Decimal

from django.core.validators import MaxValueValidator, MinValueValidator

from .models import MonitoringStation

EARTH_RADIUS_M = 6_371_008.8
# WGS84 coordinates as phones report them, bounded to China to catch swapped or mistyped values.
LATITUDE_VALIDATORS = [MinValueValidator(3), MaxValueValidator(54)]
LONGITUDE_VALIDATORS = [MinValueValidator(73), MaxValueValidator(136)]


def distance_m(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    """Great-circle distance in metres between two WGS84 points."""
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dp, dl = p2 - p1, math.radians(lon2 - lon1)
    a = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def zone_stations() -> list[MonitoringStation]:
    return list(MonitoringStation.objects.filter(has_priority_zone=True))


def priority_station_for(
    latitude: Decimal | float | None,
    longitude: Decimal | float | None,
    stations: list[MonitoringStation] | None = None,
) -> MonitoringStation | None:
    """The nearest station whose priority zone contains the point, or None."""
    if latitude is None or longitude is None:
        return None
    if stations is None:
        stations = zone_stations()
    best: tuple[float, MonitoringStation] | None = None
    for station in stations:
        d = distance_m(float(latitude), float(longitude), float(station.latitude), float(station.longitude))
        if d <= station.priority_radius_m and (best is None or d < best[0]):
            best = (d, station)
    return best[1] if best else None
