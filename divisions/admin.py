from django.contrib import admin
from rest_framework.authtoken.models import TokenProxy

from . import services
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
    fields = ["code", "city", "is_background", *services.STATION_FIELDS]
    readonly_fields = ["code", "city", "is_background"]

    def has_add_permission(self, request):
        return False  # stations come from the national list: manage.py load_stations

    def save_model(self, request, obj, form, change):
        """Through the service: audited, and the households' zones follow the change."""
        data = {name: form.cleaned_data[name] for name in form.changed_data}
        services.station_update(actor=request.user, station=MonitoringStation.objects.get(pk=obj.pk), data=data)


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "division", "role", "is_active", "created_at"]
    list_filter = ["role", "is_active"]
    search_fields = ["user__username", "division__name", "division__code"]
    raw_id_fields = ["user", "division", "created_by"]


# DRF's plain-text tokens are only migrated to knox (divisions migration 0002); the admin must not make new ones,
# which would be stored in clear and never work.
if admin.site.is_registered(TokenProxy):
    admin.site.unregister(TokenProxy)
