"""Payoff at the retail sale: a floor-plan advance taken from request through two curtailments
paid by the dealer, then settled by the retail loan's disbursement of the same VIN — in one
release, the advance's payoff an internal transfer out of the car price (dealer payable →
floor-plan receivable and interest), the rest paid to the dealer's bank account, to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from unittest import mock

import pytest

from autofin.business_date import business_date_set
from origination.models.floorplan import FloorplanLine
from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models.disbursement import Disbursement, SandboxBankPayment
from servicing.models.floorplan import FloorplanAdvance, FloorplanCurtailment, FloorplanPayment
from servicing.services.floorplan.advances import (
    advance_approve,
    advance_release,
    advance_request,
    certificate_receive,
)
from servicing.services.floorplan.bank import floorplan_advance_send
from servicing.services.floorplan.payoffs import advance_payoff
from tests.servicing import loan_factory
from tests.servicing.floorplan_support import (
    balance,
    books_agree,
    dealer_admin_for,
    line_open,
    night,
    oem_payee,
    vin_next,
)

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal


def on(day: dt.date) -> None:
    business_date_set(actor="test", date=day, reason="floor-plan retail test")


def test_an_advance_through_two_curtailments_is_paid_off_by_the_retail_disbursement(maker, checker):
    seller = loan_factory._cast()["seller"]  # the car's seller of the factory's loans
    line = line_open(seller, checker)
    admin = dealer_admin_for(seller)
    vin = vin_next()
    on(dt.date(2026, 1, 15))
    advance = advance_request(
        line=line, vin=vin, model_name="帕萨特 2026 款 330TSI", invoice_price="110000.00",
        oem_invoice_number="SVW20260115001", amount="100000.00", payee_kind="oem",
        oem_payee_id=oem_payee(maker, checker).pk, by=admin,
    )  # fmt: skip
    advance_approve(advance, maker)
    advance_release(advance, checker)
    floorplan_advance_send(advance_id=advance.pk)
    SandboxBank().callback_deliver(FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key)
    certificate_receive(advance.pk, certificate_no="WDK2026011500123", by=maker)
    advance.refresh_from_db()
    assert (advance.status, advance.funded_on) == ("funded", dt.date(2026, 1, 15))

    # Jan 15 - Mar 31: 76 days at 6 % on 100,000.00 = 1,249.3150684931 -> 1,249.31;
    # March's month-end bills stage 1 (10 %, due 15 April)
    night(dt.date(2026, 3, 31))
    night(dt.date(2026, 4, 9))  # 9 days: 147.9502739721 with the remainder -> 147.95
    on(dt.date(2026, 4, 10))
    advance.refresh_from_db()
    assert advance.interest_accrued_unpaid == D("1397.26")
    advance_payoff(advance.pk, "11397.26", "bank_receipt", "CMB20260410-01", maker)
    c1 = FloorplanCurtailment.objects.get(advance=advance, stage=1)
    assert (c1.amount, c1.paid_amount, c1.status) == (D("10000.00"), D("10000.00"), "paid")

    # Apr 10 - Apr 30 on 90,000.00: 310.68; April's month-end bills stage 2 (30 % cumulative)
    night(dt.date(2026, 4, 30))
    night(dt.date(2026, 5, 9))  # 133.15
    on(dt.date(2026, 5, 10))
    advance_payoff(advance.pk, "20443.83", "bank_receipt", "CMB20260510-01", maker)
    c2 = FloorplanCurtailment.objects.get(advance=advance, stage=2)
    assert (c2.amount, c2.status) == (D("20000.00"), "paid")
    night(dt.date(2026, 5, 19))  # 10 days on 70,000.00: 115.0743835611 -> 115.07
    advance.refresh_from_db()
    assert (advance.principal_outstanding, advance.interest_accrued_unpaid) == (
        D("70000.00"), D("115.07"),
    )  # fmt: skip
    books_agree()

    # the car is sold: a retail loan of 120,000.00 for the same VIN, funded on 20 May
    on(dt.date(2026, 5, 20))
    with mock.patch.object(loan_factory, "vin_make", lambda *a: vin):
        loan = loan_factory.loan_through_funding(
            value_date=dt.date(2026, 5, 20), amount="120000.00"
        )
    d = Disbursement.objects.get(contract_ref=loan.contract_ref)
    split = sorted(d.instructions.values_list("item_kind", "amount", "status"))
    assert split == [("car", D("49884.93"), "succeeded"), ("floorplan", D("70115.07"), "succeeded")]
    # one bank payment only: the rest of the car price, to the dealer
    paid = SandboxBankPayment.objects.filter(reference__startswith=f"{d.pk}/")
    assert [p.amount for p in paid] == [D("49884.93")]
    assert not d.instructions.get(item_kind="floorplan").attempts.exists()

    advance.refresh_from_db()
    assert (advance.status, advance.settled_on, advance.principal_outstanding) == (
        "settled", dt.date(2026, 5, 20), D("0.00"),
    )  # fmt: skip
    assert (advance.interest_accrued_unpaid, advance.certificate_status) == (D("0.00"), "released")
    payment = FloorplanPayment.objects.get(source_kind="retail_disbursement")
    assert (payment.source_ref, payment.amount, payment.interest_part, payment.principal_part) == (
        loan.contract_ref, D("70115.07"), D("115.07"), D("70000.00"),
    )  # fmt: skip
    # the dealer payable nets to zero (car price credited at funding, two debits), the
    # floor-plan accounts to the advances, the line's limit given back
    assert balance("dealer_payable") == D("0.00")
    books_agree()
    assert FloorplanLine.objects.get(pk=line.pk).used_amount == D("0.00")
    # the night after: nothing accrues on a settled advance
    night(dt.date(2026, 5, 20))
    advance.refresh_from_db()
    assert advance.interest_accrued_unpaid == D("0.00")
