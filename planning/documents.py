"""The plan as an editable .docx: one section per team, estate → building → stairwell, a table of doors to
tick off by hand. The browser prints the same list from HTML with the print stylesheet.

It is a working list, not a 公文: no 文号, no signature or seal. But it is printed on the same office printers as
the official documents and carried at night, so it is laid out by the same builder (coalgov/official_docx.py): A4,
仿宋/黑体, page numbers, the table's header row repeated on every page and no door's row split across pages."""

from django.utils.translation import gettext as _
from docx.oxml.ns import qn
from docx.text.paragraph import Paragraph

from coalgov.official_docx import Column, OfficialDocument

from .selectors import PART_LABELS


def _columns() -> list[Column]:
    """156 mm: the place (an address of up to about twenty characters on two lines), the score, why it scores,
    a box to tick."""
    return [
        Column(_("Place"), 58),
        Column(_("Score"), 16, "right"),
        Column(_("Why"), 66),
        Column(_("Checked"), 16, "center"),
    ]


def _document(title: str, subtitle: str) -> OfficialDocument:
    document = OfficialDocument(title)
    document.title(title)
    document.paragraph(subtitle, align="center")
    return document


def _heading(paragraph) -> None:
    """A team's or an estate's heading stays on the page of the table under it (never alone at a page's foot)."""
    paragraph.paragraph_format.keep_with_next = True


def _parts(parts: dict) -> str:
    return "、".join(f"{PART_LABELS.get(k, k)} {v:g}" for k, v in parts.items())


def _table(document: OfficialDocument, rows: list[tuple]) -> None:
    # The builder keeps formula-looking text inert, as the workbooks do.
    table = document.table(_columns(), [[str(text) for text in row] for row in rows])
    # The header row keeps with the first door under it, so that a heading (kept with the table) never ends a
    # page with only the header row beside it; Word and WPS read this from the row's paragraphs.
    for paragraph in table.rows[0]._tr.iter(qn("w:p")):
        Paragraph(paragraph, table._parent).paragraph_format.keep_with_next = True


def tonight_docx(context: dict) -> bytes:
    """Tonight's suggested plan (not yet an operation), one section per team."""
    document = _document(
        _("%(unit)s night-check plan") % {"unit": context["unit"].name},
        _("Night of %(date)s · %(count)s places")
        % {"date": f"{context['night']:%Y-%m-%d}", "count": context["suggested"]},
    )
    for team in context["teams"]:
        _heading(
            document.heading(_("Team %(number)s (%(count)s doors)") % {"number": team.number, "count": team.count})
        )
        for estate in team.estates:
            _heading(document.paragraph(f"{estate.name}（{estate.count}）", align="left", bold=True))
            rows = [
                (stop.label, f"{stop.score:g}", _parts(stop.parts), "□")
                for building in estate.children
                for well in building.children
                for stop in well.stops
            ]
            _table(document, rows)
    return document.bytes()


def plan_docx(context: dict) -> bytes:
    """A plan turned into an operation: each team's doors, ticked where a visit has been recorded."""
    night_plan = context["plan"]
    document = _document(
        f"{night_plan.operation.title}",
        _("%(unit)s · night of %(date)s · %(covered)s of %(total)s doors checked")
        % {
            "unit": night_plan.division.name,
            "date": f"{night_plan.date:%Y-%m-%d}",
            "covered": context["covered"],
            "total": context["total"],
        },
    )
    for team in context["teams"]:
        _heading(
            document.heading(_("Team %(number)s (%(count)s doors)") % {"number": team.number, "count": team.count})
        )
        _table(
            document,
            [(s.household.label, f"{s.score:g}", _parts(s.parts), "☑" if s.covered else "□") for s in team.stops],
        )
    return document.bytes()
