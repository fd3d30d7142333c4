from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

from .models import Accountability, Case, CaseEvent, Notification, Recheck, SupervisionNotice


@admin.register(SupervisionNotice)
class SupervisionNoticeAdmin(ReadOnlyAdmin):
    list_display = ["number", "issued_on", "level", "title"]


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ["pk", "title", "responsible_unit", "status", "deadline", "overdue_since", "rebounds"]
    list_filter = ["status", "source", "severity"]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    list_display = ["case", "at", "actor", "action", "to_status"]


@admin.register(Recheck)
class RecheckAdmin(ReadOnlyAdmin):
    list_display = ["case", "due_on", "status"]


@admin.register(Accountability)
class AccountabilityAdmin(ReadOnlyAdmin):
    list_display = ["decided_on", "kind", "level", "unit", "person"]


@admin.register(Notification)
class NotificationAdmin(ReadOnlyAdmin):
    list_display = ["created_at", "kind", "division", "case"]
