"""{% marketing_banner %} on the customer's loans page (their running banner campaign, shown
only while they consent) and {% marketing_consent_panel %} on the contact page (the consent
text, give or withdraw) — for pages whose views other areas own."""

from __future__ import annotations

from django import template

from autofin.roles import Role, user_has_role
from servicing.services.marketing.campaigns import banner_for, consent_active, consent_text

register = template.Library()


def _customer(context):
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user_has_role(user, Role.CUSTOMER):
        return None
    return user


@register.inclusion_tag("servicing/marketing/_banner.html", takes_context=True)
def marketing_banner(context) -> dict:
    user = _customer(context)
    return {"banner": banner_for(user) if user else None}


@register.inclusion_tag("servicing/marketing/_consent_panel.html", takes_context=True)
def marketing_consent_panel(context) -> dict:
    user = _customer(context)
    return {
        "show": user is not None,
        "consent": consent_active(user) if user else None,
        "consent_text": consent_text(),
        "csrf_token": context.get("csrf_token"),
    }
