"""The station readings API: read-only, and public to every signed-in user or token, like the station pages.

Readings are public facts (docs/jurisdiction.md): no scoping by unit, and a user without membership reads them too.
Nothing here says anything about households or checks.
"""

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, viewsets
from rest_framework.decorators import action
from rest_framework.response import Response

from coalgov.pagination import CursorPagination
from divisions.models import MonitoringStation

from .. import selectors
from ..filtersets import ReadingFilterSet, StationFilterSet
from ..models import Reading
from .serializers import DailyMeanSerializer, PeriodSerializer, ReadingSerializer, StationSerializer


class StationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """National monitoring stations, looked up by code; and each one's PM2.5 daily means."""

    queryset = MonitoringStation.objects.all()
    serializer_class = StationSerializer
    lookup_field = "code"
    filterset_class = StationFilterSet

    # Named for what it answers: a generated client would otherwise take it for a paged list ("…_list").
    @extend_schema(
        operation_id="stations_daily_means", parameters=[PeriodSerializer], responses=DailyMeanSerializer(many=True)
    )
    @action(detail=True, methods=["get"], url_path="daily-means", pagination_class=None, filter_backends=[])
    def daily_means(self, request, code=None):
        """The station's PM2.5 daily means, one per local day of the period (`start`, `end`, both included, at most
        AIR_MAX_DAYS days; left out, the fortnight up to its last reading). A day without readings is left out."""
        station = self.get_object()
        period = PeriodSerializer(data=request.query_params)
        period.is_valid(raise_exception=True)
        start, end = selectors.period(station, period.validated_data.get("start"), period.validated_data.get("end"))
        means = selectors.daily_means(station_ids=[station.pk], start=start, end=end).get(station.pk, {})
        rows = [
            {
                "day": day,
                "pm25": mean.pm25,
                "hours": mean.hours,
                "complete": mean.complete,
                # Not for a day of fewer than 20 hours, as on the page (HJ 663-2013).
                "grade": selectors.grade(mean.pm25) if mean.complete else "",
            }
            for day, mean in sorted(means.items())
            if start <= day <= end
        ]
        return Response(DailyMeanSerializer(rows, many=True).data)


class ReadingPagination(CursorPagination):
    # Oldest first, as a chart reads them; the hour positions the cursor, the station orders an hour's stations.
    ordering = ("hour_ending", "station_id")
    max_page_size = 1000


class ReadingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Hourly readings, oldest first: filter by `station` code and by time (`time_after`/`time_before`, ISO 8601)
    or local day (`date_after`/`date_before`). A missing value is null."""

    queryset = Reading.objects.select_related("station")
    serializer_class = ReadingSerializer
    filterset_class = ReadingFilterSet
    pagination_class = ReadingPagination
