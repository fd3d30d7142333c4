"""Importing a register back after it was edited in Excel or WPS: the office's round trip.

The ledger's 住户 sheet (reports.ledger_sheets) carries each household's 编号 and its 街道 / 社区 / 网格 by name.
A row of such a file that carries a 编号 changes that household (`Updates`): only the columns the file has are
compared; a blank cell in a column the file has clears the field; a 作废原因 voids the household through the
void service. A row without 编号 registers a household as before (households.imports).

Every row with a 编号 is compared with the household as it stands, in chunks of UPDATE_CHUNK households (one
query each), by the same checks as a new row; the changed ones are staged as COPY text and written with one
UPDATE … FROM the staging table, each guarded by the `updated_at` read at the check: a household changed between
the check and the write is not overwritten, the import is refused whole (`RegisterChanged`). The preview
(households_import with dry_run) runs the very same writing in a transaction rolled back, and records a digest of
what it saw (each household's 编号 and `updated_at`, each change, the counts); the confirmed import recomputes it
and refuses if it differs, so what is applied is exactly what was previewed.
"""

from __future__ import annotations

import datetime
import difflib
import hashlib
import json
import re
from dataclasses import dataclass, field
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import ValidationError
from django.db import connection
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from coalgov.audit import changes_between
from coalgov.models import AuditEvent
from divisions.models import Division, Level
from divisions.scoping import codes_q, covers, mask_phone

from .models import Household
from .services import AUDITED_FIELDS, SPACES, household_void

UPDATE_CHUNK = 5000  # households compared per query
SHOWN_CHANGES = 500  # households listed in the preview; the counts cover all of them
MAX_CANDIDATES = 12  # a community's 网格 offered when a 网格 name is unknown
MAX_SUGGESTIONS = 5  # the closest names offered when a 街道 or 社区 is unknown
MASKED_PHONE = re.compile(r"\d{3}\*{4}\d{4}|\*+")  # divisions.scoping.mask_phone's output

# Columns of the ledger that are a row's identity or its place by name, not fields of a household.
ID, VOID_REASON = "id", "void_reason"
PLACE_NAMES = ("subdistrict_name", "community_name", "grid_name")
EXTRA_HEADERS = {
    **dict.fromkeys(("编号", "id"), ID),
    **dict.fromkeys(("街道", "街道名称", "街道/镇", "subdistrict"), "subdistrict_name"),
    **dict.fromkeys(("社区", "社区名称", "社区/村", "community"), "community_name"),
    **dict.fromkeys(("网格", "网格名称", "grid"), "grid_name"),
    **dict.fromkeys(("作废原因", "作废理由", "void_reason"), VOID_REASON),
}
# What a household's values are compared on: the audited fields and the zone's station.
COMPARED = [name for name in AUDITED_FIELDS if name != "division"]
CURRENT_COLUMNS = (
    "id",
    "updated_at",
    "voided_at",
    "void_reason",
    "division_id",
    "division_code",
    *COMPARED,
    "priority_station_id",
)


class RegisterChanged(ValidationError):
    """The register changed between the preview and the confirmation: nothing is applied."""


def register_changed() -> RegisterChanged:
    return RegisterChanged(
        _(
            "The register changed after the preview (a household in the file was edited or registered meanwhile). "
            "Nothing was changed: preview the file again."
        )
    )


# --- 街道 / 社区 / 网格 by name ------------------------------------------------------------------------


