"""A departing dealer's commission debt (clawbacks beyond its commission, carried forward) set
against its deposit by finance once no agreement is in force: exact entries, the statement's
debt settled by that much, the rest still owed, and every partner sub-ledger equal to the
ledger to the fen."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.urls import reverse

from autofin.models import AuditEntry
from dealers.models.commissions import Agreement, CommissionStatement
from dealers.models.deposits import DealerDeposit
from dealers.services import agreement_create
from servicing.models import JournalLine
from servicing.models.deposits import DepositMovement
from servicing.selectors.commissions import commission_subledger_differences
from servicing.selectors.ledger import trial_balance
from servicing.selectors.partner_ledgers import partner_ledgers_reconcile
from servicing.services.commissions.departure import departing_dealer_debt_set_off
from servicing.services.deposits.receipts import DepositError, deposit_receipt_record
from tests.servicing.commission_support import accrue, claw, month_end, on, pay

pytestmark = pytest.mark.usefixtures("disbursement_settings")

D = Decimal


def books_agree() -> None:
    assert commission_subledger_differences() == []
    assert trial_balance().total == D("0.00")
    assert all(r.difference == 0 and not r.partners_differing for r in partner_ledgers_reconcile())


def test_a_departed_dealers_carried_debt_is_set_against_its_deposit(dealer, maker, checker, policy):
    policy("servicing.commission_payout_requires_invoice", "false")
    agreement_create(
        actor="seed", dealer=dealer, product_line="used", commission_kind="percent",
        commission_rate="0.01", effective_from=dt.date(2026, 1, 1),
        effective_to=dt.date(2026, 1, 31),
    )  # fmt: skip
    on(dt.date(2026, 1, 10))
    first = accrue(dealer, "100000.00", dt.date(2026, 1, 10))  # ¥1,000
    accrue(dealer, "20000.00", dt.date(2026, 1, 10))  # ¥200
    deposit_receipt_record(dealer_id=dealer.pk, amount="500.00", bank_ref="DEP-1", actor=maker)
    before = (JournalLine.objects.count(), AuditEntry.objects.count())
    with pytest.raises(DepositError) as exc:  # still under an agreement
        departing_dealer_debt_set_off(dealer_id=dealer.pk, actor=checker)
    assert "生效的合作协议" in exc.value.message
    assert (JournalLine.objects.count(), AuditEntry.objects.count()) == before

    on(dt.date(2026, 2, 1))
    pay(month_end(dealer, dt.date(2026, 1, 1))[1], maker, checker)  # January's ¥1,200 paid
    on(dt.date(2026, 2, 5))
    claw(first, dt.date(2026, 2, 5))  # ¥1,000 clawed back, no commission left to absorb it
    # the dealer leaves: its other agreement ends too
    Agreement.objects.filter(dealer=dealer, effective_to__isnull=True).update(
        effective_to=dt.date(2026, 2, 20)
    )
    on(dt.date(2026, 3, 1))
    feb, payout = month_end(dealer, dt.date(2026, 2, 1))
    assert (feb.net_amount, feb.pay_status, payout) == (D("-1000.00"), "carried", None)
    with pytest.raises(DepositError) as exc:  # only a finance approver sets off
        departing_dealer_debt_set_off(dealer_id=dealer.pk, actor=maker)
    assert exc.value.code == "forbidden"

    assert departing_dealer_debt_set_off(dealer_id=dealer.pk, actor=checker) == (
        D("500.00"), D("500.00"),
    )  # fmt: skip
    movement = DepositMovement.objects.get(kind="set_off")
    assert movement.amount == D("-500.00")
    lines = JournalLine.objects.filter(entry_id=movement.journal_entry_id).order_by("side")
    assert [(x.account.code, x.side, x.amount, x.dealer_id) for x in lines] == [
        ("commission_payable", "C", D("500.00"), dealer.pk),
        ("dealer_deposit", "D", D("500.00"), dealer.pk),
    ]
    feb = CommissionStatement.objects.get(pk=feb.pk)
    assert (feb.net_amount, feb.debt_settled) == (D("-1000.00"), D("500.00"))
    assert DealerDeposit.objects.get(dealer=dealer).held == D("0.00")
    books_agree()
    with pytest.raises(DepositError):  # nothing left to set off: the ¥500 is to be demanded
        departing_dealer_debt_set_off(dealer_id=dealer.pk, actor=checker)
    # a later statement brings forward only what is still owed
    on(dt.date(2026, 4, 1))
    mar, _payout = month_end(dealer, dt.date(2026, 3, 1))
    assert (mar.brought_forward, mar.net_amount) == (D("-500.00"), D("-500.00"))
    books_agree()


def test_the_set_off_through_the_page_needs_a_finance_approver(client, dealer, maker, checker):
    client.force_login(maker)
    url = reverse("servicing:departing_dealer_set_off")
    assert client.post(url, {"token": "s1", "dealer": dealer.pk}).status_code == 403
    client.force_login(checker)
    page = client.get(reverse("servicing:repurchase_list")).content.decode()
    assert "返佣欠款抵扣保证金" in page
    refused = client.post(url, {"token": "s2", "dealer": dealer.pk}, follow=True)
    assert "生效的合作协议" in refused.content.decode()  # the fixture's agreement is in force
    assert not DepositMovement.objects.filter(kind="set_off").exists()
