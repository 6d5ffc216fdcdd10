"""The demo's dealer commissions on the books (the dealers seed recorded the accruals, clawbacks
and statements): each accrual and clawback posted to its dealer's sub-ledger as funding and the
nightly batch post them, every statement before the latest paid through the real payout
(invoice, maker, checker, the sandbox bank), and the latest month's statements left 待付 for
finance — some still waiting for the dealer's invoice, some prepared for a checker."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from autofin.money import FEN
from autofin.roles import Role
from autofin.seed.users import demo_user
from dealers.models.commissions import Commission, CommissionClawback, CommissionStatement
from servicing.gateway.interface import payment_gateway
from servicing.services.commissions.bank import commission_payout_send
from servicing.services.commissions.ledger import commission_accrual_post, commission_clawback_post
from servicing.services.commissions.payouts import (
    commission_payout_create,
    commission_payout_invoice_record,
    commission_payout_prepare,
)
from servicing.services.commissions.release import commission_payout_approve

VAT_SERVICES = Decimal("0.06")  # a commission is a service fee: 6 % VAT in the invoice


def _post_accruals_and_clawbacks() -> int:
    posted = 0
    for c in Commission.objects.filter(amount__gt=0).order_by("pk"):
        commission_accrual_post(
            commission_id=c.pk,
            dealer_id=c.dealer_id,
            amount=c.amount,
            contract_ref=c.contract_ref,
            on=c.funded_on,
        )
        posted += 1
    for cb in CommissionClawback.objects.select_related("commission").order_by("pk"):
        commission_clawback_post(
            clawback_id=cb.pk,
            dealer_id=cb.commission.dealer_id,
            amount=cb.amount,
            contract_ref=cb.commission.contract_ref,
            on=cb.event_date,
        )
        posted += 1
    return posted


def _invoice(payout, maker, n: int) -> None:
    tax = (payout.amount * VAT_SERVICES / (1 + VAT_SERVICES)).quantize(FEN, rounding=ROUND_HALF_UP)
    commission_payout_invoice_record(
        payout_id=payout.pk,
        actor=maker,
        invoice_number=f"2631{payout.month:%y%m}{n:012d}",  # 全电发票: 20 digits
        invoice_amount=payout.amount,
        invoice_tax=tax,
    )


def commissions_seed(*, stdout, context: dict) -> None:
    users = context.get("users", {})
    maker = users.get(Role.FINANCE_OPERATOR) or demo_user(
        "finance_op", "财务经办", Role.FINANCE_OPERATOR
    )
    checker = users.get(Role.FINANCE_APPROVER) or demo_user(
        "finance_ap", "财务复核", Role.FINANCE_APPROVER
    )
    posted = _post_accruals_and_clawbacks()
    pending = list(
        CommissionStatement.objects.filter(
            pay_status=CommissionStatement.PayStatus.PENDING
        ).order_by("month", "pk")
    )
    latest = max((s.month for s in pending), default=None)
    gateway = payment_gateway()
    paid = waiting = 0
    for n, statement in enumerate(pending, start=1):
        payout = commission_payout_create(statement=statement)
        if payout.status not in ("held", "draft"):
            continue  # a re-run: already under way
        if statement.month == latest:
            # this month's run, left for finance: every other dealer has sent its invoice and
            # the maker has prepared it, so the checker has something to release
            if n % 2 == 0:
                _invoice(payout, maker, n)
                commission_payout_prepare(payout_id=payout.pk, actor=maker)
            waiting += 1
            continue
        _invoice(payout, maker, n)
        commission_payout_prepare(payout_id=payout.pk, actor=maker)
        payout = commission_payout_approve(payout_id=payout.pk, actor=checker)
        # sent here rather than left to a worker, so the demo statements show 已付 when the seed
        # ends (a worker's later send finds it sent and does nothing)
        commission_payout_send(payout_id=payout.pk)
        if hasattr(gateway, "callbacks_deliver"):  # the sandbox bank: its answer now
            gateway.callbacks_deliver(keys=[payout.idempotency_key])
        paid += 1
    stdout.write(
        f"  commissions: {posted} entries posted, {paid} statements paid, {waiting} 待付\n"
    )
