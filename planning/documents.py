"""The plan as an editable .docx: one section per team, estate → building → stairwell, a table of doors to
tick off by hand. The browser prints the same list from HTML with the print stylesheet.

It is a working list, not a 公文: no 文号, no signature or seal. But it is printed on the same office printers as
the official documents and carried at night, so it is laid out by the same builder (coalgov/official_docx.py): A4,
仿宋/黑体, page numbers, the table's header row repeated on every page and no door's row split across pages."""

import copy
import datetime
import re

from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from coalgov.downloads import file_name_part
from coalgov.official_docx import TABLE_SIZE, TEXT_WIDTH_MM, Column, OfficialDocument, table_text_mm

from .selectors import PART_KEYS, PART_LABELS

# LibreOffice puts a quarter of a character between Chinese and figures ("11 号楼 1 单元"), which the builder's
# estimate leaves out; a long address has five such gaps.
SCRIPT_GAP_MM = TABLE_SIZE.pt / 4 * 25.4 / 72
SCRIPT_CHANGE = re.compile(r"(?<=[\u2e80-\u9fff])(?=[0-9A-Za-z])|(?<=[0-9A-Za-z])(?=[\u2e80-\u9fff])")


def _width(text: str) -> float:
    return table_text_mm(text) + SCRIPT_GAP_MM * len(SCRIPT_CHANGE.findall(text))


def _columns(rows: list[tuple]) -> list[Column]:
    """156 mm (A4 portrait), sized to what this plan holds so that no address, score or reason is broken across
    two lines: the score and the tick box as wide as their widest text; the reasons, one a line, as wide as the
    widest ("无主管/无双气 8"); the place as wide as its longest line (an address; tonight's plan adds the last
    check under it), or what is left when that would squeeze the reasons (a very long address then wraps, between
    characters, never inside a figure)."""
    score = max([_width(_("Score"))] + [_width(row[1]) for row in rows])
    checked = _width(_("Checked"))
    widest_part = max([_width(_("Why"))] + [_width(p) for row in rows for p in row[2].split(PART_SEPARATOR)])
    place = max([_width(_("Place"))] + [_width(line) for row in rows for line in row[0].split(LINE)])
    place = min(place, TEXT_WIDTH_MM - score - checked - widest_part)
    return [
        Column(_("Place"), place),
        Column(_("Score"), score, "right"),
        Column(_("Why"), TEXT_WIDTH_MM - place - score - checked),
        Column(_("Checked"), checked, "center"),
    ]


def _last_checked(moment, night: datetime.date) -> str:
    """The line under a door's address on tonight's plan, as the page's 上次检查 column says it: the local day it
    was last visited, or that it never was. Within the year before the night its month and day name one day only
    (12月3日); an older one keeps its year. Under the address, not a column of its own: a fifth column squeezed
    the addresses onto two lines."""
    if moment is None:
        return str(_("Never checked"))
    day = timezone.localtime(moment).date()
    if day > night - datetime.timedelta(days=365):
        written = date_format(day, pgettext("a date format: month and day", "F j"))
    else:
        written = date_format(day, "DATE_FORMAT")
    return _("Last checked %(day)s") % {"day": written}


def tonight_filename(unit, night) -> str:
    """夜查计划_五里堡街道_2026-12-02.docx, named like the ledgers (台账_五里堡街道_….xlsx)."""
    prefix = pgettext("file name", "night-check-plan")
    return f"{prefix}_{file_name_part(unit.name) or unit.code}_{night:%Y-%m-%d}.docx"


def plan_filename(night_plan) -> str:
    """夜查行动_五里堡街道_2026-12-02_17.docx: the operation's number, as a unit may plan two for one night."""
    unit = night_plan.division
    prefix = pgettext("file name", "night-check-operation")
    # The operation's number, which its page's address shows (/fieldwork/operations/17/); the plan's own is shown
    # nowhere a person could match a file to.
    number = night_plan.operation_id
    return f"{prefix}_{file_name_part(unit.name) or unit.code}_{night_plan.date:%Y-%m-%d}_{number}.docx"


def _document(title: str, subtitle: str) -> OfficialDocument:
    document = OfficialDocument(title)
    document.title(title)
    document.paragraph(subtitle, align="center")
    return document


def _heading(paragraph) -> None:
    """A team's or an estate's heading stays on the page of the table under it (never alone at a page's foot)."""
    paragraph.paragraph_format.keep_with_next = True


PART_SEPARATOR = "、"
LINE = "\n"


def _one_a_line(cell_xml, separator: str) -> None:
    """A cell's parts one a line (a line break for each separator): a door's reasons, each 、, never broken
    between two lines, as Chinese text otherwise breaks between any two characters; a place and its last check."""
    (text,) = cell_xml.iter(qn("w:t"))
    first, *rest = text.text.split(separator)
    text.text = first
    for part in reversed(rest):
        following = copy.deepcopy(text)
        following.text = part
        text.addnext(following)
        text.addnext(OxmlElement("w:br"))


