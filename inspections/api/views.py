"""The field-work API: thin viewsets that scope, filter and call the services.

Every POST that creates a record is idempotent: by `client_uuid` where the record has one (a repeat
answers 200 with the first record), and by nature for conversions and targets (setting the same
thing twice changes nothing). Records are voided, never deleted, by district and subdistrict admins.
"""

from django.core.exceptions import PermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from coalgov.api import ScopedViewSet
from coalgov.parsers import JSONParser
from divisions.scoping import can_enter

from .. import services
from ..filtersets import (
    BanFilterSet,
    ConversionFilterSet,
    ConversionTargetFilterSet,
    InspectionFilterSet,
    NightOperationFilterSet,
    PublicityFilterSet,
    PurchaseFilterSet,
)
from ..models import (
    Ban,
    Conversion,
    ConversionTarget,
    Department,
    Inspection,
    NightOperation,
    Photo,
    Publicity,
    Purchase,
    Seizure,
)
from ..photos import photos_check
from .serializers import (
    BanSerializer,
    BanUploadSerializer,
    ConversionSerializer,
    ConversionTargetSerializer,
    DepartmentSerializer,
    InspectionInputSerializer,
    InspectionSerializer,
    InspectionUploadSerializer,
    OperationSerializer,
    PublicitySerializer,
    PublicityUploadSerializer,
    PurchaseSerializer,
    VoidSerializer,
)

PHOTOS = Prefetch("photos", queryset=Photo.objects.order_by("id"))


def with_photos(serializer, upload_serializer):
    """The schema of a POST that takes photos: JSON without them, or multipart with them."""
    return extend_schema(request={"application/json": serializer, "multipart/form-data": upload_serializer})


def wants_minimal(request) -> bool:
    """`Prefer: return=minimal` (RFC 7240): the client needs only the record's id, not the record written back.

    The phone page sends it: it keeps its own copy of what it sent and reads nothing else from the answer, and
    writing the visit back cost a submission more than checking its seizures.
    """
    return any(
        preference.split(";")[0].strip().lower() == "return=minimal"
        for preference in request.headers.get("Prefer", "").split(",")
    )


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
        Prefetch("seizures", queryset=Seizure.objects.order_by("id")), PHOTOS, "departments"
    )
    serializer_class = InspectionSerializer
    filterset_class = InspectionFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @with_photos(InspectionSerializer, InspectionUploadSerializer)
    @extend_schema(
        parameters=[
            OpenApiParameter(
                "Prefer",
                str,
                OpenApiParameter.HEADER,
                description="`return=minimal`: answer with the visit's `id` and `client_uuid` only "
                "(header `Preference-Applied: return=minimal`).",
            )
        ]
    )
    def create(self, request, *args, **kwargs):
        serializer = InspectionInputSerializer(data=request.data, context=self.get_serializer_context())
        serializer.is_valid(raise_exception=True)
        # A phone resending a visit with photos is answered with the first record (the service finds it): its
        # photos are not decoded and re-encoded again for nothing. Only with files, so a JSON visit, the usual
        # submission, costs no look-up.
        sent_uuid = serializer.validated_data.get("client_uuid")
        repeat = (
            bool(request.FILES) and sent_uuid is not None and Inspection.objects.filter(client_uuid=sent_uuid).exists()
        )
        photos = [] if repeat else checked_photos(request)
        inspection, created = services.inspection_record(
            actor=request.user, photos=photos, **serializer.service_arguments()
        )
        if wants_minimal(request):
            self.ensure_repeat_visible(inspection, created)
            return Response(
                {"id": inspection.pk, "client_uuid": str(inspection.client_uuid) if inspection.client_uuid else None},
                status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
                headers={"Preference-Applied": "return=minimal"},
            )
        return self.created_or_repeated(inspection, created)

    @extend_schema(request=VoidSerializer, responses=InspectionSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        inspection = self.get_object()  # 404 outside the view, before anything about the request is said
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        inspection = services.inspection_void(
            actor=request.user, inspection=inspection, reason=serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(inspection).data)


class VoidMixin:
    """`POST …/{id}/void/` with a reason: district and subdistrict administrators, inside their subtree."""

    @extend_schema(request=VoidSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        record = self.get_object()
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        record = services.fieldwork_void(actor=request.user, record=record, reason=serializer.validated_data["reason"])
        return Response(self.get_serializer(record).data)


class OperationViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VoidMixin, ScopedViewSet):
    """Night-check operations organised by units in the caller's jurisdiction.

    Planned and changed by district admins and leaders and by subdistrict admins; `PATCH` changes only
    the fields sent (leaving out `team` or `covered` keeps them).
    """

    queryset = NightOperation.objects.select_related("division", "recorded_by").prefetch_related("team", "covered")
    serializer_class = OperationSerializer
    filterset_class = NightOperationFilterSet

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        client_uuid, team, covered = data.pop("client_uuid", None), data.pop("team", ()), data.pop("covered")
        operation, created = services.operation_create(
            actor=request.user, data=data, team=team, covered=covered, client_uuid=client_uuid
        )
        return self.created_or_repeated(operation, created)

    def partial_update(self, request, *args, **kwargs):
        operation = self.get_object()
        if not can_enter(request.user, operation.division, "operation"):
            raise PermissionDenied
        serializer = self.get_serializer(operation, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        data.pop("client_uuid", None)
        team, covered = data.pop("team", None), data.pop("covered", None)
        operation = services.operation_save(
            actor=request.user, operation=operation, data=data, team=team, covered=covered
        )
        return Response(self.get_serializer(operation).data)


class PurchaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VoidMixin, ScopedViewSet):
    """Purchases from vulnerable households, above the market price; idempotent by `client_uuid`."""

    queryset = Purchase.objects.select_related("household", "recorded_by")
    serializer_class = PurchaseSerializer
    filterset_class = PurchaseFilterSet

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        purchase, created = services.purchase_record(actor=request.user, **serializer.validated_data)
        return self.created_or_repeated(purchase, created)


class BanViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VoidMixin, ScopedViewSet):
    """Bans (取缔) of sale points, storage points and food stalls.

    POST as JSON, or multipart with `photos` files; idempotent by `client_uuid`. A bad photo refuses the ban.
    """

    queryset = Ban.objects.select_related("household", "recorded_by").prefetch_related(PHOTOS, "departments")
    serializer_class = BanSerializer
    filterset_class = BanFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @with_photos(BanSerializer, BanUploadSerializer)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = checked_photos(request)
        ban, created = services.ban_record(actor=request.user, photos=photos, **serializer.validated_data)
        return self.created_or_repeated(ban, created)


class ConversionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VoidMixin, ScopedViewSet):
    """Clean-heating conversions. POST sets a household's one current conversion (plans or completes it).

    201 when the household had no current conversion, 200 when its conversion was changed or was already so.
    """

    queryset = Conversion.objects.select_related("household", "recorded_by")
    serializer_class = ConversionSerializer
    filterset_class = ConversionFilterSet

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        household = serializer.validated_data["household"]
        before = Conversion.objects.current().filter(household=household).values_list("pk", flat=True).first()
        conversion = services.conversion_set(actor=request.user, **serializer.validated_data)
        return self.created_or_repeated(conversion, conversion.pk != before)


class ConversionTargetViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Conversion targets per community and heating season, set by district and subdistrict admins.

    POST sets the target of a community and season: 201 when new, 200 when it replaced one.
    """

    queryset = ConversionTarget.objects.select_related("division")
    serializer_class = ConversionTargetSerializer
    filterset_class = ConversionTargetFilterSet

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        before = (
            ConversionTarget.objects.filter(division=data["division"], season=data["season"])
            .values_list("pk", flat=True)
            .first()
        )
        target = services.conversion_target_set(actor=request.user, **data)
        return self.created_or_repeated(target, target.pk != before)

    def partial_update(self, request, *args, **kwargs):
        target = self.get_object()
        if not can_enter(request.user, target.division, "fieldwork_void"):
            raise PermissionDenied
        serializer = self.get_serializer(target, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        target = services.conversion_target_set(
            actor=request.user,
            division=target.division,
            season=target.season,
            households=serializer.validated_data.get("households", target.households),
        )
        return Response(self.get_serializer(target).data)


class PublicityViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, VoidMixin, ScopedViewSet):
    """Publicity work per unit and day. POST as JSON or multipart with `photos`; idempotent by `client_uuid`."""

    queryset = Publicity.objects.select_related("division", "recorded_by").prefetch_related(PHOTOS)
    serializer_class = PublicitySerializer
    filterset_class = PublicityFilterSet
    parser_classes = [JSONParser, MultiPartParser, FormParser]

    @with_photos(PublicitySerializer, PublicityUploadSerializer)
    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        photos = checked_photos(request)
        publicity, created = services.publicity_record(actor=request.user, photos=photos, **serializer.validated_data)
        return self.created_or_repeated(publicity, created)


class DepartmentViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """The active departments of joint enforcement, for any signed-in user (not scoped: they are shared)."""

    queryset = Department.objects.filter(is_active=True).order_by("name")
    serializer_class = DepartmentSerializer
    pagination_class = None
