"""The plan as an editable .docx: one section per team, estate → building → stairwell, a table of doors to
tick off by hand. The browser prints the same list from HTML with the print stylesheet."""

import io

from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from coalgov.exports import inert_text

from .selectors import PART_LABELS

FONT = "SimSun"  # 宋体, as the case documents


def _document(title: str, subtitle: str):
    document = Document()
    style = document.styles["Normal"]
    style.font.name = FONT
    style.font.size = Pt(11)
    style.element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = heading.add_run(title)
    run.bold = True
    run.font.size = Pt(18)
    document.add_paragraph(subtitle).alignment = WD_ALIGN_PARAGRAPH.CENTER
    return document


def _parts(parts: dict) -> str:
    return "、".join(f"{PART_LABELS.get(k, k)} {v:g}" for k, v in parts.items())


def _table(document, rows: list[tuple]) -> None:
    table = document.add_table(rows=1, cols=4)
    table.style = "Table Grid"
    for cell, text in zip(table.rows[0].cells, [_("Place"), _("Score"), _("Why"), _("Checked")], strict=True):
        cell.text = text
    for row in rows:
        cells = table.add_row().cells
        for cell, text in zip(cells, row, strict=True):
            cell.text = inert_text(str(text))


def _bytes(document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def tonight_docx(context: dict) -> bytes:
    """Tonight's suggested plan (not yet an operation), one section per team."""
    document = _document(
        _("%(unit)s night-check plan") % {"unit": context["unit"].name},
        _("Night of %(date)s · %(count)s places")
        % {"date": f"{context['night']:%Y-%m-%d}", "count": context["suggested"]},
    )
    for team in context["teams"]:
        document.add_heading(_("Team %(number)s (%(count)s doors)") % {"number": team.number, "count": team.count}, 2)
        for estate in team.estates:
            document.add_paragraph(f"{estate.name}（{estate.count}）").runs[0].bold = True
            rows = [
                (stop.label, f"{stop.score:g}", _parts(stop.parts), "□")
                for building in estate.children
                for well in building.children
                for stop in well.stops
            ]
            _table(document, rows)
    return _bytes(document)


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
        document.add_heading(_("Team %(number)s (%(count)s doors)") % {"number": team.number, "count": team.count}, 2)
        _table(
            document,
            [(s.household.label, f"{s.score:g}", _parts(s.parts), "☑" if s.covered else "□") for s in team.stops],
        )
    return _bytes(document)
