from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalgov.dates import PLANNING_AHEAD
from divisions.models import Division
from divisions.scoping import codes_above
from inspections.forms import bound_dates, date_widget

from .selectors import DEFAULT_WEIGHTS, PARTS, SETTING_LABELS, night_in_progress
from .services import LIMITS, MAX_DOORS, MAX_POINTS, MAX_TEAMS, check_night

User = get_user_model()


class PlanForm(forms.Form):
    """Whose plan, for which night, and how many teams of how many doors go out."""

    unit = forms.ChoiceField(label=_("Unit"))
    night = forms.DateField(label=_("Night of"), widget=date_widget())
    teams = forms.IntegerField(label=_("Teams"), min_value=1, max_value=MAX_TEAMS, initial=2)
    doors = forms.IntegerField(label=_("Doors per team"), min_value=1, max_value=MAX_DOORS, initial=20)

    def __init__(self, *args, units: list[Division], **kwargs):
        super().__init__(*args, **kwargs)
        self.units = {u.code: u for u in units}
        self.fields["unit"].choices = [(u.code, u.name) for u in units]
        self.fields["night"].initial = night_in_progress()
        bound_dates(self, "night", ahead=PLANNING_AHEAD)

    def clean_unit(self) -> Division:
        return self.units[self.cleaned_data["unit"]]

    def clean_night(self):
        night = self.cleaned_data["night"]
        try:
            check_night(night)
        except ValidationError as exc:
            raise forms.ValidationError(exc.message_dict["night"]) from exc
        return night


class OperationForm(forms.Form):
    """Turn the plan into a night-check operation: its title, who leads it, and who walks with each team."""

    title = forms.CharField(label=_("Title"), max_length=100)
    leader = forms.CharField(
        label=_("Led by"), max_length=100, help_text=_("e.g. the district Party secretary and the district head")
    )
    client_uuid = forms.UUIDField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, unit: Division, teams: int, **kwargs):
        super().__init__(*args, **kwargs)
        # The people the operation service accepts on a team: members of the unit itself, of a unit within it (a
        # community's worker, who is shown the team's doors in the community), or of a unit above it (a leader).
        # Read once for every team's list, so the page's queries do not grow with the number of teams.
        self.people = {
            str(user.pk): user
            for user in User.objects.filter(
                Q(memberships__division__code__in=codes_above([unit.code]))
                | Q(memberships__division__code__startswith=unit.code),
                is_active=True,
                memberships__is_active=True,
            )
            .distinct()
            .order_by("username")
        }
        choices = [(pk, user.first_name or user.username) for pk, user in self.people.items()]
        self.teams = teams
        for number in range(1, teams + 1):
            self.fields[f"team_{number}"] = forms.MultipleChoiceField(
                label=_("Team %(number)s") % {"number": number},
                choices=choices,
                required=False,
                widget=forms.SelectMultiple(attrs={"size": 4}),
            )

    def clean(self):
        data = super().clean()
        seen = set()
        for number in range(1, self.teams + 1):
            for pk in data.get(f"team_{number}") or ():
                if pk in seen:
                    user = self.people[pk]
                    self.add_error(
                        f"team_{number}",
                        _("%(name)s is already in another team.") % {"name": user.first_name or user.username},
                    )
                seen.add(pk)
        return data

    @property
    def members(self) -> list[list]:
        return [[self.people[pk] for pk in self.cleaned_data.get(f"team_{n}") or ()] for n in range(1, self.teams + 1)]


class WeightsForm(forms.Form):
    """A new version of the planner's weights: points per reason, and the stale and rest days."""

    note = forms.CharField(label=_("Note"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for part in PARTS:
            self.fields[part.key] = forms.IntegerField(
                label=part.label, help_text=part.help, min_value=0, max_value=MAX_POINTS
            )
        self.fields["stale_days"] = forms.IntegerField(
            label=SETTING_LABELS["stale_days"], min_value=LIMITS["stale_days"][0], max_value=LIMITS["stale_days"][1]
        )
        self.fields["rest_days"] = forms.IntegerField(
            label=SETTING_LABELS["rest_days"],
            min_value=LIMITS["rest_days"][0],
            max_value=LIMITS["rest_days"][1],
        )
        self.order_fields([*DEFAULT_WEIGHTS, "note"])

    @property
    def weights(self) -> dict:
        return {key: self.cleaned_data[key] for key in DEFAULT_WEIGHTS}
