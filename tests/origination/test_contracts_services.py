"""Contracts: the PDF (text and Chinese glyphs), signing with an SMS code, superseding on a
change of terms, the pre-funding checklist per contract type, contract_for_funding's payee
split, and application_mark_funded."""

from __future__ import annotations

import datetime as dt
import hashlib
import shutil
import subprocess
from decimal import Decimal

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from autofin.models import AuditEntry, OutboundMessage
from autofin.uploads import upload_path
from origination.models import (
    Application,
    Contract,
    ContractSignature,
    FundingChecklistItem,
)
from origination.selectors_workbench import contract_for_funding, contracts_ready_for_funding
from origination.services.checklist import ChecklistError, checklist_item_record
from origination.services.contracts import (
    ContractError,
    ContractSignedError,
    ContractSignError,
    application_mark_funded,
    contract_amend,
    contract_sign,
    contract_sign_code_send,
    contract_terms_edit,
)
from origination.services.underwriting import case_claim, underwriting_approve
from tests.origination.test_workbench_fixtures import *  # noqa: F403
from tests.origination.test_workbench_fixtures import last_sms_code

pytestmark = pytest.mark.django_db


@pytest.fixture
def issued(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(application_id=referred.pk, actor=underwriter)
    contract = Contract.objects.get(application=referred)
    contract.customer = referred.customer_user
    return contract


def _sign(contract, *, ip="203.0.113.7"):
    customer = contract.customer
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    return contract_sign(
        contract_id=contract.pk,
        actor=customer,
        code=last_sms_code(customer.phone),
        ip_address=ip,
        user_agent="pytest",
    )


@pytest.mark.skipif(not shutil.which("pdftotext"), reason="poppler-utils not installed")
def test_contract_pdf_has_chinese_text_apr_and_hash(issued, tmp_path):
    path = upload_path(issued.pdf_path)
    assert hashlib.sha256(path.read_bytes()).hexdigest() == issued.pdf_sha256
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    assert "合同" in text
    assert issued.contract_ref in text
    apr_text = f"{(issued.apr * 100).quantize(Decimal('0.01'))}%"
    assert apr_text in text
    assert "平安财险" in text  # the insurance payee
    assert "¥140,000.00" in text  # the dealer's part: car price − down payment
    shutil.copy(path, "/tmp/backoffice_contract.pdf")
