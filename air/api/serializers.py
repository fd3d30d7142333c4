from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from rest_framework import serializers

from coalgov.dates import PLANNING_AHEAD, date_validator
from divisions.models import MonitoringStation

from ..models import Reading


class StationSerializer(serializers.ModelSerializer):
    """A national monitoring station (国控点); households within its radius form its priority zone."""

    class Meta:
        model = MonitoringStation
        fields = [
            "code",
            "name",
            "city",
            "longitude",
            "latitude",
            "is_background",
            "has_priority_zone",
            "priority_radius_m",
        ]


class ReadingSerializer(serializers.ModelSerializer):
    """One station's hour: the mean of the hour ending at `hour_ending`; a missing value is null, never zero."""

    station = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Reading
        fields = ["station", "hour_ending", "pm25", "pm10", "aqi"]


class DailyMeanSerializer(serializers.Serializer):
    """A local day's PM2.5 mean over the hours reported; fewer than 20 hours is not a valid daily mean (HJ 663)."""

    day = serializers.DateField()
    pm25 = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)
    hours = serializers.IntegerField(help_text=gettext_lazy("Hours with a PM2.5 value."))
    complete = serializers.BooleanField(help_text=gettext_lazy("At least 20 hours reported."))
    grade = serializers.CharField(
        help_text=gettext_lazy(
            "The national grade of the mean (HJ 633-2012); empty without one, and for a day of fewer than 20 hours."
        )
    )


class PeriodSerializer(serializers.Serializer):
    """The days asked for, local (Asia/Shanghai), both included; left out, the fortnight up to the last reading."""

    # The pages' bound on entered dates (year 1900, year 9999 refused; 9999-12-31 would overflow a day later).
    start = serializers.DateField(required=False, validators=[date_validator(ahead=PLANNING_AHEAD)])
    end = serializers.DateField(required=False, validators=[date_validator(ahead=PLANNING_AHEAD)])

    def validate(self, attrs):
        # The station pages' own rule and messages (air.forms.PeriodForm).
        start, end = attrs.get("start"), attrs.get("end")
        if start and end:
            if start > end:
                raise serializers.ValidationError({"start": [_("The start of the period is after its end.")]})
            if (end - start).days + 1 > settings.AIR_MAX_DAYS:
                raise serializers.ValidationError(
                    {"end": [_("Choose a period of at most %(n)s days.") % {"n": settings.AIR_MAX_DAYS}]}
                )
        return attrs
