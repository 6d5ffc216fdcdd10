"""Demo loans in every status with believable payment histories.

Loans are opened with `loan_create` from plain values (as the disbursement code will), funded
with the entry the disbursement code posts (principal receivable Dr / bank clearing Cr), then
lived month by month: nightly accrual to each due date, payments from the three channels, a
bounced auto-debit reversed, an overpayment in suspense, a manual posting waiting for approval,
penalty on arrears, a restructure, an early settlement and a charge-off.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from autofin.approvals import four_eyes_waived
from autofin.business_date import business_date_current, business_date_set
from autofin.pricing import add_months, penalty_rate
from autofin.roles import Role
from autofin.seed import demo_user
from servicing.models import Loan
from servicing.services.accrual import loan_accrue
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.loans.create import loan_create
from servicing.services.loans.notes import loan_note_add
from servicing.services.loans.schedule import penalty_markup_of
from servicing.services.repayments.manual import repayment_manual_submit
from servicing.services.repayments.posting import repayment_post
from servicing.services.repayments.reversal import repayment_reverse
from servicing.services.repayments.suspense import suspense_apply
from servicing.services.settlement.early import payoff_quote_issue
from servicing.services.settlement.restructure import loan_restructure

DEFAULT_RULES = {
    "penalty_markup": "0.5",
    "lock_in_months": 6,
    "early_settlement_fee_rate": "0.03",
}

# (status wanted, months since value date, amount, term, method, balloon, payment plan)
# plan: per due instalment, "auto" / "online" / "manual" / "miss" / "bounce" / "over"
LOANS = [
    ("active", 5, "128000.00", 36, "equal_instalment", "0", ["auto", "auto", "online", "auto", "bounce"]),
    ("active", 8, "96000.00", 24, "equal_principal", "0", ["auto", "online", "auto", "auto", "over", "auto", "auto", "auto"]),
    ("active", 3, "245000.00", 36, "balloon", "73500.00", ["auto", "auto", "manual"]),
    ("overdue", 6, "86000.00", 24, "equal_instalment", "0", ["auto", "auto", "online", "auto", "miss", "miss"]),
    ("overdue", 4, "152000.00", 36, "equal_instalment", "0", ["auto", "auto", "auto", "miss"]),
    ("restructured", 9, "110000.00", 36, "equal_instalment", "0", ["auto", "auto", "auto", "miss", "miss", "miss"]),
    ("settled_early", 8, "135000.00", 36, "equal_instalment", "0", ["auto"] * 8),
    ("paid_off", 14, "60000.00", 12, "equal_instalment", "0", ["auto"] * 12),
    ("charged_off", 13, "78000.00", 24, "equal_instalment", "0", ["auto", "auto", "miss", "miss", "miss", "miss", "miss", "miss", "miss", "miss"]),
    ("active", 11, "158000.00", 36, "equal_instalment", "0", ["auto"] * 11),
]  # fmt: skip
# The last demo loan floats on the 1-year LPR + 300 bp: the nightly batch reprices it on its
# first anniversary, next month.
LPR_DEMO = {"basis": "lpr", "tenor": "1y", "spread_bps": 300}

CUSTOMERS = [
    ("cust_li", "李娜", "13800138001"),
    ("cust_wang", "王磊", "13800138002"),
    ("cust_zhao", "赵敏", "13800138003"),
    ("cust_chen", "陈晨", "13800138004"),
]
VEHICLES = [
    ("大众 帕萨特 2025 款", "LSVAU2180N2183001", "沪A·6K218"),
    ("丰田 凯美瑞 2025 款", "LVGBE40K7RG101234", "苏E·8M901"),
    ("比亚迪 汉 EV", "LGXCE4CB5R0102345", "粤B·D12345"),
    ("本田 雅阁 2024 款", "LHGCV1658R8003456", "浙A·3Q556"),
    ("吉利 星越 L", "L6T79F2E6RN004567", "京N·7H120"),
]


def _product(context: dict):
    products = context.get("products") or {}
    product = products.get("new-std") or next(iter(products.values()), None)
    if product is None:
        return None, DEFAULT_RULES
    version = product.versions.filter(status="published").order_by("-number").first()
    if version is None:
        return None, DEFAULT_RULES
    return version, version.rules or DEFAULT_RULES


def _rate(rules: dict, term: int) -> D:
    for entry in rules.get("rates") or []:
        if (
            entry.get("term_months") == term
            and entry.get("tier") == "A"
            and entry.get("annual_rate")
        ):
            return D(str(entry["annual_rate"]))
    return D("0.0580")


def _lpr_rate(on: dt.date) -> D:
    from origination.selectors import lpr_rate_current

    lpr = lpr_rate_current(tenor="1y", as_of=on)
    base = lpr.rate if lpr is not None else D("0.0310")
    return base + D(LPR_DEMO["spread_bps"]) / 10000


def _dealer_id(context: dict) -> int | None:
    dealers = context.get("dealers")
    if isinstance(dealers, dict):
        dealers = list(dealers.values())
    return dealers[0].pk if dealers else None


def seed(*, stdout, context: dict) -> None:
    from servicing.seed_disbursement import seed as seed_disbursement

    seed_disbursement(stdout=stdout, context=context)
    users = context.get("users", {})
    agent = users.get(Role.SERVICING_AGENT)
    checker = users.get(Role.SENIOR_UNDERWRITER) or users.get(Role.FINANCE_APPROVER)
    customers = [users[Role.CUSTOMER]] if Role.CUSTOMER in users else []
    customers += [
        demo_user(username, name, Role.CUSTOMER, phone=phone) for username, name, phone in CUSTOMERS
    ]
    if agent is None:
        agent = demo_user("agent", "贷后客服 赵丽", Role.SERVICING_AGENT)
    if checker is None:
        checker = demo_user("agent2", "贷后客服 钱亮", Role.SERVICING_AGENT)
    # The demo agent may restructure (a separate permission: servicing.restructure_loan).
    from django.contrib.auth.models import Permission

    perm = Permission.objects.filter(codename="restructure_loan").first()
    if perm is not None:
        agent.user_permissions.add(perm)
        agent = type(agent).objects.get(pk=agent.pk)
    version, rules = _product(context)
    today = business_date_current()
    created = 0
    for index, (status, months, amount, term, method, balloon, plan) in enumerate(LOANS):
        ref = f"HT{today:%Y}{index + 1:05d}"
        if Loan.objects.filter(contract_ref=ref).exists():
            continue
        # the customer of the first two demo loans is the demo customer
        customer = customers[0] if index in (0, 7) else customers[1 + index % (len(customers) - 1)]
        value_date = add_months(today, -months) - dt.timedelta(days=3)
        vehicle, vin, plate = VEHICLES[index % len(VEHICLES)]
        floating = index == len(LOANS) - 1
        annual_rate = _lpr_rate(value_date) if floating else _rate(rules, term)
        loan = loan_create(
            contract_ref=ref,
            application_id=None,
            customer_user_id=customer.pk,
            product_version_id=version.pk if version else None,
            product_rules=rules,
            amount_financed=D(amount),
            annual_rate=annual_rate,
            penalty_rate=penalty_rate(annual_rate, penalty_markup_of(rules)),
            rate_link=LPR_DEMO if floating else None,
            term_months=term,
            method=method,
            value_date=value_date,
            day_count=rules.get("day_count") or "30/360",
            balloon_amount=D(balloon),
            fee_per_instalment=D("0.00"),
            fees=[f for f in rules.get("fees", []) if isinstance(f, dict)],
            payees=[{"payee_type": "dealer", "amount": amount}],
            collateral={
                "vehicle": vehicle,
                "vin": vin,
                "plate": plate,
                "mortgage_status": "done",
                "mortgage_deadline": value_date + dt.timedelta(days=30),
                "gps_status": "done",
                "gps_deadline": value_date + dt.timedelta(days=15),
            },
            dealer_id=_dealer_id(context),
            business_date=value_date,
            actor="disbursement",
        )
        journal_post(
            business_date=value_date,
            source_type="disbursement",
            source_id=loan.pk,
            lines=[
                ("principal_receivable", "D", loan.amount_financed, loan.pk),
                ("bank_clearing", "C", loan.amount_financed, loan.pk),
            ],
            idempotency_key=f"seed-funding:{loan.pk}",
            description="放款（演示数据）",
            actor="disbursement",
            loan_id=loan.pk,
        )
        _live(loan=loan, plan=plan, status=status, today=today, agent=agent, checker=checker)
        created += 1
    business_date_set(actor="seed", date=today, reason="演示数据：恢复营业日")
    stdout.write(f"  {created} loans (every status) for customer / cust_li / cust_wang / ...")
    subsidised_contract_fund(stdout=stdout, context=context)


def subsidised_contract_fund(*, stdout, context: dict) -> Loan | None:
    """Fund the demo's signed contract on the OEM's 0 % product (origination's seed) through the
    real disbursement: maker prepares, checker releases, the sandbox bank pays and calls back.
    The loan is built from the contract: 0 % customer rate, 0 % penalty rate, the lender's rate
    (paid by the OEM's subsidy) as its annual rate. Idempotent: a funded contract is left."""
    from origination.models import Contract
    from origination.seed_backoffice import SUBSIDISED_PRODUCT
    from servicing.gateway.interface import payment_gateway
    from servicing.models import Disbursement, PaymentAttempt
    from servicing.services.disbursement.approve import disbursement_approve
    from servicing.services.disbursement.create import disbursement_prepare
    from servicing.services.disbursement.send import attempt_send

    contract = (
        Contract.objects.filter(status="signed", product_version__product__code=SUBSIDISED_PRODUCT)
        .exclude(pk__in=Disbursement.objects.values("contract_id"))
        .order_by("pk")
        .first()
    )
    if contract is None:
        funded = Contract.objects.filter(
            status="signed", product_version__product__code=SUBSIDISED_PRODUCT
        ).values("contract_ref")
        return Loan.objects.filter(contract_ref__in=funded).order_by("pk").first()
    users = context.get("users", {})
    maker = users.get(Role.FINANCE_OPERATOR) or demo_user(
        "finance_op", "财务经办", Role.FINANCE_OPERATOR
    )
    checker = users.get(Role.FINANCE_APPROVER) or demo_user(
        "finance_ap", "财务复核", Role.FINANCE_APPROVER
    )
    d = disbursement_prepare(contract_id=contract.pk, actor=maker)
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    attempts = PaymentAttempt.objects.filter(instruction__disbursement=d)
    # sent here rather than left to a worker, so the demo book has the loan when the seed ends
    # (a worker's later send of the same attempt finds it sent and does nothing)
    for pk in attempts.filter(status="pending").values_list("pk", flat=True):
        attempt_send(attempt_id=pk)
    gateway = payment_gateway()
    if hasattr(gateway, "callbacks_deliver"):  # the sandbox bank: deliver its answers now
        gateway.callbacks_deliver(keys=list(attempts.values_list("idempotency_key", flat=True)))
    loan = Loan.objects.filter(contract_ref=contract.contract_ref).first()
    stdout.write(
        f"  subsidised 0 % contract {contract.contract_ref}: "
        + ("funded\n" if loan else "released, waiting for the bank\n")
    )
    return loan


def _live(*, loan: Loan, plan: list[str], status: str, today: dt.date, agent, checker) -> None:
    """Live the loan month by month up to yesterday."""
    rows = list(loan.schedule_rows())
    for row, action in zip(rows, plan, strict=False):
        if row.due_date >= today:
            break
        day = row.due_date
        loan_accrue(loan_id=loan.pk, through=day - dt.timedelta(days=1))
        # the nightly batch applies suspense on the due date; the channels collect the rest
        suspense_apply(loan_id=loan.pk, actor="eod", business_date=day)
        row.refresh_from_db()
        if row.amount_unpaid <= 0:
            loan_accrue(loan_id=loan.pk, through=day)
            continue
        if action == "auto":
            repayment_post(
                loan_id=loan.pk, amount=row.amount_unpaid, source="auto_debit", actor="bank",
                business_date=day, external_ref=f"SEED-AD-{loan.pk}-{row.instalment_no}",
            )  # fmt: skip
        elif action == "online":
            pay_day = day - dt.timedelta(days=2)
            repayment_post(
                loan_id=loan.pk, amount=row.instalment, source="online", actor="customer",
                business_date=pay_day, external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
            )  # fmt: skip
        elif action == "manual":
            repayment_manual_submit(
                loan_id=loan.pk, amount=row.instalment, actor=agent, business_date=day,
                evidence=f"招商银行转账，流水号 CMB{loan.pk:04d}{row.instalment_no:02d}",
            )  # fmt: skip
        elif action == "over":
            repayment_post(
                loan_id=loan.pk, amount=row.instalment + D("800.00"), source="online",
                actor="customer", business_date=day,
                external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
            )  # fmt: skip
        elif action == "bounce":
            bounced = repayment_post(
                loan_id=loan.pk, amount=row.instalment, source="auto_debit", actor="bank",
                business_date=day, external_ref=f"SEED-AD-{loan.pk}-{row.instalment_no}",
            )  # fmt: skip
            repayment_reverse(
                repayment_id=bounced.pk,
                reason="银行退票：账户余额不足",
                actor="bank",
                business_date=day + dt.timedelta(days=1),
            )
            repayment_post(
                loan_id=loan.pk, amount=row.instalment + D("20.00"), source="online",
                actor="customer", business_date=day + dt.timedelta(days=3),
                external_ref=f"SEED-PAY-{loan.pk}-{row.instalment_no}",
            )  # fmt: skip
        loan_accrue(loan_id=loan.pk, through=day)
        if action == "bounce":
            loan_accrue(loan_id=loan.pk, through=day + dt.timedelta(days=2))
    yesterday = today - dt.timedelta(days=1)
    if status == "restructured":
        day = today - dt.timedelta(days=20)
        loan_accrue(loan_id=loan.pk, through=day - dt.timedelta(days=1))
        # Demo history (dated in the past): nobody exists yet to check it (autofin.approvals).
        with four_eyes_waived("demo seed"):
            loan_restructure(
                loan_id=loan.pk, term_months=36, actor=agent, business_date=day,
                reason="客户失业三个月后重新就业，申请展期，经审批同意重组为 36 期",
            )  # fmt: skip
    elif status == "settled_early":
        business_date_set(actor="seed", date=yesterday, reason="演示数据")
        loan_accrue(loan_id=loan.pk, through=yesterday - dt.timedelta(days=1))
        quote = payoff_quote_issue(loan_id=loan.pk, actor=loan.customer)
        repayment_post(
            loan_id=loan.pk, amount=quote.total, source="online", actor="customer",
            purpose="payoff", payoff_quote_id=quote.pk, business_date=yesterday,
            external_ref=f"SEED-PAYOFF-{loan.pk}",
        )  # fmt: skip
        business_date_set(actor="seed", date=today, reason="演示数据")
    elif status == "charged_off":
        loan_accrue(loan_id=loan.pk, through=yesterday)
        loan_charge_off(
            loan_id=loan.pk, actor=agent, business_date=yesterday,
            reason="逾期超过 180 天，催收无果，经审批核销",
        )  # fmt: skip
    if status != "charged_off":
        loan_accrue(loan_id=loan.pk, through=yesterday)
    loan_note_add(loan_id=loan.pk, body=f"演示数据：{status}", actor=agent)
    if status == "active" and plan[-1] == "manual":
        # a large bank transfer waiting for the second person's approval
        repayment_manual_submit(
            loan_id=loan.pk, amount="60000.00", actor=agent,
            evidence="客户对公转账提前还款，工商银行流水 ICBC20261101",
        )  # fmt: skip
    _ = checker
