"""The monthly OEM subsidy claims: generated set-based from the periods that fell due, sent
through the `OemClaims` adapter, disputes worked (accept the OEM's figure or resubmit), the
lender's 6 % 贷款服务 invoice once every line is agreed, receipts against the receivable.

Entries (docs/integrations.md "OEM claims"):
  claim          Dr oem_subsidy_receivable (no sub-ledger key) / Cr oem_subsidy_unbilled (per loan)
  write-down     Dr oem_subsidy_income / Cr oem_subsidy_receivable  (the OEM's lower figure)
  invoice        Dr oem_subsidy_income / Cr vat_output              (tax = total x 6/106)
  receipt        Dr bank_clearing / Cr oem_subsidy_receivable
The receivable's balance is the sum of the claims' outstanding amounts, to the fen.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.money import ZERO, to_decimal
from autofin.roles import MoneyAction, can_move_money
from servicing.memos import memo
from servicing.models import AccountCode as A
from servicing.models.invoices import Invoice, VatKind
from servicing.models.loans import Loan
from servicing.models.oem_claims import (
    OemClaim,
    OemClaimLine,
    OemClaimLineStatus,
    OemClaimReceipt,
    OemClaimStatus,
    OemSubsidy,
)
from servicing.partner_adapters import ClaimFile, ClaimFileLine, oem_claims_adapter
from servicing.services.invoicing import (
    buyer_taxpayer_id_clean,
    invoice_issue,
    invoice_reverse,
    invoice_vat_post,
)
from servicing.services.ledger.posting import journal_post
from servicing.services.oem.subsidy import OemError

INVOICE_ITEM = "*贷款服务*贴息收入"
SOURCE_CLAIM = "oem_claim"

# The periods to claim: due by the date, neither claimed nor stopped, of an OEM whose claim
# for the month is (or will be) a draft. One statement each; nothing per row in Python.
DUE = """
SELECT p.id, p.loan_id, p.amount, s.agreement_id, s.customer_rate, s.lender_rate,
       l.contract_ref, l.vin
  FROM servicing_oemsubsidyperiod p
  JOIN servicing_oemsubsidy s ON s.id = p.subsidy_id
  JOIN servicing_loan l ON l.id = p.loan_id
 WHERE p."end" <= %(d)s AND p.claim_line_id IS NULL AND NOT p.cancelled
   AND (%(agreement)s::bigint IS NULL OR s.agreement_id = %(agreement)s)
   AND (%(loans)s::bigint[] IS NULL OR p.loan_id = ANY(%(loans)s))
   AND NOT EXISTS (SELECT 1 FROM servicing_oemclaim c
                    WHERE c.agreement_id = s.agreement_id AND c.month = %(month)s
                      AND c.status <> 'draft')
 ORDER BY p.id
   FOR UPDATE OF p
