"""E-contracts: issue the contract of an approved application (priced by the quote service,
rendered to PDF), amend it (a new version, the old one superseded), the customer's online
signature with an SMS one-time code, and ``application_mark_funded`` for servicing.

A contract's terms never change once issued. ``contract_terms_edit`` refuses a signed (or
issued) contract; ``contract_amend`` changes the deal and issues a new version.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.crypto import decrypt
from autofin.notifications import notification_send
from autofin.pricing import apr_percent
from autofin.uploads import upload_path
from origination.esign import ESignError, esign_adapter
from origination.models import (
    Application,
    ApplicationStatus,
    ChecklistItemKind,
    ChecklistStatus,
    Contract,
    ContractSignature,
    ContractStatus,
    FinancedItemKind,
    FundingChecklistItem,
)
from origination.quoting.deal import AddOn, Deal, QuoteEvaluation
from origination.quoting.vocabulary import FEE_KIND_LABELS, ITEM_KIND_LABELS
from origination.services.checklist import checklist_create
from origination.services.quotes import PricedDeal, quote_preview, schedule_row_json
from origination.services.state import application_transition, event_record

log = logging.getLogger(__name__)
S = ApplicationStatus
CS = ContractStatus
SIGN_PURPOSE = "contract_sign"
DEFAULT_TIER = "B"

# FinancedItem kind -> the payee type servicing pays (contract_for_funding's vocabulary)
ITEM_PAYEE_TYPE = {
    FinancedItemKind.CAR: "dealer",
    FinancedItemKind.PURCHASE_TAX: "tax",
    FinancedItemKind.INSURANCE: "insurer",
    FinancedItemKind.WARRANTY: "warranty",
    FinancedItemKind.ACCESSORIES: "accessory",
}
# financed fees: the GPS fee is paid to the GPS provider; the others stay with the lender
FEE_PAYEE_TYPE = {"gps": "gps", "handling": "lender", "mortgage_registration": "lender"}


class ContractError(Exception):
    """The contract cannot be made or changed: {"field": [message]}."""

    def __init__(self, errors: dict[str, list[str]] | str) -> None:
        if isinstance(errors, str):
            errors = {"__all__": [errors]}
        self.errors = {k: [str(m) for m in v] for k, v in errors.items()}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ContractSignedError(ContractError):
    """A signed contract's terms cannot be edited: amend (a new version) instead."""


class ContractSignError(ContractError):
    """Signing refused (wrong code, not the customer, wrong status); nothing changed."""


def lender_name() -> str:
    return settings.AUTOFIN_LENDER_NAME or _("AutoFin 汽车金融有限公司")


def _user(actor: Any):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None


# --------------------------------------------------------------------------------------------
# Pricing and payees
# --------------------------------------------------------------------------------------------


def application_tier(application: Application) -> str:
    """The customer tier risk decided (the decision behind ``decision_ref``), else B."""
    from origination.selectors_workbench import decision_for_application

    decision = decision_for_application(application)
    tier = (decision or {}).get("tier") or ""
    return tier if tier in ("A", "B", "C", "D") else DEFAULT_TIER


def contract_price(*, application: Application, tier: str | None = None) -> PricedDeal:
    """Price the application's deal as of the business date with the products quote service."""
    app = application
    add_ons = tuple(
        AddOn(item_kind=i.item_kind, amount=i.amount)
        for i in app.items.order_by("id")
        if i.item_kind != FinancedItemKind.CAR
    )
    deal = Deal(
        vehicle_kind=app.vehicle_kind,
        vehicle_use=app.vehicle_use,
        vehicle_price=app.vehicle_price,
        term_months=app.term_months,
        method=app.method,
        tier=tier or application_tier(app),
        down_payment=app.down_payment,
        balloon_ratio=app.balloon_ratio if app.method == "balloon" else None,
        add_ons=add_ons,
        first_registration_date=app.first_registration_date,
    )
    priced = quote_preview(version=app.product_version, deal=deal)
    if not priced.evaluation.ok:
        from origination.services.quotes import violations_messages

        raise ContractError(violations_messages(priced.evaluation.violations))
    return priced


