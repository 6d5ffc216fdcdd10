"""Issue the contract of an approved application: price it, snapshot the schedule and payees,
render and store the PDF, create the pre-funding checklist, tell the customer."""

from __future__ import annotations

import uuid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.refs import contract_ref_make
from origination.models.applications import Application, ApplicationStatus
from origination.models.contracts import Contract, ContractStatus
from origination.quoting.deal import QuoteEvaluation
from origination.selectors.payees import contract_payees_unregistered
from origination.services.checklist import checklist_create
from origination.services.contracts import pdf
from origination.services.contracts.errors import ContractError, ContractSignedError
from origination.services.contracts.notices import customer_notify
from origination.services.contracts.pricing import contract_payees, contract_price
from origination.services.quotes import PricedDeal, schedule_row_json
from origination.services.state import event_record

S = ApplicationStatus
CS = ContractStatus


def actor_user(actor: Any):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None


def _payees_key(payees: list[dict]) -> list[tuple]:
    """Who is paid what (labels are translated text, so they are left out of the comparison)."""
    return [(p.get("item"), p.get("payee_type"), p.get("name"), p.get("amount")) for p in payees]


def _terms_same(
    contract: Contract, evaluation: QuoteEvaluation, app: Application, payees: list[dict]
) -> bool:
    return (
        _payees_key(contract.payees or []) == _payees_key(payees)
        and contract.amount_financed == evaluation.amount_financed
        and contract.term_months == app.term_months
        and contract.customer_rate == evaluation.customer_rate
        and contract.down_payment == evaluation.down_payment
        and contract.method == app.method
    )


def contract_issue(*, application_id: int, actor: Any, tier: str | None = None) -> Contract:
    """Issue the contract of an approved application: price it, snapshot the schedule and
    payees, render and store the PDF, create the pre-funding checklist, tell the customer.

    Idempotent: a live unsigned contract with the same terms is returned as it is; one with
    other terms is superseded by the new version. A signed contract is never replaced."""
    app = Application.objects.select_related("product_version__product", "dealer").get(
        pk=application_id
    )
    if app.status != S.APPROVED:
        raise ContractError(_("只有已批准的申请才能生成合同。"))
    priced = contract_price(application=app, tier=tier)
    evaluation = priced.evaluation
    payees = contract_payees(application=app, evaluation=evaluation)
    _payees_registered_check(payees)
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status != S.APPROVED:
            raise ContractError(_("只有已批准的申请才能生成合同。"))
        live = (
            Contract.objects.select_for_update()
            .filter(application=app, status__in=(CS.DRAFT, CS.ISSUED, CS.SIGNED))
            .first()
        )
        if live is not None and live.status == CS.SIGNED:
            raise ContractSignedError(_("合同已签署；变更条款请生成新版本合同。"))
        if live is not None and _terms_same(live, evaluation, app, payees):
            return live
        last = Contract.objects.filter(application=app).order_by("-version").first()
        version = (last.version if last else 0) + 1
        now = timezone.now()
        if live is not None:
            live.status = CS.SUPERSEDED
            live.superseded_at = now
            live.save(update_fields=["status", "superseded_at"])
        contract = _contract_snapshot(
            app=app, priced=priced, payees=payees, version=version, actor=actor
        )
        contract.contract_ref = contract_ref_make(
            year=timezone.localdate(now).year, serial=contract.pk
        )
        if live is not None:
            live.superseded_by = contract
            live.save(update_fields=["superseded_by"])
        _pdf_issue(contract, now=now)
        checklist_create(contract=contract, rules=app.product_version.rules or {})
        _issue_record(contract, app=app, live=live, actor=actor)
        _issue_notify(contract, app=app)
        return contract


def _payees_registered_check(payees: list[dict]) -> None:
    """No contract names a payee the register does not hold, verified (signing checks again,
    for a payee deactivated since): the underwriter picks it from the register first."""
    missing = contract_payees_unregistered(payees)
    if missing:
        raise ContractError(
            {
                "payees": [
                    _(
                        "以下收款方尚未在收款方登记簿登记或核验：%(names)s。"
                        "请先在审批页从登记簿中选择收款方，合同未生成。"
                    )
                    % {"names": "、".join(missing)}
                ]
            }
        )


