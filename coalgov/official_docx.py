"""Official documents (公文) as .docx, laid out by GB/T 9704-2012 (党政机关公文格式) where it applies.

Every .docx the system writes — the weekly bulletin (周通报), the rectification notice (整改通知书), the follow-up
sheet (督办单) — starts from `OfficialDocument`, so the page, the fonts, the page numbers and the properties are
decided here once:

- A4 (210 × 297 mm); margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right: a text block of 156 × 225 mm.
- Body text 仿宋_GB2312 三号 (16 pt), first line indented two characters, exact line spacing of 28.95 pt. The
  text block is 225 mm = 637.8 pt high: 22 lines of 28.95 pt fill it (22 × 28.95 = 636.9 pt); the document
  grid (`w:docGrid` type "lines", pitch 579 twips) says the same to Word and WPS. It is 156 mm = 442.2 pt wide:
  28 characters of 16 pt would need 448 pt, so characters are condensed by 0.25 pt (28 × 15.75 = 441 pt). A
  character grid (charSpace -849) would do it in Word, but LibreOffice then gives each 16 pt character two cells
  of 15.79 pt and prints 14 a line. Widow control is off, as in the 公文 templates: every page holds 22 lines.
- Title 方正小标宋简体 二号 (22 pt), centred; headings in 黑体.
- Page numbers 4号 (14 pt) half-width Arabic figures between dashes, "— 1 —", at the outside bottom: odd pages
  on the right, even pages on the left, one character in from the edge of the text block (a PAGE field in the
  odd and even footers, with different odd and even footers switched on).
- Fonts are named for East Asian text (`w:eastAsia`, which WPS and Word use for Chinese) and in the font table
  with the names a PC without the GB2312 fonts has instead (仿宋 / FangSong, 宋体 / SimSun, 黑体 / SimHei).
- Language zh-CN; no spacing after paragraphs (Word's default 10 pt is removed).
- Core properties: the system as author and last editor, the real time of writing as created and modified, the
  document's title.

Tables (`table`) have explicit column widths that add up to the text width, repeat their header row on every
page and never split a row across pages.
"""

from __future__ import annotations

import datetime
import io
import re
from dataclasses import dataclass
from html import escape

from django.utils import timezone
from docx import Document
from docx.enum.section import WD_ORIENT
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.oxml import OxmlElement, parse_xml
from docx.oxml.ns import nsdecls, qn
from docx.shared import Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph
from lxml import etree

from coalgov.exports import chinese_date, inert_text

SYSTEM_NAME = "散煤治理案件管理系统"
# 区散煤办's full name follows the district's: 二七区散煤治理工作领导小组办公室.
OFFICE_SUFFIX = "散煤治理工作领导小组办公室"

TITLE_FONT = "方正小标宋简体"
BODY_FONT = "仿宋_GB2312"
HEADING_FONT = "黑体"
NUMBER_FONT = "宋体"  # page numbers: 4号半角宋体阿拉伯数字

# The font table's entries: the name the document asks for, what to use where it is missing (altName), and the
# character set (134 = GB2312) and family that let Word and WPS pick a similar font.
FONTS = {
    TITLE_FONT: ("宋体", "roman"),
    BODY_FONT: ("仿宋", "modern"),
    "仿宋": ("FangSong", "modern"),
    HEADING_FONT: ("SimHei", "modern"),
    NUMBER_FONT: ("SimSun", "auto"),
}

PAGE_WIDTH = Mm(210)
PAGE_HEIGHT = Mm(297)
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = Mm(37), Mm(35), Mm(28), Mm(26)
TEXT_WIDTH_MM = 156  # 210 - 28 - 26

