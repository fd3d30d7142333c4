from django.contrib import admin

from .models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records that only services write (audited, idempotent): the admin shows, never changes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    """The audit log is written by services and never edited."""

    list_display = ["at", "actor", "action", "object_repr", "division_code"]
    list_filter = ["action", "content_type"]
    search_fields = ["object_repr", "actor__username", "division_code"]
    date_hierarchy = "at"
