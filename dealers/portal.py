"""The dealer portal's sub-navigation: (label, url_name) entries; names that do not resolve
(an app not installed yet) are skipped. Other apps append their entries here by url name, e.g.
PORTAL_NAV.append((_("进件"), "origination:dealer_pipeline"))."""

from __future__ import annotations

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

PORTAL_NAV: list[tuple[object, str]] = [
    (_("概览"), "dealers:portal_home"),
    (_("进件"), "origination:dealer_pipeline"),
    (_("申请"), "origination:dealer_applications"),
    (_("员工"), "dealers:portal_staff"),
    (_("合作协议"), "dealers:portal_agreements"),
    (_("返佣结算"), "dealers:portal_statements"),
    (_("经营指标"), "dealers:portal_kpis"),
    (_("回购"), "servicing:dealer_repurchases"),
    (_("库存融资"), "servicing:dealer_floorplan"),
    (
        _("客户投诉"),
        "servicing:dealer_complaint_new",
    ),  # complaints: referral of a customer's complaint
]


def portal_nav(current_path: str = "") -> list[dict]:
    items = []
    for label, url_name in PORTAL_NAV:
        try:
            url = reverse(url_name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "current": url == current_path})
    return items
