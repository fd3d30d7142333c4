from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "divisions"
