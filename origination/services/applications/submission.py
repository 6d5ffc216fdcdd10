"""Submission: what still stops a draft (per step), and draft -> submitted once per key, the
risk decision queued after commit."""

from __future__ import annotations

import dataclasses
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from autofin.business_date import business_date_current
from autofin.crypto import decrypt
from autofin.scheduling import after_commit
from dealers.selectors import dealer_can_submit
from origination.models.applications import (
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationStatus,
)
from origination.models.privacy import ConsentKind
from origination.services.applications.applicants import maturity_date
from origination.services.applications.consents import consents_missing
from origination.services.applications.drafts import saved_add_ons
from origination.services.applications.errors import ApplicationValidationError, errors_add
from origination.services.applications.notices import application_notify
from origination.services.applications.vehicle import (
    VEHICLE_FIELDS,
    VehicleCheck,
    quote_fields,
    vehicle_check,
)
from origination.services.documents import documents_missing
from origination.services.state import application_transition
from origination.validators import id_number_birth_date, validate_age_window

S = ApplicationStatus
# The risk decision's task (origination/tasks/decisions.py), sent by name: the tasks call the
# services, so the services never import the tasks.
DECISION_TASK = "origination.tasks.application_decide"


def submission_problems(application: Application) -> dict[str, list[str]]:
    """What still stops submission, per step (empty: ready)."""
    return _submission_check(application)[0]


def _submission_check(application: Application) -> tuple[dict[str, list[str]], VehicleCheck]:
    problems: dict[str, list[str]] = {}
    app = application
    today = business_date_current()
    primary = app.applicants.filter(role=ApplicantRole.PRIMARY).first()
    if primary is None:
        errors_add(problems, "applicant", _("请填写申请人信息。"))
    if app.items_saved_at is None:
        errors_add(problems, "items", _("请确认融资项目及收款方。"))
    missing_docs = documents_missing(app)
    if missing_docs:
        errors_add(
            problems,
            "documents",
            _("请上传：%(docs)s。") % {"docs": "、".join(str(label) for label in missing_docs)},
        )
    if app.channel == ApplicationChannel.DEALER and app.customer_confirmed_at is None:
        errors_add(problems, "consents", _("客户尚未通过短信链接确认申请并授权。"))
    elif consents_missing(app):
        labels = dict(ConsentKind.choices)
        errors_add(
            problems,
            "consents",
            _("请同意：%(kinds)s。")
            % {"kinds": "、".join(str(labels[k]) for k in consents_missing(app))},
        )
    if app.channel == ApplicationChannel.DEALER and not dealer_can_submit(app.dealer_id):
        errors_add(problems, "__all__", _("贵店当前不是合作中状态，暂不能提交申请。"))
    check = vehicle_check(
        version=app.product_version,
        data={n: getattr(app, n) for n in VEHICLE_FIELDS},
        add_ons=saved_add_ons(app),
        today=today,
    )
    if check.errors:
        errors_add(problems, "vehicle", _("产品与车辆信息不符合要求，请返回第 1 步修改。"))
        for field, messages in check.errors.items():
            problems.setdefault(field, []).extend(messages)
    if primary is not None:
        try:
            validate_age_window(
                birth_date=id_number_birth_date(decrypt(primary.id_number_enc)),
                on=today,
                maturity=maturity_date(app, today=today),
            )
        except ValidationError as exc:
            errors_add(problems, "applicant", exc.messages[0])
    return problems, check


@dataclasses.dataclass(frozen=True)
class SubmitResult:
    application: Application
    created: bool  # False: this key had already submitted it (a replay)


class SubmissionConflictError(Exception):
    """The application was already submitted with another key (or is not a draft)."""


def application_submit(
    *, actor: Any, application: Application, key: str, queue_decision: bool = True
) -> SubmitResult:
    """Draft -> submitted, once: a repeat with the same ``key`` returns the same result without
    a second submission. The risk decision is queued after commit."""
    if not key or len(key) > 100:
        raise ValueError("a submission key (1-100 characters) is required")
    if application.submission_key == key:
        return SubmitResult(application, created=False)
    with transaction.atomic():
        # the product (read by the checks) comes in the same query; only the row is locked
        app = (
            Application.objects.select_for_update(of=("self",))
            .select_related("product_version__product")
            .get(pk=application.pk)
        )
        if app.submission_key == key:
            return SubmitResult(app, created=False)
        if app.status != S.DRAFT:
            raise SubmissionConflictError(app.status)
        problems, check = _submission_check(app)
        if problems:
            raise ApplicationValidationError(problems)
        quote = quote_fields(check.evaluation)
        app = application_transition(
            application=app,
            to_status=S.SUBMITTED,
            actor=actor,
            reason="submitted",
            extra_fields={"submission_key": key, **quote},
        )
        application_notify(
            app, _("您的汽车金融申请 %(ref)s 已提交，我们会尽快审批。"), "application_submitted"
        )
        app_id = app.pk

        if queue_decision:
            after_commit(DECISION_TASK, app_id)
        return SubmitResult(app, created=True)
