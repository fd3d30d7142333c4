"""How forms are drawn (django-bootstrap5's renderers, as settings.BOOTSTRAP5 names them)."""

from django_bootstrap5.renderers import FieldRenderer as BootstrapFieldRenderer


class FieldRenderer(BootstrapFieldRenderer):
    """A field with an error is marked red; one without is left as it was, not marked green.

    django-bootstrap5 marks every field of a submitted form without an error of its own as valid. Beside a refusal
    of the whole form (a service's: "this operation is of another night") those green ticks said the entry was
    fine where it was not, and the clerk looked for the mistake in the wrong place.
    """

    def get_server_side_validation_classes(self):
        return "is-invalid" if self.field_errors else ""
