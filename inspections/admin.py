from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

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


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ["name", "is_active"]
    list_filter = ["is_active"]


@admin.register(Inspection)
class InspectionAdmin(ReadOnlyAdmin):
    list_display = ["started_at", "household", "kind", "outcome", "is_night", "in_priority_zone", "voided_at"]
    list_filter = ["kind", "outcome", "is_night", "in_priority_zone"]
    search_fields = ["household__estate", "household__address", "division_code"]
    date_hierarchy = "started_at"


@admin.register(NightOperation)
class NightOperationAdmin(ReadOnlyAdmin):
    list_display = ["date", "title", "division", "leader", "voided_at"]


@admin.register(Purchase)
class PurchaseAdmin(ReadOnlyAdmin):
    list_display = ["purchased_on", "household", "item", "quantity", "unit_price", "market_price", "amount"]


@admin.register(Ban)
class BanAdmin(ReadOnlyAdmin):
    list_display = ["banned_at", "household", "kind", "rebound_at", "voided_at"]
    list_filter = ["kind"]


@admin.register(Conversion)
class ConversionAdmin(ReadOnlyAdmin):
    list_display = ["household", "kind", "status", "completed_on", "voided_at"]
    list_filter = ["kind", "status"]


@admin.register(ConversionTarget)
class ConversionTargetAdmin(ReadOnlyAdmin):
    list_display = ["division", "season", "households"]


@admin.register(Publicity)
class PublicityAdmin(ReadOnlyAdmin):
    list_display = ["date", "division", "kind", "count", "voided_at"]
    list_filter = ["kind"]


@admin.register(Photo)
class PhotoAdmin(ReadOnlyAdmin):
    list_display = ["pk", "content_type", "object_id", "uploaded_by", "uploaded_at"]
