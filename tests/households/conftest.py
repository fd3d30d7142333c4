"""What a person types into the household form and what a phone sends to the API."""

import pytest

from households.services import EDITABLE_FIELDS

# A complete, valid registration: a flat in a compound, with a head of household and a mobile number.
TYPED = {
    "kind": "residence",
    "estate": "龙亭小区",
    "building": "3",
    "unit": "2",
    "room": "501",
    "address": "",
    "head_name": "张建国",
    "phone": "13812341234",
    "heating": "coal",
    "latitude": "",
    "longitude": "",
    "notes": "",
}


def _as_posted(value):
    if value is None:
        return ""
    return str(value)


@pytest.fixture
def form_data():
    """POST data for the register form: a new household in `division`, with `changes` typed over it."""

    def make(division, **changes):
        data = {"division": division.pk, **TYPED, **changes}
        # An unticked checkbox is not sent at all; a ticked one is sent as "on".
        return {k: ("on" if v is True else v) for k, v in data.items() if v is not False}

    return make


@pytest.fixture
def edit_data():
    """POST data for the edit form of `household` as it stands, with `changes` typed over it."""

    def make(household, **changes):
        data = {name: getattr(household, name) for name in EDITABLE_FIELDS}
        data["division"] = household.division_id
        data.update(changes)
        return {k: ("on" if v is True else _as_posted(v)) for k, v in data.items() if v is not False}

    return make


@pytest.fixture
def api_payload():
    """JSON a phone sends to register a household in `division` (by its national code)."""

    def make(division, **changes):
        data = {**TYPED, "latitude": None, "longitude": None, "division": division.code}
        data.update(changes)
        return data

    return make