class Places:
    """The community (or grid) a row names by 街道 / 社区 / 网格 names as people write them, or by code, within
    the districts the user enters households in.

    Names are read as the case notices read them (cases.forms.UnitNames): the official name or the short one
    (建新南街社区 for 建新南街社区居民委员会, 尖岗村 for 尖岗村民委员会), with or without the 街道 (and the
    district) in front. A name two communities answer to is a row error naming both; an unknown one offers the
    closest names, not a list of all of them."""

    def __init__(self, *, entry: list[str] | None):
        # Imported here: cases imports households, and the import's modules load with households'.
        from cases.forms import UnitNames, unit_names

        districts = None if entry is None else sorted({code[:6] for code in entry})
        active = Division.objects.filter(codes_q(districts, "code"), is_active=True)
        units = list(active.filter(level__in=[Level.SUBDISTRICT, Level.COMMUNITY]).select_related("parent"))
        within = list(active.filter(level=Level.DISTRICT))
        # A user entering in several districts: any of them (and what is above them) may lead a name.
        self.units = UnitNames(units, within=within)
        self.subdistricts = [unit for unit in units if unit.level == Level.SUBDISTRICT]
        self.communities = [unit for unit in units if unit.level == Level.COMMUNITY]
        self.unit_names = unit_names
        self.grids: dict[tuple[str, str], str] = {}  # (community code, name) → code
        for code, name in active.filter(level=Level.GRID).values_list("code", "name"):
            self.grids[(code[:12], name)] = code
        self.known: dict[tuple, tuple[str | None, str | None]] = {}

    def resolve(self, subdistrict: str, community: str, grid: str) -> tuple[str | None, str | None]:
        """(code, None), or (None, the row's error naming the candidates)."""
        key = (subdistrict, community, grid)
        found = self.known.get(key)
        if found is None:
            found = self.known[key] = self._resolve(*key)
        return found

    def _offer(self, names) -> str:
        names = sorted(set(names))
        shown = "、".join(names[:MAX_CANDIDATES])
        return shown + ("…" if len(names) > MAX_CANDIDATES else "")

    def _closest(self, text: str, units: list[Division], *, with_parent: bool) -> str:
        """'; did you mean: …' with the official names of the units whose names (short ones included) are
        closest to `text`, or a hint to check the name when none is close."""
        from cases.forms import SEPARATORS

        labels: dict[str, str] = {}
        for unit in units:
            label = f"{unit.parent.name}·{unit.name}" if with_parent and unit.parent else unit.name
            for name in self.unit_names(unit):
                labels.setdefault(name, label)
        typed = SEPARATORS.sub("", text)
        for prefix in self.units.prefixes:
            typed = typed.removeprefix(prefix) or typed
        close = difflib.get_close_matches(typed, list(labels), n=MAX_SUGGESTIONS * 3, cutoff=0.5)
        offered = list(dict.fromkeys(labels[name] for name in close))[:MAX_SUGGESTIONS]
        if not offered:
            return _("; no name is close to it: check the name or give the code")
        return _("; did you mean: %(names)s") % {"names": "、".join(offered)}

    def _resolve(self, subdistrict: str, community: str, grid: str) -> tuple[str | None, str | None]:
        if community.isdigit():
            return (grid if grid.isdigit() else community), None
        if not community:
            return None, _("give the 社区 (its name or its code)")
        candidates = [unit for unit in self.units.find(community) if unit.level == Level.COMMUNITY]
        pool = self.communities
        if subdistrict:
            within = [unit for unit in self.units.find(subdistrict) if unit.level == Level.SUBDISTRICT]
            if not within:
                return None, _("no 街道 named %(name)s") % {"name": subdistrict} + self._closest(
                    subdistrict, self.subdistricts, with_parent=False
                )
            pool = [unit for unit in self.communities if unit.parent in within]
            candidates = [unit for unit in candidates if unit.parent in within]
            if not candidates:
                return None, _("no 社区 named %(name)s in %(subdistrict)s") % {
                    "name": community,
                    "subdistrict": subdistrict,
                } + self._closest(community, pool, with_parent=False)
        if not candidates:
            return None, _("no 社区 named %(name)s") % {"name": community} + self._closest(
                community, pool, with_parent=True
            )
        if len(candidates) > 1:
            labels = [
                f"{unit.parent.name}·{unit.name}（{unit.code}）" for unit in sorted(candidates, key=lambda u: u.code)
            ]
            return None, _("社区 %(name)s is ambiguous: %(candidates)s; give its 街道 or its code") % {
                "name": community,
                "candidates": "、".join(labels),
            }
        code = candidates[0].code
        if not grid:
            return code, None
        if grid.isdigit():
            return grid, None
        found = self.grids.get((code, grid))
        if found is None:
            offered = [name for (parent, name) in self.grids if parent == code]
            return None, _("no 网格 named %(name)s in %(community)s; its 网格 are: %(names)s") % {
                "name": grid,
                "community": community,
                "names": self._offer(offered) or "—",
            }
        return found, None


# --- Rows that carry a 编号 -----------------------------------------------------------------------------


