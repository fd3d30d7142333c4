from django.apps import AppConfig


class InspectionsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "inspections"

    def ready(self):
        from coalgov.audit import VALUE_READERS

        from .services import seizures_readable

        VALUE_READERS["seizures"] = seizures_readable
