from django.contrib import admin

from .models import Accountability, Case, CaseEvent, Notification, Recheck, SupervisionNotice


class ReadOnly(admin.ModelAdmin):
    """Cases change only through their services, which keep the timeline and the audit log."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(ReadOnly):
    list_display = ["number", "issued_on", "level", "title"]


@admin.register(Case)
class CaseAdmin(ReadOnly):
    list_display = ["pk", "title", "responsible_unit", "status", "deadline", "overdue_since", "rebounds"]
    list_filter = ["status", "source", "severity"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnly):
    list_display = ["case", "at", "actor", "action", "to_status"]


@admin.register(Recheck)
class RecheckAdmin(ReadOnly):
    list_display = ["case", "due_on", "status"]


@admin.register(Accountability)
class AccountabilityAdmin(ReadOnly):
    list_display = ["decided_on", "kind", "level", "unit", "person"]


@admin.register(Notification)
class NotificationAdmin(ReadOnly):
    list_display = ["created_at", "kind", "division", "case"]
