from django.urls import path

from . import views

app_name = "cases"
urlpatterns = [
    path("", views.CaseListView.as_view(), name="list"),
    path("new/", views.CaseOpenView.as_view(), name="open"),
    path("<int:pk>/", views.CaseDetailView.as_view(), name="detail"),
    path("<int:pk>/rectification-notice/", views.CaseDocumentView.as_view(kind="notice"), name="notice-print"),
    path("<int:pk>/follow-up-sheet/", views.CaseDocumentView.as_view(kind="follow_up"), name="follow-up-print"),
    path("notices/", views.NoticeListView.as_view(), name="notices"),
    path("notices/new/", views.NoticeCreateView.as_view(), name="notice-create"),
    path("notices/<int:pk>/", views.NoticeDetailView.as_view(), name="notice-detail"),
    path("accountability/", views.AccountabilityListView.as_view(), name="accountability"),
    path("accountability/new/", views.AccountabilityCreateView.as_view(), name="accountability-create"),
    path("accountability/<int:pk>/decide/", views.AccountabilityDecideView.as_view(), name="accountability-decide"),
]
