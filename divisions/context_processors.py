from django.utils.functional import SimpleLazyObject

from .scoping import ENTRY_ROLES, Role, has_role


def jurisdiction(request):
    """What the navigation needs to know about the user: their memberships and what they may do.

    Lazy, so a page that shows none of it costs no query.
    """
    user = request.user

    def memberships():
        if not user.is_authenticated:
            return []
        return list(user.memberships.filter(is_active=True).select_related("division"))

    def abilities():
        return {
            "manage_users": has_role(user, *ENTRY_ROLES["membership"]),
            "enter_households": has_role(user, *ENTRY_ROLES["household"]),
            "audit": has_role(user, Role.DISTRICT_ADMIN),
            "manage_channels": has_role(user, *ENTRY_ROLES["channel"]),
        }

    return {"my_memberships": SimpleLazyObject(memberships), "can": SimpleLazyObject(abilities)}
