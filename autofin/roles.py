"""Roles are Django groups; this module is the one list of them and of what each may do.

Permissions are named "app_label.codename" strings, so autofin imports no other app; a
permission whose model does not exist yet is skipped and granted on a later migrate.
"""

from __future__ import annotations

import logging
from enum import StrEnum

from django.utils.translation import gettext_lazy as _

log = logging.getLogger(__name__)


class Role(StrEnum):
    CUSTOMER = "customer"
    DEALER_ADMIN = "dealer_admin"
    DEALER_SALES = "dealer_sales"
    ACCOUNT_MANAGER = "account_manager"
    PRODUCT_MANAGER = "product_manager"
    UNDERWRITER = "underwriter"
    SENIOR_UNDERWRITER = "senior_underwriter"
    FINANCE_OPERATOR = "finance_operator"
    FINANCE_APPROVER = "finance_approver"
    SERVICING_AGENT = "servicing_agent"
    COLLECTOR = "collector"
    RISK_ANALYST = "risk_analyst"
    OPERATIONS = "operations"
    SYSTEM_ADMIN = "system_admin"
    AUDITOR = "auditor"
    COMPLIANCE_OFFICER = "compliance_officer"
    # the customer lifecycle (issue 21): segments and campaigns; complaints' senior approvals
    MARKETING = "marketing"
    CARE_SUPERVISOR = "care_supervisor"


ROLE_LABELS = {
    Role.CUSTOMER: _("客户"),
    Role.DEALER_ADMIN: _("经销商管理员"),
    Role.DEALER_SALES: _("经销商销售"),
    Role.ACCOUNT_MANAGER: _("渠道客户经理"),
    Role.PRODUCT_MANAGER: _("产品经理"),
    Role.UNDERWRITER: _("审批员"),
    Role.SENIOR_UNDERWRITER: _("高级审批员"),
    Role.FINANCE_OPERATOR: _("财务经办"),
    Role.FINANCE_APPROVER: _("财务复核"),
    Role.SERVICING_AGENT: _("贷后客服"),
    Role.COLLECTOR: _("催收员"),
    Role.RISK_ANALYST: _("风险分析师"),
    Role.OPERATIONS: _("运营（日结）"),
    Role.SYSTEM_ADMIN: _("系统管理员"),
    Role.AUDITOR: _("审计员"),
    Role.COMPLIANCE_OFFICER: _("合规专员"),
    Role.MARKETING: _("营销专员"),
    Role.CARE_SUPERVISOR: _("客服主管"),
}

# Back-office roles may open the Django admin (is_staff); what they see there is still limited
# by these permissions.
STAFF_ROLES = frozenset(
    {
        Role.ACCOUNT_MANAGER,
        Role.PRODUCT_MANAGER,
        Role.UNDERWRITER,
        Role.SENIOR_UNDERWRITER,
        Role.FINANCE_OPERATOR,
        Role.FINANCE_APPROVER,
        Role.SERVICING_AGENT,
        Role.COLLECTOR,
        Role.RISK_ANALYST,
        Role.OPERATIONS,
        Role.SYSTEM_ADMIN,
        Role.COMPLIANCE_OFFICER,
        Role.MARKETING,
        Role.CARE_SUPERVISOR,
    }
)


def _crud(app_model: str, *, write: bool = True) -> list[str]:
    app, model = app_model.split(".")
    actions = ["view", "add", "change"] if write else ["view"]
    return [f"{app}.{a}_{model}" for a in actions]