def contract_payees(*, application: Application, evaluation: QuoteEvaluation) -> list[dict]:
    """Who the amount financed is paid to: the dealer (car price − down payment), each financed
    add-on's payee, and each financed fee. The parts sum exactly to the amount financed."""
    payees = []
    car_part = evaluation.vehicle_amount_financed
    dealer_item = application.items.filter(item_kind=FinancedItemKind.CAR).first()
    dealer_name = (
        dealer_item.payee_name
        if dealer_item
        else (application.dealer.legal_name if application.dealer_id else "")
    )
    payees.append(
        {
            "payee_type": "dealer",
            "party": "dealer",
            "item": "car",
            "label": _("车款"),
            "name": dealer_name,
            "amount": str(car_part),
        }
    )
    for item in application.items.exclude(item_kind=FinancedItemKind.CAR).order_by("id"):
        payees.append(
            {
                "payee_type": ITEM_PAYEE_TYPE[item.item_kind],
                "party": item.payee_type,
                "item": item.item_kind,
                "label": _(ITEM_KIND_LABELS.get(item.item_kind, item.item_kind)),
                "name": item.payee_name,
                "amount": str(item.amount),
            }
        )
    for fee in evaluation.fees:
        if fee.financed and fee.amount:
            payee_type = FEE_PAYEE_TYPE.get(fee.fee_kind, "lender")
            payees.append(
                {
                    "payee_type": payee_type,
                    "party": payee_type,
                    "item": f"fee:{fee.fee_kind}",
                    "label": _(FEE_KIND_LABELS.get(fee.fee_kind, fee.fee_kind)),
                    "name": lender_name() if payee_type == "lender" else _("GPS 服务商"),
                    "amount": str(fee.amount),
                }
            )
    total = sum((Decimal(p["amount"]) for p in payees), Decimal("0.00"))
    if total != evaluation.amount_financed:
        raise ContractError(
            _("收款方合计 %(total)s 与融资额 %(amount)s 不一致，请核对融资项目。")
            % {"total": total, "amount": evaluation.amount_financed}
        )
    return payees


# --------------------------------------------------------------------------------------------
# The PDF
# --------------------------------------------------------------------------------------------

CONTRACT_TITLES = {
    "loan": "汽车贷款合同",
    "direct_lease": "汽车融资租赁合同（直租）",
    "sale_leaseback": "汽车融资租赁合同（售后回租）",
}


def contract_context(contract: Contract) -> dict:
    app = contract.application
    primary = app.primary_applicant
    rules = contract.product_version.rules or {}
    return {
        "c": contract,
        "app": app,
        "title": _(CONTRACT_TITLES.get(contract.contract_type, "汽车金融合同")),
        "lender": lender_name(),
        "customer_name": primary.name if primary else app.customer_name,
        "customer_id_masked": primary.id_number_masked if primary else "",
        "customer_mobile_masked": app.customer_mobile_masked,
        "dealer_name": app.dealer.legal_name if app.dealer_id else "",
        "product_name": rules.get("product_name") or contract.product_version.product.name,
        "apr_percent": apr_percent(contract.apr),
        "customer_rate_percent": apr_percent(contract.customer_rate),
        "penalty_rate_percent": apr_percent(contract.penalty_rate),
        "fees": [
            {**f, "label": _(FEE_KIND_LABELS.get(f["fee_kind"], f["fee_kind"]))}
            for f in contract.fees
        ],
        "payees": contract.payees,
        "rows": contract.schedule,
        "method_label": _(
            {
                "equal_instalment": "等额本息",
                "equal_principal": "等额本金",
                "interest_only": "先息后本",
                "balloon": "弹性尾款",
            }.get(contract.method, contract.method)
        ),
    }


