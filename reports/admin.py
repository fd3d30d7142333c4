from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

from .models import LedgerExport, RankingRow, RankingWeek, WeightVersion


@admin.register(WeightVersion)
class WeightVersionAdmin(ReadOnlyAdmin):
    list_display = ["district", "created_at", "created_by"]


@admin.register(RankingWeek)
class RankingWeekAdmin(ReadOnlyAdmin):
    list_display = ["district", "week_start", "published_by", "published_at"]


@admin.register(RankingRow)
class RankingRowAdmin(ReadOnlyAdmin):
    list_display = ["week", "community_name", "score", "rank_in_district", "rank_in_subdistrict"]


@admin.register(LedgerExport)
class LedgerExportAdmin(ReadOnlyAdmin):
    """Who exported which unit's ledger, and how it went. The file itself is downloaded only by its requester."""

    list_display = ["created_at", "requested_by", "division", "start", "end", "status", "rows_done", "rows_total"]
    list_filter = ["status"]
