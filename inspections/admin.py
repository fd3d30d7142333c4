from django.contrib import admin

from .models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Photo,
    Publicity,
    Purchase,
)


class ReadOnlyFieldWork(admin.ModelAdmin):
    """Field work is written through the services (audited, idempotent); the admin only shows it."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyFieldWork):
    list_display = ["started_at", "household", "kind", "outcome", "is_night", "in_priority_zone", "voided_at"]
    list_filter = ["kind", "outcome", "is_night", "in_priority_zone"]
    search_fields = ["household__estate", "household__address", "division_code"]
    date_hierarchy = "started_at"


@admin.register(NightOperation)
class NightOperationAdmin(ReadOnlyFieldWork):
    list_display = ["date", "title", "division", "leader", "voided_at"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyFieldWork):
    list_display = ["purchased_on", "household", "item", "quantity", "unit_price", "market_price", "amount"]


@admin.register(Ban)
class BanAdmin(ReadOnlyFieldWork):
    list_display = ["banned_at", "household", "kind", "rebound_at", "voided_at"]
    list_filter = ["kind"]


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyFieldWork):
    list_display = ["household", "kind", "status", "completed_on", "voided_at"]
    list_filter = ["kind", "status"]


@admin.register(ConversionTarget)
class ConversionTargetAdmin(ReadOnlyFieldWork):
    list_display = ["division", "season", "households"]


@admin.register(Publicity)
class PublicityAdmin(ReadOnlyFieldWork):
    list_display = ["date", "division", "kind", "count", "voided_at"]
    list_filter = ["kind"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyFieldWork):
    list_display = ["pk", "content_type", "object_id", "uploaded_by", "uploaded_at"]