def _html_document(template: str, context: dict):
    from weasyprint import HTML  # slow to import: only when a PDF is made

    return HTML(string=render_to_string(template, context)).render()


def contract_pdf_render(contract: Contract) -> bytes:
    return _html_document(
        "origination/contracts/contract_pdf.html", contract_context(contract)
    ).write_pdf()


def contract_signed_pdf_render(contract: Contract, signature: dict) -> bytes:
    """The contract's pages (rendered from the same stored snapshot) + a signature page."""
    doc = _html_document("origination/contracts/contract_pdf.html", contract_context(contract))
    sig = _html_document(
        "origination/contracts/signature_page.html",
        {**contract_context(contract), "sig": signature},
    )
    return doc.copy([*doc.pages, *sig.pages]).write_pdf()


def _store(relative: str, content: bytes) -> str:
    path = upload_path(relative)
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "xb") as out:
        out.write(content)
    return hashlib.sha256(content).hexdigest()


def file_sha256(relative: str) -> str:
    digest = hashlib.sha256()
    with open(upload_path(relative), "rb") as f:
        for chunk in iter(lambda: f.read(65536), b""):
            digest.update(chunk)
    return digest.hexdigest()


# --------------------------------------------------------------------------------------------
# Issue, edit, amend
# --------------------------------------------------------------------------------------------


def _terms_same(contract: Contract, evaluation: QuoteEvaluation, app: Application) -> bool:
    return (
        contract.amount_financed == evaluation.amount_financed
        and contract.term_months == app.term_months
        and contract.customer_rate == evaluation.customer_rate
        and contract.down_payment == evaluation.down_payment
        and contract.method == app.method
    )


