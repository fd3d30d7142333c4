from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import extend_schema
from rest_framework import mixins, serializers
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.response import Response

from coalgov.api import ScopedViewSet

from .. import services
from ..filtersets import InspectionFilterSet
from ..models import Inspection, Photo, Seizure
from ..photos import photos_check
from .serializers import InspectionSerializer, VoidSerializer


def checked_photos(request):
    """The request's photos, checked before anything is written; a bad one is a 400 on `photos`."""
    try:
        return photos_check(request.FILES.getlist("photos"))
    except DjangoValidationError as exc:
        raise serializers.ValidationError({"photos": exc.messages}) from exc


class InspectionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, ScopedViewSet):
    """Visits within the caller's jurisdiction.

    POST as JSON, or as multipart with `photos` files (and `seizures` as a JSON string). Idempotent by
    `client_uuid`: a repeat answers 200 with the first record. A bad photo refuses the whole visit.
    """

    queryset = Inspection.objects.select_related("household", "recorded_by").prefetch_related(
        Prefetch("seizures", queryset=Seizure.objects.order_by("id")),
        Prefetch("photos", queryset=Photo.objects.order_by("id")),
    )
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = checked_photos(request)
        inspection, created = services.inspection_record(
            actor=request.user, photos=photos, **serializer.service_arguments()
        )
        return self.created_or_repeated(inspection, created)

    @extend_schema(request=VoidSerializer, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inspection = services.inspection_void(
            actor=request.user, inspection=self.get_object(), reason=serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(inspection).data)
