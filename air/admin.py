from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

from .models import Reading, ReadingImport


@admin.register(Reading)
class ReadingAdmin(ReadOnlyAdmin):
    """Readings come only through the importer (command, upload page, scheduled pull), which audits each import."""

    list_display = ["station", "hour_ending", "pm25", "pm10", "aqi", "imported_at"]
    list_filter = ["station"]
    list_select_related = ["station"]
    date_hierarchy = "hour_ending"


@admin.register(ReadingImport)
class ReadingImportAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "source", "names", "created", "changed", "unchanged"]
    list_select_related = ["actor"]