"""


def _exec(sql: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall() if cursor.description else []


def oem_claims_generate(
    *, on: dt.date, actor: Any, agreement_id: int | None = None, loan_ids: list[int] | None = None
) -> dict:
    """Each OEM's draft claim for the month of `on`, made or topped up with the periods due by
    `on`; idempotent (a claimed period is never claimed again). Naming loans that carry no
    subsidy is refused with nothing written."""
    _require(actor, MoneyAction.OEM_CLAIM_WORK)
    month = on.replace(day=1)
    with transaction.atomic():
        if loan_ids:
            subsidised = set(
                OemSubsidy.objects.filter(loan_id__in=loan_ids).values_list("loan_id", flat=True)
            )
            refs = Loan.objects.filter(pk__in=set(loan_ids) - subsidised).values_list(
                "contract_ref", flat=True
            )
            if refs:
                raise OemError(
                    _("合同 %(refs)s 没有厂商贴息，不能向厂商索赔；索赔未生成。")
                    % {"refs": "、".join(sorted(refs))}
                )
        _exec("DROP TABLE IF EXISTS oem_due")
        _exec(
            f"CREATE TEMP TABLE oem_due ON COMMIT DROP AS {DUE}",  # noqa: S608 - constant SQL
            {"d": on, "month": month, "agreement": agreement_id, "loans": loan_ids or None},
        )
        found = _exec("SELECT count(*), coalesce(sum(amount), 0), coalesce(min(id), 0), "
                      "coalesce(max(id), 0) FROM oem_due")[0]  # fmt: skip
        if not found[0]:
            return {"claims": 0, "lines": 0, "amount": "0.00"}
        _exec(
            """
            INSERT INTO servicing_oemclaim
                (agreement_id, month, claimed_on, status, total, written_down, clawed_back,
                 received, reference, created_at)
            SELECT DISTINCT agreement_id, %(month)s::date, %(d)s::date, 'draft', 0, 0, 0, 0, '', now()
              FROM oem_due
            ON CONFLICT (agreement_id, month) DO NOTHING
            """,
            {"month": month, "d": on},
        )
        _exec(
            """
            INSERT INTO servicing_oemclaimline
                (claim_id, loan_id, contract_ref, vin, customer_rate, lender_rate, amount, status,
                 dispute_reason)
            SELECT c.id, x.loan_id, x.contract_ref, x.vin, x.customer_rate, x.lender_rate,
                   sum(x.amount), 'pending', ''
              FROM oem_due x
              JOIN servicing_oemclaim c ON c.agreement_id = x.agreement_id AND c.month = %(month)s
             GROUP BY c.id, x.loan_id, x.contract_ref, x.vin, x.customer_rate, x.lender_rate
            ON CONFLICT (claim_id, loan_id) DO UPDATE SET amount = servicing_oemclaimline.amount + excluded.amount
            """,
            {"month": month},
        )
        _exec(
            """
            UPDATE servicing_oemsubsidyperiod p SET claim_line_id = cl.id
              FROM oem_due x
              JOIN servicing_oemclaim c ON c.agreement_id = x.agreement_id AND c.month = %(month)s
              JOIN servicing_oemclaimline cl ON cl.claim_id = c.id AND cl.loan_id = x.loan_id
             WHERE p.id = x.id
            """,
            {"month": month},
        )
        claims = _exec(
            """
            UPDATE servicing_oemclaim c SET total = c.total + t.amount
              FROM (SELECT agreement_id, sum(amount) AS amount FROM oem_due GROUP BY agreement_id) t
             WHERE c.agreement_id = t.agreement_id AND c.month = %(month)s
            RETURNING c.id
            """,
            {"month": month},
        )
        per_loan = _exec(
            "SELECT loan_id, sum(amount) FROM oem_due GROUP BY loan_id ORDER BY loan_id"
        )
        total: Decimal = found[1]
        # the set of periods claimed names the entry: a retry of the same run posts nothing twice
        digest = hashlib.sha1(f"{found[0]}:{found[2]}:{found[3]}".encode()).hexdigest()[:16]  # noqa: S324 - a key, not a secret
        journal_post(
            business_date=on,
            source_type=SOURCE_CLAIM,
            source_id=month.isoformat(),
            lines=[(A.OEM_SUBSIDY_RECEIVABLE, "D", total)]
            + [(A.OEM_SUBSIDY_UNBILLED, "C", amount, loan_id) for loan_id, amount in per_loan],
            idempotency_key=f"oem-claim:{on.isoformat()}:{digest}",
            description=memo("oem_claim", date=month.strftime("%Y-%m")),
            actor=actor,
        )
        for (claim_id,) in claims:
            audit_record(actor=actor, obj=OemClaim.objects.get(pk=claim_id), action="oem_claim_generate",
                         data={"on": on.isoformat()})  # fmt: skip
    return {"claims": len(claims), "lines": len(per_loan), "amount": str(total)}


def _file(claim: OemClaim, lines) -> ClaimFile:
    return ClaimFile(
        oem_name=claim.agreement.name,
        month=claim.month,
        lines=tuple(
            ClaimFileLine(
                contract_ref=x.contract_ref,
                vin=x.vin,
                customer_rate=x.customer_rate,
                lender_rate=x.lender_rate,
                amount=x.amount,
            )  # fmt: skip
            for x in lines
        ),
    )


def _require(actor: Any, action: MoneyAction) -> None:
    """A person must hold the money action (the batch and other services act as labels)."""
    if not isinstance(actor, str) and not can_move_money(actor, action):
        raise OemError(_("您没有厂商贴息索赔的操作权限。"))


def _claim_lock(claim_id: int) -> OemClaim:
    claim = (
        OemClaim.objects.select_for_update().select_related("agreement").filter(pk=claim_id).first()
    )
    if claim is None:
        raise OemError(_("索赔单不存在。"))
    return claim


def oem_claim_send(*, claim_id: int, on: dt.date, actor: Any) -> OemClaim:
    """Send a draft claim's file to the OEM and record its answer line by line."""
    _require(actor, MoneyAction.OEM_CLAIM_WORK)
    with transaction.atomic():
        claim = _claim_lock(claim_id)
        if claim.status != OemClaimStatus.DRAFT:
            raise OemError(_("只有草稿状态的索赔单可以发送。"))
        lines = list(claim.lines.select_for_update().order_by("contract_ref"))
        if not lines:
            raise OemError(_("索赔单没有明细，不能发送。"))
        # the invoice follows the OEM's answer: a buyer it cannot be issued to stops the send
        # before the OEM receives anything
        buyer_taxpayer_id_clean(claim.agreement.taxpayer_id)
        by_ref = {x.contract_ref: x for x in lines}
        for result in oem_claims_adapter().submit(_file(claim, lines)):
            line = by_ref[result.contract_ref]
            _line_answer(line, result)
        claim.status = OemClaimStatus.SENT
        claim.claimed_on = on
        claim.save(update_fields=["status", "claimed_on"])
        audit_record(
            actor=actor, obj=claim, action="oem_claim_send", from_state="draft", to_state="sent"
        )
        _claim_settle_status(claim, on=on, actor=actor)
    return claim