def contract_issue(*, application_id: int, actor: Any, tier: str | None = None) -> Contract:
    """Issue the contract of an approved application: price it, snapshot the schedule and
    payees, render and store the PDF, create the pre-funding checklist, tell the customer.

    Idempotent: a live unsigned contract with the same terms is returned as it is; one with
    other terms is superseded by the new version. A signed contract is never replaced here
    (``contract_amend`` does that)."""
    app = Application.objects.select_related("product_version__product", "dealer").get(
        pk=application_id
    )
    if app.status != S.APPROVED:
        raise ContractError(_("只有已批准的申请才能生成合同。"))
    priced = contract_price(application=app, tier=tier)
    evaluation = priced.evaluation
    payees = contract_payees(application=app, evaluation=evaluation)
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
        if live is not None and _terms_same(live, evaluation, app):
            return live
        last = Contract.objects.filter(application=app).order_by("-version").first()
        version = (last.version if last else 0) + 1
        now = timezone.now()
        if live is not None:
            live.status = CS.SUPERSEDED
            live.superseded_at = now
            live.save(update_fields=["status", "superseded_at"])
        schedule = evaluation.schedule
        contract = Contract.objects.create(
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
            schedule=[schedule_row_json(row) for row in schedule.rows],
            vin=app.vin,
            created_by=_user(actor),
        )
        contract.contract_ref = f"AF-{timezone.localdate(now):%Y}-{contract.pk:06d}"
        if live is not None:
            live.superseded_by = contract
            live.save(update_fields=["superseded_by"])
        relative = (
            f"contracts/{app.pk}/{contract.contract_ref}-v{version}-{uuid.uuid4().hex[:8]}.pdf"  # noqa: E501
        )
        contract.pdf_sha256 = _store(relative, contract_pdf_render(contract))
        contract.pdf_path = relative
        contract.status = CS.ISSUED
        contract.issued_at = now
        contract.save()
        checklist_create(contract=contract, rules=app.product_version.rules or {})
        audit_record(
            actor=actor,
            obj=contract,
            action="contract_issue",
            from_state="",
            to_state=CS.ISSUED,
            data={
                "application": app.reference,
                "version": version,
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
        _notify_customer(
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
        return contract


def _notify_customer(app: Application, body: str, *, purpose: str, key: str) -> None:
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    if mobile:
        notification_send(channel="sms", to=mobile, body=body, purpose=purpose, dedupe_key=key)


# editable only while a draft: issued and signed contracts are immutable
EDITABLE_TERMS = ("amount_financed", "term_months", "customer_rate", "down_payment")


def contract_terms_edit(*, contract_id: int, actor: Any, **terms) -> Contract:
    """Edit the terms of a draft contract. A signed contract is refused (ContractSignedError),
    as is an issued one: its PDF is out; change the deal with ``contract_amend``."""
    unknown = set(terms) - set(EDITABLE_TERMS)
    if unknown:
        raise ContractError({k: [_("该字段不能修改。")] for k in sorted(unknown)})
    with transaction.atomic():
        contract = Contract.objects.select_for_update().get(pk=contract_id)
        if contract.status == CS.SIGNED:
            raise ContractSignedError(
                _("合同 %(ref)s 已签署，不能修改金额、期限或利率；请生成新版本合同。")
                % {"ref": contract.contract_ref}
            )
        if contract.status != CS.DRAFT:
            raise ContractError(
                _("合同 %(ref)s 已出具或已作废，不能修改；请生成新版本合同。")
                % {"ref": contract.contract_ref}
            )
        for name, value in terms.items():
            setattr(contract, name, value)
        contract.save(update_fields=list(terms))
        audit_record(
            actor=actor,
            obj=contract,
            action="contract_terms_edit",
            data={k: str(v) for k, v in terms.items()},
        )
        return contract


def contract_amend(
    *,
    application_id: int,
    actor: Any,
    reason: str,
    down_payment: Decimal | None = None,
    term_months: int | None = None,
    tier: str | None = None,
) -> Contract:
    """Change the deal of an approved or contract-signed application (down payment, term, or
    the rate through the customer tier): the current contract is superseded and a new version
    issued for signing; a signed application returns to approved until the customer signs."""
    if not (reason or "").strip():
        raise ContractError({"reason": [_("请填写变更原因。")]})
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status not in (S.APPROVED, S.CONTRACT_SIGNED):
            raise ContractError(_("只有已批准或已签约的申请可以变更合同。"))
        signed = Contract.objects.select_for_update().filter(application=app, status=CS.SIGNED)
        signed = signed.first()
        changes = {}
        if down_payment is not None and down_payment != app.down_payment:
            changes["down_payment"] = down_payment
        if term_months is not None and term_months != app.term_months:
            changes["term_months"] = term_months
        if not changes and not tier:
            raise ContractError(_("没有需要变更的条款。"))
        for name, value in changes.items():
            setattr(app, name, value)
        if changes:
            app_apply_terms(app)
        # price before changing anything else: a deal the product refuses changes nothing
        priced = contract_price(application=app, tier=tier or (signed.tier if signed else None))
        if signed is not None:
            signed.status = CS.SUPERSEDED
            signed.superseded_at = timezone.now()
            signed.save(update_fields=["status", "superseded_at"])
            audit_record(
                actor=actor,
                obj=signed,
                action="contract_supersede",
                from_state=CS.SIGNED,
                to_state=CS.SUPERSEDED,
                reason=reason,
            )
            application_transition(
                application=app,
                to_status=S.APPROVED,
                actor=actor,
                reason=reason,
                data={"superseded": signed.contract_ref, "changes": _jsonable(changes)},
            )
        _save_app_terms(app, priced)
        contract = contract_issue(application_id=app.pk, actor=actor, tier=priced.deal.tier)
        if signed is not None:
            signed.superseded_by = contract
            signed.save(update_fields=["superseded_by"])
        return contract


def _jsonable(d: dict) -> dict:
    return {k: str(v) for k, v in d.items()}


def app_apply_terms(app: Application) -> None:
    """Keep the car item (the dealer's part) equal to car price − down payment."""
    app.items.filter(item_kind=FinancedItemKind.CAR).update(
        amount=app.vehicle_price - app.down_payment
    )


def _save_app_terms(app: Application, priced: PricedDeal) -> None:
    ev = priced.evaluation
    app.amount_financed = ev.amount_financed
    app.ltv = ev.ltv
    app.monthly_payment = ev.monthly_payment
    app.apr = ev.apr
    app.customer_rate = ev.customer_rate
    app.save(
        update_fields=[
            "down_payment",
            "term_months",
            "amount_financed",
            "ltv",
            "monthly_payment",
            "apr",
            "customer_rate",
            "updated_at",
        ]
    )


# --------------------------------------------------------------------------------------------
# Signing
# --------------------------------------------------------------------------------------------


def customer_owns_application(user, application_id: int) -> bool:
    from origination.selectors_applications import applications_for_customer

    if not getattr(user, "is_authenticated", False):
        return False
    return applications_for_customer(user).filter(pk=application_id).exists()


def contract_customer_may_sign(user, contract: Contract) -> bool:
    return customer_owns_application(user, contract.application_id)


def _sign_phone(contract: Contract) -> str:
    app = contract.application
    return decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""


def contract_sign_code_send(*, contract_id: int, actor: Any):
    """Text the customer a one-time code for signing (the sign-up SMS code service)."""
    from origination.services.signup import sms_code_send

    contract = Contract.objects.select_related("application").get(pk=contract_id)
    if not contract_customer_may_sign(actor, contract):
        raise ContractSignError(_("只有申请人本人可以签署合同。"))
    if contract.status != CS.ISSUED:
        raise ContractSignError(_("该合同当前不能签署。"))
    return sms_code_send(
        phone=_sign_phone(contract), purpose=SIGN_PURPOSE, client=f"user:{actor.pk}"
    )


def contract_sign(
    *,
    contract_id: int,
    actor: Any,
    code: str,
    ip_address: str | None = None,
    user_agent: str = "",
) -> ContractSignature:
    """The customer signs: the SMS code is checked first (a wrong one changes nothing but the
    code's attempt count), then the issued PDF's hash is checked against the stored file, the
    signed PDF (contract + signature page) stored with its SHA-256, the contract marked
    signed, the checklist's signed_contract item done, and the application moved to
    contract_signed — all in one transaction."""
    from origination.services.signup import sms_code_verify

    contract = Contract.objects.select_related("application").get(pk=contract_id)
    if not contract_customer_may_sign(actor, contract):
        raise ContractSignError(_("只有申请人本人可以签署合同。"))
    if contract.status != CS.ISSUED:
        raise ContractSignError(_("该合同当前不能签署。"))
    phone = _sign_phone(contract)
    if not str(code or "").strip() or not sms_code_verify(
        phone=phone, code=str(code), purpose=SIGN_PURPOSE
    ):
        raise ContractSignError({"code": [_("验证码错误或已过期。")]})
    if file_sha256(contract.pdf_path) != contract.pdf_sha256:
        log.error("contract %s: stored PDF does not match its hash", contract.contract_ref)
        raise ContractSignError(_("合同文件校验失败，请联系客服。"))
    now = timezone.now()
    primary = contract.application.primary_applicant
    signer_name = primary.name if primary else contract.application.customer_name
    verification = _("短信验证码（%(mobile)s）验证通过") % {
        "mobile": contract.application.customer_mobile_masked
    }
    sig_data = {
        "signer_name": signer_name,
        "signed_at": timezone.localtime(now),
        "ip_address": ip_address or "",
        "verification": verification,
        "document_sha256": contract.pdf_sha256,
    }
    signed_pdf = contract_signed_pdf_render(contract, sig_data)
    # Lodged with the evidence service before anything is stored: outside our transaction (an
    # HTTP call), and idempotent by the PDF's hash if the signing is retried.
    try:
        evidence = esign_adapter().seal(
            document_sha256=hashlib.sha256(signed_pdf).hexdigest(),
            signer_name=signer_name,
            signed_at=now,
            contract_ref=contract.contract_ref,
        )
    except ESignError as exc:
        log.error("contract %s: e-signature evidence failed: %s", contract.contract_ref, exc)
        raise ContractSignError(_("签署服务暂时不可用，请稍后再试。")) from exc
    relative = f"contracts/{contract.application_id}/{contract.contract_ref}-v{contract.version}-signed-{uuid.uuid4().hex[:8]}.pdf"  # noqa: E501
    with transaction.atomic():
        locked = Contract.objects.select_for_update().get(pk=contract.pk)
        if locked.status != CS.ISSUED:
            raise ContractSignError(_("该合同当前不能签署。"))
        signed_sha = _store(relative, signed_pdf)
        signature = ContractSignature.objects.create(
            contract=locked,
            signer=actor,
            signer_name=signer_name,
            signed_at=now,
            ip_address=ip_address or None,
            user_agent=(user_agent or "")[:300],
            verification="sms_otp",
            document_sha256=locked.pdf_sha256,
            signed_pdf_path=relative,
            signed_pdf_sha256=signed_sha,
        )
        locked.status = CS.SIGNED
        locked.signed_at = now
        locked.save(update_fields=["status", "signed_at"])
        FundingChecklistItem.objects.filter(
            contract=locked, item_kind=ChecklistItemKind.SIGNED_CONTRACT
        ).update(
            status=ChecklistStatus.DONE,
            evidence=f"sha256:{signed_sha}"[:300],
            recorded_at=now,
            recorded_by=actor,
        )
        audit_record(
            actor=actor,
            obj=locked,
            action="contract_sign",
            from_state=CS.ISSUED,
            to_state=CS.SIGNED,
            data={
                "ip": ip_address,
                "document_sha256": locked.pdf_sha256,
                "signed_pdf_sha256": signed_sha,
                "verification": "sms_otp",
                "esign_evidence": evidence["evidence_ref"],
            },
        )
        application_transition(
            application=locked.application_id,
            to_status=S.CONTRACT_SIGNED,
            actor=actor,
            reason=f"{locked.contract_ref} signed",
            data={"contract": locked.contract_ref, "signed_pdf_sha256": signed_sha},
        )
        _notify_customer(
            contract.application,
            _("【AutoFin】您已成功签署合同 %(ref)s，我们将尽快安排放款。")
            % {"ref": locked.contract_ref},
            purpose="contract_signed",
            key=f"contract:{locked.contract_ref}:signed",
        )
        return signature


# --------------------------------------------------------------------------------------------
# Funded (called by servicing)
# --------------------------------------------------------------------------------------------


def application_mark_funded(*, application_id: int, funded_at, actor: Any) -> Application:
    """Servicing disbursed: contract_signed -> funded (audited). Calling it again for a funded
    application changes nothing."""
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if app.status == S.FUNDED:
            return app
        contract = Contract.objects.filter(application=app, status=CS.SIGNED).first()
        if contract is None:
            raise ContractError(_("没有已签署的合同，不能放款。"))
        return application_transition(
            application=app,
            to_status=S.FUNDED,
            actor=actor,
            reason=f"{contract.contract_ref} funded",
            data={"contract": contract.contract_ref, "funded_at": funded_at.isoformat()},
            extra_fields={"funded_at": funded_at},
        )


__all__ = [
    "ContractError",
    "ContractSignError",
    "ContractSignedError",
    "application_mark_funded",
    "contract_amend",
    "contract_issue",
    "contract_sign",
    "contract_sign_code_send",
    "contract_terms_edit",
]
