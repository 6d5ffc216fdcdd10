from autofin.business_date import business_date_current
from autofin.navigation import nav_for
from autofin.roles import ROLE_LABELS, Role, user_roles


def navigation(request) -> dict:
    user = getattr(request, "user", None)
    roles = user_roles(user) if user is not None else set()
    labels = [ROLE_LABELS[Role(r)] for r in sorted(roles) if r in Role._value2member_map_]

    def _business_date():
        # Lazy: most pages never show it, and it costs a query.
        return business_date_current()

    return {
        "nav_items": nav_for(user) if user is not None else [],
        "role_labels": labels,
        "business_date": _business_date,
    }