TITLE_SIZE = Pt(22)  # 二号
# 发文机关标志: red 方正小标宋简体, centred, smaller than 22 × 15 mm a character (GB/T 9704 7.2.3). 小一 (24 pt, 8.5 mm)
# keeps 二七区散煤治理工作领导小组办公室 (16 characters, 136 mm) on one line of the 156 mm text block.
ISSUER_MARK_SIZE = Pt(24)
RED = RGBColor(0xFF, 0x00, 0x00)  # 发文机关标志 and 分隔线 (GB/T 9704 7.2.3, 7.2.6)
RED_HEX = "FF0000"
# The red rule under the 文号: as wide as the text block, 4 mm below the 文号 (GB/T 9704 7.2.6); 1.5 pt thick.
RULE_EIGHTHS = 12  # w:sz of a border, in eighths of a point
RULE_GAP_PT = 11  # ≈ 4 mm
BODY_SIZE = Pt(16)  # 三号
PAGE_NUMBER_SIZE = Pt(14)  # 4号
TABLE_SIZE = Pt(12)  # 小四: tables hold more than prose
LINE_PITCH = Pt(28.95)  # 22 lines in the 225 mm text block
LINE_PITCH_TWIPS = 579  # 28.95 pt, in twentieths of a point
CONDENSED = -5  # character spacing in twentieths of a point (-0.25 pt): 28 characters a line
BODY_CHAR = 16  # one character of body text, in points
# Blank lines between the text and the signature. The seal (42 mm, about four lines) is pressed over the
# signature and the date, its top within a line of the text (GB/T 9704 7.3.5.1): two blank lines and those two.
SEAL_LINES = 2
TABLE_LINE = Pt(20)  # 小四, a little over one and a half: readable, and a 督办单 still fits one page

ALIGNMENTS = {"left": WD_ALIGN_PARAGRAPH.LEFT, "center": WD_ALIGN_PARAGRAPH.CENTER, "right": WD_ALIGN_PARAGRAPH.RIGHT}

# What follows w:snapToGrid in a paragraph's properties (the schema's order).
AFTER_SNAP_TO_GRID = (
    "w:spacing", "w:ind", "w:contextualSpacing", "w:mirrorIndents", "w:suppressOverlap", "w:jc", "w:textDirection",
    "w:textAlignment", "w:textboxTightWrap", "w:outlineLvl", "w:divId", "w:cnfStyle", "w:rPr", "w:sectPr",
    "w:pPrChange",
)  # fmt: skip

PLACEHOLDER_TEXT = "<w:t>-</w:t>"  # a table's data cell as formatted, before its text is written in
TABLE_NAMESPACES = ("w",)  # the prefixes a table row's XML uses
CONTROL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(value: str) -> str:
    """Text Word accepts: control characters (pasted from other systems) are dropped."""
    return CONTROL_CHARACTERS.sub("", value)


def table_text_mm(text: str, size: Pt = None) -> float:
    """The width a table cell needs to print `text` on one line: its characters (12 pt, condensed by 0.25 pt; a
    figure or letter counted as 0.6 of a character, as the CJK fonts' proportional figures print) plus the cell's
    margins (1.9 mm each side, Word's and LibreOffice's default) and 2 mm to spare."""
    size = size or TABLE_SIZE
    characters = sum(0.6 if ord(c) < 0x2000 else 1 for c in text)
    return characters * (size.pt - 0.25) * 25.4 / 72 + 3.8 + 2


def office_name(unit_name: str) -> str:
    """The issuing office's full name, as it signs documents (发文机关署名)."""
    return f"{unit_name}{OFFICE_SUFFIX}"


def printed_width(text: str) -> float:
    """Printed width in characters: a half-width letter or figure counts half."""
    return sum(0.5 if ord(c) < 0x2000 else 1 for c in text)


@dataclass(frozen=True)
class Column:
    header: str
    width_mm: float
    align: str = "left"  # left | center | right


def _fonts(r_pr, font: str) -> None:
    fonts = r_pr.get_or_add_rFonts()
    for attr in list(fonts.attrib):  # theme fonts would override the names
        del fonts.attrib[attr]
    for attr in ("w:ascii", "w:hAnsi", "w:eastAsia", "w:cs"):
        fonts.set(qn(attr), font)
    fonts.set(qn("w:hint"), "eastAsia")


def _run_font(run, font: str, size: Pt | None = None, bold: bool | None = None) -> None:
    run.font.name = font
    _fonts(run._element.get_or_add_rPr(), font)
    if size is not None:
        run.font.size = size
    if bold is not None:
        run.font.bold = bold


