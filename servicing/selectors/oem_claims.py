"""Reads for finance's OEM subsidy claims page: claims by month and OEM, their lines, the
ageing of unpaid claims, and the claim file as CSV rows."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import F, Sum
from django.utils.translation import gettext_lazy as _

from autofin.money import ZERO
from servicing.models.invoices import Invoice
from servicing.models.oem_claims import OemAgreement, OemClaim, OemClaimStatus
from servicing.selectors.ledger import account_balance

# Days since the claim was sent: the ageing buckets of unpaid claims (upper bound inclusive).
AGEING_BUCKETS = (
    (30, _("30 天以内")),
    (60, _("31–60 天")),
    (90, _("61–90 天")),
    (None, _("90 天以上")),
)


@dataclass(frozen=True)
class AgeingRow:
    label: str
    count: int
    amount: Decimal


def claims_recent(*, limit: int = 36) -> list[OemClaim]:
    return list(
        OemClaim.objects.select_related("agreement")
        .annotate(
            outstanding_amount=F("total") - F("written_down") - F("clawed_back") - F("received")
        )
        .order_by("-month", "agreement__name")[:limit]
    )


def claims_ageing(*, on: dt.date) -> list[AgeingRow]:
    """Unpaid sent claims by days since they were sent, per bucket."""
    counts = [0] * len(AGEING_BUCKETS)
    amounts = [ZERO] * len(AGEING_BUCKETS)
    unpaid = OemClaim.objects.exclude(status__in=[OemClaimStatus.DRAFT, OemClaimStatus.PAID])
    for claimed_on, outstanding in (
        unpaid.annotate(left=F("total") - F("written_down") - F("clawed_back") - F("received"))
        .filter(left__gt=0)
        .values_list("claimed_on", "left")
    ):
        age = (on - claimed_on).days
        index = next(
            i for i, (limit, _label) in enumerate(AGEING_BUCKETS) if limit is None or age <= limit
        )
        counts[index] += 1
        amounts[index] += outstanding
    return [
        AgeingRow(str(label), counts[i], amounts[i]) for i, (_l, label) in enumerate(AGEING_BUCKETS)
    ]


def claims_subledger_difference() -> Decimal:
    """The receivable's ledger balance less the claims' outstanding amounts (zero when sound)."""
    outstanding = (
        OemClaim.objects.aggregate(
            s=Sum(F("total") - F("written_down") - F("clawed_back") - F("received"))
        )["s"]
        or ZERO
    )
    return account_balance(account_code="oem_subsidy_receivable") - outstanding


def agreements() -> list[OemAgreement]:
    return list(OemAgreement.objects.order_by("name"))


CLAIM_FILE_HEADER = (_("合同编号"), _("车架号"), _("客户利率"), _("资金方利率"), _("本期贴息"),
                     _("状态"), _("厂商核定金额"), _("争议原因"))  # fmt: skip


def claim_file_rows(claim: OemClaim) -> list[list[str]]:
    return [
        [
            x.contract_ref,
            x.vin,
            str(x.customer_rate),
            str(x.lender_rate),
            str(x.amount),
            str(x.get_status_display()),
            "" if x.oem_amount is None else str(x.oem_amount),
            x.dispute_reason,
        ]  # fmt: skip
        for x in claim.lines.order_by("contract_ref")
    ]


def claim_invoices(claim: OemClaim) -> list[Invoice]:
    """The claim's invoice and, once reversed, its red-letter one."""
    return list(
        Invoice.objects.filter(source_type="oem_claim", source_id=str(claim.pk)).order_by("id")
    )
