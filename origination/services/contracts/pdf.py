"""The contract's PDF, rendered from the contract's stored snapshot (and, once signed, with a
signature page), and the private files it is kept in with their SHA-256."""

from __future__ import annotations

import hashlib

from django.template.loader import render_to_string
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.pricing import apr_percent
from autofin.uploads import upload_path
from origination.models.contracts import Contract
from origination.quoting.vocabulary import FEE_KIND_LABELS
from origination.services.contracts.pricing import lender_name

CONTRACT_TITLES = {
    "loan": "汽车贷款合同",
    "direct_lease": "汽车融资租赁合同（直租）",
    "sale_leaseback": "汽车融资租赁合同（售后回租）",
}
# a purpose product's loan finances a bill for the car, not the car: its own title
PURPOSE_CONTRACT_TITLES = {
    "maintenance": gettext_lazy("保养分期贷款合同"),
    "insurance_renewal": gettext_lazy("车险保费分期贷款合同"),
}


def contract_title(contract: Contract) -> str:
    """The contract's heading: its purpose's title, else its contract type's."""
    purpose = contract.product_version.product.purpose
    if purpose in PURPOSE_CONTRACT_TITLES:
        return str(PURPOSE_CONTRACT_TITLES[purpose])
    return _(CONTRACT_TITLES.get(contract.contract_type, "汽车金融合同"))


def contract_context(contract: Contract) -> dict:
    app = contract.application
    primary = app.primary_applicant
    rules = contract.product_version.rules or {}
    return {
        "c": contract,
        "app": app,
        "title": contract_title(contract),
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


def pdf_store(relative: str, content: bytes) -> str:
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
