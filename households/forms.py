from django import forms
from django.utils.translation import gettext_lazy as _

from divisions.models import Division, Level

from .models import Household
from .services import EDITABLE_FIELDS


class UnitChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Division) -> str:
        return f"{obj.parent.name} · {obj.name}" if obj.parent else obj.name


class HouseholdForm(forms.ModelForm):
    """Validation only; the view hands cleaned data to the service, which writes and audits."""

    class Meta:
        model = Household
        fields = EDITABLE_FIELDS
        field_classes = {"division": UnitChoiceField}
        widgets = {"notes": forms.Textarea(attrs={"rows": 3})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = (
            Division.objects.enterable_by(user, "household")
            .filter(level__in=[Level.COMMUNITY, Level.GRID])
            .select_related("parent")
        )
        self.fields["phone"].widget.attrs.update(inputmode="tel", autocomplete="off")
        for name in ("latitude", "longitude"):
            self.fields[name].widget.attrs.update(step="0.000001", inputmode="decimal")


class VoidForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), widget=forms.Textarea(attrs={"rows": 3}), max_length=500)