def _line_answer(line: OemClaimLine, result) -> None:
    if result.confirmed:
        line.status = OemClaimLineStatus.CONFIRMED
        line.oem_amount = line.amount
        line.dispute_reason = ""
    else:
        line.status = OemClaimLineStatus.DISPUTED
        line.oem_amount = result.oem_amount
        line.dispute_reason = result.reason[:200]
    line.save(update_fields=["status", "oem_amount", "dispute_reason"])


def _claim_settle_status(claim: OemClaim, *, on: dt.date, actor: Any) -> None:
    """Once no line is disputed the claim is confirmed and invoiced; otherwise partly disputed."""
    if claim.status == OemClaimStatus.PAID:
        return
    if claim.lines.filter(
        status__in=[OemClaimLineStatus.DISPUTED, OemClaimLineStatus.PENDING]
    ).exists():
        claim.status = OemClaimStatus.PARTLY_DISPUTED
        claim.save(update_fields=["status"])
        return
    claim.status = OemClaimStatus.CONFIRMED
    claim.save(update_fields=["status"])
    _claim_invoice(claim, on=on, actor=actor)


def _claim_invoice(claim: OemClaim, *, on: dt.date, actor: Any) -> Invoice | None:
    """The lender's 贷款服务 invoice for what the OEM agreed to pay; its tax out of income."""
    agreed = claim.total - claim.written_down
    if agreed <= 0:
        return None
    invoice = invoice_issue(
        source_type=SOURCE_CLAIM, source_id=claim.pk, kind=VatKind.LOAN_SERVICE,
        item_name=INVOICE_ITEM, buyer_name=claim.agreement.name,
        buyer_taxpayer_id=claim.agreement.taxpayer_id, total=agreed, on=on, actor=actor,
    )  # fmt: skip
    invoice_vat_post(invoice, income_account=A.OEM_SUBSIDY_INCOME, on=on, actor=actor)
    return invoice


def oem_claim_line_accept(*, line_id: int, on: dt.date, actor: Any) -> OemClaimLine:
    """Accept the OEM's figure for a disputed line: the difference is written down, exactly."""
    _require(actor, MoneyAction.OEM_CLAIM_WORK)
    with transaction.atomic():
        line = OemClaimLine.objects.select_related("claim").get(pk=line_id)
        claim = _claim_lock(line.claim_id)
        line = OemClaimLine.objects.select_for_update().get(pk=line_id)
        if line.status != OemClaimLineStatus.DISPUTED or line.oem_amount is None:
            raise OemError(_("只有有争议的明细可以按厂商金额确认。"))
        difference = line.amount - line.oem_amount
        if difference < 0:
            raise OemError(_("厂商金额高于索赔金额，请重新提交而不是按厂商金额确认。"))
        if difference > 0:
            journal_post(
                business_date=on, source_type=SOURCE_CLAIM, source_id=claim.pk,
                lines=[(A.OEM_SUBSIDY_INCOME, "D", difference, line.loan_id),
                       (A.OEM_SUBSIDY_RECEIVABLE, "C", difference)],
                idempotency_key=f"oem-claim-accept:{line.pk}",
                description=memo("oem_claim_write_down", ref=line.contract_ref), actor=actor,
            )  # fmt: skip
            OemClaim.objects.filter(pk=claim.pk).update(written_down=F("written_down") + difference)
            claim.refresh_from_db()
        line.status = OemClaimLineStatus.ACCEPTED
        line.save(update_fields=["status"])
        audit_record(actor=actor, obj=claim, action="oem_claim_line_accept",
                     data={"line": line.pk, "difference": str(difference)})  # fmt: skip
        _claim_settle_status(claim, on=on, actor=actor)
    return line


