"""The navigation per role. Entries name URLs by name, so autofin needs no import of the apps;
an entry whose URL does not exist (yet) is left out."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

from autofin.roles import Role, user_roles


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    roles: frozenset[str]  # empty: everybody signed in; {"anonymous"}: public too


PUBLIC = frozenset({"anonymous"})
ALL_SIGNED_IN: frozenset[str] = frozenset()
BACK_OFFICE = frozenset(
    r.value for r in Role if r not in {Role.CUSTOMER, Role.DEALER_ADMIN, Role.DEALER_SALES}
)

NAV: list[NavItem] = [
    NavItem(_("贷款计算器"), "origination:calculator", PUBLIC),
    NavItem(_("我要申请"), "origination:apply_start", frozenset({Role.CUSTOMER})),
    NavItem(_("我的申请"), "origination:my_applications", frozenset({Role.CUSTOMER})),
    NavItem(_("我的贷款"), "servicing:my_loans", frozenset({Role.CUSTOMER})),
    NavItem(
        _("经销商门户"), "dealers:portal_home", frozenset({Role.DEALER_ADMIN, Role.DEALER_SALES})
    ),
    NavItem(_("我的经销商"), "dealers:manager_home", frozenset({Role.ACCOUNT_MANAGER})),
    NavItem(
        _("产品"), "origination:product_list", frozenset({Role.PRODUCT_MANAGER, Role.RISK_ANALYST})
    ),
    NavItem(
        _("审批工作台"),
        "origination:workbench",
        frozenset({Role.UNDERWRITER, Role.SENIOR_UNDERWRITER}),
    ),
    NavItem(
        _("放款"),
        "servicing:disbursement_list",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    ),
    NavItem(
        _("减值准备"),
        "servicing:provisions",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.RISK_ANALYST, Role.AUDITOR}),
    ),
    NavItem(
        _("月末结账"),
        "servicing:period_list",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.AUDITOR}),
    ),
    NavItem(_("贷款账户"), "servicing:loan_search", frozenset({Role.SERVICING_AGENT})),
    NavItem(_("催收"), "servicing:collections_queue", frozenset({Role.COLLECTOR})),
    NavItem(
        _("收车与处置"),
        "servicing:repossession_list",
        frozenset({Role.COLLECTOR, Role.OPERATIONS}),
    ),
    NavItem(_("评分卡"), "risk:model_list", frozenset({Role.RISK_ANALYST})),
    NavItem(
        _("征信查询记录"),
        "risk:bureau_queries",
        frozenset({Role.RISK_ANALYST, Role.AUDITOR, Role.COMPLIANCE_OFFICER}),
    ),
    NavItem(_("日结"), "servicing:eod_dashboard", frozenset({Role.OPERATIONS})),
    NavItem(
        _("合规"), "servicing:compliance_queue", frozenset({Role.COMPLIANCE_OFFICER, Role.AUDITOR})
    ),
    NavItem(
        _("双人复核"),
        "approvals",
        frozenset(
            {
                Role.PRODUCT_MANAGER,
                Role.RISK_ANALYST,
                Role.SENIOR_UNDERWRITER,
                Role.SERVICING_AGENT,
                Role.SYSTEM_ADMIN,
            }
        ),
    ),
    NavItem(_("管理后台"), "admin:index", BACK_OFFICE),
    NavItem(
        _("征信报送"),
        "servicing:credit_reporting",
        frozenset(
            {
                Role.OPERATIONS,
                Role.COMPLIANCE_OFFICER,
                Role.RISK_ANALYST,
                Role.AUDITOR,
                Role.SERVICING_AGENT,
            }
        ),
    ),
    NavItem(
        _("监管报表"),
        "servicing:regulatory_reports",
        frozenset(
            {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.COMPLIANCE_OFFICER, Role.AUDITOR}
        ),
    ),
    # --- fp3: the underwriters' floor-plan lines
    NavItem(
        _("库存融资额度"),
        "origination:floorplan_lines",
        frozenset({Role.UNDERWRITER, Role.SENIOR_UNDERWRITER}),
    ),
    # --- leaseui: the lease reports (finance) and the lessor's asset register (operations)
    NavItem(
        _("租赁报表"),
        "servicing:lease_reports",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.AUDITOR}),
    ),
    NavItem(
        _("租赁资产台账"),
        "servicing:lease_asset_list",
        frozenset({Role.OPERATIONS, Role.SERVICING_AGENT}),
    ),
    # --- crm: the agent's customer search and customer page (one timeline)
    NavItem(
        _("客户"),
        "servicing:customer_search",
        frozenset(
            {
                Role.SERVICING_AGENT,
                Role.COLLECTOR,
                Role.CARE_SUPERVISOR,
                Role.COMPLIANCE_OFFICER,
                Role.AUDITOR,
            }
        ),
    ),
]

# --- nbo: the next-best-offer model page
NAV.append(
    NavItem(_("邀约模型"), "servicing:nbo_model", frozenset({Role.MARKETING, Role.RISK_ANALYST}))
)
# --- insurance: the customer's renewals, the agents' expiring policies, finance's commission
NAV += [
    NavItem(_("我的保险"), "servicing:my_insurance", frozenset({Role.CUSTOMER})),
    NavItem(
        _("保单到期"),
        "servicing:insurance_expiring",
        frozenset({Role.SERVICING_AGENT, Role.OPERATIONS}),
    ),
    NavItem(
        _("保险代理手续费"),
        "servicing:insurance_commission",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    ),
    # --- complaints
    NavItem(_("我的投诉"), "servicing:my_complaints", frozenset({Role.CUSTOMER})),
    NavItem(
        _("投诉处理"),
        "servicing:complaint_list",
        frozenset({Role.SERVICING_AGENT, Role.CARE_SUPERVISOR}),
    ),
    NavItem(
        _("投诉月报"),
        "servicing:complaint_report",
        frozenset({Role.CARE_SUPERVISOR, Role.COMPLIANCE_OFFICER}),
    ),
    # --- marketing: segments and campaigns
    NavItem(_("营销"), "servicing:marketing_campaigns", frozenset({Role.MARKETING})),
]


def nav_for(user) -> list[dict]:
    roles = user_roles(user)
    signed_in = getattr(user, "is_authenticated", False)
    items = []
    for item in NAV:
        if item.roles == PUBLIC:
            visible = True
        elif not signed_in:
            visible = False
        elif getattr(user, "is_superuser", False):
            visible = True
        else:
            visible = not item.roles or bool(roles & set(item.roles))
        if not visible:
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        items.append({"label": item.label, "url": url, "url_name": item.url_name})
    return items


# --- integrate: premiums paid online, paid on to the insurers
NAV.append(
    NavItem(
        _("保费转付"),
        "servicing:insurance_remittances",
        frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    )
)
# --- qa-lifecycle: the customer's pre-approved offers were reachable only from a link at the foot
# of /my/loans/; the portal's menu names every other issue-21 page.
NAV.append(NavItem(_("我的专属额度"), "servicing:my_offers", frozenset({Role.CUSTOMER})))
