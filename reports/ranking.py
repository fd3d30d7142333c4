"""The weekly ranking (周排名): the scorecard of every community of a district for a week, its scores and
ranks, the weights behind them, and publishing (freezing) a week. docs/ranking.md explains the rules.

- `community_inputs(district=..., week_start=...)`: the raw counts per community, in a fixed number of
  queries whatever the number of communities (each query groups by community code).
- `compute(...)`: indicator values, min–max normalisation, weighted score, ranks, pure Python.
- `ranking_for(district=..., week_start=...)`: a published week from its frozen rows, otherwise computed.
- `ranking_publish(...)`, `weights_set(...)`: the writes, for district administrators.
"""

from __future__ import annotations

import datetime
from collections import Counter
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from functools import cached_property
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.db.models.functions import Substr
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from cases.models import Case, CaseEvent, undone_reopenings
from coalgov.audit import audit_record, weights_changed
from coalgov.dates import EARLIEST
from divisions.models import Division, Level
from divisions.scoping import can_enter, grants, is_unrestricted
from households.models import Household, RegisterCount
from inspections.models import Ban, Conversion, ConversionTarget
from inspections.rollups import week_monday
from inspections.seasons import heating_season, season_bounds
from inspections.selectors import COMMUNITY_CODE_LENGTH, local_bounds, visits_by_unit

from .models import RankingRow, RankingWeek, WeightVersion


@dataclass(frozen=True)
class Indicator:
    key: str
    label: str
    higher_is_better: bool
    unit: str = ""
    is_count: bool = False  # a number of cases: a whole number wherever it is shown; the others are rates

    def format(self, value: float | None) -> str:
        """The value as the page and the downloads write it: a count whole, a rate with two decimals, — for
        none."""
        if value is None:
            return NONE
        return str(round(value)) if self.is_count else str(two_places(value))

    def cell(self, value: float | None) -> int | float | None:
        """The value for a spreadsheet cell: a count as an int, a rate rounded to two decimals."""
        if value is None:
            return None
        return round(value) if self.is_count else float(two_places(value))


NONE = "—"  # no value: no denominator, or a community without data


