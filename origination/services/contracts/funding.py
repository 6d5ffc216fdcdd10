"""Servicing disbursed the loan: the application becomes funded (servicing calls this)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from origination.models.applications import Application, ApplicationStatus
from origination.models.contracts import Contract, ContractStatus
from origination.services.contracts.errors import ContractError
from origination.services.state import application_transition

S = ApplicationStatus
CS = ContractStatus


def application_mark_funded(*, application_id: int, funded_at, actor: Any) -> Application:
    """Servicing disbursed: contract_signed -> funded (audited). Calling it again for a funded
    application changes nothing."""
    with transaction.atomic():
        # the status alone under the lock, and the signed contract's reference alone: the
        # transition reads the row it moves, and the contract's snapshot (its schedule) is not
        # needed here
        status = (
            Application.objects.select_for_update()
            .filter(pk=application_id)
            .values_list("status", flat=True)
            .get()
        )
        if status == S.FUNDED:
            return Application.objects.get(pk=application_id)
        contract_ref = (
            Contract.objects.filter(application_id=application_id, status=CS.SIGNED)
            .values_list("contract_ref", flat=True)
            .first()
        )
        if contract_ref is None:
            raise ContractError(_("没有已签署的合同，不能放款。"))
        return application_transition(
            application=application_id,
            to_status=S.FUNDED,
            actor=actor,
            reason=f"{contract_ref} funded",
            data={"contract": contract_ref, "funded_at": funded_at.isoformat()},
            extra_fields={"funded_at": funded_at},
        )