# Each app adds the permissions its roles need here, by name.
ROLE_PERMISSIONS: dict[Role, list[str]] = {
    Role.CUSTOMER: [],
    Role.DEALER_ADMIN: [],
    Role.DEALER_SALES: [],
    Role.ACCOUNT_MANAGER: [
        *_crud("dealers.dealer", write=False),
        *_crud("dealers.dealerstaff", write=False),
        *_crud("dealers.agreement"),
        *_crud("dealers.commission", write=False),
        *_crud("dealers.commissionstatement", write=False),
        *_crud("dealers.dealergrade", write=False),
        *_crud("dealers.dealeralert", write=False),
        *_crud("dealers.dealermonthlykpi", write=False),
        *_crud("dealers.bankaccountchange", write=False),
        *_crud("dealers.gradingpolicy", write=False),
    ],
    Role.PRODUCT_MANAGER: [
        *_crud("origination.product"),
        *_crud("origination.productversion"),
        *_crud("origination.ratetableentry"),
        *_crud("origination.lprrate"),
        *_crud("origination.regulatorylimits"),
        *_crud("origination.quote", write=False),
    ],
    Role.UNDERWRITER: [],
    Role.SENIOR_UNDERWRITER: [],
    Role.FINANCE_OPERATOR: [*_crud("dealers.bankaccountchange", write=False)],
    Role.FINANCE_APPROVER: [*_crud("dealers.bankaccountchange", write=False)],
    Role.SERVICING_AGENT: [],
    Role.COLLECTOR: [],
    Role.MARKETING: [],
    Role.CARE_SUPERVISOR: [],
    Role.RISK_ANALYST: [
        *_crud("origination.product", write=False),
        *_crud("origination.productversion", write=False),
        *_crud("origination.ratetableentry", write=False),
        *_crud("risk.scorecard", write=False),
        *_crud("risk.scorecardversion", write=False),
        *_crud("risk.ruleset"),
        *_crud("risk.rule"),
        *_crud("risk.blacklistentry"),
        *_crud("risk.strategy"),
        *_crud("risk.earlywarningrule"),
        *_crud("risk.decision", write=False),
        *_crud("risk.fraudhit", write=False),
        *_crud("risk.earlywarninghit", write=False),
        *_crud("risk.decisionreviewrequest", write=False),
    ],
    # Anti-money laundering: lists and cases are read in the admin; every decision on a hit or an
    # alert goes through the compliance pages (audited there).
    Role.COMPLIANCE_OFFICER: [
        *_crud("risk.watchlistentry", write=False),
        *_crud("risk.watchlistload", write=False),
        *_crud("risk.screeninghit", write=False),
        *_crud("risk.customerriskrating", write=False),
        *_crud("servicing.amlalert", write=False),
    ],
    Role.OPERATIONS: [
        *_crud("autofin.businesscalendar", write=False),
        *_crud("autofin.outboundmessage", write=False),
    ],
    Role.SYSTEM_ADMIN: [
        *_crud("autofin.user"),
        "auth.view_group",
        "auth.change_group",
        *_crud("autofin.auditentry", write=False),
        *_crud("autofin.outboundmessage", write=False),
        *_crud("autofin.businesscalendar", write=False),
        *_crud("dealers.dealer"),
        *_crud("dealers.dealerstaff", write=False),
        *_crud("dealers.agreement"),
        *_crud("dealers.commission", write=False),
        *_crud("dealers.commissionstatement", write=False),
        *_crud("dealers.dealergrade", write=False),
        *_crud("dealers.dealeralert", write=False),
        *_crud("dealers.gradingpolicy"),
        *_crud("dealers.bankaccountchange", write=False),
        *_crud("dealers.settlementaccount", write=False),
    ],
}

# origination's workbench: underwriters see cases, conditions, offers and contracts; senior
# underwriters also keep the authority limits (reference data); finance and operations see the
# contracts and their pre-funding checklists.
_UW_READ = [
    *_crud("origination.underwritingcase", write=False),
    *_crud("origination.condition", write=False),
    *_crud("origination.counteroffer", write=False),
    *_crud("origination.contract", write=False),
    *_crud("origination.contractsignature", write=False),
    *_crud("origination.fundingchecklistitem", write=False),
    *_crud("origination.authoritylimit", write=False),
    *_crud("origination.product", write=False),
    *_crud("origination.productversion", write=False),
]
ROLE_PERMISSIONS[Role.UNDERWRITER] += _UW_READ
ROLE_PERMISSIONS[Role.SENIOR_UNDERWRITER] += [*_UW_READ, *_crud("origination.authoritylimit")]
ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] += [*_crud("origination.authoritylimit")]
for _role in (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.OPERATIONS):
    ROLE_PERMISSIONS[_role] += [
        *_crud("origination.contract", write=False),
        *_crud("origination.contractsignature", write=False),
        *_crud("origination.fundingchecklistitem", write=False),
    ]

