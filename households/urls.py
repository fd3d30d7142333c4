from django.urls import path

from . import views

app_name = "households"
urlpatterns = [
    path("", views.HouseholdListView.as_view(), name="list"),
    path("new/", views.HouseholdCreateView.as_view(), name="create"),
    path("import/", views.HouseholdImportView.as_view(), name="import"),
    path("import/<int:pk>/", views.import_job, name="import-job"),
    path("import/<int:pk>/status/", views.import_job_status, name="import-job-status"),
    path("import/<int:pk>/confirm/", views.import_job_confirm, name="import-job-confirm"),
    path("<int:pk>/", views.HouseholdDetailView.as_view(), name="detail"),
    path("<int:pk>/edit/", views.HouseholdUpdateView.as_view(), name="update"),
    path("<int:pk>/void/", views.HouseholdVoidView.as_view(), name="void"),
]
