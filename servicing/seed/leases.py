"""Demo leases (issue #19): a few funded 新车直租 (direct lease) and 车主回租 (sale-leaseback)
contracts on origination's two lease products, each with its asset in the lessor's register
(opened by the funding code's own `lease_asset_open`), lived month by month like the demo loans.

Opened with `loan_create` and the demo funding entry as servicing.seed.loans does (not through
the disbursement: no contract or card to check in the demo book).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

from autofin.business_date import business_date_current, business_date_set
from autofin.pricing import add_months, penalty_rate
from autofin.refs import contract_ref_make
from dealers.models.dealers import Dealer
from servicing.models.loans import Loan
from servicing.seed.history import loan_live
from servicing.seed.loans import _agent, _customers, _dealer_id, _loan_fund, _rate
from servicing.services.leases.assets import lease_asset_open
from servicing.services.loans.create import loan_create
from servicing.services.loans.schedule import penalty_markup_of

DEMO_SERIAL = 950_000
# (product code, months since value date, amount, term, vehicle, VIN, plate)
LEASES = [
    ("lease-new", 4, "200000.00", 36, "比亚迪 汉 EV 2025 款", "LGXCE4CB1S0200001", "粤B·D20001"),
    ("lease-new", 7, "168000.00", 24, "大众 ID.4 X", "LSVUA4E21S2200002", "沪A·D20002"),
    ("lease-new", 2, "256000.00", 36, "理想 L6", "LW433B1A5S1200003", "京A·D20003"),
    ("lease-back", 5, "90000.00", 24, "丰田 卡罗拉 2021 款", "LVGBE40K1MG200004", "苏E·2K004"),
    ("lease-back", 9, "120000.00", 36, "本田 雅阁 2022 款", "LHGCV1658N8200005", "浙A·3Q005"),
    ("lease-back", 3, "66000.00", 12, "日产 轩逸 2020 款", "LGBH52E05LY200006", "沪B·7H006"),
]  # fmt: skip


def _version(context: dict, code: str):
    product = (context.get("products") or {}).get(code)
    if product is None:
        return None
    return product.versions.filter(status="published").order_by("-number").first()


def _dealer_name(dealer_id: int | None) -> str:
    dealer = Dealer.objects.filter(pk=dealer_id).values_list("legal_name", flat=True).first()
    return dealer or ""


def leases_seed(*, stdout, context: dict) -> None:
    customers = _customers(context)
    agent = _agent(context)
    dealer_id = _dealer_id(context)
    today = business_date_current()
    created = 0
    for index, (code, months, amount, term, vehicle, vin, plate) in enumerate(LEASES):
        version = _version(context, code)
        ref = contract_ref_make(year=today.year, serial=DEMO_SERIAL + index + 1)
        if version is None or Loan.objects.filter(contract_ref=ref).exists():
            continue
        rules = version.rules
        customer = customers[1 + index % (len(customers) - 1)]
        value_date = add_months(today, -months) - dt.timedelta(days=5)
        business_date_set(actor="seed", date=value_date, reason="演示数据：租赁起租")
        rate = _rate(rules, term)
        leaseback = rules["contract_type"] == "sale_leaseback"
        payee = (
            {"payee_type": "customer", "name": customer.display_name, "amount": amount}
            if leaseback
            else {"payee_type": "dealer", "name": _dealer_name(dealer_id), "amount": amount}
        )
        collateral = {"vehicle": vehicle, "vin": vin, "plate": plate,
                      "mortgage_status": "not_required", "gps_status": "not_required",
                      "title_status": "done"}  # fmt: skip
        loan = loan_create(
            contract_ref=ref, application_id=None, customer_user_id=customer.pk,
            product_version_id=version.pk, product_rules=rules, amount_financed=D(amount),
            annual_rate=rate, penalty_rate=penalty_rate(rate, penalty_markup_of(rules)),
            term_months=term, method="equal_instalment", value_date=value_date,
            day_count=rules.get("day_count") or "30/360", balloon_amount=D("0.00"),
            fee_per_instalment=D("0.00"), fees=[], payees=[payee],
            collateral={k: v for k, v in collateral.items() if k != "title_status"},
            dealer_id=None if leaseback else dealer_id, business_date=value_date,
            actor="disbursement",
        )  # fmt: skip
        _loan_fund(loan)
        facts = {"product_rules": rules, "payees": [payee], "collateral": collateral,
                 "customer_name": customer.display_name}  # fmt: skip
        lease_asset_open(loan=loan, facts=facts, on=value_date, actor="disbursement")
        loan_live(loan=loan, plan=["auto"] * months, status="active", today=today, agent=agent)
        created += 1
    business_date_set(actor="seed", date=today, reason="演示数据：恢复营业日")
    stdout.write(f"  {created} leases (新车直租 / 车主回租) with their assets")