def _contract_snapshot(
    *, app: Application, priced: PricedDeal, payees: list[dict], version: int, actor: Any
) -> Contract:
    """The contract's row, a draft holding every term, fee, payee and instalment as priced."""
    evaluation, schedule = priced.evaluation, priced.evaluation.schedule
    return Contract.objects.create(
        application=app,
        version=version,
        contract_ref=f"TMP-{uuid.uuid4().hex[:16]}",
        status=CS.DRAFT,
        contract_type=app.product_version.product.contract_type,
        product_version=app.product_version,
        tier=priced.deal.tier,
        vehicle_price=app.vehicle_price,
        down_payment=evaluation.down_payment,
        amount_financed=evaluation.amount_financed,
        customer_rate=evaluation.customer_rate,
        lender_rate=evaluation.lender_rate,
        apr=evaluation.apr,
        apr_method=evaluation.apr_method,
        penalty_rate=evaluation.penalty_rate,
        term_months=app.term_months,
        method=app.method,
        day_count=schedule.day_count.value,
        balloon_amount=evaluation.balloon_amount,
        value_date=priced.deal.value_date,
        monthly_payment=evaluation.monthly_payment,
        total_interest=schedule.totals.interest,
        total_payable=schedule.totals.instalments,
        subsidy_amount=evaluation.subsidy_amount,
        fees=[
            {
                "fee_kind": f.fee_kind,
                "amount": str(f.amount),
                "financed": f.financed,
                "per_instalment": f.per_instalment,
            }
            for f in evaluation.fees
        ],
        payees=payees,
        schedule=[schedule_row_json(row) for row in schedule.rows_read_out()],
        vin=app.vin,
        created_by=actor_user(actor),
    )


def _pdf_issue(contract: Contract, *, now) -> None:
    """Render and store the PDF (its hash kept beside it): the contract is issued."""
    relative = (
        f"contracts/{contract.application_id}/{contract.contract_ref}-v{contract.version}"
        f"-{uuid.uuid4().hex[:8]}.pdf"
    )
    # through the module, where tests stand a fast PDF in for the real one
    contract.pdf_sha256 = pdf.pdf_store(relative, pdf.contract_pdf_render(contract))
    contract.pdf_path = relative
    contract.status = CS.ISSUED
    contract.issued_at = now
    contract.save()


def _issue_record(contract: Contract, *, app: Application, live: Contract | None, actor) -> None:
    """The audit rows (the issue's, and the superseded version's) and the timeline event."""
    audit_record(
        actor=actor,
        obj=contract,
        action="contract_issue",
        from_state="",
        to_state=CS.ISSUED,
        data={
            "application": app.reference,
            "version": contract.version,
            "amount_financed": str(contract.amount_financed),
            "apr": str(contract.apr),
            "pdf_sha256": contract.pdf_sha256,
            "supersedes": live.contract_ref if live else None,
        },
    )
    if live is not None:
        audit_record(
            actor=actor,
            obj=live,
            action="contract_supersede",
            from_state=CS.ISSUED,
            to_state=CS.SUPERSEDED,
            data={"superseded_by": contract.contract_ref},
        )
    event_record(
        application=app, kind="contract", actor=actor, reason=f"{contract.contract_ref} issued"
    )


def _issue_notify(contract: Contract, *, app: Application) -> None:
    customer_notify(
        app,
        _("【AutoFin】您的合同 %(ref)s 已生成，请登录 AutoFin 查看并在线签署：%(url)s")
        % {
            "ref": contract.contract_ref,
            "url": settings.SITE_URL
            + reverse("origination:contract_sign", args=[contract.contract_ref]),
        },
        purpose="contract_issued",
        key=f"contract:{contract.contract_ref}:issued",
    )
