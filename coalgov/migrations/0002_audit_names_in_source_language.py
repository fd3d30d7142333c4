"""Audit events written before this stored the record's name in the writer's language (a ban entered in the
Chinese UI: 取缔散煤销售点 …). Rewrite the Chinese labels in those names to the source language, which
AuditEvent.object_label translates for each reader; names already in the source language are left alone."""

import re

from django.apps import apps as live_apps
from django.db import migrations
from django.utils import translation

BATCH = 1000


def names_to_source_language(apps, schema_editor):
    from coalgov.models import choice_labels  # the labels as the code has them now: what the names show

    AuditEvent = apps.get_model("coalgov", "AuditEvent")
    ContentType = apps.get_model("contenttypes", "ContentType")
    for content_type in ContentType.objects.all():
        try:
            model = live_apps.get_model(content_type.app_label, content_type.model)
        except LookupError:
            continue
        with translation.override("zh-hans"):
            translated = {str(label): label for label in choice_labels(model)}
        with translation.override(None):
            pairs = {chinese: str(label) for chinese, label in translated.items() if chinese and chinese != str(label)}
        if not pairs:
            continue
        pattern = re.compile("|".join(re.escape(chinese) for chinese in sorted(pairs, key=len, reverse=True)))
        changed = []
        for event in AuditEvent.objects.filter(content_type=content_type).only("id", "object_repr").iterator(BATCH):
            name = pattern.sub(lambda match, pairs=pairs: pairs[match.group(0)], event.object_repr)[:200]
            if name != event.object_repr:
                event.object_repr = name
                changed.append(event)
            if len(changed) == BATCH:
                AuditEvent.objects.bulk_update(changed, ["object_repr"])
                changed = []
        AuditEvent.objects.bulk_update(changed, ["object_repr"])


class Migration(migrations.Migration):
    dependencies = [
        ("coalgov", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(names_to_source_language, migrations.RunPython.noop, elidable=True)]
