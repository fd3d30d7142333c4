from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DivisionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "divisions"
    verbose_name = _("Units and people")

    def ready(self):
        from . import signals  # noqa: F401  (connects the receivers)
