from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"
    verbose_name = _("Field work")

    def ready(self):
        from coalgov.audit import VALUE_READERS

        from .services import seizures_readable

        VALUE_READERS["seizures"] = seizures_readable
