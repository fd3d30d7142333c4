from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import action
from rest_framework.response import Response

from coalgov.api import ScopedViewSet
from coalgov.pagination import IdsFirstCursorPagination
from divisions.scoping import can_enter

from .. import services
from ..filtersets import HouseholdFilterSet
from ..models import Household
from .serializers import HouseholdSerializer, VoidSerializer


class HouseholdViewSet(
    mixins.ListModelMixin, mixins.RetrieveModelMixin, mixins.CreateModelMixin, mixins.UpdateModelMixin, ScopedViewSet
):
    """The household register within the caller's jurisdiction.

    POST is idempotent by `client_uuid`: repeating a submission returns the first record with 200.
    Households are never deleted; `POST …/{id}/void/` voids one with a reason.
    """

    queryset = Household.objects.select_related("division", "division__parent", "priority_station")
    serializer_class = HouseholdSerializer
    filterset_class = HouseholdFilterSet
    pagination_class = IdsFirstCursorPagination  # a unit's newest households from an index (docs/households.md)

    def create(self, request, *args, **kwargs):
        serializer = self.get_serializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = dict(serializer.validated_data)
        client_uuid = data.pop("client_uuid", None)
        household, created = services.household_create(actor=request.user, data=data, client_uuid=client_uuid)
        return self.created_or_repeated(household, created)

    def update(self, request, *args, **kwargs):
        household = self.get_object()
        if not can_enter(request.user, household.division, "household"):
            raise PermissionDenied
        serializer = self.get_serializer(household, data=request.data, partial=kwargs.get("partial", False))
        serializer.is_valid(raise_exception=True)
        data = {k: v for k, v in serializer.validated_data.items() if k != "client_uuid"}
        household = services.household_update(actor=request.user, household=household, data=data)
        return Response(self.get_serializer(household).data)

    @extend_schema(request=VoidSerializer, responses=HouseholdSerializer)
    @action(detail=True, methods=["post"])
    def void(self, request, pk=None):
        household = self.get_object()
        serializer = VoidSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        household = services.household_void(
            actor=request.user, household=household, reason=serializer.validated_data["reason"]
        )
        return Response(self.get_serializer(household).data)