# servicing's ledger: finance sees the chart, entries and lines read-only (postings come from
# the services, never from a form).
for _role in (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
    ROLE_PERMISSIONS[_role] += [
        *_crud("servicing.ledgeraccount", write=False),
        *_crud("servicing.journalentry", write=False),
        *_crud("servicing.journalline", write=False),
    ]

# Business policy (autofin.policy): every role that owns a key adds its values (append-only;
# the admin offers each role only the keys it owns, policy_set refuses the others); operations
# owns the batch's same-day cut-off, compliance the AML thresholds.
for _role in (
    Role.FINANCE_APPROVER,
    Role.RISK_ANALYST,
    Role.OPERATIONS,
    Role.SYSTEM_ADMIN,
    Role.COMPLIANCE_OFFICER,
):
    ROLE_PERMISSIONS[_role] += ["autofin.view_policyvalue", "autofin.add_policyvalue"]


def roles_sync() -> None:
    """Create every role group and grant it the listed permissions that exist by now."""
    from django.contrib.auth.models import Group, Permission

    by_name: dict[tuple[str, str], Permission] = {
        (p.content_type.app_label, p.codename): p
        for p in Permission.objects.select_related("content_type")
    }
    for role in Role:
        group, _created = Group.objects.get_or_create(name=role.value)
        wanted = []
        for name in ROLE_PERMISSIONS.get(role, []):
            app_label, codename = name.split(".", 1)
            perm = by_name.get((app_label, codename))
            if perm is None:
                log.debug("role %s: permission %s does not exist yet", role, name)
                continue
            wanted.append(perm)
        group.permissions.add(*wanted)


def roles_sync_after_migrate(sender, **kwargs) -> None:  # noqa: ARG001 - signal signature
    # Run once per migrate, after the last app: earlier calls would miss later apps' permissions.
    if getattr(sender, "name", "") == "servicing":
        roles_sync()


def user_roles(user) -> set[str]:
    if not getattr(user, "is_authenticated", False):
        return set()
    cached = getattr(user, "_autofin_roles", None)
    if cached is None:
        cached = set(user.groups.values_list("name", flat=True))
        user._autofin_roles = cached
    return cached


def user_has_role(user, *roles: Role | str) -> bool:
    if getattr(user, "is_superuser", False):
        return True
    return bool(user_roles(user) & {str(r) for r in roles})


def user_role_grant(*, user, role: Role) -> None:
    from django.contrib.auth.models import Group

    group, _created = Group.objects.get_or_create(name=role.value)
    user.groups.add(group)
    if role in STAFF_ROLES and not user.is_staff:
        user.is_staff = True
        user.save(update_fields=["is_staff"])
    user.__dict__.pop("_autofin_roles", None)


# servicing's loan accounts: agents read loans, schedules, repayments in the admin (money moves
# only through the services); restructuring (servicing.restructure_loan) is granted to senior
# underwriters and, one by one, to trusted servicing agents.
_LOAN_READ = [
    *_crud("servicing.loan", write=False),
    *_crud("servicing.loanschedulerow", write=False),
    *_crud("servicing.repayment", write=False),
    *_crud("servicing.repaymentallocation", write=False),
    *_crud("servicing.payoffquoterecord", write=False),
    *_crud("servicing.loannote", write=False),
    *_crud("servicing.mortgagerelease", write=False),
]
ROLE_PERMISSIONS[Role.SERVICING_AGENT] += _LOAN_READ
ROLE_PERMISSIONS[Role.SENIOR_UNDERWRITER] += [*_LOAN_READ, "servicing.restructure_loan"]

# servicing's disbursement: finance reads disbursements, payments, payees and reconciliations
# in the admin (changes go through the maker-checker pages).
for _role in (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER):
    for _model in ("disbursement", "paymentinstruction", "paymentattempt",
                   "reconciliationrun", "reconciliationline", "sandboxbankpayment"):  # fmt: skip
        ROLE_PERMISSIONS[_role] += _crud(f"servicing.{_model}", write=False)
    # the payee register lives in origination (the layer that names a contract's payees)
    for _model in ("payee", "payeechange"):
        ROLE_PERMISSIONS[_role] += _crud(f"origination.{_model}", write=False)


# --- money actions (issue 14): ONE check shared by pages, API and services ----------------------


class MoneyAction(StrEnum):
    """Every action that moves money or decides that it moves. Pages, the API and the services
    ask `can_move_money` with one of these, so a role refused in one is refused in all."""

    REPAYMENT_MANUAL_POST = "repayment_manual_post"
    REPAYMENT_MANUAL_APPROVE = "repayment_manual_approve"  # approve or reject (the checker)
    REPAYMENT_REVERSE_REQUEST = "repayment_reverse_request"
    REPAYMENT_REVERSE_APPROVE = "repayment_reverse_approve"  # approve or reject (the checker)
    PAYMENT_ONLINE = "payment_online"  # the customer pays an instalment online
    PREPAYMENT = "prepayment"
    EARLY_SETTLEMENT = "early_settlement"
    LOAN_RESTRUCTURE = "loan_restructure"
    DISBURSEMENT_PREPARE = "disbursement_prepare"
    DISBURSEMENT_APPROVE = "disbursement_approve"
    DISBURSEMENT_RETRY = "disbursement_retry"
    COMMISSION_PAYOUT_PREPARE = "commission_payout_prepare"  # invoice, account, retry (maker)
    COMMISSION_PAYOUT_APPROVE = "commission_payout_approve"  # release to the bank (checker)
    PROVISION_POST = "provision_post"  # compute and post the month's loan-loss allowance
    PERIOD_CLOSE = "period_close"  # close a month's books (maker and checker alike)
    PERIOD_ADJUST = "period_adjust"  # post a correction to a closed month in the next open one
    DEPOSIT_RECEIPT_RECORD = "deposit_receipt_record"  # a dealer's deposit seen on the statement
    DEPOSIT_REFUND_PREPARE = "deposit_refund_prepare"  # a deposit refund to the dealer (maker)
    DEPOSIT_REFUND_APPROVE = "deposit_refund_approve"  # release it to the bank (checker)
    GL_MAPPING_SUBMIT = "gl_mapping_submit"  # propose where a product's postings go in the GL
    GL_MAPPING_APPROVE = "gl_mapping_approve"  # approve or reject it (the checker)
    OEM_CLAIM_WORK = "oem_claim_work"  # generate, send, resolve disputes of OEM subsidy claims
    OEM_RECEIPT_RECORD = "oem_receipt_record"  # an OEM's payment seen on the bank statement
    REPURCHASE_REQUEST = "repurchase_request"  # ask a dealer to buy a loan back (maker)
    REPURCHASE_APPROVE = "repurchase_approve"  # close the loan as repurchased, set off (checker)
    REPURCHASE_RECEIPT_RECORD = "repurchase_receipt_record"  # the dealer's payment seen
    REPOSSESSION_REQUEST = "repossession_request"  # ask to repossess a car (collector, maker)
    REPOSSESSION_APPROVE = "repossession_approve"  # approve it, assign it (the authority)
    REPOSSESSION_WORK = "repossession_work"  # contacts, notices, intake, valuation, legal cases
    REPOSSESSION_PAYMENT_PREPARE = "repossession_payment_prepare"  # a cost to pay (maker)
    REPOSSESSION_PAYMENT_RELEASE = "repossession_payment_release"  # post and pay it (checker)
    REPOSSESSION_SALE_RECORD = "repossession_sale_record"  # the sale's or redemption's money in
    DEPOSIT_PAY_ONLINE = "deposit_pay_online"  # the dealer pays its deposit at the cashier
    COMMISSION_DEBT_SET_OFF = "commission_debt_set_off"  # a departed dealer's debt vs deposit
    FLOORPLAN_ADVANCE_REQUEST = "floorplan_advance_request"  # a dealer asks to finance a car
    FLOORPLAN_ADVANCE_APPROVE = "floorplan_advance_approve"  # approve or reject the request
    FLOORPLAN_ADVANCE_RELEASE = "floorplan_advance_release"  # pay it (checker above threshold)
    FLOORPLAN_PAYMENT_RECORD = "floorplan_payment_record"  # a dealer's payoff seen at the bank
    # a lease's end of term: a return inspected, a remarketing sale, a title transfer done,
    # a termination quote for the customer (eot)
    LEASE_END_OF_TERM = "lease_end_of_term"
    # --- insurance: reconcile an insurer's commission statement; its payment seen at the bank
    INSURANCE_COMMISSION_RECONCILE = "insurance_commission_reconcile"
    INSURANCE_COMMISSION_RECEIPT = "insurance_commission_receipt"
    # --- integrate: a premium the customer paid us, paid on to its insurer (maker, checker)
    INSURER_REMITTANCE_PREPARE = "insurer_remittance_prepare"
    INSURER_REMITTANCE_RELEASE = "insurer_remittance_release"


# Who may do what. Collectors and underwriters move no money: they see loans (pages) but a
# posting or a reversal is the servicing desk's and finance's work. Customers pay their OWN loans
# only: the object check (the loan belongs to them) stays with the view that found the loan.
MONEY_ACTION_ROLES: dict[MoneyAction, frozenset[Role]] = {
    MoneyAction.REPAYMENT_MANUAL_POST: frozenset({Role.SERVICING_AGENT, Role.FINANCE_OPERATOR}),
    MoneyAction.REPAYMENT_MANUAL_APPROVE: frozenset({Role.SERVICING_AGENT, Role.FINANCE_APPROVER}),
    MoneyAction.REPAYMENT_REVERSE_REQUEST: frozenset({Role.SERVICING_AGENT, Role.FINANCE_OPERATOR}),
    MoneyAction.REPAYMENT_REVERSE_APPROVE: frozenset({Role.SERVICING_AGENT, Role.FINANCE_APPROVER}),
    MoneyAction.PAYMENT_ONLINE: frozenset({Role.CUSTOMER}),
    MoneyAction.PREPAYMENT: frozenset({Role.CUSTOMER}),
    MoneyAction.EARLY_SETTLEMENT: frozenset({Role.CUSTOMER}),
    MoneyAction.LOAN_RESTRUCTURE: frozenset(),  # by permission servicing.restructure_loan
    MoneyAction.DISBURSEMENT_PREPARE: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.DISBURSEMENT_APPROVE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.DISBURSEMENT_RETRY: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.COMMISSION_PAYOUT_PREPARE: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.COMMISSION_PAYOUT_APPROVE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.PROVISION_POST: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.PERIOD_CLOSE: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    # one person posts it, so only the approver: an adjustment has no second pair of eyes
    MoneyAction.PERIOD_ADJUST: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.DEPOSIT_RECEIPT_RECORD: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.DEPOSIT_REFUND_PREPARE: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.DEPOSIT_REFUND_APPROVE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.GL_MAPPING_SUBMIT: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.GL_MAPPING_APPROVE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.OEM_CLAIM_WORK: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.OEM_RECEIPT_RECORD: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.REPURCHASE_REQUEST: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.REPURCHASE_APPROVE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.REPOSSESSION_REQUEST: frozenset({Role.COLLECTOR}),
    MoneyAction.REPOSSESSION_APPROVE: frozenset({Role.OPERATIONS, Role.FINANCE_APPROVER}),
    MoneyAction.REPOSSESSION_WORK: frozenset(
        {Role.COLLECTOR, Role.OPERATIONS, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.REPOSSESSION_PAYMENT_PREPARE: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.REPOSSESSION_PAYMENT_RELEASE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.REPOSSESSION_SALE_RECORD: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.REPURCHASE_RECEIPT_RECORD: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    # the dealer's own deposit only: the object check stays with the view that found the dealer
    MoneyAction.DEPOSIT_PAY_ONLINE: frozenset({Role.DEALER_ADMIN}),
    MoneyAction.COMMISSION_DEBT_SET_OFF: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.FLOORPLAN_ADVANCE_REQUEST: frozenset({Role.DEALER_ADMIN, Role.FINANCE_OPERATOR}),
    MoneyAction.FLOORPLAN_ADVANCE_APPROVE: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.FLOORPLAN_ADVANCE_RELEASE: frozenset({Role.FINANCE_APPROVER}),
    MoneyAction.FLOORPLAN_PAYMENT_RECORD: frozenset({Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}),
    MoneyAction.LEASE_END_OF_TERM: frozenset(
        {Role.SERVICING_AGENT, Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    # --- insurance
    MoneyAction.INSURANCE_COMMISSION_RECONCILE: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.INSURANCE_COMMISSION_RECEIPT: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    # --- integrate
    MoneyAction.INSURER_REMITTANCE_PREPARE: frozenset(
        {Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER}
    ),
    MoneyAction.INSURER_REMITTANCE_RELEASE: frozenset({Role.FINANCE_APPROVER}),
}
# Permissions that grant one action to a person outside its roles (granted one by one).
MONEY_ACTION_PERMISSIONS: dict[MoneyAction, str] = {
    MoneyAction.LOAN_RESTRUCTURE: "servicing.restructure_loan",
}


def can_move_money(user, action: MoneyAction | str) -> bool:
    """May `user` take money `action`? The one answer pages, API views and services share.

    Unknown actions are refused (a typo must not open a door); anonymous users are refused; a
    superuser is allowed, as everywhere else (`user_has_role`)."""
    try:
        action = MoneyAction(action)
    except ValueError:
        return False
    if not getattr(user, "is_authenticated", False) or not getattr(user, "is_active", False):
        return False
    if getattr(user, "is_superuser", False):
        return True
    if user_roles(user) & {str(r) for r in MONEY_ACTION_ROLES[action]}:
        return True
    perm = MONEY_ACTION_PERMISSIONS.get(action)
    return bool(perm) and user.has_perm(perm)


# servicing's money checks: finance and the servicing desk see callback alerts (money parked in
# unidentified receipts) and reversal requests in the admin; decisions go through the pages.
for _role in (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.SERVICING_AGENT):
    ROLE_PERMISSIONS[_role] += [
        *_crud("servicing.paymentalert", write=False),
        *_crud("servicing.repaymentreversal", write=False),
    ]

# The auditor reads the security log and the audit trail (read-only, in the admin); the system
# admin reads the security log too. Neither can change or delete a row.
STAFF_ROLES = STAFF_ROLES | {Role.AUDITOR}
ROLE_PERMISSIONS[Role.AUDITOR] = [
    "autofin.view_securityevent",
    *_crud("autofin.auditentry", write=False),
]
ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] += ["autofin.view_securityevent"]

# The credit-bureau query log (征信查询记录): risk, the auditor and compliance read it; nobody writes it.
for _role in (Role.RISK_ANALYST, Role.AUDITOR, Role.COMPLIANCE_OFFICER):
    ROLE_PERMISSIONS[_role] += ["risk.view_bureauquery"]

# Four-eyes requests (autofin.approvals): decided on the approvals page by the roles each action
# names; the system admin reads the whole history in the admin.
ROLE_PERMISSIONS[Role.SYSTEM_ADMIN] += ["autofin.view_approvalrequest"]

# Credit reporting out (征信报送): operations, compliance, risk and the auditor read the
# submissions; operations corrects rejected records; agents (and operations) record a customer's
# dispute; compliance answers it (whoever recorded a dispute does not answer it).
for _role in (
    Role.OPERATIONS,
    Role.COMPLIANCE_OFFICER,
    Role.RISK_ANALYST,
    Role.AUDITOR,
    Role.SERVICING_AGENT,
):
    ROLE_PERMISSIONS[_role] += ["servicing.view_creditreportrecord"]
ROLE_PERMISSIONS[Role.OPERATIONS] += ["servicing.change_creditreportrecord"]
for _role in (Role.SERVICING_AGENT, Role.OPERATIONS):
    ROLE_PERMISSIONS[_role] += ["servicing.add_creditreportdispute"]
ROLE_PERMISSIONS[Role.COMPLIANCE_OFFICER] += ["servicing.change_creditreportdispute"]
