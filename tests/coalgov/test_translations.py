"""The Chinese catalogue is complete, and the compiled .mo that ships says what the .po says."""

import ast
import gettext
from pathlib import Path

import pytest
from django.utils import translation

LOCALE = Path(__file__).resolve().parents[2] / "locale" / "zh_Hans" / "LC_MESSAGES"


def po_entries(path: Path) -> list[dict]:
    """Entries of a .po file as {msgctxt?, msgid, msgstr, fuzzy}; enough of the format for our own catalogue."""
    entries, entry, key = [], None, None
    for line in [*path.read_text(encoding="utf-8").splitlines(), ""]:
        if not line.strip():
            if entry and "msgid" in entry:
                entries.append(entry)
            entry, key = None, None
            continue
        entry = entry or {"fuzzy": False}
        if line.startswith("#,") and "fuzzy" in line:
            entry["fuzzy"] = True
        elif line.startswith(("msgctxt ", "msgid ", "msgstr ", "msgid_plural ", "msgstr[0] ")):
            key, literal = line.split(" ", 1)
            key = "msgstr" if key == "msgstr[0]" else key
            entry[key] = ast.literal_eval(literal)
        elif line.startswith('"') and key:
            entry[key] += ast.literal_eval(line)
    return [e for e in entries if e["msgid"]]


def test_every_message_has_a_chinese_translation():
    entries = po_entries(LOCALE / "django.po")

    assert len(entries) > 100
    assert [e["msgid"] for e in entries if not e.get("msgstr")] == []
    assert [e["msgid"] for e in entries if e["fuzzy"]] == []


def test_the_compiled_catalogue_matches_the_source():
    with open(LOCALE / "django.mo", "rb") as handle:
        compiled = gettext.GNUTranslations(handle)

    stale = [
        e["msgid"]
        for e in po_entries(LOCALE / "django.po")
        if "msgid_plural" not in e
        and (compiled.pgettext(e["msgctxt"], e["msgid"]) if "msgctxt" in e else compiled.gettext(e["msgid"]))
        != e["msgstr"]
    ]

    assert stale == [], "run `make messages` to recompile locale/"


@pytest.mark.django_db
def test_pages_speak_chinese_to_an_english_browser_until_english_is_chosen(client_as):
    client = client_as("wulibao_inspector")

    try:
        chinese = client.get("/households/", HTTP_ACCEPT_LANGUAGE="en-US,en;q=0.9")
        client.post("/i18n/setlang/", {"language": "en", "next": "/households/"})
        english = client.get("/households/")
    finally:
        translation.activate("zh-hans")  # the request left English active in this thread

    assert "住户台账" in chinese.content.decode()
    assert "Household register" in english.content.decode()
