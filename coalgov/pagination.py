"""API pagination. Kept apart from coalgov.api: DRF imports it while its own viewsets load."""

from rest_framework import pagination


class CursorPagination(pagination.CursorPagination):
    """Stable pages over registers that change while a phone pages through them."""

    ordering = "-id"
    page_size_query_param = "page_size"
    max_page_size = 200