def two_places(value: float) -> Decimal:
    """A score or rate to two decimals, half up from its shortest decimal form (65.625 → 65.63), as Django's
    floatformat writes it on the page. The page, every download and the bulletin round through here: Python's
    binary rounding wrote 65.62 in the .docx beside 65.63 on the page."""
    return Decimal(repr(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)


def printed_mean(scores: list[float]) -> float:
    """The mean of scores as the bulletin prints them (two_places), so that a reader who averages a subdistrict's
    printed scores gets the mean printed beside them: the mean of the unrounded scores could differ from it in
    the last place (65.625 and 70.004 are printed 65.63 and 70.00; their own mean 67.8145 printed 67.81, the
    printed scores' 67.815 is 67.82)."""
    return float(sum(two_places(score) for score in scores) / len(scores))


INDICATORS = [
    Indicator("coverage", gettext_lazy("Survey coverage"), True, "%"),
    Indicator("night_checks", gettext_lazy("Night checks per 100 households"), True),
    Indicator("problems", gettext_lazy("Problems found by supervision"), False, is_count=True),
    Indicator("on_time", gettext_lazy("On-time rectification rate"), True, "%"),
    Indicator("rebounds", gettext_lazy("Rebounds"), False, is_count=True),
    Indicator("overdue", gettext_lazy("Overdue cases at the week's end"), False, is_count=True),
    Indicator("conversion", gettext_lazy("Conversion progress"), True, "%"),
]
KEYS = [i.key for i in INDICATORS]

# Sum to 1, so a score runs from 0 to 100. docs/ranking.md says why each weighs what it does.
DEFAULT_WEIGHTS = {
    "coverage": 0.25,
    "night_checks": 0.15,
    "problems": 0.15,
    "on_time": 0.15,
    "rebounds": 0.10,
    "overdue": 0.10,
    "conversion": 0.10,
}

# Chinese column names of the downloads (an official document's format, like the case documents).
HEADERS_ZH = {
    "coverage": "排查覆盖率(%)",
    "night_checks": "每百户夜查次数",
    "problems": "督导发现问题数",
    "on_time": "按期整改率(%)",
    "rebounds": "反弹数",
    "overdue": "周末逾期问题数",
    "conversion": "双替代完成率(%)",
}

NEUTRAL = 50.0  # the normalised value when all communities are equal, or the indicator has no denominator
SCORE_DIGITS = 6  # scores equal to this many decimals are a tie


def praise_count() -> int:
    return getattr(settings, "RANKING_PRAISE_COUNT", 3)


def default_week(today: datetime.date | None = None) -> datetime.date:
    """The last complete week: the Monday before this week's Monday."""
    return week_monday(today or timezone.localdate()) - datetime.timedelta(days=7)


def week_in_range(week_start: datetime.date, today: datetime.date | None = None) -> bool:
    """Whether a week may be shown at all: from the campaign's earliest date (coalgov.dates) to this week.
    Year 1 or 9999 is a slip (and would overflow on the way to UTC), a week to come has no records."""
    return week_monday(EARLIEST) <= week_start <= week_monday(today or timezone.localdate())


# --- Inputs: a fixed number of grouped queries ------------------------------------------------------


def _community(qs, field: str = "division_code"):
    """Group a queryset by the community code its division code starts with (a grid's folds into it)."""
    return qs.annotate(community=Substr(field, 1, COMMUNITY_CODE_LENGTH)).values("community").order_by()


def _counts(qs, **aggregates) -> dict[str, dict]:
    return {row.pop("community"): row for row in qs.annotate(**aggregates)}


class Community(NamedTuple):
    """A community as the ranking needs it: plain values, not a Division and its parent (176 of each)."""

    code: str
    name: str
    subdistrict_code: str
    subdistrict_name: str


def communities_of(district: Division) -> list[Community]:
    return [
        Community(code, name, parent_code or "", parent_name or "")
        for code, name, parent_code, parent_name in Division.objects.filter(
            level=Level.COMMUNITY, is_active=True, code__startswith=district.code
        )
        .order_by("code")
        .values_list("code", "name", "parent__code", "parent__name")
    ]


def community_inputs(*, district: Division, week_start: datetime.date, communities=None) -> dict[str, dict]:
    """{community code: raw counts} for the week Monday–Sunday (Asia/Shanghai)."""
    communities = communities if communities is not None else communities_of(district)
    week_end = week_start + datetime.timedelta(days=6)
    lower, upper = local_bounds(week_start, week_end)
    prefix = Q(division_code__startswith=district.code)
    season = heating_season(week_end)
    season_first, _season_last = season_bounds(season)

    households = households_registered(district=district, by=upper)
    visits = visits_by_unit(codes=[district.code], start=week_start, end=week_end)
    cases = Case.objects.counted().filter(prefix)
    problems = _counts(
        _community(
            cases.filter(
                source__in=[Case.Source.NOTICE, Case.Source.SPOT_CHECK], opened_at__gte=lower, opened_at__lt=upper
            )
        ),
        n=Count("pk"),
    )
    overdue = _counts(_community(cases.overdue(week_end + datetime.timedelta(days=1))), n=Count("pk"))
    rebounds = _counts(
        _community(
            CaseEvent.objects.filter(
                prefix,
                action=CaseEvent.Action.REOPENED,
                at__gte=lower,
                at__lt=upper,
                case__voided_at__isnull=True,
                case__duplicate_of__isnull=True,
            ).exclude(pk__in=undone_reopenings())
        ),
        n=Count("pk"),
    )
    # Cases due in the week, and when each was first reported rectified.
    due = list(
        cases.filter(deadline__gte=week_start, deadline__lte=week_end).values_list("pk", "division_code", "deadline")
    )
    first_rectified: dict[int, datetime.datetime] = {}
    for case_id, at in (
        CaseEvent.objects.filter(case_id__in=[pk for pk, _c, _d in due], action=CaseEvent.Action.RECTIFIED)
        .order_by("at")
        .values_list("case_id", "at")
    ):
        first_rectified.setdefault(case_id, at)
    due_counts: dict[str, list[int]] = {}
    for pk, code, deadline in due:
        counts = due_counts.setdefault(code[:COMMUNITY_CODE_LENGTH], [0, 0])
        counts[0] += 1
        at = first_rectified.get(pk)
        if at is not None and timezone.localtime(at).date() <= deadline:
            counts[1] += 1
    converted = _counts(
        _community(
            Conversion.objects.current().filter(
                prefix,
                status=Conversion.Status.COMPLETED,
                completed_on__gte=season_first,
                completed_on__lte=week_end,
            )
        ),
        n=Count("pk"),
    )
    targets = dict(ConversionTarget.objects.filter(prefix, season=season).values_list("division_code", "households"))
    # Places shut by a ban still standing at the week's end are not households to survey; bans made in the week
    # are work recorded in it (docs/ranking.md, "No data").
    bans = _counts(
        _community(Ban.objects.filter(prefix)),
        shut=Count("household", distinct=True, filter=standing_bans(upper)),
        made=Count("pk", filter=Q(voided_at__isnull=True, banned_at__gte=lower, banned_at__lt=upper)),
    )

    result = {}
    for community in communities:
        code = community.code
        result[code] = {
            "households": households.get(code, 0),
            "shut_places": bans.get(code, {}).get("shut", 0),
            "bans": bans.get(code, {}).get("made", 0),
            "visited": visits.get(code, {}).get("households_checked", 0),
            "night_checks": visits.get(code, {}).get("night_checks", 0),
            "problems": problems.get(code, {}).get("n", 0),
            "due": due_counts.get(code, [0, 0])[0],
            "rectified_on_time": due_counts.get(code, [0, 0])[1],
            "rebounds": rebounds.get(code, {}).get("n", 0),
            "overdue": overdue.get(code, {}).get("n", 0),
            "converted": converted.get(code, {}).get("n", 0),
            "target": targets.get(code),
            "season": season,
        }
    return result


def standing_bans(upper: datetime.datetime) -> Q:
    """Bans (of Ban) still standing at `upper`: made before it, not voided, the place not found trading again
    by then and registered (and not voided) then. Such a place is shut: not a household to survey."""
    return (
        Q(voided_at__isnull=True, banned_at__lt=upper, household__created_at__lt=upper)
        & (Q(household__voided_at__isnull=True) | Q(household__voided_at__gte=upper))
        & (Q(rebound_at__isnull=True) | Q(rebound_at__gte=upper))
    )


def shut_places(code: str, upper: datetime.datetime) -> dict[str, int]:
    """{community code: places under `code` shut by a ban standing at `upper`}."""
    shut = _counts(
        _community(Ban.objects.filter(standing_bans(upper), division_code__startswith=code)),
        n=Count("household", distinct=True),
    )
    return {community: row["n"] for community, row in shut.items()}


# Below this many households registered by a week's end, they are counted directly; above it, from the current
# per-community counts less what changed since (see households_registered).
REGISTER_PROBE = 5_000


def _by_community(qs, **aggregates) -> dict[str, dict]:
    return _counts(_community(qs), **aggregates)


def households_registered(*, district: Division, by: datetime.datetime) -> dict[str, int]:
    """{community code: households registered before `by` (the end of a week) and not voided by then}.

    The register as it stood at the week's end, not as it stands today: a household imported with a later
    登记日期 (its created_at) or registered today does not count in an earlier week, one voided since still
    does. Counting a district's register takes a second at city scale, so for a week with many households
    registered by its end this starts from `RegisterCount` (today's count, docs/rollups.md) and takes away
    what changed since the week's end: households registered after it and still current, less those registered
    before it and voided since. Both are found through the indexes on created_at and voided_at and are few for
    the recent weeks the ranking is asked for. A week with few households registered by then (the start of the
    campaign, 1990) is counted directly. A household that moved since counts in its community of today, as in
    the rollups."""
    register = Household.objects.filter(division_code__startswith=district.code)
    before = register.filter(created_at__lt=by)
    as_then = Q(voided_at__isnull=True) | Q(voided_at__gte=by)
    if before.order_by()[:REGISTER_PROBE].count() < REGISTER_PROBE:
        return {code: row["n"] for code, row in _by_community(before.filter(as_then), n=Count("pk")).items()}
    today = dict(RegisterCount.objects.filter(code__startswith=district.code).values_list("code", "households"))
    changed = _by_community(
        register.filter(Q(created_at__gte=by, voided_at__isnull=True) | Q(created_at__lt=by, voided_at__gte=by)),
        added=Count("pk", filter=Q(created_at__gte=by)),
        voided=Count("pk", filter=Q(created_at__lt=by)),
    )
    counts = {}
    for code in set(today) | set(changed):
        delta = changed.get(code, {"added": 0, "voided": 0})
        # Never below 0: a registration committing between the two statements can skew a live count by one.
        counts[code] = max(0, today.get(code, 0) - delta["added"] + delta["voided"])
    return counts


def households_to_survey(inputs: dict) -> int:
    """The households registered, less the places shut by a ban (weeks published before bans were counted
    have no "shut_places": none)."""
    return max(0, inputs["households"] - inputs.get("shut_places", 0))


# Work recorded in the week (or a case overdue at its end) that gives a community data without households.
WORK_KEYS = ("visited", "night_checks", "problems", "due", "rebounds", "overdue", "bans")
# What happened in the week itself (a case overdue at its end may be months old): a district with none of it
# had no work in the week, and ranks nobody.
ACTIVITY_KEYS = ("visited", "night_checks", "problems", "due", "rebounds", "bans")
# The community's own work in the week, the only reason to praise it: visits, bans, cases due in the week
# rectified by their deadline. A community that merely scored as well as the best by doing nothing (no visit,
# nothing found) is not praised.
OWN_WORK_KEYS = ("visited", "night_checks", "bans", "rectified_on_time")


def has_data(inputs: dict) -> bool:
    """Whether a community has anything to be scored on in the week: households to survey, or any work
    recorded in the week. A community with neither is 无数据: no rank, no praise, no criticism. (It is ranked
    only if the district had work in the week at all: `has_activity`.)"""
    return households_to_survey(inputs) > 0 or any(inputs.get(k) for k in WORK_KEYS)


def has_activity(inputs: dict) -> bool:
    """Whether anything was recorded in the community during the week (not counting cases overdue since
    before it)."""
    return any(inputs.get(k) for k in ACTIVITY_KEYS)


def has_own_work(inputs: dict) -> bool:
    """Whether the community did work of its own in the week (a visit, a ban, a case rectified on time)."""
    return any(inputs.get(k) for k in OWN_WORK_KEYS)


def indicator_values(inputs: dict) -> dict[str, float | None]:
    """The seven indicators from the raw counts; None where there is no denominator."""
    households = households_to_survey(inputs)
    target = inputs["target"]
    return {
        # A shut place visited again (回头看) counts as visited but not as to survey: at most 100.
        "coverage": min(100.0, 100 * inputs["visited"] / households) if households else None,
        "night_checks": 100 * inputs["night_checks"] / households if households else None,
        "problems": float(inputs["problems"]),
        "on_time": 100 * inputs["rectified_on_time"] / inputs["due"] if inputs["due"] else None,
        "rebounds": float(inputs["rebounds"]),
        "overdue": float(inputs["overdue"]),
        "conversion": min(100.0, 100 * inputs["converted"] / target) if target else None,
    }


def normalise(values: list[float | None], *, higher_is_better: bool) -> list[float]:
    """Min–max to 0–100 across the communities (100 = best); all equal → 50; no value (None) → 50."""
    present = [v for v in values if v is not None]
    if not present:
        return [NEUTRAL] * len(values)
    low, high = min(present), max(present)
    result = []
    for v in values:
        if v is None or high == low:
            result.append(NEUTRAL)
        elif higher_is_better:
            result.append(100 * (v - low) / (high - low))
        else:
            result.append(100 * (high - v) / (high - low))
    return result


# --- The computed ranking -------------------------------------------------------------------------------


@dataclass
class CommunityRow:
    code: str
    name: str
    subdistrict_code: str
    subdistrict_name: str
    inputs: dict
    values: dict
    normalised: dict = field(default_factory=dict)
    score: float | None = None
    rank_in_subdistrict: int | None = None
    rank_in_district: int | None = None
    previous_rank_in_district: int | None = None

    @property
    def ranked(self) -> bool:
        """False for a community without data this week (无数据): no score, no rank."""
        return self.rank_in_district is not None

    @property
    def movement(self) -> int | None:
        """Places gained since last week (positive: up); None unless ranked both weeks."""
        if self.previous_rank_in_district is None or self.rank_in_district is None:
            return None
        return self.previous_rank_in_district - self.rank_in_district

    @property
    def indicator_values(self) -> list[float | None]:
        return [self.values.get(k) for k in KEYS]

    @property
    def indicator_cells(self) -> list[str]:
        """The values as the table shows them (counts whole, rates with two decimals, — for none; — in every
        cell of a community without data), formatted once here rather than by a template filter per cell: the
        district's table has over a thousand cells."""
        if not self.ranked:
            return [NONE] * len(INDICATORS)
        return [i.format(self.values.get(i.key)) for i in INDICATORS]

    def contributions(self, weights: dict) -> list[dict]:
        """Each indicator's value, normalised value, weight and contribution (weight × normalised); none
        for a community without data."""
        if not self.ranked:
            return []
        return [
            {
                "indicator": indicator,
                "value": self.values.get(indicator.key),
                "shown": indicator.format(self.values.get(indicator.key)),
                "normalised": self.normalised[indicator.key],
                "weight": weights[indicator.key],
                "contribution": weights[indicator.key] * self.normalised[indicator.key],
            }
            for indicator in INDICATORS
        ]


@dataclass
class SubdistrictRow:
    code: str
    name: str
    communities: int  # ranked ones: the mean is theirs
    mean_score: float | None
    coverage: float | None
    overdue: int
    rank: int | None = None
    previous_rank: int | None = None

    @property
    def ranked(self) -> bool:
        return self.rank is not None

    @property
    def movement(self) -> int | None:
        return None if self.previous_rank is None or self.rank is None else self.previous_rank - self.rank

    def as_dict(self) -> dict:
        return {
            k: getattr(self, k)
            for k in ("code", "name", "communities", "mean_score", "coverage", "overdue", "rank", "previous_rank")
        }


@dataclass
class Ranking:
    district: Division
    week_start: datetime.date
    weights: dict
    weight_version: WeightVersion | None
    rows: list[CommunityRow]  # in district rank order, then those without data
    subdistricts: list[SubdistrictRow]  # in rank order, then those without data
    published: RankingWeek | None = None
    withdrawn: list[RankingWeek] = field(default_factory=list)  # earlier publications of the week, taken back

    @property
    def week_end(self) -> datetime.date:
        return self.week_start + datetime.timedelta(days=6)

    def row(self, code: str) -> CommunityRow | None:
        return next((r for r in self.rows if r.code == code), None)

    def by_subdistrict(self) -> list[tuple[SubdistrictRow, list[CommunityRow]]]:
        # self.rows is in table order already: a subdistrict's rows keep it.
        return [(s, [r for r in self.rows if r.subdistrict_code == s.code]) for s in self.subdistricts]

    @property
    def ranked_rows(self) -> list[CommunityRow]:
        return [r for r in self.rows if r.ranked]

    @property
    def unranked_rows(self) -> list[CommunityRow]:
        return [r for r in self.rows if not r.ranked]

    @property
    def has_work(self) -> bool:
        """Whether anything was recorded in the district during the week. Without it nobody is ranked, praised
        or named, and the week cannot be published (本周无工作记录)."""
        return any(has_activity(r.inputs) for r in self.rows)

    def _as_published(self, key: str) -> list[CommunityRow] | None:
        """The rows praised (or named) as the week was published, in table order; None if not kept."""
        codes = getattr(self.published, key, None) if self.published is not None else None
        if codes is None:
            return None
        kept = set(codes)
        return [r for r in self.rows if r.code in kept]

    @cached_property
    def praised(self) -> list[CommunityRow]:
        """The communities ranked in the top N that did work of their own in the week; a tie at the N-th place
        is praised together. A published week: those it was published with."""
        published = self._as_published("praised")
        if published is not None:
            return published
        return [r for r in self.ranked_rows if r.rank_in_district <= praise_count() and has_own_work(r.inputs)]

    @cached_property
    def named(self) -> list[CommunityRow]:
        """The communities ranked in the bottom N, worst last (a tie at the N-th place from the bottom is named
        together); never one without data, never one ranked in the top N (praised, or level with those praised
        but without work of its own to praise). A published week: those it was published with."""
        published = self._as_published("named")
        if published is not None:
            return published
        n = praise_count()
        ranked = self.ranked_rows
        praised = {r.code for r in self.praised}
        # A community's place counted from the bottom: 1 + how many ranked communities scored lower.
        at_or_above = Counter(r.rank_in_district for r in ranked)
        higher = 0
        from_bottom = {}
        for rank in sorted(at_or_above):
            higher += at_or_above[rank]
            from_bottom[rank] = 1 + len(ranked) - higher
        return [
            r
            for r in ranked
            if r.code not in praised and r.rank_in_district > n and from_bottom[r.rank_in_district] <= n
        ]


def _tie_key(score: float, coverage: float | None, overdue: float, code: str):
    """Higher score, then higher survey coverage (none lowest), then fewer overdue cases, then code: the order
    of a table's lines. Equal scores share a rank whatever this order."""
    return (-round(score, SCORE_DIGITS), -(coverage if coverage is not None else -1.0), overdue, code)


def competition_ranks(scores: list[float]) -> list[int]:
    """Standard competition ranks of scores already in descending order: 1, 2, 2, 4 (equal to SCORE_DIGITS)."""
    ranks: list[int] = []
    for position, score in enumerate(scores, start=1):
        same = ranks and round(score, SCORE_DIGITS) == round(scores[position - 2], SCORE_DIGITS)
        ranks.append(ranks[-1] if same else position)
    return ranks


def compute(communities: list[Community], inputs: dict[str, dict], weights: dict) -> tuple[list, list]:
    """Scores and ranks from the raw inputs: (community rows in district order, subdistrict rows in order).
    Communities without data are left out of normalisation and ranks, and listed last, by code."""
    everyone = [
        CommunityRow(
            code=c.code,
            name=c.name,
            subdistrict_code=c.subdistrict_code,
            subdistrict_name=c.subdistrict_name,
            inputs=inputs[c.code],
            values=indicator_values(inputs[c.code]),
        )
        for c in communities
    ]
    # A week in which nothing at all was recorded in the district ranks nobody: otherwise every community
    # with households would tie at 50 and be praised for a week nobody worked (docs/ranking.md).
    worked = any(has_activity(r.inputs) for r in everyone)
    rows = [r for r in everyone if worked and has_data(r.inputs)]
    unranked = sorted((r for r in everyone if not (worked and has_data(r.inputs))), key=lambda r: r.code)
    for indicator in INDICATORS:
        normalised = normalise([r.values[indicator.key] for r in rows], higher_is_better=indicator.higher_is_better)
        for row, value in zip(rows, normalised, strict=True):
            row.normalised[indicator.key] = value
    for row in rows:
        row.score = sum(weights[k] * row.normalised[k] for k in KEYS)

    rows.sort(key=lambda r: _tie_key(r.score, r.values["coverage"], r.values["overdue"], r.code))
    for row, rank in zip(rows, competition_ranks([r.score for r in rows]), strict=True):
        row.rank_in_district = rank
    per_subdistrict: dict[str, list[CommunityRow]] = {}
    for row in everyone:
        per_subdistrict.setdefault(row.subdistrict_code, [])
    for row in rows:
        per_subdistrict[row.subdistrict_code].append(row)
    for group in per_subdistrict.values():
        for row, rank in zip(group, competition_ranks([r.score for r in group]), strict=True):
            row.rank_in_subdistrict = rank

    subdistricts, empty = [], []
    names = {r.subdistrict_code: r.subdistrict_name for r in everyone}
    for code, group in per_subdistrict.items():
        if not group:
            empty.append(
                SubdistrictRow(code=code, name=names[code], communities=0, mean_score=None, coverage=None, overdue=0)
            )
            continue
        households = sum(households_to_survey(r.inputs) for r in group)
        subdistricts.append(
            SubdistrictRow(
                code=code,
                name=group[0].subdistrict_name,
                communities=len(group),
                mean_score=printed_mean([r.score for r in group]),
                coverage=min(100.0, 100 * sum(r.inputs["visited"] for r in group) / households) if households else None,
                overdue=sum(r.inputs["overdue"] for r in group),
            )
        )
    subdistricts.sort(key=lambda s: _tie_key(s.mean_score, s.coverage, s.overdue, s.code))
    for s, rank in zip(subdistricts, competition_ranks([s.mean_score for s in subdistricts]), strict=True):
        s.rank = rank
    return rows + unranked, subdistricts + sorted(empty, key=lambda s: s.code)


def current_weights(district: Division) -> tuple[dict, WeightVersion | None]:
    version = WeightVersion.objects.filter(district=district).order_by("-created_at", "-id").first()
    return (dict(version.weights) if version else dict(DEFAULT_WEIGHTS)), version


def _from_published(week: RankingWeek) -> Ranking:
    # Plain values, not model instances: 176 rows' instances (and their back-references to the week) cost more
    # than reading them (the page of a published week is served from these frozen rows alone).
    names = (
        "community_code",
        "community_name",
        "subdistrict_code",
        "subdistrict_name",
        "inputs",
        "values",
        "normalised",
        "score",
        "rank_in_subdistrict",
        "rank_in_district",
        "previous_rank_in_district",
    )
    rows = [
        CommunityRow(*values)  # the dataclass's fields, in this order
        for values in week.rows.values_list(*names)  # in table order (RankingRow.Meta.ordering)
    ]
    subdistricts = [SubdistrictRow(**s) for s in week.subdistricts]
    return Ranking(
        district=week.district,
        week_start=week.week_start,
        weights=week.weights,
        weight_version=week.weight_version,
        rows=rows,
        subdistricts=subdistricts,
        published=week,
    )


def _computed(district: Division, week_start: datetime.date, communities=None) -> Ranking:
    communities = communities if communities is not None else communities_of(district)
    weights, version = current_weights(district)
    inputs = community_inputs(district=district, week_start=week_start, communities=communities)
    rows, subdistricts = compute(communities, inputs, weights)
    return Ranking(district, week_start, weights, version, rows, subdistricts)


def ranking_weeks(*, district: Division, week_start: datetime.date) -> tuple[RankingWeek | None, list[RankingWeek]]:
    """The publication of the week that stands (None if not published) and those withdrawn, in one query."""
    weeks = list(
        RankingWeek.objects.filter(district=district, week_start=week_monday(week_start))
        .select_related("district", "published_by", "withdrawn_by")
        .order_by("published_at", "pk")
    )
    withdrawn = [w for w in weeks if w.withdrawn_at is not None]
    return next((w for w in weeks if w.withdrawn_at is None), None), withdrawn


def ranking_for(*, district: Division, week_start: datetime.date, weeks=None) -> Ranking:
    """The ranking of a week: frozen if published, otherwise computed now (the same answer every time
    the records are the same), with each rank's movement against the previous week (only for a community
    ranked in both). A publication withdrawn is listed with the week but no longer stands. `weeks` is what
    `ranking_weeks` answered, when the caller has asked already."""
    week_start = week_monday(week_start)
    published, withdrawn = weeks if weeks is not None else ranking_weeks(district=district, week_start=week_start)
    if published is not None:
        ranking = _from_published(published)
        ranking.withdrawn = withdrawn
        return ranking
    communities = communities_of(district)
    ranking = _computed(district, week_start, communities)
    ranking.withdrawn = withdrawn
    previous_start = week_start - datetime.timedelta(days=7)
    previous = RankingWeek.objects.filter(
        district=district, week_start=previous_start, withdrawn_at__isnull=True
    ).first()
    if previous is not None:
        # Only the ranks of a published week: its rows' figures (three JSON documents each) are not needed here.
        last_ranks = dict(previous.rows.order_by().values_list("community_code", "rank_in_district"))
        last_sub = {s["code"]: s["rank"] for s in previous.subdistricts}
    else:
        if week_in_range(previous_start, today=week_start):
            last = _computed(district, previous_start, communities)
        else:  # the week before the earliest: nothing to move against
            last = Ranking(district, previous_start, ranking.weights, None, [], [])
        last_ranks = {r.code: r.rank_in_district for r in last.rows}
        last_sub = {s.code: s.rank for s in last.subdistricts}
    for row in ranking.rows:
        row.previous_rank_in_district = last_ranks.get(row.code)
    for s in ranking.subdistricts:
        s.previous_rank = last_sub.get(s.code)
    return ranking


# --- Who may see, who may change ----------------------------------------------------------------------


def ranking_districts(user) -> list[Division]:
    """The districts whose ranking the user may view: any active membership in or above the district."""
    districts = Division.objects.filter(level=Level.DISTRICT, is_active=True).order_by("code")
    if is_unrestricted(user):
        return list(districts)
    codes = [g.code for g in grants(user)]
    if not codes:
        return []
    # A district's code is 6 digits: a member inside it has a code starting with it, one above it
    # (a city or province office) a code it starts with.
    q = Q(code__in=[c[:6] for c in codes])
    for code in codes:
        if len(code) < 6:
            q |= Q(code__startswith=code)
    return list(districts.filter(q))


def is_district_admin(user, district: Division) -> bool:
    """Whether the user may set the district's weights and publish its weeks (the scoping rule "ranking")."""
    return can_enter(user, district, "ranking")


# --- Writes -----------------------------------------------------------------------------------------------


def _check_weights(weights: dict) -> dict:
    if not isinstance(weights, dict) or set(weights) != set(KEYS):
        raise ValidationError({"weights": _("Give a weight for each indicator, and only those.")})
    try:
        cleaned = {k: float(weights[k]) for k in KEYS}
    except (TypeError, ValueError) as exc:
        raise ValidationError({"weights": _("Weights are numbers.")}) from exc
    if any(v < 0 for v in cleaned.values()):
        raise ValidationError({"weights": _("Weights may not be negative.")})
    if abs(sum(cleaned.values()) - 1) > 1e-6:
        raise ValidationError({"weights": _("The weights must add up to 1.")})
    return cleaned


@transaction.atomic
def weights_set(*, actor, district: Division, weights: dict, note: str = "") -> WeightVersion:
    """A new version of the district's weights; it applies from now to every unpublished week."""
    if not is_district_admin(actor, district):
        raise PermissionDenied
    cleaned = _check_weights(weights)
    before, _version = current_weights(district)
    changed = weights_changed(before, cleaned)
    if not changed[1]:
        # A version the same as the one in use would be a history entry of nothing.
        raise ValidationError({"weights": _("These are the weights in use: nothing changed, nothing was saved.")})
    version = WeightVersion.objects.create(district=district, weights=cleaned, note=note, created_by=actor)
    audit_record(
        actor=actor,
        action="ranking.weights_set",
        obj=version,
        division_code=district.code,
        changes={"weights": changed},
        reason=note.strip(),
    )
    return version


@transaction.atomic
def ranking_publish(*, actor, district: Division, week_start: datetime.date) -> RankingWeek:
    """Freeze a week of the district's ranking as it stands now. A week is published once."""
    if not is_district_admin(actor, district):
        raise PermissionDenied
    if week_start.weekday() != 0:
        raise ValidationError({"week": _("A ranking week starts on a Monday.")})
    if week_start + datetime.timedelta(days=6) >= timezone.localdate():
        raise ValidationError({"week": _("The week has not ended yet.")})
    # Serialise publishers of the district: the second one waits, then finds the week published.
    Division.objects.select_for_update().filter(pk=district.pk).first()
    if not week_in_range(week_start):
        raise ValidationError({"week": _("There is no ranking for that week.")})
    if RankingWeek.objects.filter(district=district, week_start=week_start, withdrawn_at__isnull=True).exists():
        raise ValidationError(
            {"week": _("The ranking of the week of %(week)s has already been published.") % {"week": week_start}}
        )
    ranking = ranking_for(district=district, week_start=week_start)
    if not ranking.has_work:
        raise ValidationError(
            {"week": _("No work was recorded in the district this week: there is no ranking to publish.")}
        )
    try:
        with transaction.atomic():
            week = RankingWeek.objects.create(
                district=district,
                week_start=week_start,
                weight_version=ranking.weight_version,
                weights=ranking.weights,
                subdistricts=[s.as_dict() for s in ranking.subdistricts],
                praised=[r.code for r in ranking.praised],
                named=[r.code for r in ranking.named],
                published_by=actor,
            )
    except IntegrityError as exc:
        raise ValidationError(
            {"week": _("The ranking of the week of %(week)s has already been published.") % {"week": week_start}}
        ) from exc
    RankingRow.objects.bulk_create(
        RankingRow(
            week=week,
            community_code=r.code,
            community_name=r.name,
            subdistrict_code=r.subdistrict_code,
            subdistrict_name=r.subdistrict_name,
            inputs=r.inputs,
            values=r.values,
            normalised=r.normalised,
            score=r.score,
            rank_in_subdistrict=r.rank_in_subdistrict,
            rank_in_district=r.rank_in_district,
            previous_rank_in_district=r.previous_rank_in_district,
            position=position,
        )
        for position, r in enumerate(ranking.rows, start=1)
    )
    audit_record(
        actor=actor,
        action="ranking.published",
        obj=week,
        division_code=district.code,
        changes={
            "week_start": [None, week_start.isoformat()],
            "communities": [None, len(ranking.rows)],
            "ranked": [None, len(ranking.ranked_rows)],
        },
    )
    return week


@transaction.atomic
def ranking_withdraw(*, actor, week: RankingWeek, reason: str) -> RankingWeek:
    """Take back a published week (a mistake found after publishing): it stays on record, frozen, with who,
    when and why, and the week is computed live again until it is published anew."""
    if not is_district_admin(actor, week.district):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": _("Say why the published ranking is withdrawn.")})
    week = RankingWeek.objects.select_for_update().get(pk=week.pk)
    if week.withdrawn_at is not None:
        raise ValidationError({"week": _("This publication has already been withdrawn.")})
    week.withdrawn_at = timezone.now()
    week.withdrawn_by = actor
    week.withdraw_reason = reason
    week.save(update_fields=["withdrawn_at", "withdrawn_by", "withdraw_reason"])
    audit_record(
        actor=actor,
        action="ranking.withdrawn",
        obj=week,
        division_code=week.district.code,
        changes={"withdrawn_at": [None, week.withdrawn_at.isoformat()]},
        reason=reason,
    )
    return week
