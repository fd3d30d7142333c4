from drf_spectacular.utils import extend_schema
from rest_framework import mixins
from rest_framework.decorators import api_view
from rest_framework.response import Response

from coalgov.api import ScopedViewSet

from ..models import Division, Membership
from ..scoping import ENTRY_ROLES, entry_codes
from .serializers import DivisionSerializer, MeSerializer


class DivisionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Administrative units in the caller's jurisdiction, looked up by national code."""

    queryset = Division.objects.filter(is_active=True).select_related("parent")
    serializer_class = DivisionSerializer
    lookup_field = "code"
    filterset_fields = ["level", "parent__code"]


@extend_schema(responses=MeSerializer)
@api_view(["GET"])
def me(request):
    """Who the caller is, where they belong, and where they may enter each kind of record."""
    user = request.user
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "memberships": Membership.objects.filter(user=user, is_active=True, division__is_active=True).select_related(
            "division__parent"
        ),
        "entry": {action: entry_codes(user, action) for action in ENTRY_ROLES},
    }
    return Response(MeSerializer(data).data)
