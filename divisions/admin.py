from django.contrib import admin

from .models import Division, Membership, MonitoringStation


@admin.register(Division)
class DivisionAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "level", "parent", "is_active"]
    list_filter = ["level", "is_active"]
    search_fields = ["code", "name"]
    raw_id_fields = ["parent"]


@admin.register(MonitoringStation)
class MonitoringStationAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "city", "longitude", "latitude", "has_priority_zone", "priority_radius_m"]
    list_filter = ["has_priority_zone", "is_background"]


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "division", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "division__name", "division__code"]
    raw_id_fields = ["user", "division", "created_by"]
