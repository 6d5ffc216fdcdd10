"""Leases for the lease page tests: a loan made through funding (the loan factory), turned into a
lease of its contract type with its car in the register, and its rents invoiced by the shared
invoicing service."""

from __future__ import annotations

import itertools
from decimal import Decimal

from servicing.models.leases import LeaseAsset
from servicing.models.loans import Loan
from servicing.services.invoicing import invoice_issue
from servicing.services.leases.vat import LEASE_VAT_KIND
from tests.servicing.loan_helpers import make_loan

D = Decimal
BUYER_ID = "11010519491231002X"  # a valid ID number (GB 11643 check digit)
ITEMS = {
    "direct_lease": "*有形动产融资租赁服务*租金",
    "sale_leaseback": "*贷款服务*融资租赁利息",
}
_vins = itertools.count(1)


def lease_make(*, contract_type: str, customer=None, amount: str = "200000.00", term: int = 36,
               **asset) -> Loan:  # fmt: skip
    """¥200,000 for 36 months, equal rents at 6 % (30/360, no fee): rent 6,084.39."""
    loan = make_loan(customer=customer, amount=amount, rate="0.06", term=term, fee="0.00")
    Loan.objects.filter(pk=loan.pk).update(contract_type=contract_type)
    loan.refresh_from_db()
    vin = f"LSVLEASE{next(_vins):09d}"
    LeaseAsset.objects.create(
        loan=loan, vin=vin, plate=asset.pop("plate", "沪A12345"), vehicle="测试品牌 电动轿车",
        seller_name="上海工厂测试汽车销售服务有限公司", purchase_price=D(amount),
        purchase_vat=D("23008.85") if contract_type == "direct_lease" else D("0"), **asset,
    )  # fmt: skip
    return loan


def rent_invoice(loan: Loan, instalment_no: int):
    """The invoice of one rent, as the nightly invoicing issues it (source: the schedule row)."""
    row = loan.schedule_rows().get(instalment_no=instalment_no)
    total = row.instalment if loan.contract_type == "direct_lease" else row.interest + row.fee
    return invoice_issue(
        source_type="lease_rent", source_id=row.pk, kind=LEASE_VAT_KIND[loan.contract_type],
        item_name=ITEMS[loan.contract_type], buyer_name="张三", buyer_taxpayer_id=BUYER_ID,
        total=total, on=row.due_date, actor="test",
    )  # fmt: skip
