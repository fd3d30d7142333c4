"""The digest's text: yesterday's work in a division's subtree, from the same selectors as the dashboard.

Every figure comes from inspections.selectors.fieldwork_figures and cases.selectors.case_figures, so the
digest, a unit page and (later) the dashboard give one answer to one question.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable
from typing import NamedTuple

from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from air.selectors import digest_air_lines
from cases.models import Case
from cases.selectors import case_figures
from coalgov.wording import enumeration, with_note
from divisions.models import COMMUNITY_CODE_LENGTH, Division, Level
from divisions.scoping import codes_q
from households.models import RegisterCount
from inspections.models import DailyRollup
from inspections.rollups import WEEK_FIRST, week_monday
from inspections.selectors import fieldwork_figures, local_bounds, visits_by_unit
from planning.models import NightPlan
from planning.selectors import plan_coverage
from reports.ranking import shut_places

from .markup import is_heading

BEST_AND_WORST = 3
NOT_REACHED_LISTED = 10  # doors named per team; the rest are "等N户"


def households_checked_week_so_far(division: Division, day: datetime.date) -> dict[str, int]:
    """Distinct households checked per community of the division from the Monday of `day`'s week to `day`.

    Distinct households do not add up across days, but each household's first visit of the week in a community
    does: the daily rollups count it on that day (`week_first_checked`), so Monday to `day` is a sum of at most
    seven rows per community, the morning after as for a day of last winter (docs/rollups.md). A grid, below
    the rollups' communities, is counted from its visits.
    """
    monday = week_monday(day)
    if len(division.code) > COMMUNITY_CODE_LENGTH:
        return _checked(visits_by_unit(codes=[division.code], start=monday, end=day))
    return dict(
        DailyRollup.objects.filter(codes_q([division.code], "code"), day__range=(monday, day))
        .values("code")
        .annotate(n=Sum(WEEK_FIRST))
        .filter(n__gt=0)
        .order_by()
        .values_list("code", "n")
    )


def _checked(counts: dict[str, dict]) -> dict[str, int]:
    return {code: row.get("households_checked", 0) for code, row in counts.items()}


def community_week(division: Division, day: datetime.date) -> list[tuple[str, int]]:
    """Households checked per community of the division, Monday to `day`, most first, of the communities with
    data: households to survey or households checked this week. A community with neither is 无数据, as in the
    weekly ranking (docs/ranking.md): never praised, never named. Ties are broken by community code (stable)."""
    counts = households_checked_week_so_far(division, day)
    registered = dict(RegisterCount.objects.filter(code__startswith=division.code).values_list("code", "households"))
    # Places shut by a ban are not households to survey: a community whose only place is a shut coal shop has
    # nothing to check, and the ranking says 无数据 of it (reports.ranking.households_to_survey).
    shut = shut_places(division.code, local_bounds(day, day)[1])
    communities = Division.objects.filter(code__startswith=division.code, level=Level.COMMUNITY, is_active=True)
    # Codes and names only: a district's 176 model instances cost more than reading them.
    rows = [(code, name, counts.get(code, 0)) for code, name in communities.values_list("code", "name")]
    rows = [row for row in rows if row[2] or registered.get(row[0], 0) > shut.get(row[0], 0)]
    rows.sort(key=lambda row: (-row[2], row[0]))
    return [(name, n) for _code, name, n in rows]


class BestAndLast(NamedTuple):
    best: list[tuple[str, int]]
    best_more: int  # communities not named that checked as many as the last one named best
    last: list[tuple[str, int]]
    last_more: int  # communities not named that checked as few as the last one named last


def best_and_last(week: list[tuple[str, int]]) -> BestAndLast:
    """The week's best and last communities (at most BEST_AND_WORST named each, never one in both). Only a
    community that checked households is praised; with none checked at all nobody is named: a week without work
    has no best and no worst.

    Ties are shared, as in the weekly ranking: a community that checked as many households as one praised is
    not named last, and when more communities share a named count than there are places, the line says how many
    more there are ("另有N个社区同为M户") rather than leaving them out by their code as if they had done less."""
    if len(week) < 2 or not week[0][1]:
        return BestAndLast([], 0, [], 0)
    best = [row for row in week[:BEST_AND_WORST] if row[1]]
    best_more = sum(1 for row in week[len(best) :] if row[1] == best[-1][1])
    rest = [row for row in week[len(best) :] if row[1] < best[-1][1]]
    last = list(reversed(rest[-BEST_AND_WORST:]))
    last_more = sum(1 for row in rest[: len(rest) - len(last)] if last and row[1] == last[-1][1])
    return BestAndLast(best, best_more, last, last_more)


def _named(communities: list[tuple[str, int]], more: int) -> str:
    """建新南街（3）、五里堡社区（3）, and "；另有2个社区同为3户" for those sharing the last count but not named."""
    text = enumeration(with_note(name, n) for name, n in communities)
    if more:
        text += ngettext("; %(n)s more community also %(count)s", "; %(n)s more communities also %(count)s", more) % {
            "n": more,
            "count": communities[-1][1],
        }
    return text


def overdue_cases(division: Division, day: datetime.date):
    return (
        Case.objects.counted()
        .overdue(day + datetime.timedelta(days=1))
        .filter(division_code__startswith=division.code)
        .select_related("responsible_unit")
        .order_by("deadline", "id")
    )


def night_plans(division: Division, day: datetime.date) -> list[NightPlan]:
    """The night-check plans the division itself owns whose operation was on the night of `day`, not voided.
    Only the owner's digest carries a plan: a district's digest does not repeat its subdistricts' plans, and a
    subdistrict's never shows another's."""
    return list(
        NightPlan.objects.filter(division_code=division.code, operation__date=day, operation__voided_at__isnull=True)
        .select_related("operation")
        .order_by("created_at", "id")
    )


def plan_lines(division: Division, day: datetime.date) -> list[str]:
    """Each plan of the night (`night_plans`) with one line per team: doors on its list, how many were checked
    (any visit since the plan was made: `planning.selectors.plan_coverage`), how many found coal, how many were
    not reached, and the first NOT_REACHED_LISTED of those by address in walking order, "等N户" for the rest."""
    lines: list[str] = []
    for plan in night_plans(division, day):
        lines += ["", "**" + _("Last night's plan: %(title)s") % {"title": plan.operation.title} + "**"]
        for team in plan_coverage(plan):
            missed = team.not_reached
            line = _(
                "Team %(number)s: %(count)s households planned, %(covered)s checked, coal found at %(found)s, "
                "%(missed)s not reached"
            ) % {
                "number": team.number,
                "count": team.count,
                "covered": team.covered,
                "found": team.found,
                "missed": len(missed),
            }
            if missed:
                names = "、".join(stop.household.label for stop in missed[:NOT_REACHED_LISTED])
                if len(missed) > NOT_REACHED_LISTED:
                    names = _("%(names)s and others, %(n)s households") % {"names": names, "n": len(missed)}
                line = _("%(sentence)s: %(doors)s") % {"sentence": line, "doors": names}
            lines.append(line.replace("|", "｜"))
    return lines


def digest_text(division: Division, day: datetime.date) -> str:
    """The digest of `day` (usually yesterday) for `division`, as markdown lines."""
    codes = [division.code]
    f = fieldwork_figures(codes=codes, start=day, end=day)
    c = case_figures(codes=codes, start=day, end=day)
    # The running totals as they stood at the end of the digest's day (a past date's digest must not carry
    # what was done after it): the rollups' "up to a date" question, as the unit page asks with ?end=.
    total = fieldwork_figures(codes=codes, end=day)
    lines = [
        "### " + _("%(unit)s daily supervision digest, %(date)s") % {"unit": division.name, "date": f"{day:%Y-%m-%d}"},
        "",
        "**" + _("Checks") + "**",
        _(
            "Visits %(n)s (night checks %(night)s, in the priority zone %(zone)s); households visited %(households)s; "
            "coal found at %(found)s."
        )
        % {
            "n": f.inspections,
            "night": f.night_checks,
            "zone": f.priority_zone_checks,
            "households": f.households_checked,
            "found": f.households_with_coal_found,
        },
        _(
            "Recovered from %(households)s households: briquettes %(pieces)s pieces, loose coal %(kg)s kg, "
            "stoves %(stoves)s, charcoal %(charcoal)s boxes."
        )
        % {
            "households": f.households_recovered,
            "pieces": f"{f.briquettes_pieces:.0f}",
            "kg": f"{f.loose_coal_kg:.0f}",
            "stoves": f"{f.stoves:.0f}",
            "charcoal": f"{f.charcoal_boxes:.0f}",
        },
        _(
            "Bans: sale points %(sale)s, storage points %(storage)s, food stalls %(stall)s. Purchases %(purchases)s "
            "(%(amount)s yuan). Conversions completed: electricity %(electricity)s, gas %(gas)s."
        )
        % {
            "sale": f.bans_sale_point,
            "storage": f.bans_storage_point,
            "stall": f.bans_food_stall,
            "purchases": f.purchases,
            "amount": f"{f.purchase_amount:.2f}",
            "electricity": f.conversions_electricity,
            "gas": f.conversions_gas,
        },
        "",
        "**" + _("Cases") + "**",
        _(
            "Opened %(opened)s, reported rectified %(rectified)s, closed %(closed)s; rebounds %(rebounds)s; "
            "overdue now %(overdue)s."
        )
        % {
            "opened": c.opened,
            "rectified": c.rectified,
            "closed": c.closed,
            "rebounds": f.rebounds + c.rebounds,
            "overdue": c.overdue_now,
        },
    ]
    late = list(overdue_cases(division, day))
    if late:
        lines += ["", "**" + _("Overdue cases (fix at once)") + "**", ""]
        # The last column reads on as a phrase ("逾期" + "16天"): rendered as a line per row where tables are not
        # (markup.row_line), a row says "建新南街社区：#9 …（逾期16天）".
        lines += ["| " + " | ".join([_("Responsible unit"), _("Problem"), _("Overdue by")]) + " |", "|---|---|---|"]
        for case in late:
            days = max((day - case.deadline).days, 0)
            title = case.title.replace("|", "｜").replace("\n", " ")
            overdue = _("%(days)s days") % {"days": days}
            lines.append(f"| {case.responsible_unit.name} | #{case.pk} {title} | {overdue} |")
    week = best_and_last(community_week(division, day))
    if week.best:
        lines += ["", "**" + _("This week so far (households checked)") + "**"]
        lines.append(_("Best: %(best)s") % {"best": _named(week.best, week.best_more)})
        if week.last:
            lines.append(_("Last: %(worst)s") % {"worst": _named(week.last, week.last_more)})
    lines += plan_lines(division, day)
    # One line per priority station of the division with readings (air.selectors): readings only, no cause.
    air = digest_air_lines(division, day)
    if air:
        lines += ["", "**" + _("Station readings") + "**", *air]
    lines += ["", "**" + _("Running totals") + "**", total.sentence()]
    return "\n".join(lines)


def split_parts(
    text: str, limit: int, *, numbered: bool = True, measure: Callable[[str], int] | None = None
) -> list[str]:
    """Split a digest into messages of at most `limit` bytes, at line boundaries.

    `measure(part)` is the size the service counts against its limit (by default the UTF-8 bytes of the text;
    for a robot, `robots.size`: the request body as sent). A table (consecutive lines starting with "|") stays
    whole when it fits in a message; a longer one is cut between rows with its header repeated on each part.
    Parts are numbered （1/3）… when there are several.
    """
    measure = measure or _utf8_size
    prefix = "（9999/9999）\n" if numbered else ""  # room for the longest number a part may get

    def fits(lines: list[str]) -> bool:
        return measure(prefix + "\n".join(lines)) <= limit

    units: list[list[str]] = []  # lines that go into the same message
    lead: list[str] = []  # a heading and the blank lines after it: they go with the first line that follows
    for block in _blocks(text):
        if (len(block) == 1 and is_heading(block[0])) or (lead and block == [""]):
            lead += block
            continue
        start, lead = lead, []
        if fits(start + block):
            units.append(start + block)
            continue
        head = block[:2] if block[0].startswith("|") and len(block) > 2 else []
        current = start + head
        for row in block[len(head) :]:
            opening = current == start + head  # the heading and the first row must fit together
            base = current if opening else head
            for piece in _cut(row, lambda piece, base=base: fits([*base, piece])):
                if current != start + head and not fits([*current, piece]):
                    units.append(current)
                    current = list(head)
                current.append(piece)
        units.append(current)
    if lead:
        units.append(lead)
    parts: list[list[str]] = []
    for unit in units:
        if parts and fits(parts[-1] + unit):
            parts[-1] += unit
        else:
            parts.append(list(unit))
    texts = [t for t in ("\n".join(p).strip("\n") for p in parts) if t.strip()]
    if numbered and len(texts) > 1:
        texts = [f"（{n}/{len(texts)}）\n{t}" for n, t in enumerate(texts, start=1)]
    return texts


def _blocks(text: str) -> list[list[str]]:
    """Lines grouped so that a table's rows form one block and every other line its own."""
    blocks: list[list[str]] = []
    for line in text.split("\n"):
        if line.startswith("|") and blocks and blocks[-1][0].startswith("|"):
            blocks[-1].append(line)
        else:
            blocks.append([line])
    return blocks


def _utf8_size(text: str) -> int:
    return len(text.encode())


def _cut(line: str, fits: Callable[[str], bool]) -> list[str]:
    """A line cut into the longest pieces that fit, at character boundaries (a binary search per piece:
    measuring a robot's body is too dear to do per character)."""
    pieces = []
    while len(line) > 1 and not fits(line):
        low, high = 1, len(line) - 1  # line[:low] is taken even if it does not fit, so each piece advances
        while low < high:
            middle = (low + high + 1) // 2
            if fits(line[:middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(line[:low])
        line = line[low:]
    return [*pieces, line]


def digest_divisions() -> list[Division]:
    """Units that get a digest: every division some active channel asks for."""
    from .models import Channel

    ids = Channel.objects.filter(is_active=True).values("division")
    return list(Division.objects.filter(pk__in=ids))


def yesterday() -> datetime.date:
    return timezone.localdate() - datetime.timedelta(days=1)
