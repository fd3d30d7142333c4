"""Punctuation that differs between the languages of the pages: a list, and a name with a note after it.

Chinese joins a list with 、 and puts a note in full-width brackets (五里堡街道（街道）); English wants ", " and
" (…)". Joined in code with the Chinese marks, an English page read "Household register、Visits" and
"二七区（District）". Documents that are Chinese by design (notices, bulletins, ledgers) keep their own marks.
"""

from collections.abc import Iterable

from django.utils.translation import pgettext


def enumeration(items: Iterable) -> str:
    """甲、乙、丙 in Chinese; "a, b, c" in English."""
    return pgettext("list separator", ", ").join(str(item) for item in items)


def with_note(text, note) -> str:
    """五里堡街道（街道） in Chinese; "五里堡街道 (Subdistrict)" in English."""
    return pgettext("a name with a note after it", "%(text)s (%(note)s)") % {"text": text, "note": note}
