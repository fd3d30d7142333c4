"""Writing the audit log. Called by services, inside their transaction, never by views."""

from __future__ import annotations

import datetime
import decimal
import uuid
from collections.abc import Callable
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from coalgov.wording import enumeration

from .models import AuditEvent

# What services record beside the record's own fields (a notice's number of problems, a user's full name).
CHANGE_LABELS = {
    "problems": gettext_lazy("Problems"),
    "cases": gettext_lazy("Cases"),
    "full_name": gettext_lazy("Full name"),
    "communities": gettext_lazy("Communities"),
    "ranked": gettext_lazy("Communities ranked"),
    "rebounds": gettext_lazy("rebounds"),
    "level": gettext_lazy("level"),
    "download_file": gettext_lazy("File"),
    "households_registered": gettext_lazy("households registered"),
    "username": gettext_lazy("Username"),
    "ip_address": gettext_lazy("Address"),
    "tokens": gettext_lazy("API tokens"),
    "via": gettext_lazy("Made at"),
    "expiry": gettext_lazy("Expires"),
    "seizures": gettext_lazy("Taken away"),
    "stops": gettext_lazy("doors planned"),
}


def _plain(value: Any) -> Any:
    """A JSON-safe form of a field value, as a person would read it."""
    if isinstance(value, models.Model):
        return str(value)
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    return value


def snapshot(obj: models.Model, fields: list[str]) -> dict[str, Any]:
    """The values of `fields` now, for comparing with `changes_between` after an update."""
    return {name: _plain(getattr(obj, name)) for name in fields}


def changes_between(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """{field: [old, new]} for each field whose value differs."""
    return {name: [before.get(name), value] for name, value in after.items() if before.get(name) != value}


def audit_record(
    *,
    actor,
    action: str,
    obj: models.Model,
    division_code: str = "",
    changes: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEvent:
    event = audit_event(
        actor=actor, action=action, obj=obj, division_code=division_code, changes=changes, reason=reason
    )
    event.save(force_insert=True)
    return event


def audit_event(
    *,
    actor,
    action: str,
    obj: models.Model,
    division_code: str = "",
    changes: dict[str, list[Any]] | None = None,
    reason: str = "",
) -> AuditEvent:
    """The audit row `audit_record` writes, unsaved: for a service that inserts it together with its other
    writes (inspections.batch)."""
    # The record's name is written with the labels in the source language, whatever the writer's language,
    # and translated for each reader (AuditEvent.object_label). Changes hold codes, translated the same way.
    with translation.override(None):
        name = str(obj)[:200]
    return AuditEvent(
        actor=actor if getattr(actor, "is_authenticated", False) else None,
        action=action,
        content_type=ContentType.objects.get_for_model(obj),
        object_id=str(obj.pk),
        object_repr=name,
        division_code=division_code,
        changes=changes or {},
        reason=reason,
    )


def _readable(field: models.Field | None, value: Any) -> Any:
    if value is None or value == "" or value == []:
        return None
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if isinstance(value, list):
        return enumeration(_readable(field, item) for item in value)
    if field is not None and field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        # Stored as ISO 8601 with its offset (UTC); read on the reader's clock, as every other time on the pages.
        try:
            moment = datetime.datetime.fromisoformat(value)
        except ValueError:
            return value
        return date_format(timezone.localtime(moment), "Y-m-d H:i") if timezone.is_aware(moment) else value
    return value


# Values services record in a form of their own, and how a person reads them, by change name or by
# "app_label.model.name": registered by the app that writes them (its AppConfig.ready), so each format is
# defined in one place.
VALUE_READERS: dict[str, Callable[[Any], Any]] = {}


def _value_reader(model: type[models.Model] | None, name: str) -> Callable[[Any], Any] | None:
    if model is not None and (reader := VALUE_READERS.get(f"{model._meta.label_lower}.{name}")):
        return reader
    return VALUE_READERS.get(name)


def weights_changed(before: dict, after: dict) -> list[dict]:
    """[old, new] of the weights that changed, for an audit entry: who changed what, not the whole list again.
    Both empty when nothing changed."""
    keys = [key for key in after if before.get(key) != after[key]]
    return [{key: before.get(key) for key in keys}, {key: after[key] for key in keys}]


def weights_reader(labels: dict[str, Any]) -> Callable[[Any], Any]:
    """A reader of a dict of weights by key (the planner's, the ranking's): "label value" each."""

    def read(value: Any) -> Any:
        if not isinstance(value, dict):
            return value
        return [f"{labels.get(key, key)} {weight}" for key, weight in value.items()]

    return read


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    """The model's field of that name, many-to-many ones too (an accountability measure's cases)."""
    try:
        field = model._meta.get_field(name) if model is not None else None
    except FieldDoesNotExist:
        return None
    # Not a relation seen from the other side (a notice's cases): its name says nothing in the reader's language.
    return field if isinstance(field, models.Field) else None


def readable_changes(
    model: type[models.Model] | None, changes: dict[str, list[Any]], *, hide: Callable[[str, Any], Any] | None = None
) -> list[tuple[str, Any, Any]]:
    """(field label, old, new) as a person reads them: choice labels, yes / no, `hide` applied.

    A field that was empty and stays empty or false (most of a newly created record) is left out.
    """
    rows = []
    # In the order of the model's fields (PostgreSQL's jsonb keeps its keys in an order of its own: "end" before
    # "start"); names that are no field of the model after them, as written.
    order = {f.name: i for i, f in enumerate(model._meta.get_fields())} if model is not None else {}
    for name, (old, new) in sorted(changes.items(), key=lambda item: order.get(item[0], len(order))):
        if old in (None, "") and new in (None, "", False):
            continue
        if hide is not None:
            old, new = hide(name, old), hide(name, new)
        field = _field(model, name)
        label = getattr(field, "verbose_name", None) or CHANGE_LABELS.get(name, name)
        if reader := _value_reader(model, name):
            old, new = reader(old), reader(new)
        rows.append((label, _readable(field, old), _readable(field, new)))
    return rows
