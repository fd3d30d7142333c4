from django.urls import path

from . import ledger_views, views
from .ranking_views import (
    ranking,
    ranking_download,
    ranking_explain,
    ranking_publish_view,
    ranking_weights,
    ranking_withdraw_view,
)

app_name = "reports"
urlpatterns = [
    path("ranking/", ranking, name="ranking"),
    path("ranking/publish/", ranking_publish_view, name="ranking-publish"),
    path("ranking/withdraw/", ranking_withdraw_view, name="ranking-withdraw"),
    path("ranking/download/<str:fmt>/", ranking_download, name="ranking-download"),
    path("ranking/weights/", ranking_weights, name="ranking-weights"),
    path("ranking/<str:code>/", ranking_explain, name="ranking-explain"),
    path("ledgers/", ledger_views.ledger_list, name="ledgers"),
    path("ledgers/<int:pk>/", ledger_views.ledger_detail, name="ledger"),
    path("ledgers/<int:pk>/status/", ledger_views.ledger_status, name="ledger-status"),
    path("ledgers/<int:pk>/download/", ledger_views.ledger_download, name="ledger-download"),
    path("<str:code>/", views.unit, name="unit"),
]
