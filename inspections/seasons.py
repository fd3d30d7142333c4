"""Heating seasons (采暖季), the period conversion targets are set for: July to June, named "2016-2017"."""

import datetime
import re

from django.utils import timezone

SEASON = re.compile(r"^(\d{4})-(\d{4})$")


def heating_season(day: datetime.date | None = None) -> str:
    """The season a day belongs to; the heating itself runs from mid-November to mid-March."""
    day = day or timezone.localdate()
    first = day.year if day.month >= 7 else day.year - 1
    return f"{first}-{first + 1}"


def is_season(text: str) -> bool:
    match = SEASON.match(text)
    return bool(match) and int(match[2]) == int(match[1]) + 1


def season_bounds(season: str) -> tuple[datetime.date, datetime.date]:
    """The first and last day (inclusive) of a season."""
    first = int(season[:4])
    return datetime.date(first, 7, 1), datetime.date(first + 1, 6, 30)
