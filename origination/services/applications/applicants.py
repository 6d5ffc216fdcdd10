"""Step 2: the primary applicant and, optionally, one co-applicant or guarantor (identity,
age window to maturity, contact, income, bank account); personal identifiers are stored
encrypted, hashed and masked."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.crypto import encrypt, keyed_hash, mask
from autofin.pricing.dates import add_months
from origination.models.applications import (
    Applicant,
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationStatus,
)
from origination.services.applications.drafts import in_progress_duplicate, lock_editable
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
    errors_add,
)
from origination.validators import (
    id_number_birth_date,
    validate_age_window,
    validate_id_number,
    validate_mobile,
)

S = ApplicationStatus


def maturity_date(application: Application, *, today: dt.date | None = None) -> dt.date:
    return add_months(today or business_date_current(), int(application.term_months))


def _applicant_errors(
    data: Mapping, *, prefix: str, maturity: dt.date, primary: bool, today: dt.date
) -> tuple[dict[str, list[str]], dict]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        errors_add(errors, f"{prefix}name", _("请填写姓名。"))
    clean["name"] = name
    birth = data.get("birth_date")
    if not birth:
        errors_add(errors, f"{prefix}birth_date", _("请填写出生日期。"))
    try:
        clean["id_number"] = validate_id_number(data.get("id_number") or "", birth_date=birth)
    except ValidationError as exc:
        errors_add(errors, f"{prefix}id_number", exc.messages[0])
        clean["id_number"] = None
    if clean["id_number"] and birth:
        try:
            validate_age_window(
                birth_date=id_number_birth_date(clean["id_number"]),
                on=today,
                maturity=maturity,
            )
        except ValidationError as exc:
            errors_add(errors, f"{prefix}birth_date", exc.messages[0])
    clean["birth_date"] = birth
    try:
        clean["mobile"] = validate_mobile(data.get("mobile") or "")
    except ValidationError as exc:
        errors_add(errors, f"{prefix}mobile", exc.messages[0])
    income = data.get("monthly_income")
    if income in (None, ""):
        if primary:
            errors_add(errors, f"{prefix}monthly_income", _("请填写月收入。"))
        clean["monthly_income"] = None
    else:
        income = Decimal(income)
        if income <= 0:
            errors_add(errors, f"{prefix}monthly_income", _("月收入须大于 0。"))
        clean["monthly_income"] = income
    years = data.get("employment_years")
    if years not in (None, "") and Decimal(years) < 0:
        errors_add(errors, f"{prefix}employment_years", _("工作年限不能为负数。"))
    clean["employment_years"] = None if years in (None, "") else Decimal(years)
    if primary and not str(data.get("address") or "").strip():
        errors_add(errors, f"{prefix}address", _("请填写居住地址。"))
    account = "".join(ch for ch in str(data.get("bank_account") or "") if ch.isdigit())
    if data.get("bank_account") and not 12 <= len(account) <= 19:
        errors_add(errors, f"{prefix}bank_account", _("银行卡号应为 12 至 19 位数字。"))
    clean["bank_account"] = account
    for key in ("marital_status", "address", "employment_kind", "employer", "housing"):
        clean[key] = str(data.get(key) or "").strip()
    return errors, clean


def _applicant_row(clean: Mapping) -> dict:
    account = clean.get("bank_account") or ""
    return {
        "name": clean["name"],
        "id_number_enc": encrypt(clean["id_number"]),
        "id_number_hash": keyed_hash(clean["id_number"]),
        "id_number_masked": mask(clean["id_number"], keep_start=3, keep_end=4),
        "birth_date": clean["birth_date"],
        "mobile_enc": encrypt(clean["mobile"]),
        "mobile_hash": keyed_hash(clean["mobile"]),
        "mobile_masked": mask(clean["mobile"], keep_start=3, keep_end=4),
        "marital_status": clean["marital_status"],
        "address": clean["address"],
        "employment_kind": clean["employment_kind"],
        "employer": clean["employer"],
        "employment_years": clean["employment_years"],
        "housing": clean["housing"],
        "monthly_income": clean["monthly_income"],
        "bank_account_enc": encrypt(account) if account else "",
        "bank_account_hash": keyed_hash(account) if account else "",
        "bank_account_masked": mask(account, keep_end=4) if account else "",
    }


def application_applicants_save(
    *,
    actor: Any,
    application: Application,
    primary: Mapping,
    other: Mapping | None = None,
    other_role: str = "",
) -> Application:
    """Step 2: the primary applicant and, optionally, one co-applicant or guarantor."""
    if application.status != S.DRAFT:
        raise ApplicationNotEditableError(application.status)
    today = business_date_current()
    maturity = maturity_date(application, today=today)
    errors, clean = _applicant_errors(
        primary, prefix="", maturity=maturity, primary=True, today=today
    )
    other_clean = None
    if other_role:
        if other_role not in (ApplicantRole.CO_APPLICANT, ApplicantRole.GUARANTOR):
            errors_add(errors, "other_role", _("请选择共借人或担保人。"))
        else:
            other_errors, other_clean = _applicant_errors(
                other or {}, prefix="other_", maturity=maturity, primary=False, today=today
            )
            errors.update(other_errors)
            if (
                other_clean.get("id_number")
                and clean.get("id_number")
                and other_clean["id_number"] == clean["id_number"]
            ):
                errors_add(errors, "other_id_number", _("共借人/担保人不能是主借人本人。"))
    if errors:
        raise ApplicationValidationError(errors)
    with transaction.atomic():
        app = lock_editable(application)
        # The application's row lock serialises this step, so a plain UPDATE (then INSERT the
        # first time) does what update_or_create did without its savepoints and SELECT.
        row = _applicant_row(clean)
        if not Applicant.objects.filter(application=app, role=ApplicantRole.PRIMARY).update(
            **row, updated_at=timezone.now()
        ):
            Applicant.objects.create(application=app, role=ApplicantRole.PRIMARY, **row)
        Applicant.objects.filter(application=app).exclude(role=ApplicantRole.PRIMARY).delete()
        if other_clean is not None:
            Applicant.objects.create(
                application=app, role=other_role, **_applicant_row(other_clean)
            )
        fields = ["updated_at"]
        if app.channel == ApplicationChannel.DEALER:
            new_key = keyed_hash(clean["mobile"])
            if new_key != app.customer_key:
                if in_progress_duplicate(
                    customer_key=new_key, car_key=app.car_key, exclude_pk=app.pk
                ):
                    raise ApplicationValidationError(
                        {"mobile": [_("该客户同一辆车已有一笔办理中的申请。")]}
                    )
                app.customer_key = new_key
                app.customer_mobile_enc = encrypt(clean["mobile"])
                app.customer_mobile_masked = mask(clean["mobile"], keep_start=3, keep_end=4)
                app.customer_confirmed_at = None
                fields += ["customer_key", "customer_mobile_enc", "customer_mobile_masked"]
                fields.append("customer_confirmed_at")
            app.customer_name = clean["name"]
            fields.append("customer_name")
        app.save(update_fields=fields)
        audit_record(
            actor=actor,
            obj=app,
            action="application_applicants_save",
            data={"co_role": other_role or None},
        )
        return app
