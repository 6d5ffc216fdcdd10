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
