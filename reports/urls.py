from django.urls import path

from . import views
from .ranking_views import ranking, ranking_download, ranking_explain, ranking_publish_view, ranking_weights

app_name = "reports"
urlpatterns = [
    path("ranking/", ranking, name="ranking"),
    path("ranking/publish/", ranking_publish_view, name="ranking-publish"),
    path("ranking/download/<str:fmt>/", ranking_download, name="ranking-download"),
    path("ranking/weights/", ranking_weights, name="ranking-weights"),
    path("ranking/<str:code>/", ranking_explain, name="ranking-explain"),
    path("<str:code>/", views.unit, name="unit"),
]
