from django import forms
from django.utils.translation import gettext_lazy as _

from coalgov.dates import date_check
from divisions.models import Division, Level
from inspections.forms import date_widget

from .models import Channel


class ChannelForm(forms.ModelForm):
    """Key and secret are write-only: never put back into the page; left empty on edit, they stay as stored."""

    class Meta:
        model = Channel
        fields = ["division", "name", "kind", "key", "secret", "base_url", "mention", "is_active"]
        widgets = {
            "key": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
            "secret": forms.PasswordInput(render_value=False, attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = Division.objects.enterable_by(user, "channel").filter(
            level__in=[Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY]
        )
        if self.instance.pk:
            self.fields["key"].required = False
            self.fields["key"].help_text = _("Stored (%(hint)s). Leave empty to keep it.") % {
                "hint": self.instance.key_hint
            }
            self.fields["secret"].help_text = _("Leave empty to keep the stored secret.")
        else:
            self.fields["key"].help_text = _(
                "Paste the webhook address the robot gives (its key is taken from it), or only the key or token."
            )

    def _post_clean(self):
        return  # the service validates the channel it saves


class DigestPreviewForm(forms.Form):
    division = forms.ModelChoiceField(label=_("Unit"), queryset=Division.objects.none(), to_field_name="code")
    date = forms.DateField(label=_("Date"), widget=date_widget())

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["division"].queryset = Division.objects.visible_to(user).filter(
            level__in=[Level.CITY, Level.DISTRICT, Level.SUBDISTRICT, Level.COMMUNITY]
        )

    def clean_date(self):
        date = self.cleaned_data["date"]
        date_check(date)  # the project's one bound on dates: not in the future, not before the campaign
        return date