def oem_claim_line_resubmit(*, line_id: int, on: dt.date, actor: Any) -> OemClaimLine:
    """Send a disputed line to the OEM again (with the evidence) and record its new answer."""
    _require(actor, MoneyAction.OEM_CLAIM_WORK)
    with transaction.atomic():
        line = OemClaimLine.objects.get(pk=line_id)
        claim = _claim_lock(line.claim_id)
        line = OemClaimLine.objects.select_for_update().get(pk=line_id)
        if line.status != OemClaimLineStatus.DISPUTED:
            raise OemError(_("只有有争议的明细可以重新提交。"))
        result = oem_claims_adapter().resubmit(_file(claim, [line]), _file(claim, [line]).lines[0])
        _line_answer(line, result)
        audit_record(actor=actor, obj=claim, action="oem_claim_line_resubmit",
                     data={"line": line.pk, "confirmed": result.confirmed})  # fmt: skip
        _claim_settle_status(claim, on=on, actor=actor)
    return line


def oem_claim_receipt_record(
    *, claim_id: int, amount: Decimal | str, bank_ref: str, on: dt.date, actor: Any
) -> OemClaimReceipt:
    """Money from the OEM against a claim: Dr bank_clearing / Cr oem_subsidy_receivable."""
    _require(actor, MoneyAction.OEM_RECEIPT_RECORD)
    amount = to_decimal(amount)
    bank_ref = (bank_ref or "").strip()
    if not bank_ref:
        raise OemError(_("请填写银行流水号。"))
    with transaction.atomic():
        claim = _claim_lock(claim_id)
        if claim.status == OemClaimStatus.DRAFT:
            raise OemError(_("索赔单尚未发送，不能登记回款。"))
        if amount <= ZERO or amount > claim.outstanding:
            raise OemError(
                _("回款金额须大于零且不超过未回款金额 ¥%(left)s。")
                % {"left": f"{claim.outstanding:,.2f}"}
            )
        if OemClaimReceipt.objects.filter(bank_ref=bank_ref).exists():
            raise OemError(_("银行流水号 %(ref)s 已登记过。") % {"ref": bank_ref})
        receipt = OemClaimReceipt.objects.create(
            claim=claim, amount=amount, bank_ref=bank_ref, received_on=on,
            created_by_label=str(getattr(actor, "username", actor) or ""),
        )  # fmt: skip
        journal_post(
            business_date=on, source_type="oem_receipt", source_id=receipt.pk,
            lines=[(A.BANK_CLEARING, "D", amount), (A.OEM_SUBSIDY_RECEIVABLE, "C", amount)],
            idempotency_key=f"oem-receipt:{bank_ref}",
            description=memo("oem_receipt", ref=bank_ref), actor=actor,
        )  # fmt: skip
        claim.received += amount
        fields = ["received"]
        if claim.outstanding == ZERO and claim.status in (
            OemClaimStatus.CONFIRMED,
            OemClaimStatus.SENT,
        ):
            claim.status = OemClaimStatus.PAID
            fields.append("status")
        claim.save(update_fields=fields)
        audit_record(actor=actor, obj=claim, action="oem_claim_receipt",
                     data={"amount": str(amount), "bank_ref": bank_ref})  # fmt: skip
    return receipt


def oem_claim_invoice_reverse(*, claim_id: int, on: dt.date, actor: Any) -> Invoice:
    """Reverse a claim's invoice with a red-letter one (the OEM returned it, e.g. wrong buyer
    details): its tax goes back to income (Dr vat_output / Cr oem_subsidy_income). Idempotent."""
    _require(actor, MoneyAction.OEM_CLAIM_WORK)
    with transaction.atomic():
        claim = _claim_lock(claim_id)
        blue = Invoice.objects.filter(source_type=SOURCE_CLAIM, source_id=str(claim.pk),
                                      colour="blue").first()  # fmt: skip
        if blue is None:
            raise OemError(_("该索赔单尚未开具发票。"))
        red = invoice_reverse(invoice_id=blue.pk, on=on, actor=actor)
        invoice_vat_post(red, income_account=A.OEM_SUBSIDY_INCOME, on=on, actor=actor)
    return red
