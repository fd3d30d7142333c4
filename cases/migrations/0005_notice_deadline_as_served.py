import datetime

from django.db import migrations, models


def _changes(apps):
    """Each case's deadline changes, oldest first, as the audit log recorded them: [(old, new), …]."""
    ContentType = apps.get_model("contenttypes", "ContentType")
    AuditEvent = apps.get_model("coalgov", "AuditEvent")
    content_type = ContentType.objects.filter(app_label="cases", model="case").first()
    found: dict[int, list[tuple[datetime.date, datetime.date]]] = {}
    if content_type is None:
        return found
    rows = AuditEvent.objects.filter(content_type=content_type, action="case.deadline").order_by("pk")
    for object_id, changes in rows.values_list("object_id", "changes").iterator():
        pair = (changes or {}).get("deadline") or []
        if len(pair) == 2 and all(pair) and object_id.isdigit():
            found.setdefault(int(object_id), []).append(tuple(datetime.date.fromisoformat(v) for v in pair))
    return found


def fill(apps, schema_editor):
    """A numbered notice demanded the case's first deadline: the old side of its first recorded change of
    deadline, or, if it was never changed, the deadline it has now. The record's deadline changes get their old
    and new deadline from the same log, in order."""
    Case = apps.get_model("cases", "Case")
    CaseEvent = apps.get_model("cases", "CaseEvent")
    changes = _changes(apps)
    for case in Case.objects.filter(notice_serial__isnull=False, notice_deadline__isnull=True).iterator():
        history = changes.get(case.pk)
        case.notice_deadline = history[0][0] if history else case.deadline
        case.save(update_fields=["notice_deadline"])
    for case_id, history in changes.items():
        events = CaseEvent.objects.filter(case_id=case_id, action="deadline").order_by("at", "pk")
        for event, (old, new) in zip(events, history, strict=False):
            event.old_deadline, event.new_deadline = old, new
            event.save(update_fields=["old_deadline", "new_deadline"])


class Migration(migrations.Migration):
    dependencies = [
        ("cases", "0004_rectification_notice_numbers"),
        ("coalgov", "0002_audit_names_in_source_language"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.AddField(
            model_name="case",
            name="notice_deadline",
            field=models.DateField(blank=True, editable=False, null=True, verbose_name="deadline at issue"),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="new_deadline",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="caseevent",
            name="old_deadline",
            field=models.DateField(blank=True, null=True),
        ),
        migrations.RunPython(fill, migrations.RunPython.noop),
    ]
