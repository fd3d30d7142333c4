from django.apps import AppConfig


class DivisionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "divisions"

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
