"""/api/v1/: every resource, the OpenAPI schema and its self-hosted documentation."""

from django.urls import include, path
from drf_spectacular.views import SpectacularAPIView, SpectacularRedocView, SpectacularSwaggerSplitView
from rest_framework.renderers import JSONRenderer
from rest_framework.routers import DefaultRouter

from air.api.views import ReadingViewSet, StationViewSet
from cases.api.views import AccountabilityViewSet, CaseViewSet, SupervisionNoticeViewSet
from coalgov.security import api_docs_policy
from divisions.api.views import DivisionViewSet, ObtainToken, me
from households.api.views import HouseholdViewSet
from inspections.api.views import (
    BanViewSet,
    ConversionTargetViewSet,
    ConversionViewSet,
    DepartmentViewSet,
    InspectionViewSet,
    OperationViewSet,
    PublicityViewSet,
    PurchaseViewSet,
)
from planning.api import NightPlanViewSet


class SchemaView(SpectacularAPIView):
    """The schema, in YAML or JSON as asked; a refusal (not signed in) in the API's JSON error shape like every
    other answer under /api/, not as a YAML document of the error."""

    def handle_exception(self, exc):
        self.request.accepted_renderer, self.request.accepted_media_type = JSONRenderer(), "application/json"
        return super().handle_exception(exc)


router = DefaultRouter()
router.register("divisions", DivisionViewSet, basename="division")
router.register("households", HouseholdViewSet, basename="household")
router.register("inspections", InspectionViewSet, basename="inspection")
router.register("operations", OperationViewSet, basename="operation")
router.register("purchases", PurchaseViewSet, basename="purchase")
router.register("bans", BanViewSet, basename="ban")
router.register("conversions", ConversionViewSet, basename="conversion")
router.register("conversion-targets", ConversionTargetViewSet, basename="conversion-target")
router.register("publicity", PublicityViewSet, basename="publicity")
router.register("departments", DepartmentViewSet, basename="department")
router.register("cases", CaseViewSet, basename="case")
router.register("notices", SupervisionNoticeViewSet, basename="notice")
router.register("accountability", AccountabilityViewSet, basename="accountability")
router.register("stations", StationViewSet, basename="station")
router.register("readings", ReadingViewSet, basename="reading")
router.register("night-plans", NightPlanViewSet, basename="night-plan")

urlpatterns = [
    path("", include(router.urls)),
    path("me/", me, name="me"),
    path("auth/token/", ObtainToken.as_view(), name="token"),
    path("schema/", SchemaView.as_view(), name="schema"),
    # Swagger UI's setup script as a file of its own (?script), not inline: the Content-Security-Policy runs none.
    path("docs/", api_docs_policy(SpectacularSwaggerSplitView.as_view(url_name="api:schema")), name="docs"),
    path("redoc/", api_docs_policy(SpectacularRedocView.as_view(url_name="api:schema")), name="redoc"),
]
