"""Messages of Django and its libraries whose Chinese this project corrects.

The project's catalogue (LOCALE_PATHS) is read before theirs, so a message named here reads as our catalogue
translates it; naming it here keeps `makemessages` from dropping it as unused.
"""

from django.utils.translation import gettext_noop

CORRECTED = [
    # Django's own reads 不允许是用空字符串 ("may not use an empty string"): wrong, and misspelt.
    gettext_noop("Null characters are not allowed."),
]
