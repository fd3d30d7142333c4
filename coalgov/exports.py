"""Text written into downloads (.xlsx, .csv, .docx tables) is kept inert: it can never become a spreadsheet formula.

A name such as `=HYPERLINK("http://…","点此")` typed into a unit, a household or a case would otherwise run as a
formula when the download is opened (or pasted from Word into Excel) — OWASP's "CSV injection". Every export
passes its text through this module, so the rule lives in one place:

- Text is *formula-looking* when it starts with `=`, `+`, `-`, `@`, a tab or a carriage return (some programs
  strip a leading tab or CR and then read what follows), unless the whole cell is a plain number, optionally
  after one tab (`-5`, `+4`, a tab then `410103001001`): a number computes nothing, whatever a program strips.
- In a .xlsx the text is stored as a string cell with Excel's quote prefix (the cell shows the text as written
  and stays text even when someone edits it); openpyxl would otherwise store text starting with `=` as a formula.
- In a .csv and a .docx table a formula-looking text gets a leading apostrophe, OWASP's form, and every CSV field
  is quoted (`csv_writer`). Excel hides the apostrophe of a cell typed or pasted in, and takes the cell as text.
- Codes and signed counts that must stay text in a CSV (the 12-digit community code, "+4") are written with a
  leading tab (`csv_number_as_text`): the one form this module leaves alone, because nothing but a number
  follows the tab (docs/ranking.md).
"""

from __future__ import annotations

import csv
import re

from openpyxl.cell import WriteOnlyCell

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
PLAIN_NUMBER = re.compile(r"\t?[+-]?\d+(?:\.\d+)?")


def formula_looking(text: str) -> bool:
    """True when a spreadsheet could take `text` for a formula."""
    return bool(text) and text.startswith(FORMULA_STARTS) and not PLAIN_NUMBER.fullmatch(text)


def inert_text(text: str) -> str:
    """Text for a CSV field or a .docx table cell: formula-looking text behind an apostrophe, other text as is."""
    return f"'{text}" if formula_looking(text) else text


def csv_number_as_text(text: str) -> str:
    """A code or signed count Excel must keep as written ("410103001001" not 4.10103E+11, "+4" not 4): a leading
    tab makes Excel take it as text. Only digits (and a sign) may follow, so the tab is never a formula's way in."""
    if not PLAIN_NUMBER.fullmatch(text):
        raise ValueError(f"not a plain number: {text!r}")
    return f"\t{text}"


def csv_writer(out):
    """A CSV writer quoting every field, as OWASP advises, so no field can run into the next."""
    return csv.writer(out, quoting=csv.QUOTE_ALL)


def xlsx_value(ws, value):
    """A value for `ws.append` (normal or write-only sheet): formula-looking text as a string cell with the quote
    prefix, anything else as is (numbers stay numbers)."""
    if isinstance(value, str) and formula_looking(value):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        cell.quotePrefix = True
        return cell
    return value
