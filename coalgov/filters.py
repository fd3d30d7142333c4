"""Pieces shared by the FilterSets of every app."""

from django.utils.translation import gettext_lazy as _
from django_filters.widgets import BooleanWidget

ANY = _("Any")


class YesNoAny(BooleanWidget):
    """A yes / no filter whose empty choice reads "any" rather than django-filter's "unknown"."""

    def __init__(self, attrs=None):
        super().__init__(attrs)
        self.choices = [("", ANY), ("true", _("Yes")), ("false", _("No"))]
