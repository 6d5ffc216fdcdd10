"""The end of a lease (issue 19): the 留购价 billed with the last rent, the title transfer (过户)
or the release of the mortgage when the lease closes, and a residual-value lease's car returned
at maturity (inspection, excess-wear charge, remarketing proceeds against the residual).

- 留购价: `lease_buyout_bill` adds it to the last rent's fee when the lease is funded (the
  schedule's existing fee mechanics: the nightly accrual posts it as fee income on the due date,
  the waterfall collects it with the rent). When the lease closes its invoice is issued
  (source "lease_buyout", 直租 13 % 有形动产融资租赁服务, 售后回租 6 % 贷款服务, taxed whole as a
  价外费用) and its tax taken out of fee income.
- Closing (paid off, or settled by early termination): the asset becomes bought_out; a 直租 or a
  title-transferred 售后回租 gets a title-transfer task (done → registration transferred to the
  customer); a mortgaged 售后回租 is released through the loan's existing `MortgageRelease`.
- A residual lease at maturity: buying out at the residual is paying the last rent (the balloon
  is its principal); returning the car is `lease_return_record` (inspection, excess wear added
  to the last rent as a fee) then `lease_remarket_record` (the sale's proceeds are received as a
  manual receipt, maker-checked above the threshold, applied by the waterfall against the
  residual; what the proceeds do not cover — the shortfall — stays owed by the customer, a
  surplus lands in the loan's suspense and is refunded as any overpayment); refinancing the
  residual is the existing restructure (`servicing.services.settlement.restructure`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from autofin.approvals import four_eyes_gate
from autofin.audit import audit_record
from autofin.business_date import business_date_for_posting
from autofin.money import ZERO
from autofin.roles import MoneyAction
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models import SourceType
from servicing.models.lease_end import LeaseReturn, LeaseTitleTransfer, TitleTransferStatus
from servicing.models.leases import AssetStatus, LeaseAsset, RegistrationStatus, TitleHolder
from servicing.models.loans import Loan, LoanScheduleRow
from servicing.models.repayments import Repayment
from servicing.services.ledger.posting import journal_post
from servicing.services.loans.account import LoanError, loan_lock
from servicing.services.loans.charge_off import loan_charge_off
from servicing.services.repayments.guards import money_action_authorize
from servicing.services.repayments.manual import repayment_manual_submit


def _asset(loan: Loan, *, lock: bool = False) -> LeaseAsset:
    query = LeaseAsset.objects.select_for_update() if lock else LeaseAsset.objects
    asset = query.filter(loan=loan).first()
    if asset is None:
        raise LoanError(_("该租赁合同没有登记租赁资产。"))
    return asset


def _last_row(rows: list[LoanScheduleRow]) -> LoanScheduleRow:
    return max((r for r in rows if r.superseded_by_version is None), key=lambda r: r.instalment_no)


def row_charge_add(
    *, loan: Loan, row: LoanScheduleRow, amount: Decimal, source_id: str, on: dt.date, actor: Any
) -> None:
    """Add a charge to a locked row's fee. A row whose fee the accrual already posted (due on or
    before `accrued_through`) has the charge posted now: Dr fee_receivable / Cr fee_income."""
    row.fee += amount
    row.instalment += amount
    row.save(update_fields=["fee", "instalment"])
    if row.due_date <= loan.accrued_through:
        journal_post(
            business_date=on, source_type=SourceType.FEE, source_id=source_id,
            lines=[(A.FEE_RECEIVABLE, "D", amount, loan.pk), (A.FEE_INCOME, "C", amount, loan.pk)],
            idempotency_key=f"lease-charge:{source_id}", description=memo("lease_charge"),
            actor=actor, loan_id=loan.pk,
        )  # fmt: skip


def lease_buyout_bill(*, loan_id: int, actor: Any) -> LeaseAsset:
    """Bill the 留购价 with the last rent (once; called when the lease is funded)."""
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        asset = _asset(loan, lock=True)
        if asset.buyout_billed or not asset.buyout_price:
            return asset
        row = _last_row(rows)
        row_charge_add(
            loan=loan, row=row, amount=asset.buyout_price, source_id=f"buyout:{loan.pk}",
            on=business_date_for_posting(), actor=actor,
        )  # fmt: skip
        asset.buyout_billed = True
        asset.save(update_fields=["buyout_billed", "updated_at"])
        audit_record(actor=actor, obj=asset, action="lease_buyout_bill",
                     data={"row": row.pk, "buyout_price": str(asset.buyout_price)})  # fmt: skip
    return asset


def title_transfer_done(*, transfer_id: int, actor: Any, on: dt.date | None = None):
    """The registration moved to the customer (过户完成)."""
    money_action_authorize(actor, MoneyAction.LEASE_END_OF_TERM)
    on = on or business_date_for_posting()
    with transaction.atomic():
        transfer = LeaseTitleTransfer.objects.select_for_update().get(pk=transfer_id)
        if transfer.status == TitleTransferStatus.DONE:
            return transfer
        if transfer.status != TitleTransferStatus.PENDING:
            raise LoanError(_("该过户任务已撤销。"))
        asset = LeaseAsset.objects.select_for_update().get(pk=transfer.asset_id)
        transfer.status, transfer.done_on, transfer.done_by = TitleTransferStatus.DONE, on, actor
        transfer.save(update_fields=["status", "done_on", "done_by"])
        asset.registration_status = RegistrationStatus.TRANSFERRED
        asset.title_holder = TitleHolder.CUSTOMER
        asset.save(update_fields=["registration_status", "title_holder", "updated_at"])
        audit_record(actor=actor, obj=transfer, action="lease_title_transfer_done",
                     to_state=transfer.status)  # fmt: skip
    return transfer


# --- a residual lease's car returned at maturity -----------------------------------------------


def lease_return_record(
    *, loan_id: int, mileage_km: int, notes: str, excess_wear_charge: Decimal, actor: Any
) -> LeaseReturn:
    """The car of a residual-value lease handed back at maturity and inspected; the excess-wear
    charge is added to the last rent (owed by the customer with the residual)."""
    money_action_authorize(actor, MoneyAction.LEASE_END_OF_TERM)
    if excess_wear_charge < 0:
        raise LoanError(_("超额损耗费不能为负数。"), field="excess_wear_charge")
    if not (notes or "").strip():
        raise LoanError(_("请填写验车记录。"), field="notes")
    on = business_date_for_posting()
    with transaction.atomic():
        loan, rows = loan_lock(loan_id=loan_id)
        asset = _asset(loan, lock=True)
        if not asset.residual_value:
            raise LoanError(_("该合同不是残值租赁，不能退车。"))
        if loan.is_closed or asset.status != AssetStatus.ON_LEASE:
            raise LoanError(_("该合同已结清或车辆已不在租赁中。"))
        last = _last_row(rows)
        if on < last.due_date:
            raise LoanError(_("租期届满（%(d)s）后才能退车。") % {"d": last.due_date})
        record = LeaseReturn.objects.create(
            asset=asset, returned_on=on, mileage_km=mileage_km, inspection_notes=notes.strip(),
            excess_wear_charge=excess_wear_charge, inspected_by=actor,
        )  # fmt: skip
        if excess_wear_charge:
            row_charge_add(
                loan=loan, row=last, amount=excess_wear_charge, source_id=f"wear:{record.pk}",
                on=on, actor=actor,
            )  # fmt: skip
        asset.status, asset.status_date = AssetStatus.RETURNED, on
        asset.save(update_fields=["status", "status_date", "updated_at"])
        audit_record(actor=actor, obj=record, action="lease_return_record",
                     data={"excess_wear_charge": str(excess_wear_charge)})  # fmt: skip
    return record


def lease_remarket_record(
    *, loan_id: int, buyer: str, proceeds: Decimal, actor: Any, evidence_ref: str = ""
) -> Repayment:
    """The returned car sold: the proceeds are received for the lease through the manual-receipt
    path (maker-checked above the threshold) and the waterfall applies them to the residual and
    the charges; the asset is sold. The shortfall stays owed by the customer."""
    money_action_authorize(actor, MoneyAction.LEASE_END_OF_TERM)
    if proceeds <= 0:
        raise LoanError(_("处置价款必须大于零。"), field="proceeds")
    if not (buyer or "").strip():
        raise LoanError(_("请填写买受人。"), field="buyer")
    on = business_date_for_posting()
    with transaction.atomic():
        loan = Loan.objects.select_for_update().get(pk=loan_id)
        asset = _asset(loan, lock=True)
        record = LeaseReturn.objects.select_for_update().filter(asset=asset).first()
        if record is None or asset.status != AssetStatus.RETURNED:
            raise LoanError(_("车辆尚未退回，不能登记处置。"))
        repayment = repayment_manual_submit(
            loan_id=loan.pk, amount=proceeds, actor=actor, evidence_ref=evidence_ref,
            evidence=_("退回车辆处置价款，买受人：%(b)s") % {"b": buyer.strip()},
            idempotency_key=f"lease-remarket:{record.pk}",
        )  # fmt: skip
        record.sold_on, record.sale_buyer, record.sale_proceeds = on, buyer.strip(), proceeds
        record.proceeds_repayment_id = repayment.pk
        record.save(
            update_fields=["sold_on", "sale_buyer", "sale_proceeds", "proceeds_repayment_id"]
        )
        asset.status, asset.status_date = AssetStatus.SOLD, on
        asset.save(update_fields=["status", "status_date", "updated_at"])
        audit_record(actor=actor, obj=record, action="lease_remarket_record",
                     data={"proceeds": str(proceeds), "repayment": repayment.pk})  # fmt: skip
    return repayment


LEASE_SHORTFALL_ABSORB = "lease_shortfall_absorb"


def shortfall_absorbed_by_contract(loan: Loan) -> bool:
    """The contract's flag (product rule `residual_shortfall`): "lessor" absorbs the shortfall
    of a returned car's sale below the residual; anything else charges it to the customer."""
    return (loan.product_rules or {}).get("residual_shortfall") == "lessor"


