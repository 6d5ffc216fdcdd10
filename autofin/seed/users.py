"""Demo users: one per role, with one password printed by seed_demo: AUTOFIN_DEMO_PASSWORD, or
the README's published DEMO_PASSWORD on a developer's machine (`make run`). The deploy checks
refuse a database where demo users still have the published one."""

from __future__ import annotations

from autofin.models import User
from autofin.roles import ROLE_LABELS, Role, user_role_grant

DEMO_PASSWORD = "autofin-demo-2026"


def demo_password() -> str:
    from django.conf import settings

    return settings.AUTOFIN_DEMO_PASSWORD or DEMO_PASSWORD


# Dealer staff are created by the dealers app's seed (they must be bound to a dealer).
BACK_OFFICE_DEMO_USERS = {
    Role.PRODUCT_MANAGER: ("pm", "产品经理 王敏"),
    Role.ACCOUNT_MANAGER: ("am", "渠道经理 李强"),
    Role.UNDERWRITER: ("uw", "审批员 张伟"),
    Role.SENIOR_UNDERWRITER: ("uw_senior", "高级审批员 陈静"),
    Role.FINANCE_OPERATOR: ("fin_maker", "财务经办 刘洋"),
    Role.FINANCE_APPROVER: ("fin_checker", "财务复核 杨帆"),
    Role.SERVICING_AGENT: ("agent", "贷后客服 赵丽"),
    Role.COLLECTOR: ("collector", "催收员 孙浩"),
    Role.RISK_ANALYST: ("risk", "风险分析师 周婷"),
    Role.OPERATIONS: ("ops", "运营 吴军"),
    Role.COMPLIANCE_OFFICER: ("compliance", "合规专员 郑洁"),
    Role.SYSTEM_ADMIN: ("admin", "系统管理员"),
    # issue 21: the customer-lifecycle roles
    Role.MARKETING: ("marketing", "营销专员 何芳"),
    Role.CARE_SUPERVISOR: ("care_lead", "客服主管 钱明"),
}


def demo_user(username: str, display_name: str, role: Role | None, **extra) -> User:
    user, created = User.objects.get_or_create(
        username=username, defaults={"display_name": display_name, **extra}
    )
    if created:
        user.set_password(demo_password())
        user.save()
    if role is not None:
        user_role_grant(user=user, role=role)
    return user


def seed(*, stdout, context: dict) -> None:
    users = {}
    for role, (username, name) in BACK_OFFICE_DEMO_USERS.items():
        extra = {"is_superuser": True, "is_staff": True} if role is Role.SYSTEM_ADMIN else {}
        users[role] = demo_user(username, name, role, email=f"{username}@autofin.example", **extra)
    users[Role.CUSTOMER] = demo_user(
        "customer", "客户 马晓明", Role.CUSTOMER, phone="13800138000", email="customer@example.com"
    )
    context["users"] = users
    context.setdefault("logins", []).extend(
        (u.username, str(ROLE_LABELS[r])) for r, u in users.items()
    )