@dataclass
class Changes:
    """What the rows with a 编号 change, counted; the first SHOWN_CHANGES listed for the preview."""

    updated: int = 0
    voided: int = 0
    unchanged: int = 0
    edited_since_export: int = 0  # changed rows whose household was edited after the ledger was exported
    shown: list[dict] = field(default_factory=list)
    digest: Any = field(default_factory=hashlib.sha256)

    def show(self, entry: dict) -> None:
        if len(self.shown) < SHOWN_CHANGES:
            self.shown.append(entry)


def _text_of(name: str, value) -> str:
    """A household's stored value as a spreadsheet cell would say it, for the row check."""
    if value is None:
        return ""
    if value is True or value is False:
        return "1" if value else "0"
    return str(value)


class Updates:
    """Collects the rows with a 编号, compares them with the households in chunks and stages what changes.

    `checker` is the import's row checker (households.imports._Checker): an edited row is checked exactly as
    a new one, after the columns the file lacks are filled from the household as it stands.

    `exported_at`: when the ledger the file came from was exported. A row that changes a household edited since
    (by a form, the API or another import) is marked in the preview with that edit: the file's other values are
    the household's as exported, and applying it puts them back over the later edit."""

    def __init__(
        self,
        *,
        checker,
        columns: set[str],
        void_entry: list[str] | None,
        spool,
        exported_at: datetime.datetime | None = None,
    ):
        self.checker, self.columns, self.void_entry, self.spool = checker, columns, void_entry, spool
        self.exported_at = exported_at
        self.edits: dict[int, tuple] = {}  # 编号 → (when, by whom) of its latest edit after exported_at
        self.pending: list[tuple[int, int, dict, str]] = []
        self.seen: dict[int, int] = {}  # 编号 → line
        self.changes = Changes()
        self.staged = 0
        self.communities: set[str] = set()
        self.voids: list[tuple[int, str]] = []  # (编号, reason)
        self.division_names: dict[int, str] = {}

    def row(self, line: int, number: str, values: dict, void_reason: str) -> None:
        result = self.checker.result
        try:
            pk = int(number)
            if pk <= 0:
                raise ValueError
        except ValueError:
            result.error(line, _("编号 %(value)s is not a household's number") % {"value": number[:20]})
            return
        if pk in self.seen:
            result.error(line, _("编号 %(id)s is also on line %(line)s") % {"id": pk, "line": self.seen[pk]})
            return
        self.seen[pk] = line
        self.pending.append((line, pk, values, void_reason))
        if len(self.pending) >= UPDATE_CHUNK:
            self.flush()

    def flush(self) -> None:
        if not self.pending:
            return
        pending, self.pending = self.pending, []
        entry = self.checker.entry
        # Outside the user's jurisdiction reads as unknown: the error must not tell that such a household exists.
        current = {
            row[0]: dict(zip(CURRENT_COLUMNS, row, strict=True))
            for row in Household.objects.filter(codes_q(entry, "division_code"), pk__in=[p[1] for p in pending])
            .order_by()
            .values_list(*CURRENT_COLUMNS)
        }
        if self.exported_at is not None and current:
            self.edits.update(_edited_since(list(current), self.exported_at))
        missing = {row["division_id"] for row in current.values()} - set(self.division_names)
        if missing:
            self.division_names.update(Division.objects.filter(pk__in=missing).values_list("pk", "name"))
        for line, pk, values, void_reason in pending:
            household = current.get(pk)
            if household is None:
                self.checker.result.error(line, _("no household with 编号 %(id)s") % {"id": pk})
                continue
            self._compare(line, household, values, void_reason)

    def _compare(self, line: int, household: dict, values: dict, void_reason: str) -> None:
        result, checker = self.checker.result, self.checker
        pk = household["id"]
        if household["voided_at"] is not None:
            if void_reason and void_reason == household["void_reason"]:
                self._unchanged(household)  # the file that voided it, imported again
                return
            result.error(
                line,
                _(
                    "the household with 编号 %(id)s has been voided since the ledger was exported: delete its row, "
                    "or export the ledger again"
                )
                % {"id": pk},
            )
            return
        merged = {name: _text_of(name, household[name]) for name in COMPARED if name != "in_priority_zone"}
        merged["division"] = household["division_code"]
        for name in self.columns:
            if name in merged:
                merged[name] = values.get(name, "")
        # The place by its code or by its names (resolved by the checker); blank, the household stays where it is.
        merged["division"] = values.get("division") or household["division_code"]
        # The ledger writes the number masked for those who see it masked: that number stands for the one on record.
        phone = values.get("phone", "")
        if "*" in phone and household["phone"] and phone == mask_phone(household["phone"]):
            merged["phone"] = household["phone"]
        elif MASKED_PHONE.fullmatch(phone):
            # A masked number that is not the one on record: the number changed after the ledger was exported.
            # The clerk never typed it, so "give 11 digits" would mislead; say what happened instead.
            if household["phone"]:
                message = _(
                    "联系电话 %(value)s was hidden in the exported ledger and has been changed since (now %(current)s, "
                    "hidden by your permissions): export the ledger again before editing it"
                ) % {"value": phone, "current": mask_phone(household["phone"])}
            else:
                message = _(
                    "联系电话 %(value)s was hidden in the exported ledger and has been removed since: "
                    "export the ledger again before editing it"
                ) % {"value": phone}
            result.error(line, message)
            return
        data = checker.check(line, merged)
        if data is None:
            return
        if void_reason and not covers(self.void_entry, household["division_code"]):
            result.error(line, _("you may not void households of %(unit)s") % {"unit": data["division"].name})
            return
        station = checker.station(data)
        after = {name: data[name] for name in COMPARED if name in data}
        after |= {"in_priority_zone": station is not None}
        before = {name: household[name] for name in COMPARED}
        plain = _plain_values
        changes = changes_between(plain(before), plain(after))
        if data["division"].pk != household["division_id"]:
            changes["division"] = [self.division_names.get(household["division_id"], ""), data["division"].name]
        moved_station = (station.pk if station else None) != household["priority_station_id"]
        if not changes and not moved_station and not void_reason:
            self._unchanged(household)
            return
        changes_json = json.dumps(changes, ensure_ascii=False)  # once: the digest and the audit entry
        self.changes.digest.update(f"{pk}:{household['updated_at'].isoformat()}:{changes_json}:{void_reason}".encode())
        label = Household.label_of(None, *(data[name] for name in ("estate", "building", "unit", "room", "address")))
        self.changes.updated += bool(changes)
        self.changes.voided += bool(void_reason)
        edited = self.edits.get(pk)
        self.changes.edited_since_export += edited is not None
        self.changes.show(
            {
                "id": pk,
                "line": line,
                "label": label or f"#{pk}",
                "division_code": data["division"].code,
                "changes": changes,
                "void_reason": void_reason,
                "edited_since_export": [edited[0].isoformat(), edited[1]] if edited else None,
            }
        )
        self.communities.update({household["division_code"][:12], data["division"].code[:12]})
        if void_reason:
            self.voids.append((pk, void_reason))
        self._stage(line, household, data, station, changes, changes_json, label)

    def _unchanged(self, household: dict) -> None:
        self.changes.unchanged += 1
        self.changes.digest.update(f"{household['id']}:{household['updated_at'].isoformat()}".encode())

    def _stage(self, line, household, data, station, changes, changes_json, label) -> None:
        division = data["division"]
        moved = "division" in changes or any(
            name in changes for name in ("estate", "building", "unit", "room", "address")
        )
        fields = [
            household["id"],
            household["updated_at"].isoformat(),
            line,
            division.pk,
            division.code,
            data["kind"],
            *(data[name].strip(SPACES) for name in TEXT),
            *(data[name] for name in BOOLEAN_FIELDS),
            data["heating"],
            data["latitude"],
            data["longitude"],
            station is not None,
            station.pk if station is not None else None,
            data["notes"],
            changes_json,
            (label or f"#{household['id']}")[:200],
            moved,
        ]
        self.spool.write("\t".join(map(_copy_text, fields)) + "\n")
        self.staged += 1


