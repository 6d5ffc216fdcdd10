"""An application's progress through the six steps and what is needed from the customer (or the
dealer) now, in plain words.

These reads apply the services' rules (the documents and consents a step requires, what stops
submission, the next step per status), so this is the one selector module that imports
services: nothing in services imports it back."""

from __future__ import annotations

from dataclasses import dataclass

from django.contrib.postgres.expressions import ArraySubquery
from django.db.models import Exists, OuterRef
from django.utils.translation import gettext_lazy as _

from origination.models.applications import (
    Applicant,
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationStatus,
)
from origination.models.documents import ApplicationDocument
from origination.models.privacy import Consent
from origination.services.applications.consents import consents_missing
from origination.services.applications.submission import submission_problems
from origination.services.documents import documents_missing
from origination.services.state import DEALER_NEXT_STEP, NEXT_STEP

S = ApplicationStatus
STEPS = (
    ("vehicle", _("产品与车辆")),
    ("applicant", _("申请人")),
    ("items", _("融资项目")),
    ("documents", _("资料上传")),
    ("consents", _("授权")),
    ("review", _("确认提交")),
)


@dataclass(frozen=True)
class StepState:
    name: str
    label: object
    number: int
    done: bool


def application_progress(app: Application) -> list[StepState]:
    submitted = app.status != S.DRAFT
    # what the steps depend on, read in one query
    row = (
        Application.objects.filter(pk=app.pk)
        .annotate(
            has_primary=Exists(
                Applicant.objects.filter(application=OuterRef("pk"), role=ApplicantRole.PRIMARY)
            ),
            doc_kinds=ArraySubquery(
                ApplicationDocument.objects.filter(application=OuterRef("pk")).values("doc_kind")
            ),
            consent_kinds=ArraySubquery(
                Consent.objects.filter(
                    application=OuterRef("pk"), withdrawn_at__isnull=True
                ).values("consent_kind")
            ),
        )
        .values("has_primary", "doc_kinds", "consent_kinds")
        .first()
    ) or {"has_primary": False, "doc_kinds": [], "consent_kinds": []}
    consents_done = not consents_missing(app, given=set(row["consent_kinds"]))
    if app.channel == ApplicationChannel.DEALER:
        consents_done = app.customer_confirmed_at is not None and consents_done
    done = {
        "vehicle": True,
        "applicant": row["has_primary"],
        "items": app.items_saved_at is not None,
        "documents": not documents_missing(app, have=set(row["doc_kinds"])),
        "consents": consents_done,
        "review": submitted,
    }
    return [StepState(name, label, i + 1, done[name]) for i, (name, label) in enumerate(STEPS)]


def progress_percent(steps: list[StepState]) -> int:
    return round(100 * sum(1 for s in steps if s.done) / len(steps))


def application_needs(app: Application, *, for_dealer: bool = False) -> list[str]:
    """What is needed from the customer (or the dealer) now, in plain words."""
    if app.status == S.DRAFT:
        return [m for messages in submission_problems(app).values() for m in messages]
    needs = [str((DEALER_NEXT_STEP if for_dealer else NEXT_STEP)[app.status])]
    if app.status == S.APPROVED and not app.vin:
        needs.append(str(_("签约前须补充车架号（VIN）。")))
    return needs
