from django.urls import path
from django.views.generic import RedirectView

from . import operation_views, record_views, views

app_name = "inspections"
urlpatterns = [
    path("", RedirectView.as_view(pattern_name="inspections:list"), name="index"),
    path("photos/<int:pk>/", views.photo, name="photo"),
    path("photos/<int:pk>/thumbnail/", views.photo_thumbnail, name="photo-thumbnail"),
    # Visits
    path("inspections/", views.InspectionListView.as_view(), name="list"),
    path("inspections/new/", views.InspectionCreateView.as_view(), name="create"),
    path("inspections/<int:pk>/", views.InspectionDetailView.as_view(), name="detail"),
    path("inspections/<int:pk>/void/", views.InspectionVoidView.as_view(), name="void"),
    # Night-check operations
    path("operations/", operation_views.OperationListView.as_view(), name="operation-list"),
    path("operations/new/", operation_views.OperationFormView.as_view(), name="operation-create"),
    path("operations/<int:pk>/", operation_views.OperationDetailView.as_view(), name="operation-detail"),
    path("operations/<int:pk>/edit/", operation_views.OperationFormView.as_view(), name="operation-update"),
    path("operations/<int:pk>/void/", operation_views.OperationVoidView.as_view(), name="operation-void"),
    # Purchases from vulnerable households
    path("purchases/", record_views.PurchaseListView.as_view(), name="purchase-list"),
    path("purchases/new/", record_views.PurchaseCreateView.as_view(), name="purchase-create"),
    path("purchases/<int:pk>/void/", record_views.PurchaseVoidView.as_view(), name="purchase-void"),
    # Bans
    path("bans/", record_views.BanListView.as_view(), name="ban-list"),
    path("bans/new/", record_views.BanCreateView.as_view(), name="ban-create"),
    path("bans/<int:pk>/void/", record_views.BanVoidView.as_view(), name="ban-void"),
    # Clean-heating conversions
    path("conversions/", record_views.ConversionListView.as_view(), name="conversion-list"),
    path("conversions/set/", record_views.ConversionSetView.as_view(), name="conversion-set"),
    path("conversions/targets/", record_views.ConversionTargetView.as_view(), name="conversion-targets"),
    path("conversions/<int:pk>/void/", record_views.ConversionVoidView.as_view(), name="conversion-void"),
    # Publicity
    path("publicity/", record_views.PublicityListView.as_view(), name="publicity-list"),
    path("publicity/new/", record_views.PublicityCreateView.as_view(), name="publicity-create"),
    path("publicity/<int:pk>/void/", record_views.PublicityVoidView.as_view(), name="publicity-void"),
]