def _exact(paragraph_format, pitch=LINE_PITCH) -> None:
    """Exact line spacing, nothing before or after. A pitch other than the body's leaves the line grid, which
    would otherwise round each line up to a whole number of 28.95 pt lines."""
    paragraph_format.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    paragraph_format.line_spacing = pitch
    paragraph_format.space_before = Pt(0)
    paragraph_format.space_after = Pt(0)
    if pitch != LINE_PITCH:
        p_pr = paragraph_format._element.get_or_add_pPr()
        if p_pr.find(qn("w:snapToGrid")) is None:
            snap = OxmlElement("w:snapToGrid")
            snap.set(qn("w:val"), "0")
            p_pr.insert_element_before(snap, *AFTER_SNAP_TO_GRID)


def _field(paragraph: Paragraph, instruction: str, shown: str, font: str, size: Pt) -> None:
    """A field (PAGE) as Word writes it: begin, instruction, separate, the last value shown, end."""

    def run_with(child):
        run = paragraph.add_run()
        _run_font(run, font, size)
        run._element.append(child)

    begin = OxmlElement("w:fldChar")
    begin.set(qn("w:fldCharType"), "begin")
    run_with(begin)
    text = OxmlElement("w:instrText")
    text.set(qn("xml:space"), "preserve")
    text.text = f" {instruction} "
    run_with(text)
    separate = OxmlElement("w:fldChar")
    separate.set(qn("w:fldCharType"), "separate")
    run_with(separate)
    run = paragraph.add_run(shown)
    _run_font(run, font, size)
    end = OxmlElement("w:fldChar")
    end.set(qn("w:fldCharType"), "end")
    run_with(end)