def _edited_since(pks: list[int], since: datetime.datetime) -> dict[int, tuple[datetime.datetime, str]]:
    """{编号: (when, by whom)} of the latest edit after `since` of each of these households (their audit log)."""
    edits = (
        AuditEvent.objects.filter(
            content_type=ContentType.objects.get_for_model(Household),
            object_id__in=[str(pk) for pk in pks],
            action="household.updated",
            at__gt=since,
        )
        .values("object_id")
        .annotate(last=Max("at"))
    )
    latest = {int(row["object_id"]): row["last"] for row in edits}
    if not latest:
        return {}
    names = {}
    for object_id, at, username, full_name in AuditEvent.objects.filter(
        content_type=ContentType.objects.get_for_model(Household),
        object_id__in=[str(pk) for pk in latest],
        action="household.updated",
        at__in=set(latest.values()),
    ).values_list("object_id", "at", "actor__username", "actor__first_name"):
        if latest.get(int(object_id)) == at:
            names[int(object_id)] = full_name or username or ""
    return {pk: (at, names.get(pk, "")) for pk, at in latest.items()}


TEXT = ("estate", "building", "unit", "room", "address", "head_name", "phone")
BOOLEAN_FIELDS = ("unmanaged", "no_gas_or_heating", "elderly_alone", "low_income", "disabled")
COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _copy_text(value) -> str:
    if value is None:
        return "\\N"
    if value is True or value is False:
        return "t" if value else "f"
    if type(value) is str:  # only text can hold what COPY must see escaped
        return value.translate(COPY_ESCAPES)
    return str(value)


