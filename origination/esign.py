"""Third-party e-signature evidence (电子签名存证): after the customer signs, the signed PDF's
hash, the signer and the time are lodged with an independent evidence service, whose reference
goes into the contract's audit record (what a court asks for under 电子签名法 第十三条).

ESignAdapter
    seal(document_sha256, signer_name, signed_at, contract_ref) -> {"evidence_ref": str}

Chosen by settings.ESIGN_ADAPTER: the sandbox (AUTOFIN_SANDBOX=1 only) or HttpESign (signed
JSON over HTTP to ESIGN_URL, docs/integrations.md).
"""

from __future__ import annotations

import datetime as dt
import hashlib
from typing import Any, Protocol

from django.conf import settings
from django.utils.module_loading import import_string

from autofin.integrations.http import IntegrationError, SignedJsonClient
from autofin.integrations.sandbox import SandboxOnly


class ESignError(Exception):
    def __init__(self, message: str, *, retryable: bool = False) -> None:
        super().__init__(message)
        self.retryable = retryable


class ESignAdapter(Protocol):
    def seal(
        self, *, document_sha256: str, signer_name: str, signed_at: dt.datetime, contract_ref: str
    ) -> dict[str, Any]: ...


class SandboxESign(SandboxOnly):
    """Gives a deterministic evidence reference and keeps nothing."""

    def seal(
        self, *, document_sha256: str, signer_name: str, signed_at: dt.datetime, contract_ref: str
    ) -> dict[str, Any]:
        return {"evidence_ref": f"SBX-ESIGN-{document_sha256[:16].upper()}"}


class HttpESign:
    """POST /evidence {document_sha256, signer_name, signed_at, contract_ref} ->
    {"evidence_ref"}; idempotent by the document's hash."""

    integration_rail = "esign"

    def __init__(self) -> None:
        self.client = SignedJsonClient("esign")

    def seal(
        self, *, document_sha256: str, signer_name: str, signed_at: dt.datetime, contract_ref: str
    ) -> dict[str, Any]:
        payload = {
            "document_sha256": document_sha256,
            "signer_name": signer_name,
            "signed_at": signed_at.isoformat(),
            "contract_ref": contract_ref,
        }
        key = "esign:" + hashlib.sha256(document_sha256.encode()).hexdigest()
        try:
            data = self.client.post("/evidence", payload, idempotency_key=key)
        except IntegrationError as exc:
            raise ESignError(str(exc), retryable=exc.retryable) from exc
        if not data.get("evidence_ref"):
            raise ESignError("e-signature service answered without evidence_ref")
        return {"evidence_ref": str(data["evidence_ref"])}


def esign_adapter() -> ESignAdapter:
    return import_string(settings.ESIGN_ADAPTER)()
