"""The digest's markdown turned into what a reader sees where markdown tables are not rendered.

The digest is written once as markdown (headings `###`, bold section names `**…**`, one table of overdue
cases). Feishu's post renders all of it (`robots.feishu_post`); WeCom's and DingTalk's markdown render no
tables, and a chat without a robot renders no markdown at all: there a table's rows become one line each,
"建新南街社区：#9 楼道堆放散煤（逾期16天）".
"""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

TABLE_RULE = re.compile(r"^\|[-:| ]+\|$")


def cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def row_line(header: list[str], row: list[str]) -> str:
    """One table row as a sentence: its first cell, then the middle ones, then the last with its column's
    name (the overdue table: unit, problem, "逾期" + "16天")."""
    if len(row) < 3 or len(header) != len(row):
        return _("; ").join(row)
    return _("%(first)s: %(middle)s (%(label)s %(last)s)") % {
        "first": row[0],
        "middle": " ".join(row[1:-1]),
        "label": header[-1],
        "last": row[-1],
    }


def tables_as_lines(text: str, *, bullet: str = "- ") -> str:
    """Every markdown table in `text` as one `bullet` line per row (its header and rule dropped: the
    section's heading says what the list is)."""
    out: list[str] = []
    header: list[str] | None = None
    for line in text.split("\n"):
        if not line.startswith("|"):
            header = None
            out.append(line)
        elif header is None:
            header = cells(line)
        elif not TABLE_RULE.match(line):
            out.append(bullet + row_line(header, cells(line)))
    return "\n".join(out)


def plain_text(text: str) -> str:
    """The digest as plain text to paste into a chat that renders no markdown: no `###`, no `**`, tables as
    lines."""
    lines = []
    for line in tables_as_lines(text).split("\n"):
        if line.startswith("#"):
            line = line.lstrip("#").strip()
        elif line.startswith("**") and line.endswith("**") and len(line) > 4:
            line = line[2:-2]
        lines.append(line)
    return "\n".join(lines)


def is_heading(line: str) -> bool:
    """A heading or a bold section name: it belongs with what follows it, never last in a message."""
    line = line.rstrip()
    return line.startswith("#") or (line.startswith("**") and line.endswith("**") and len(line) > 4)