def _parts(parts: dict) -> str:
    """A door's reasons in the planner's order (PART_KEYS), as the plan's page lists them: a plan's stored reasons
    come back from PostgreSQL's jsonb ordered by the keys' length. A no-break space holds each reason's points to
    its name: "无主管/无双气 8" never ends a line before the 8."""
    ordered = sorted(
        parts.items(), key=lambda item: PART_KEYS.index(item[0]) if item[0] in PART_KEYS else len(PART_KEYS)
    )
    return PART_SEPARATOR.join(f"{PART_LABELS.get(k, k)}\u00a0{_points(v)}" for k, v in ordered)


def _table(document: OfficialDocument, columns: list[Column], rows: list[tuple]) -> None:
    # The builder keeps formula-looking text inert, as the workbooks do.
    table = document.table(columns, [list(row) for row in rows])
    for tr in table._tbl.tr_lst[1:]:
        _one_a_line(tr.tc_lst[0], LINE)
        _one_a_line(tr.tc_lst[2], PART_SEPARATOR)
    # The header row keeps with the first door under it, so that a heading (kept with the table) never ends a
    # page with only the header row beside it; Word and WPS read this from the row's paragraphs.
    for paragraph in table.rows[0]._tr.iter(qn("w:p")):
        Paragraph(paragraph, table._parent).paragraph_format.keep_with_next = True


def _points(value: float) -> str:
    """A score as the page shows it: at most two decimals, no trailing zeros (25.29, 40)."""
    return f"{round(value, 2):g}"


def _group_name(estate) -> str:
    """An estate's heading; a place on its own (a street shop: no estate) is headed by its community only, since
    its row names it (as on the printed page)."""
    first = estate.children[0].children[0].stops[0]
    return estate.name if first.estate else (first.community or estate.name)


def _team_heading(document: OfficialDocument, team, *, new_page: bool) -> None:
    """A team's heading; after the first, on a page of its own (each team leader is handed their own sheets).
    The break belongs to the heading (page_break_before), not to a paragraph of its own after the last table:
    a team that filled its page exactly left that paragraph alone on the next page, a blank sheet."""
    heading = document.heading(_("Team %(number)s (%(count)s doors)") % {"number": team.number, "count": team.count})
    heading.paragraph_format.page_break_before = new_page
    _heading(heading)


def tonight_docx(context: dict) -> bytes:
    """Tonight's suggested plan (not yet an operation), one section per team, with each door's last check as on
    the page (the leader sends a team first where nobody has been for longest)."""
    document = _document(
        _("%(unit)s night-check plan") % {"unit": context["unit"].name},
        _("Night of %(date)s · %(count)s places")
        % {"date": date_format(context["night"], "DATE_FORMAT"), "count": context["suggested"]},
    )
    sections = [
        (
            team,
            [
                (
                    estate,
                    [
                        (
                            f"{stop.label}{LINE}{_last_checked(stop.last_visit, context['night'])}",
                            _points(stop.score),
                            _parts(stop.parts),
                            "□",
                        )
                        for building in estate.children
                        for well in building.children
                        for stop in well.stops
                    ],
                )
                for estate in team.estates
            ],
        )
        for team in context["teams"]
    ]
    # One set of widths for the whole plan: the columns line up from one table to the next.
    columns = _columns([row for _team, estates in sections for _estate, rows in estates for row in rows])
    for number, (team, estates) in enumerate(sections):
        _team_heading(document, team, new_page=bool(number))
        for estate, rows in estates:
            group = _("%(group)s (%(count)s)") % {"group": _group_name(estate), "count": estate.count}
            _heading(document.paragraph(group, align="left", bold=True))
            _table(document, columns, rows)
    return document.bytes()


def plan_docx(context: dict) -> bytes:
    """A plan turned into an operation: each team's doors, ticked where a visit has been recorded."""
    night_plan = context["plan"]
    document = _document(
        f"{night_plan.operation.title}",
        _(
            "%(unit)s · night of %(date)s · led by %(leader)s · %(covered)s of %(total)s doors checked, coal found at "
            "%(found)s"
        )
        % {
            "unit": night_plan.division.name,
            "date": date_format(night_plan.date, "DATE_FORMAT"),
            "leader": night_plan.operation.leader,
            "covered": context["covered"],
            "total": context["total"],
            "found": context["found"],
        },
    )
    # Each door as the page numbers and names it (1, 2, 3 in walking order; its community, then its address), so
    # that a leader on the telephone and a team reading the sheet speak of the same door.
    sections = [
        (
            team,
            [
                (
                    f"{s.number}．{s.household.label}{LINE}{s.household.division.name}",
                    _points(s.score),
                    _parts(s.parts),
                    "☑" if s.covered else "□",
                )
                for s in team.stops
            ],
        )
        for team in context["teams"]
    ]
    columns = _columns([row for _team, rows in sections for row in rows])
    for number, (team, rows) in enumerate(sections):
        _team_heading(document, team, new_page=bool(number))
        if team.members:  # who walks with the team, as its page names them
            names = "、".join(person.first_name or person.username for person in team.members)
            _heading(document.paragraph(_("Members: %(names)s") % {"names": names}, align="left"))
        _table(document, columns, rows)
    return document.bytes()
