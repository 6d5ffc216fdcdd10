"""Funding waits for compliance: an application whose applicant hit a watch list (open, or
confirmed) is not paid out (risk.selectors.aml.screening_block). Checked when the disbursement
is prepared and again when it is released, since a nightly re-screen may hit in between."""

from __future__ import annotations

from django.utils.translation import gettext as _

from risk.models import ScreeningHit
from risk.selectors.aml import screening_block
from servicing.services.disbursement.states import DisbursementError


def aml_hold_check(application_ref: str | None) -> None:
    """Raise DisbursementError (code "aml_hold") while screening blocks this application."""
    if not application_ref:
        return
    hit = screening_block(subject_ref=application_ref)
    if hit is None:
        return
    if hit.status == ScreeningHit.Status.CONFIRMED:
        message = _("该客户已被合规确认命中“%(list)s”，不能放款。")
    else:
        message = _("该客户命中“%(list)s”筛查，待合规专员核查排除后才能放款。")
    raise DisbursementError(message % {"list": hit.entry.get_list_type_display()}, code="aml_hold")
