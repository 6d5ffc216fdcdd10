"""The demo's loan on the OEM's 0 % product, funded through the real disbursement (origination's
seed signs its contract)."""

from __future__ import annotations

from autofin.roles import Role
from autofin.seed.users import demo_user
from dealers.seed import uscc_make
from origination.models.contracts import Contract
from origination.seed.backoffice import SUBSIDISED_PRODUCT
from servicing.gateway.interface import payment_gateway
from servicing.models.disbursement import Disbursement, PaymentAttempt
from servicing.models.loans import Loan
from servicing.models.oem_claims import EarlySettlementOption, OemAgreement
from servicing.services.disbursement.approve import disbursement_approve
from servicing.services.disbursement.create import disbursement_prepare
from servicing.services.disbursement.send import attempt_send


def subsidised_contract_fund(*, stdout, context: dict) -> Loan | None:
    """Fund the demo's signed contract on the OEM's 0 % product (origination's seed) through the
    real disbursement: maker prepares, checker releases, the sandbox bank pays and calls back.
    The loan is built from the contract: 0 % customer rate, 0 % penalty rate, the lender's rate
    (paid by the OEM's subsidy) as its annual rate. Idempotent: a funded contract is left."""
    contract = (
        Contract.objects.filter(status="signed", product_version__product__code=SUBSIDISED_PRODUCT)
        .exclude(pk__in=Disbursement.objects.values("contract_id"))
        .order_by("pk")
        .first()
    )
    if contract is None:
        funded = Contract.objects.filter(
            status="signed", product_version__product__code=SUBSIDISED_PRODUCT
        ).values("contract_ref")
        return Loan.objects.filter(contract_ref__in=funded).order_by("pk").first()
    users = context.get("users", {})
    maker = users.get(Role.FINANCE_OPERATOR) or demo_user(
        "finance_op", "财务经办", Role.FINANCE_OPERATOR
    )
    checker = users.get(Role.FINANCE_APPROVER) or demo_user(
        "finance_ap", "财务复核", Role.FINANCE_APPROVER
    )
    d = disbursement_prepare(contract_id=contract.pk, actor=maker)
    disbursement_approve(disbursement_id=d.pk, actor=checker)
    attempts = PaymentAttempt.objects.filter(instruction__disbursement=d)
    # sent here rather than left to a worker, so the demo book has the loan when the seed ends
    # (a worker's later send of the same attempt finds it sent and does nothing)
    for pk in attempts.filter(status="pending").values_list("pk", flat=True):
        attempt_send(attempt_id=pk)
    gateway = payment_gateway()
    if hasattr(gateway, "callbacks_deliver"):  # the sandbox bank: deliver its answers now
        gateway.callbacks_deliver(keys=list(attempts.values_list("idempotency_key", flat=True)))
    loan = Loan.objects.filter(contract_ref=contract.contract_ref).first()
    stdout.write(
        f"  subsidised 0 % contract {contract.contract_ref}: "
        + ("funded\n" if loan else "released, waiting for the bank\n")
    )
    return loan


def oem_agreement_seed() -> None:
    """The demo OEM (origination's seed names 星辰汽车 as the 0 % product's subsidy payer; funding
    registered it): its tax and bank details, so its claims can be sent and invoiced."""
    OemAgreement.objects.filter(name="星辰汽车", taxpayer_id="").update(
        taxpayer_id=uscc_make("310000", 8801),
        bank_name="中国工商银行上海分行",
        bank_account="1001200309000088801",
        early_settlement_option=EarlySettlementOption.STOPS,
    )
