"""Tonight's places, cut into what N teams of M doors can walk: whole stairwells, neighbours together.

1. The places are gathered by stairwell (community, estate or street address, building, stairwell). A
   stairwell counts with its best place's score; more doors than a team can knock on keeps its best M.
2. Stairwells are taken best first until the N × M doors are filled (one that would overfill is passed over
   for a smaller one further down).
3. The chosen stairwells are put back in address order — community, estate, building, stairwell — and cut into
   one run of neighbouring stairwells per team, the runs as even as whole stairwells allow (41 doors for three
   teams: 14 / 14 / 13, not 20 / 20 / 1 — a team sent out for one door wastes a night's crew). When no such
   cut keeps every team within its M doors, they are dealt in order, each team filling up before the next, and
   a stairwell that does not fit the team whose turn it is goes to the next team with room.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from itertools import groupby

from households.models import Household

from .selectors import Candidate


@dataclass
class Stairwell:
    key: tuple
    community: str
    estate: str
    building: str
    unit: str
    stops: list[Candidate]
    cut: int = 0  # its places that score too but are beyond a team's doors (one team walks a stairwell whole)

    @property
    def title(self) -> str:
        """3号楼2单元, as the register writes it."""
        return Household.label_of(None, "", self.building, self.unit, "", "")

    @property
    def best(self) -> float:
        return max(s.score for s in self.stops)

    @property
    def count(self) -> int:
        return len(self.stops)


@dataclass
class Group:
    """An estate or a building of a team's list, with how many doors it holds."""

    name: str
    count: int
    children: list


@dataclass
class Team:
    number: int
    stairwells: list[Stairwell] = field(default_factory=list)

    @property
    def count(self) -> int:
        return sum(s.count for s in self.stairwells)

    @property
    def stops(self) -> list[Candidate]:
        return [stop for s in self.stairwells for stop in s.stops]

    @property
    def estates(self) -> list[Group]:
        """estate → building → stairwell, each with its count, in walking order."""
        estates = []
        # Places on their own (no estate: a street shop, grouped by their address) next to each other in a
        # community share one group, headed by the community: one group each printed the same heading twice.
        for (community, estate), in_estate in groupby(
            self.stairwells, key=lambda s: (s.community, s.estate if s.stops[0].estate else "")
        ):
            in_estate = list(in_estate)
            buildings = [
                Group(building, sum(s.count for s in wells), wells)
                for building, wells in ((b, list(w)) for b, w in groupby(in_estate, key=lambda s: s.building))
            ]
            estates.append(Group(f"{community} {estate}".strip(), sum(s.count for s in in_estate), buildings))
        return estates


def _stairwells(candidates: list[Candidate], doors: int) -> list[Stairwell]:
    wells: dict[tuple, Stairwell] = {}
    for c in candidates:
        estate = c.estate or c.address
        key = (c.division_code, estate, c.building, c.unit)
        if key not in wells:
            wells[key] = Stairwell(key, c.community, estate, c.building, c.unit, [])
        wells[key].stops.append(c)
    for well in wells.values():
        # Candidates come best first; a stairwell walks bottom to top.
        well.cut = max(0, len(well.stops) - doors)
        well.stops = sorted(well.stops[:doors], key=lambda s: (s.room, s.pk))
    return list(wells.values())


def _address_key(well: Stairwell) -> tuple:
    division_code, estate, building, unit = well.key
    return (division_code, estate, _natural(building), _natural(unit))


def _natural(text: str) -> tuple:
    """3 before 12: numbers compare as numbers."""
    return (0, int(text), "") if text.isdigit() else (1, 0, text)


def teams_for(candidates: list[Candidate], *, teams: int, doors: int) -> tuple[list[Team], list[Stairwell]]:
    """Deal the places out to `teams` teams of at most `doors` doors: -> (the teams, stairwells left over)."""
    capacity = teams * doors
    chosen, room = [], capacity
    for well in sorted(_stairwells(candidates, doors), key=lambda w: (-w.best, _address_key(w))):
        if room <= 0:
            break
        if well.count <= room:
            chosen.append(well)
            room -= well.count
    chosen.sort(key=_address_key)
    runs = _even_runs([w.count for w in chosen], teams=teams, doors=doors)
    if runs is not None:
        result = [Team(n, chosen[start:end]) for n, (start, end) in enumerate(runs, start=1)]
        return result, []
    result = [Team(n) for n in range(1, teams + 1)]
    left: list[Stairwell] = []
    current = 0
    for well in chosen:
        while current < teams and result[current].count + well.count > doors:
            current += 1
        if current < teams:
            result[current].stairwells.append(well)
        else:
            # Earlier teams may still have room for it.
            spare = next((t for t in result if t.count + well.count <= doors), None)
            (spare.stairwells.append(well) if spare else left.append(well))
    for team in result:
        team.stairwells.sort(key=_address_key)
    return result, left


def _even_runs(counts: list[int], *, teams: int, doors: int) -> list[tuple[int, int]] | None:
    """Cut the stairwells (their door counts, in address order) into `teams` consecutive runs of at most `doors`
    doors each, near equal shares: each team in turn takes stairwells while that brings it closer to an equal
    share of the doors still to deal (so 41 doors for three teams go 14 / 13 / 14). -> [(start, end)] per team,
    or None when the last team would be left more than `doors` (the caller then deals team by team)."""
    runs, start, n = [], 0, len(counts)
    for team in range(teams):
        if team == teams - 1:
            end = n  # the last team takes what is left
        else:
            share = sum(counts[start:]) / (teams - team)
            end, size = start, 0
            while end < n and size + counts[end] <= doors:
                after = size + counts[end]
                # The first stairwell always; a further one when it brings the team closer to its share.
                if size and abs(after - share) >= abs(size - share):
                    break
                size, end = after, end + 1
        if sum(counts[start:end]) > doors:
            return None
        runs.append((start, end))
        start = end
    return runs
