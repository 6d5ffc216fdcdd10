"""The demo loans in every status: opened with `loan_create` from plain values (as the
disbursement does), funded with the entry the disbursement posts (principal receivable Dr / bank
clearing Cr), then lived month by month (servicing.seed.history)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from django.contrib.auth.models import Permission

from autofin.business_date import business_date_current, business_date_set
from autofin.pricing import add_months, penalty_rate
from autofin.refs import contract_ref_make
from autofin.roles import Role
from autofin.seed.users import demo_user
from origination.selectors.products import lpr_rate_current
from servicing.memos import memo
from servicing.models.loans import Loan
from servicing.seed.history import loan_live
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.create import loan_create
from servicing.services.loans.schedule import penalty_markup_of

# demo loans are numbered like issued contracts, from serials far above the contract ids
DEMO_SERIAL = 900_000
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
    lpr = lpr_rate_current(tenor="1y", as_of=on)
    base = lpr.rate if lpr is not None else D("0.0310")
    return base + D(LPR_DEMO["spread_bps"]) / 10000


def _dealer_id(context: dict) -> int | None:
    dealers = context.get("dealers")
    if isinstance(dealers, dict):
        dealers = list(dealers.values())
    return dealers[0].pk if dealers else None


def _agent(context: dict):
    """The demo servicing agent (allowed to restructure), and a second agent: the checker the
    demo's large manual posting waits for."""
    users = context.get("users", {})
    agent = users.get(Role.SERVICING_AGENT)
    checker = users.get(Role.SENIOR_UNDERWRITER) or users.get(Role.FINANCE_APPROVER)
    if agent is None:
        agent = demo_user("agent", "贷后客服 赵丽", Role.SERVICING_AGENT)
    if checker is None:
        demo_user("agent2", "贷后客服 钱亮", Role.SERVICING_AGENT)
    # The demo agent may restructure (a separate permission: servicing.restructure_loan).
    perm = Permission.objects.filter(codename="restructure_loan").first()
    if perm is not None:
        agent.user_permissions.add(perm)
        agent = type(agent).objects.get(pk=agent.pk)
    return agent


def _customers(context: dict) -> list:
    users = context.get("users", {})
    customers = [users[Role.CUSTOMER]] if Role.CUSTOMER in users else []
    return customers + [
        demo_user(username, name, Role.CUSTOMER, phone=phone) for username, name, phone in CUSTOMERS
    ]


def _loan_open(
    *, index: int, spec: tuple, ref: str, customer, today: dt.date, version, rules, context
) -> Loan:
    """The loan of LOANS[index] as the disbursement opens it, its value date `months` ago."""
    _status, months, amount, term, method, balloon, _plan = spec
    value_date = add_months(today, -months) - dt.timedelta(days=3)
    vehicle, vin, plate = VEHICLES[index % len(VEHICLES)]
    floating = index == len(LOANS) - 1
    annual_rate = _lpr_rate(value_date) if floating else _rate(rules, term)
    return loan_create(
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


def _loan_fund(loan: Loan) -> None:
    """The disbursement's entry, on the value date."""
    journal_post(
        business_date=loan.value_date,
        source_type="disbursement",
        source_id=loan.pk,
        lines=[
            ("principal_receivable", "D", loan.amount_financed, loan.pk),
            ("bank_clearing", "C", loan.amount_financed, loan.pk),
        ],
        idempotency_key=f"seed-funding:{loan.pk}",
        description=memo("demo_disbursement"),
        actor="disbursement",
        loan_id=loan.pk,
    )


def loans_seed(*, stdout, context: dict) -> None:
    """Open, fund and live each of LOANS once (a contract reference already there is left)."""
    customers = _customers(context)
    agent = _agent(context)
    version, rules = _product(context)
    today = business_date_current()
    created = 0
    for index, spec in enumerate(LOANS):
        ref = contract_ref_make(year=today.year, serial=DEMO_SERIAL + index + 1)
        if Loan.objects.filter(contract_ref=ref).exists():
            continue
        # the customer of the first two demo loans is the demo customer
        customer = customers[0] if index in (0, 7) else customers[1 + index % (len(customers) - 1)]
        loan = _loan_open(
            index=index, spec=spec, ref=ref, customer=customer, today=today, version=version,
            rules=rules, context=context,
        )  # fmt: skip
        _loan_fund(loan)
        status, plan = spec[0], spec[-1]
        loan_live(loan=loan, plan=plan, status=status, today=today, agent=agent)
        created += 1
    business_date_set(actor="seed", date=today, reason="演示数据：恢复营业日")
    stdout.write(f"  {created} loans (every status) for customer / cust_li / cust_wang / ...")