def _plain_values(values: dict) -> dict:
    """Values as the audit log records them (coalgov.audit.snapshot): decimals as text."""
    return {
        name: (str(value) if value is not None and name in ("latitude", "longitude") else value)
        for name, value in values.items()
    }


# --- Writing the changes --------------------------------------------------------------------------------

STAGING = "household_update_staging"
STAGED = (
    "id",
    "updated_at",
    "line",
    "division_id",
    "division_code",
    "kind",
    *TEXT,
    *BOOLEAN_FIELDS,
    "heating",
    "latitude",
    "longitude",
    "in_priority_zone",
    "priority_station_id",
    "notes",
    "changes",
    "label",
    "moved",
)
STAGING_TABLE = f"""
    CREATE TEMPORARY TABLE {STAGING} (
        id bigint PRIMARY KEY, updated_at timestamptz, line integer, division_id bigint, division_code varchar(20),
        kind varchar(20), estate varchar(100), building varchar(20), unit varchar(20), room varchar(20),
        address varchar(200), head_name varchar(50), phone varchar(20), unmanaged boolean, no_gas_or_heating boolean,
        elderly_alone boolean, low_income boolean, disabled boolean, heating varchar(16), latitude numeric(9, 6),
        longitude numeric(10, 6), in_priority_zone boolean, priority_station_id bigint, notes text, changes jsonb,
        label text, moved boolean
    ) ON COMMIT DROP
"""
WRITTEN = [name for name in STAGED[3:] if name not in ("changes", "label", "moved")]
# Only a household still as the check read it (same updated_at, not voided) is written.
UPDATE = f"""
    UPDATE households_household AS h
    SET {", ".join(f"{name} = s.{name}" for name in WRITTEN)}, updated_at = %(now)s
    FROM {STAGING} AS s
    WHERE h.id = s.id AND h.updated_at = s.updated_at AND h.voided_at IS NULL
"""
AUDIT = f"""
    INSERT INTO {AuditEvent._meta.db_table}
        (at, actor_id, action, content_type_id, object_id, object_repr, division_code, changes, reason)
    SELECT %(now)s, %(actor)s, 'household.updated', %(content_type)s, s.id::text, s.label, s.division_code, s.changes,
           %(reason)s
    FROM {STAGING} AS s WHERE s.changes <> '{{}}'::jsonb
"""
# A household moved onto an address another current household holds (registered, added by this file, or moved
# there by another of its rows): the register's rule, the same as the import's (services.SPACES).
DUPLICATES = f"""
    SELECT s.line, min(h.id) FROM {STAGING} AS s
    JOIN households_household AS h
      ON h.voided_at IS NULL AND h.id <> s.id AND h.division_code = s.division_code
     AND btrim(h.estate, %(spaces)s) = s.estate AND btrim(h.building, %(spaces)s) = s.building
     AND btrim(h.unit, %(spaces)s) = s.unit AND btrim(h.room, %(spaces)s) = s.room
     AND btrim(h.address, %(spaces)s) = s.address
    WHERE s.moved
    GROUP BY s.line ORDER BY s.line
"""


