from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from divisions import views as division_views
from reports import dashboard as report_dashboard
from reports import views as report_views

from . import views

urlpatterns = [
    path("", report_views.home, name="home"),
    path("dashboard/", report_dashboard.dashboard, name="dashboard"),
    path("healthz", views.healthz, name="healthz"),
    path("favicon.ico", views.favicon, name="favicon"),
    path("audit/", views.AuditLogView.as_view(), name="audit-log"),
    path("login/", auth_views.LoginView.as_view(), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("password/", auth_views.PasswordChangeView.as_view(), name="password_change"),
    path("password/done/", auth_views.PasswordChangeDoneView.as_view(), name="password_change_done"),
    path("tokens/", division_views.TokenListView.as_view(), name="tokens"),
    path("households/", include("households.urls")),
    path("users/", include("divisions.urls")),
    path("fieldwork/", include("inspections.urls")),
    path("field/", include("inspections.phone_urls")),
    path("units/", include("reports.urls")),
    path("cases/", include("cases.urls")),
    path("digests/", include("digests.urls")),
    path("plan/", include("planning.urls")),
    path("air/", include("air.urls")),
    path("api/v1/", include(("coalgov.api_urls", "api"))),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# Pages get a Chinese page in the site's layout, the API JSON; an outage of the database or storage is a 503.
handler500 = "coalgov.views.server_error"
handler404 = "coalgov.views.page_not_found"
handler403 = "coalgov.views.permission_denied"
handler400 = "coalgov.views.bad_request"