class OfficialDocument:
    """One official document: `title`, `line`s of text, `table`s, a `signature`; `bytes()` to save."""

    def __init__(self, title: str, made_at: datetime.datetime | None = None):
        """`made_at`: the time the document's properties give as created (a published week's, say, so that
        every copy of it is the same file); now if not given."""
        self.title_text = title
        self.document = Document()
        self._page()
        self._styles()
        self._font_table()
        self._page_numbers()
        self._properties(made_at or timezone.now())

    # — set-up —

    def _page(self) -> None:
        section = self.document.sections[0]
        section.orientation = WD_ORIENT.PORTRAIT
        section.page_width, section.page_height = PAGE_WIDTH, PAGE_HEIGHT
        section.top_margin, section.bottom_margin = MARGIN_TOP, MARGIN_BOTTOM
        section.left_margin, section.right_margin = MARGIN_LEFT, MARGIN_RIGHT
        section.header_distance = Mm(15)
        # The page number's dash line sits about 7 mm below the text block: the footer's one 14 pt line
        # (≈ 6 mm) ends 22 mm above the page's edge.
        section.footer_distance = Mm(22)
        grid = section._sectPr.find(qn("w:docGrid"))
        if grid is None:
            grid = OxmlElement("w:docGrid")
            section._sectPr.append(grid)
        grid.set(qn("w:type"), "lines")
        grid.set(qn("w:linePitch"), str(LINE_PITCH_TWIPS))
        grid.attrib.pop(qn("w:charSpace"), None)

    def _styles(self) -> None:
        styles = self.document.styles
        defaults = styles.element.find(qn("w:docDefaults"))
        r_pr = defaults.find(f"{qn('w:rPrDefault')}/{qn('w:rPr')}")
        _fonts(r_pr, BODY_FONT)
        r_pr.find(qn("w:sz")).set(qn("w:val"), "32")
        r_pr.find(qn("w:szCs")).set(qn("w:val"), "32")
        lang = r_pr.find(qn("w:lang"))
        lang.set(qn("w:val"), "zh-CN")
        lang.set(qn("w:eastAsia"), "zh-CN")
        spacing = defaults.find(f"{qn('w:pPrDefault')}/{qn('w:pPr')}/{qn('w:spacing')}")
        spacing.set(qn("w:after"), "0")
        spacing.set(qn("w:line"), str(LINE_PITCH_TWIPS))
        spacing.set(qn("w:lineRule"), "exact")
        normal = styles["Normal"]
        normal.font.name = BODY_FONT
        normal.font.size = BODY_SIZE
        _fonts(normal.element.get_or_add_rPr(), BODY_FONT)
        _exact(normal.paragraph_format)
        normal.paragraph_format.widow_control = False
        condensed = OxmlElement("w:spacing")
        condensed.set(qn("w:val"), str(CONDENSED))
        normal.element.get_or_add_rPr().find(qn("w:sz")).addprevious(condensed)  # the schema's order
        table_grid = styles["Table Grid"]
        table_grid.font.size = TABLE_SIZE

    def _font_table(self) -> None:
        part = next(rel.target_part for rel in self.document.part.rels.values() if rel.reltype == RT.FONT_TABLE)
        table = parse_xml(part.blob)
        for name, (alternative, family) in FONTS.items():
            font = parse_xml(
                f'<w:font {nsdecls("w")} w:name="{name}"><w:altName w:val="{alternative}"/>'
                f'<w:charset w:val="86"/><w:family w:val="{family}"/><w:pitch w:val="variable"/></w:font>'
            )
            table.append(font)
        part._blob = etree.tostring(table, xml_declaration=True, encoding="UTF-8", standalone=True)

    def _page_numbers(self) -> None:
        self.document.settings.odd_and_even_pages_header_footer = True
        section = self.document.sections[0]
        for footer, outside in ((section.footer, "right"), (section.even_page_footer, "left")):
            footer.is_linked_to_previous = False
            paragraph = footer.paragraphs[0]
            _exact(paragraph.paragraph_format, Pt(17))
            if outside == "right":
                paragraph.alignment = WD_ALIGN_PARAGRAPH.RIGHT
                paragraph.paragraph_format.right_indent = Pt(14)  # 空一字
            else:
                paragraph.alignment = WD_ALIGN_PARAGRAPH.LEFT
                paragraph.paragraph_format.left_indent = Pt(14)
            _run_font(paragraph.add_run("— "), NUMBER_FONT, PAGE_NUMBER_SIZE)
            _field(paragraph, "PAGE", "1", NUMBER_FONT, PAGE_NUMBER_SIZE)
            _run_font(paragraph.add_run(" —"), NUMBER_FONT, PAGE_NUMBER_SIZE)

    def _properties(self, made_at: datetime.datetime) -> None:
        properties = self.document.core_properties
        # python-docx writes the time as UTC ("…Z"): give it UTC without a zone.
        made_at = made_at.astimezone(datetime.UTC).replace(tzinfo=None, microsecond=0)
        properties.author = properties.last_modified_by = SYSTEM_NAME
        properties.created = properties.modified = made_at
        printed = properties._element.find(qn("cp:lastPrinted"))
        if printed is not None:  # the template's own, from 2013
            properties._element.remove(printed)
        properties.revision = 1
        properties.title = self.title_text
        properties.language = "zh-CN"
        properties.comments = properties.keywords = properties.subject = properties.category = ""

    # — content —

    def paragraph(
        self,
        text: str = "",
        *,
        font: str = BODY_FONT,
        size: Pt = BODY_SIZE,
        align: str = "justify",
        indent: bool = False,
        bold: bool = False,
        right_chars: float = 0,
    ) -> Paragraph:
        paragraph = self.document.add_paragraph()
        paragraph.alignment = {
            "justify": WD_ALIGN_PARAGRAPH.JUSTIFY,
            "center": WD_ALIGN_PARAGRAPH.CENTER,
            "right": WD_ALIGN_PARAGRAPH.RIGHT,
            "left": WD_ALIGN_PARAGRAPH.LEFT,
        }[align]
        if indent:
            paragraph.paragraph_format.first_line_indent = Pt(2 * BODY_CHAR)
            # WPS reads the indent in characters; Word keeps both in step.
            paragraph.paragraph_format._element.get_or_add_pPr().get_or_add_ind().set(qn("w:firstLineChars"), "200")
        if right_chars:
            paragraph.paragraph_format.right_indent = Pt(right_chars * BODY_CHAR)
        if text:
            _run_font(paragraph.add_run(clean_text(text)), font, size, bold or None)
        return paragraph

    def title(self, text: str) -> Paragraph:
        """The title (标题): 二号方正小标宋简体, centred, followed by an empty line."""
        paragraph = self.paragraph(text, font=TITLE_FONT, size=TITLE_SIZE, align="center")
        _exact(paragraph.paragraph_format, Pt(36))  # a 22 pt line needs more than the body's 28.95 pt
        self.paragraph()
        return paragraph

    def letterhead(self, issuer: str, number: str) -> None:
        """The 版头 (GB/T 9704 7.2): the 发文机关标志 in red 方正小标宋简体, centred; an empty line; the 发文字号
        centred under it; the red rule (分隔线) 4 mm under the 文号, as wide as the text block; then an empty line
        before the title."""
        mark = self.paragraph(issuer, font=TITLE_FONT, size=ISSUER_MARK_SIZE, align="center")
        _exact(mark.paragraph_format, Pt(40))
        for run in mark.runs:
            run.font.color.rgb = RED
        self.paragraph()
        numbered = self.number(number)
        border = parse_xml(
            f'<w:pBdr {nsdecls("w")}><w:bottom w:val="single" w:sz="{RULE_EIGHTHS}" w:space="{RULE_GAP_PT}" '
            f'w:color="{RED_HEX}"/></w:pBdr>'
        )
        numbered._p.get_or_add_pPr().insert_element_before(
            border, "w:shd", "w:tabs", "w:suppressAutoHyphens", "w:kinsoku", "w:wordWrap", "w:overflowPunct",
            "w:topLinePunct", "w:autoSpaceDE", "w:autoSpaceDN", "w:bidi", "w:adjustRightInd", "w:snapToGrid",
            *AFTER_SNAP_TO_GRID,
        )  # fmt: skip
        self.paragraph()

    def number(self, text: str) -> Paragraph:
        """The 发文字号, centred under the issuer (GB/T 9704 7.2.4)."""
        return self.paragraph(text, align="center")

    def heading(self, text: str) -> Paragraph:
        """A first-level heading (一、…): 黑体, indented like the body."""
        return self.paragraph(text, font=HEADING_FONT, indent=True)

    def text(self, text: str) -> Paragraph:
        """A paragraph of body text: 仿宋_GB2312 三号, first line indented two characters."""
        return self.paragraph(text, indent=True)

    def addressee(self, text: str) -> Paragraph:
        """The 主送机关: flush left, ending in a full-width colon."""
        return self.paragraph(f"{text}：", align="left")

    def signature(self, issuer: str, day: datetime.date) -> None:
        """The 发文机关署名 and 成文日期 with room above them for the seal (GB/T 9704 7.3.5.1): the date four
        characters in from the right, the issuer centred over the date (or flush right when it is longer)."""
        # The blank lines and the issuer keep with what follows them: the seal's block never starts a page by
        # itself (a page holding only a signature is not a document anyone stamps).
        for _ in range(SEAL_LINES):
            self.paragraph().paragraph_format.keep_with_next = True
        date = chinese_date(day)
        offset = 4 + (printed_width(date) - printed_width(issuer)) / 2
        self.paragraph(issuer, align="right", right_chars=max(offset, 0)).paragraph_format.keep_with_next = True
        self.paragraph(date, align="right", right_chars=4)

    def spacer(self, points: float) -> Paragraph:
        """An empty paragraph of exactly `points`: less room than a whole body line, between two tables."""
        paragraph = self.paragraph()
        _exact(paragraph.paragraph_format, Pt(points))
        return paragraph

    def void_stamp(self, text: str) -> Paragraph:
        """A voided document's mark (作废): red 黑体, bordered, so that nobody stamps or sends it."""
        paragraph = self.paragraph(text, font=HEADING_FONT, align="center", bold=True)
        for run in paragraph.runs:
            run.font.color.rgb = RED
        return paragraph

    @staticmethod
    def keep_with_next(table, rows: int | None = None) -> None:
        """The table's last `rows` (all of them by default) keep with the paragraph after them (the signature).
        Word and WPS read each row's paragraphs; LibreOffice keeps a table with the next paragraph only when every
        row is marked (measured with LibreOffice 7.4: marking the last two rows alone left a signature by itself),
        so a short table is kept whole."""
        rows = len(table.rows) if rows is None else rows
        for row in table.rows[-rows:]:
            for paragraph in row._tr.iter(qn("w:p")):
                Paragraph(paragraph, table._parent).paragraph_format.keep_with_next = True

    def page_break(self) -> None:
        self.document.add_page_break()

    def attachment(self, title: str) -> None:
        """An attachment on a new page (GB/T 9704 8.2): "附件" in 黑体 flush left, then its title."""
        self.page_break()
        self.paragraph("附件", font=HEADING_FONT, align="left")
        heading = self.paragraph(title, font=TITLE_FONT, size=TITLE_SIZE, align="center")
        _exact(heading.paragraph_format, Pt(36))

    def table(
        self, columns: list[Column], rows: list[list[str]], *, header: bool = True, bold_first_column: bool = False
    ):
        """A table whose widths add up to the text width, header row repeated on every page, rows never split."""
        total = sum(c.width_mm for c in columns)
        assert abs(total - TEXT_WIDTH_MM) < 0.5, f"columns add up to {total} mm, not {TEXT_WIDTH_MM}"
        # The header and the first data row only: the other rows are copies of the first (below).
        table = self.document.add_table(rows=int(header) + min(len(rows), 1), cols=len(columns))
        table.style = self.document.styles["Table Grid"]
        table.alignment = WD_TABLE_ALIGNMENT.CENTER
        table.autofit = False
        tbl_pr = table._tbl.tblPr
        width = OxmlElement("w:tblW")
        width.set(qn("w:w"), str(round(Mm(TEXT_WIDTH_MM).twips)))
        width.set(qn("w:type"), "dxa")
        existing = tbl_pr.find(qn("w:tblW"))
        if existing is not None:
            tbl_pr.remove(existing)
        tbl_pr.append(width)
        layout = OxmlElement("w:tblLayout")
        layout.set(qn("w:type"), "fixed")
        tbl_pr.append(layout)
        for grid_col, column in zip(table._tbl.tblGrid.findall(qn("w:gridCol")), columns, strict=True):
            grid_col.set(qn("w:w"), str(round(Mm(column.width_mm).twips)))
        if header:
            self._format_row(table, table.rows[0], columns, header=True, strong_first=False)
        data = table.rows[1 if header else 0 :]
        if not data:
            return table
        # Format the first data row, then write every row as a copy of its XML with its own text, parsed at once:
        # python-docx spends milliseconds a cell on formatting, and copying the row element by element a
        # millisecond a row, too long for a district's 176 communities.
        prototype = self._format_row(table, data[0], columns, header=False, strong_first=bold_first_column)
        namespaces = re.compile(r' xmlns:\w+="[^"]*"')
        before, *between = namespaces.sub("", etree.tostring(prototype, encoding="unicode")).split(PLACEHOLDER_TEXT)
        assert len(between) == len(columns), "one placeholder text a cell"
        xml = []
        for values in rows:
            # A table's cells are what gets copied into a spreadsheet: formula-looking text stays inert
            # (coalgov.exports), whichever document the table is in. Prose is never evaluated.
            texts = (escape(clean_text(inert_text(value)), quote=False) for value in values)
            xml += [
                before,
                *(f'<w:t xml:space="preserve">{t}</w:t>{rest}' for t, rest in zip(texts, between, strict=True)),
            ]
        parsed = parse_xml(f"<w:tbl {nsdecls(*TABLE_NAMESPACES)}>{''.join(xml)}</w:tbl>")
        table._tbl.remove(prototype)
        for tr in list(parsed):
            table._tbl.append(tr)
        return table

    @staticmethod
    def _format_row(table, row, columns: list[Column], *, header: bool, strong_first: bool):
        """Give a row its properties and each cell its width, spacing, alignment and font (the text comes later);
        returns the row's XML."""
        tr_pr = row._tr.get_or_add_trPr()
        tr_pr.append(OxmlElement("w:cantSplit"))
        if header:
            tr_pr.append(OxmlElement("w:tblHeader"))
        # The row's own cells: `row.cells` walks the whole table each time, quadratic in a long table.
        cells = [_Cell(tc, table) for tc in row._tr.tc_lst]
        for position, (cell, column) in enumerate(zip(cells, columns, strict=True)):
            cell.width = Mm(column.width_mm)
            paragraph = cell.paragraphs[0]
            _exact(paragraph.paragraph_format, TABLE_LINE)
            paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER if header else ALIGNMENTS[column.align]
            strong = header or (strong_first and position == 0)
            placeholder = column.header if header else "-"  # a data row's text is written in its place
            _run_font(paragraph.add_run(placeholder), HEADING_FONT if strong else BODY_FONT, TABLE_SIZE, None)
        return row._tr

    def bytes(self) -> bytes:
        out = io.BytesIO()
        self.document.save(out)
        return out.getvalue()