def changes_write(updates: Updates, *, actor, reason: str, source: str, result) -> None:
    """Write the staged changes inside the import's transaction; raise RegisterChanged if a household changed
    since the check. Duplicated addresses are recorded in `result` as row errors (the caller rolls back)."""
    updates.spool.seek(0)
    now = timezone.now()
    if updates.staged:
        if connection.vendor == "postgresql":
            _write_set_based(updates, actor=actor, reason=reason, now=now, result=result)
        else:
            _write_rows(updates, actor=actor, reason=reason, now=now, result=result)
    for pk, void_reason in updates.voids:
        household = Household.objects.get(pk=pk)
        household_void(actor=actor, household=household, reason=void_reason, source=source)


def _write_set_based(updates: Updates, *, actor, reason: str, now, result) -> None:
    with connection.cursor() as cursor:
        cursor.execute(STAGING_TABLE)
        cursor.copy_expert(f"COPY {STAGING} ({', '.join(STAGED)}) FROM STDIN", updates.spool)
        cursor.execute(f"ANALYZE {STAGING}")
        cursor.execute(UPDATE, {"now": now})
        if cursor.rowcount != updates.staged:
            raise register_changed()
        cursor.execute(DUPLICATES, {"spaces": SPACES})
        for line, other in cursor.fetchall():
            result.error(line, _("the address is already registered (编号 %(id)s)") % {"id": other})
        cursor.execute(
            AUDIT,
            {
                "now": now,
                "actor": actor.pk,
                "content_type": ContentType.objects.get_for_model(Household).pk,
                "reason": reason,
            },
        )
        cursor.execute(f"DROP TABLE {STAGING}")


def _write_rows(updates: Updates, *, actor, reason: str, now, result) -> None:
    """The same without COPY (SQLite, for `make run`): one guarded UPDATE per changed household."""
    from .services import address_key

    content_type = ContentType.objects.get_for_model(Household)
    events, moved = [], []
    for text in updates.spool:
        cells = [None if cell == "\\N" else cell for cell in text.rstrip("\n").split("\t")]
        row = dict(zip(STAGED, cells, strict=True))
        row = {k: _unescape(v) if isinstance(v, str) else v for k, v in row.items()}
        values = {name: row[name] for name in WRITTEN}
        for name in (*BOOLEAN_FIELDS, "in_priority_zone"):
            values[name] = values[name] == "t"
        written = Household.objects.filter(
            pk=int(row["id"]), updated_at=datetime.datetime.fromisoformat(row["updated_at"]), voided_at__isnull=True
        ).update(**values, updated_at=now)
        if written != 1:
            raise register_changed()
        if row["moved"] == "t":
            moved.append((int(row["line"]), int(row["id"])))
        changes = json.loads(row["changes"])
        if changes:
            events.append(
                AuditEvent(
                    at=now,
                    actor=actor,
                    action="household.updated",
                    content_type=content_type,
                    object_id=row["id"],
                    object_repr=row["label"],
                    division_code=row["division_code"],
                    changes=changes,
                    reason=reason,
                )
            )
    for line, pk in moved:
        household = Household.objects.get(pk=pk)
        others = Household.objects.current().filter(division_code=household.division_code).exclude(pk=pk)
        for other in others.only("pk", "estate", "building", "unit", "room", "address"):
            if address_key(other) == address_key(household):
                result.error(line, _("the address is already registered (编号 %(id)s)") % {"id": other.pk})
                break
    AuditEvent.objects.bulk_create(events)


def _unescape(text: str) -> str:
    if "\\" not in text:
        return text
    return text.replace("\\t", "\t").replace("\\n", "\n").replace("\\r", "\r").replace("\\\\", "\\")


def preview_summary(result, changes: Changes) -> dict:
    """What the preview page shows and the confirmation compares: the counts, the digest, the first changes."""
    digest = changes.digest.copy()
    digest.update(f"created:{result.created}:skipped:{result.skipped}:rows:{result.rows}".encode())
    return {
        "digest": digest.hexdigest(),
        "rows": result.rows,
        "created": result.created,
        "skipped": result.skipped,
        "updated": changes.updated,
        "voided": changes.voided,
        "unchanged": changes.unchanged,
        "changes": changes.shown,
        "more": max(changes.updated + changes.voided - len(changes.shown), 0),
        "ignored_columns": result.ignored_columns,
        "registered_rows": result.registered_rows,
        "skipped_rows": result.skipped_rows,
        "edited_since_export": changes.edited_since_export,
    }
