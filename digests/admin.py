from django.contrib import admin

from coalgov.admin import ReadOnlyAdmin

from .models import Channel, Delivery, Digest


@admin.register(Channel)
class ChannelAdmin(ReadOnlyAdmin):
    """Channels are set up on the channel page (keys are write-only); the admin shows them without keys."""

    list_display = ["name", "division", "kind", "is_active", "result_text"]
    exclude = ["key", "secret"]


@admin.register(Digest)
class DigestAdmin(ReadOnlyAdmin):
    list_display = ["date", "division"]


@admin.register(Delivery)
class DeliveryAdmin(ReadOnlyAdmin):
    list_display = ["digest", "channel", "status", "parts_sent", "parts_total", "attempts", "error_text", "retry_at"]
    list_filter = ["status"]
