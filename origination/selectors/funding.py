"""What still stands between a signed contract and its funding, for finance's 待放款 board:
the pre-funding checklist's pending items, the approval conditions still open, and the payees
the register does not hold (verified). Plain values; servicing adds the disbursement's state."""

from __future__ import annotations

from origination.models.applications import ApplicationStatus
from origination.models.bank_cards import CardCheckResult, CustomerBankCard
from origination.models.contracts import Contract, ContractStatus
from origination.models.underwriting import ConditionKind
from origination.selectors.payees import contract_payees_unregistered
from origination.services.checklist import checklist_status


def _condition_label(row: dict) -> str:
    try:
        return str(ConditionKind(row["condition_kind"]).label)
    except ValueError:
        return str(row["condition_kind"])


def contracts_awaiting_funding() -> list[dict]:
    """Every signed contract whose application is not funded yet, oldest signature first:
    {contract_id, contract_ref, application_id, customer_name, amount_financed, signed_at,
    checklist_pending: [label], conditions_open: [label], payees_unregistered: [text],
    card_unverified: bool, ready: bool} (ready: the checklist and conditions allow funding;
    card_unverified: a sale-leaseback whose customer's payout card has not passed its
    four-element check, so its release will be refused)."""
    contracts = (
        Contract.objects.filter(
            status=ContractStatus.SIGNED, application__status=ApplicationStatus.CONTRACT_SIGNED
        )
        .select_related("application")
        .order_by("signed_at", "id")
    )
    checked = set(
        CustomerBankCard.objects.filter(active=True, check_result=CardCheckResult.PASSED)
        .filter(application__in=contracts.values("application_id"))
        .values_list("application_id", flat=True)
    )
    rows = []
    for c in contracts:
        status = checklist_status(c)
        rows.append(
            {
                "contract_id": c.pk,
                "contract_ref": c.contract_ref,
                "application_id": c.application_id,
                "customer_name": c.application.customer_name,
                "amount_financed": c.amount_financed,
                "signed_at": c.signed_at,
                "checklist_pending": [
                    i["label"] for i in status["items"] if i["status"] == "pending"
                ],
                "conditions_open": [_condition_label(r) for r in status["open_conditions"]],
                "payees_unregistered": contract_payees_unregistered(c.payees),
                "card_unverified": c.contract_type == "sale_leaseback"
                and c.application_id not in checked,
                "ready": status["ready"],
            }
        )
    return rows