def lease_shortfall_absorb(*, loan_id: int, actor: Any, reason: str) -> Loan:
    """The lessor absorbs what the sale of the returned car left owed, as the contract says: the
    lease's receivables are written off (核销, the allowance first) and it closes. Money waived:
    four eyes (the approval executes this; alone it is refused while the policy is on)."""
    four_eyes_gate(LEASE_SHORTFALL_ABSORB)
    money_action_authorize(actor, MoneyAction.LEASE_END_OF_TERM)
    loan = Loan.objects.get(pk=loan_id)
    asset = _asset(loan)
    if not shortfall_absorbed_by_contract(loan):
        raise LoanError(_("合同约定残值差额由承租人承担，不能由出租人承担。"))
    if asset.status != AssetStatus.SOLD or loan.is_closed:
        raise LoanError(_("车辆尚未处置或合同已结清，不能承担残值差额。"))
    if residual_shortfall(loan) <= 0:
        raise LoanError(_("处置价款已足额清偿，无残值差额。"))
    return loan_charge_off(loan_id=loan.pk, actor=actor, reason=reason)


def residual_shortfall(loan: Loan) -> Decimal:
    """What the customer still owes after the remarketing proceeds (the shortfall charged)."""
    rows = loan.schedule_rows()
    return sum((r.amount_unpaid for r in rows), ZERO)
