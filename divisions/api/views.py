from django.core.exceptions import ValidationError as DjangoValidationError
from drf_spectacular.utils import extend_schema
from knox import views as knox_views
from rest_framework import exceptions, mixins
from rest_framework.authtoken.serializers import AuthTokenSerializer
from rest_framework.decorators import api_view
from rest_framework.exceptions import ValidationError
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from coalgov.api import ScopedViewSet
from coalgov.authentication import SignInThrottled, lockout_seconds

from .. import services
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


class TokenLimitReached(exceptions.PermissionDenied):
    default_code = "token_limit"


class ObtainToken(knox_views.LoginView):
    """POST username and password, get a new API token and when it expires: {"token": "…", "expiry": "…"}.

    The same address and request as before knox (scripts keep working); each call makes a new token, listed and
    revocable at /tokens/. Wrong passwords count towards the sign-in throttle like the sign-in page's.
    """

    authentication_classes: list = []
    permission_classes = [AllowAny]
    serializer_class = AuthTokenSerializer

    @extend_schema(request=AuthTokenSerializer)
    def post(self, request, format=None):
        serializer = AuthTokenSerializer(data=request.data, context={"request": request})
        if not serializer.is_valid():
            # The throttle refused to check the password: say so, not "wrong password".
            if getattr(request, "axes_locked_out", False) or getattr(request._request, "axes_locked_out", False):
                username = request.data.get("username") if hasattr(request.data, "get") else None
                raise SignInThrottled(lockout_seconds(request._request, username))
            raise ValidationError(serializer.errors)
        request.user = serializer.validated_data["user"]
        return super().post(request, format=format)

    def get_token_limit_per_user(self):
        return None  # counted, under a lock, by services.token_create

    def create_token(self):
        try:
            return services.token_create(actor=self.request.user, via=self.request.path)
        except DjangoValidationError as exc:
            raise TokenLimitReached(detail=exc.messages[0]) from exc
