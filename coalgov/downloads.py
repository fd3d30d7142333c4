"""Recording downloads in the audit log: who took which ledger, ranking export or case document, and when.

A download changes nothing, but it is where personal data (names, phone numbers, addresses) leaves the system,
so each one is an `AuditEvent` with the action `download` (下载 in the audit page's filter), on the record it
came from, in that record's jurisdiction, with the file's name among its changes.
"""

from __future__ import annotations

import re

from django.db import models

from .audit import audit_record
from .models import AuditEvent

DOWNLOAD = "download"

# What Windows, WPS and the browsers refuse or mangle in a file name: a unit's name is cleaned of them.
FILENAME_BAD = re.compile(r'[\\/:*?"<>|\s]+')


def file_name_part(text: str) -> str:
    """A unit's name as it can stand in a downloaded file's name (may be empty: the caller falls back to its code)."""
    return FILENAME_BAD.sub("", text)


def audit_download(*, actor, obj: models.Model, file: str, division_code: str) -> AuditEvent:
    """Record that `actor` downloaded (or opened for printing) `file`, made from `obj`."""
    return audit_record(
        actor=actor, action=DOWNLOAD, obj=obj, division_code=division_code, changes={"download_file": [None, file]}
    )
