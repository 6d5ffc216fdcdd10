"""Application intake use cases, step by step: start (product and car), the applicants, the
financed items, documents, consents, submission, withdrawal, and applying a risk decision.

Every step validates everything first and raises ``ApplicationValidationError`` with
field-level messages (Chinese msgids) before writing anything, so a rejected step changes
nothing. Writes run in ``transaction.atomic()`` under a row lock on the application.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import secrets
from collections.abc import Iterable, Mapping
from decimal import Decimal
from typing import Any

from django.core import signing
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from autofin.audit import audit_record
from autofin.business_date import business_date_current
from autofin.crypto import decrypt, encrypt, keyed_hash, mask
from autofin.notifications import notification_send
from autofin.pricing.dates import add_months
from origination.models import (
    IN_PROGRESS_STATUSES,
    Applicant,
    ApplicantRole,
    Application,
    ApplicationChannel,
    ApplicationStatus,
    Consent,
    ConsentKind,
    ConsentText,
    FinancedItem,
    FinancedItemKind,
    PayeeType,
    ProductVersion,
)
from origination.quoting.deal import AddOn, Deal, QuoteEvaluation
from origination.quoting.evaluation import quote_evaluate
from origination.quoting.vocabulary import ITEM_KIND_LABELS
from origination.selectors import lpr_rate_current, product_rules, regulatory_caps
from origination.services.state import application_transition, event_record
from origination.validators import (
    id_number_birth_date,
    validate_age_window,
    validate_id_number,
    validate_mobile,
    validate_vin,
)

S = ApplicationStatus
# The indicative quote during intake is priced at this customer tier; risk sets the real one.
QUOTE_TIER = "B"
# Used cars: vehicle age at maturity (months since first registration + term) may not pass this,
# unless the product's rules snapshot names its own "max_vehicle_age_at_maturity_months".
USED_CAR_MAX_AGE_AT_MATURITY_MONTHS = 120
ADD_ON_KINDS = ("purchase_tax", "insurance", "warranty", "accessories")
STEP_NAMES = ("vehicle", "applicant", "items", "documents", "consents", "review")
CONFIRM_SALT = "origination.application-confirm"
CONFIRM_MAX_AGE = 7 * 24 * 3600

# quote_evaluate's field names -> the intake form's field names
_QUOTE_FIELD = {
    "vehicle.kind": "vehicle_kind",
    "vehicle.use": "vehicle_use",
    "vehicle.first_registration_date": "first_registration_date",
    "vehicle.price": "vehicle_price",
    "down_payment": "down_payment",
    "ltv": "down_payment",
    "term_months": "term_months",
    "method": "method",
    "balloon_ratio": "balloon_ratio",
    "amount_financed": "vehicle_price",
    "tier": "term_months",
    "product": "product",
    "non_field_errors": "__all__",
}


class ApplicationValidationError(Exception):
    """Field-level problems: {"field": ["message", ...]}; "__all__" for the whole step."""

    def __init__(self, errors: Mapping[str, list[str]]) -> None:
        self.errors = {k: [str(m) for m in v] for k, v in errors.items() if v}
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in self.errors.items()))


class ApplicationNotEditableError(Exception):
    """The application is past the draft (or waiting for documents) and cannot be edited."""


def _errors_add(errors: dict, field: str, message) -> None:
    errors.setdefault(field, []).append(str(message))


def _user(actor: Any):
    return actor if getattr(actor, "pk", None) and hasattr(actor, "get_username") else None


def _reference() -> str:
    day = timezone.localdate()
    return f"AP{day:%y%m%d}{secrets.token_hex(4).upper()}"


def car_key_for(*, product_version_id: int, vin: str, price, brand: str, model: str) -> str:
    if vin:
        return f"vin:{vin}"
    digest = keyed_hash(f"{product_version_id}|{Decimal(price):.2f}|{brand}|{model}")
    return f"car:{digest[:60]}"


# --------------------------------------------------------------------------------------------
# Step 1: product, car and deal (with the live quote)
# --------------------------------------------------------------------------------------------

VEHICLE_FIELDS = (
    "vehicle_brand",
    "vehicle_model",
    "vehicle_trim",
    "vehicle_kind",
    "vehicle_use",
    "vehicle_price",
    "vin",
    "mileage_km",
    "first_registration_date",
    "down_payment",
    "term_months",
    "method",
    "balloon_ratio",
)


@dataclasses.dataclass(frozen=True)
class VehicleCheck:
    data: dict
    evaluation: QuoteEvaluation | None
    errors: dict[str, list[str]]


def months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + (end.month - start.month)
    return months - (1 if end.day < start.day else 0)


def _add_ons(items: Iterable[Mapping]) -> tuple[AddOn, ...]:
    return tuple(
        AddOn(item_kind=i["item_kind"], amount=Decimal(i["amount"]))
        for i in items
        if i["item_kind"] in ADD_ON_KINDS and Decimal(i["amount"]) > 0
    )


def quote_for(
    *,
    version: ProductVersion,
    data: Mapping,
    add_ons: tuple[AddOn, ...] = (),
    value_date: dt.date | None = None,
) -> QuoteEvaluation:
    """The indicative quote for intake data on ``version`` as of the business date (the caller
    may pass the business date it has already read as ``value_date``)."""
    rules = product_rules(version=version)
    value_date = value_date or business_date_current()
    lpr = None
    if rules.rate_basis == "lpr" and rules.lpr_tenor:
        lpr = lpr_rate_current(tenor=rules.lpr_tenor, as_of=value_date)
    deal = Deal(
        vehicle_kind=data["vehicle_kind"],
        vehicle_use=data["vehicle_use"],
        vehicle_price=Decimal(data["vehicle_price"]),
        term_months=int(data["term_months"]),
        method=data["method"],
        tier=QUOTE_TIER,
        value_date=value_date,
        down_payment=Decimal(data["down_payment"]),
        balloon_ratio=data.get("balloon_ratio") if data["method"] == "balloon" else None,
        add_ons=add_ons,
        first_registration_date=data.get("first_registration_date"),
        lpr_rate=lpr.rate if lpr is not None else None,
    )
    return quote_evaluate(rules, deal, caps=regulatory_caps())


def _violations_into(errors: dict, evaluation: QuoteEvaluation) -> None:
    label_to_kind = {label: kind for kind, label in ITEM_KIND_LABELS.items()}
    for name, items in evaluation.violations.items():
        for violation in items:
            if name == "add_ons":
                kind = label_to_kind.get(str(violation.params.get("item", "")), "")
                field = f"{kind}_amount" if kind else "__all__"
            else:
                field = _QUOTE_FIELD.get(name, "__all__")
            _errors_add(errors, field, violation.render(_))


def vehicle_check(
    *,
    version: ProductVersion | None,
    data: Mapping,
    add_ons: tuple[AddOn, ...] = (),
    today: dt.date | None = None,
) -> VehicleCheck:
    """Validate step 1 (and the deal's rules with ``add_ons``): every problem as a field error.
    ``today``: the business date, if the caller has read it already."""
    errors: dict[str, list[str]] = {}
    clean = {name: data.get(name) for name in VEHICLE_FIELDS}
    for name in ("vehicle_brand", "vehicle_model", "vehicle_trim"):
        clean[name] = str(clean[name] or "").strip()
    if version is None or not version.is_published or not version.product.is_active:
        _errors_add(errors, "product", _("请选择一个在售的产品。"))
    required = {
        "vehicle_brand": _("请填写品牌。"),
        "vehicle_model": _("请填写车型。"),
        "vehicle_kind": _("请选择车辆类型。"),
        "vehicle_use": _("请选择车辆用途。"),
        "vehicle_price": _("请填写车价。"),
        "down_payment": _("请填写首付金额。"),
        "term_months": _("请选择期限。"),
        "method": _("请选择还款方式。"),
    }
    for name, message in required.items():
        if clean.get(name) in (None, ""):
            _errors_add(errors, name, message)
    vin = str(clean.get("vin") or "").strip().upper()
    if vin:
        try:
            vin = validate_vin(vin)
        except ValidationError as exc:
            _errors_add(errors, "vin", exc.messages[0])
    clean["vin"] = vin
    used = clean.get("vehicle_kind") == "used"
    if used:
        if not vin and "vin" not in errors:
            _errors_add(errors, "vin", _("二手车申请时须填写车架号。"))
        if clean.get("mileage_km") in (None, ""):
            _errors_add(errors, "mileage_km", _("二手车须填写行驶里程。"))
        if not clean.get("first_registration_date"):
            _errors_add(errors, "first_registration_date", _("二手车须填写首次登记日期。"))
    if clean.get("mileage_km") == "":
        clean["mileage_km"] = None
    price = clean.get("vehicle_price")
    down = clean.get("down_payment")
    if price is not None and price != "" and Decimal(price) <= 0:
        _errors_add(errors, "vehicle_price", _("车价须大于 0。"))
    if down is not None and down != "" and Decimal(down) < 0:
        _errors_add(errors, "down_payment", _("首付不能为负数。"))
    if clean.get("method") != "balloon":
        clean["balloon_ratio"] = None
    evaluation = None
    if not errors:
        today = today or business_date_current()
        evaluation = quote_for(version=version, data=clean, add_ons=add_ons, value_date=today)
        _violations_into(errors, evaluation)
        first_reg = clean.get("first_registration_date")
        if used and first_reg:
            limit = int(
                (version.rules or {}).get(
                    "max_vehicle_age_at_maturity_months", USED_CAR_MAX_AGE_AT_MATURITY_MONTHS
                )
            )
            age = max(months_between(first_reg, today), 0)
            term = int(clean["term_months"])
            if age + term > limit:
                _errors_add(
                    errors,
                    "term_months",
                    _(
                        "车龄 %(age)s 个月加期限 %(term)s 个月为 %(total)s 个月，"
                        "超过本产品到期车龄 %(limit)s 个月的上限。"
                    )
                    % {"age": age, "term": term, "total": age + term, "limit": limit},
                )
    return VehicleCheck(data=clean, evaluation=evaluation, errors=errors)


def _quote_fields(evaluation: QuoteEvaluation | None) -> dict:
    if evaluation is None or not evaluation.ok:
        return {
            "amount_financed": None,
            "ltv": None,
            "monthly_payment": None,
            "apr": None,
            "customer_rate": None,
        }
    return {
        "amount_financed": evaluation.amount_financed,
        "ltv": evaluation.ltv,
        "monthly_payment": evaluation.monthly_payment,
        "apr": evaluation.apr,
        "customer_rate": evaluation.customer_rate,
    }


def _in_progress_duplicate(*, customer_key: str, car_key: str, exclude_pk=None):
    qs = Application.objects.filter(
        customer_key=customer_key, car_key=car_key, status__in=IN_PROGRESS_STATUSES
    )
    if exclude_pk:
        qs = qs.exclude(pk=exclude_pk)
    return qs.first()


def _duplicate_error(existing: Application, *, has_vin: bool) -> ApplicationValidationError:
    field = "vin" if has_vin else "__all__"
    return ApplicationValidationError(
        {
            field: [
                _("该客户同一辆车已有一笔办理中的申请（编号 %(ref)s），请继续该申请。")
                % {"ref": existing.reference}
            ]
        }
    )


def application_start(
    *,
    actor: Any,
    channel: str,
    product_version: ProductVersion | None,
    vehicle: Mapping,
    customer=None,
    customer_name: str = "",
    customer_mobile: str = "",
    dealer=None,
    salesperson=None,
) -> Application:
    """A new draft with step 1 filled in. Direct channel: ``customer`` is the signed-up user
    (their phone identifies them). Dealer channel: ``dealer`` and ``salesperson`` apply for a
    customer named by ``customer_name`` and ``customer_mobile``; the dealer must be active."""
    errors: dict[str, list[str]] = {}
    if channel == ApplicationChannel.DIRECT:
        if customer is None:
            raise ValueError("the direct channel needs the customer")
        customer_mobile = customer_mobile or customer.phone
        customer_name = customer_name or customer.display_name or customer.get_username()
    else:
        from dealers.selectors import dealer_can_submit

        if dealer is None or not dealer_can_submit(dealer.pk):
            _errors_add(errors, "__all__", _("贵店当前不是合作中状态，暂不能提交申请。"))
        if not str(customer_name or "").strip():
            _errors_add(errors, "customer_name", _("请填写客户姓名。"))
    try:
        customer_mobile = validate_mobile(customer_mobile)
    except ValidationError as exc:
        _errors_add(errors, "customer_mobile", exc.messages[0])
    check = vehicle_check(version=product_version, data=vehicle)
    for field, messages in check.errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ApplicationValidationError(errors)
    data = check.data
    customer_key = keyed_hash(customer_mobile)
    car_key = car_key_for(
        product_version_id=product_version.pk,
        vin=data["vin"],
        price=data["vehicle_price"],
        brand=data["vehicle_brand"],
        model=data["vehicle_model"],
    )
    existing = _in_progress_duplicate(customer_key=customer_key, car_key=car_key)
    if existing is not None:
        raise _duplicate_error(existing, has_vin=bool(data["vin"]))
    try:
        with transaction.atomic():
            app = Application.objects.create(
                reference=_reference(),
                channel=channel,
                customer=customer if channel == ApplicationChannel.DIRECT else None,
                customer_key=customer_key,
                customer_name=str(customer_name).strip()[:50],
                customer_mobile_enc=encrypt(customer_mobile),
                customer_mobile_masked=mask(customer_mobile, keep_start=3, keep_end=4),
                dealer=dealer if channel == ApplicationChannel.DEALER else None,
                salesperson=salesperson if channel == ApplicationChannel.DEALER else None,
                created_by=_user(actor),
                product_version=product_version,
                car_key=car_key,
                status_changed_at=timezone.now(),
                **{k: data[k] for k in VEHICLE_FIELDS},
                **_quote_fields(check.evaluation),
            )
            audit_record(
                actor=actor,
                obj=app,
                action="application_start",
                to_state=S.DRAFT,
                data={"channel": channel, "dealer_id": app.dealer_id},
            )
            event_record(application=app, kind="status", actor=actor, to_status=S.DRAFT)
            return app
    except IntegrityError:
        existing = _in_progress_duplicate(customer_key=customer_key, car_key=car_key)
        if existing is None:
            raise
        raise _duplicate_error(existing, has_vin=bool(data["vin"])) from None


def _lock_editable(application: Application, *, allow_documents_requested: bool = False):
    app = Application.objects.select_for_update().get(pk=application.pk)
    editable = {S.DRAFT, S.DOCUMENTS_REQUESTED} if allow_documents_requested else {S.DRAFT}
    if app.status not in editable:
        raise ApplicationNotEditableError(app.status)
    return app


def _saved_add_ons(app: Application) -> tuple[AddOn, ...]:
    return _add_ons(app.items.values("item_kind", "amount"))


def application_vehicle_update(
    *,
    actor: Any,
    application: Application,
    product_version: ProductVersion | None,
    vehicle: Mapping,
) -> Application:
    """Change step 1 of a draft (re-checks the deal with the saved financed add-ons)."""
    if application.status != S.DRAFT:
        raise ApplicationNotEditableError(application.status)
    check = vehicle_check(
        version=product_version, data=vehicle, add_ons=_saved_add_ons(application)
    )
    if check.errors:
        raise ApplicationValidationError(check.errors)
    data = check.data
    car_key = car_key_for(
        product_version_id=product_version.pk,
        vin=data["vin"],
        price=data["vehicle_price"],
        brand=data["vehicle_brand"],
        model=data["vehicle_model"],
    )
    existing = _in_progress_duplicate(
        customer_key=application.customer_key, car_key=car_key, exclude_pk=application.pk
    )
    if existing is not None:
        raise _duplicate_error(existing, has_vin=bool(data["vin"]))
    with transaction.atomic():
        app = _lock_editable(application)
        for name in VEHICLE_FIELDS:
            setattr(app, name, data[name])
        app.product_version = product_version
        app.car_key = car_key
        for name, value in _quote_fields(check.evaluation).items():
            setattr(app, name, value)
        app.save()
        car_part = Decimal(data["vehicle_price"]) - Decimal(data["down_payment"])
        FinancedItem.objects.filter(application=app, item_kind=FinancedItemKind.CAR).update(
            amount=car_part
        )
        audit_record(actor=actor, obj=app, action="application_vehicle_update")
        return app


# --------------------------------------------------------------------------------------------
# Step 2: applicants
# --------------------------------------------------------------------------------------------

APPLICANT_FIELDS = (
    "name",
    "id_number",
    "birth_date",
    "mobile",
    "marital_status",
    "address",
    "employment_kind",
    "employer",
    "employment_years",
    "housing",
    "monthly_income",
    "bank_account",
)


def maturity_date(application: Application, *, today: dt.date | None = None) -> dt.date:
    return add_months(today or business_date_current(), int(application.term_months))


def _applicant_errors(
    data: Mapping, *, prefix: str, maturity: dt.date, primary: bool, today: dt.date
) -> tuple[dict[str, list[str]], dict]:
    errors: dict[str, list[str]] = {}
    clean: dict[str, Any] = {}
    name = str(data.get("name") or "").strip()
    if not name:
        _errors_add(errors, f"{prefix}name", _("请填写姓名。"))
    clean["name"] = name
    birth = data.get("birth_date")
    if not birth:
        _errors_add(errors, f"{prefix}birth_date", _("请填写出生日期。"))
    try:
        clean["id_number"] = validate_id_number(data.get("id_number") or "", birth_date=birth)
    except ValidationError as exc:
        _errors_add(errors, f"{prefix}id_number", exc.messages[0])
        clean["id_number"] = None
    if clean["id_number"] and birth:
        try:
            validate_age_window(
                birth_date=id_number_birth_date(clean["id_number"]),
                on=today,
                maturity=maturity,
            )
        except ValidationError as exc:
            _errors_add(errors, f"{prefix}birth_date", exc.messages[0])
    clean["birth_date"] = birth
    try:
        clean["mobile"] = validate_mobile(data.get("mobile") or "")
    except ValidationError as exc:
        _errors_add(errors, f"{prefix}mobile", exc.messages[0])
    income = data.get("monthly_income")
    if income in (None, ""):
        if primary:
            _errors_add(errors, f"{prefix}monthly_income", _("请填写月收入。"))
        clean["monthly_income"] = None
    else:
        income = Decimal(income)
        if income <= 0:
            _errors_add(errors, f"{prefix}monthly_income", _("月收入须大于 0。"))
        clean["monthly_income"] = income
    years = data.get("employment_years")
    if years not in (None, "") and Decimal(years) < 0:
        _errors_add(errors, f"{prefix}employment_years", _("工作年限不能为负数。"))
    clean["employment_years"] = None if years in (None, "") else Decimal(years)
    if primary and not str(data.get("address") or "").strip():
        _errors_add(errors, f"{prefix}address", _("请填写居住地址。"))
    account = "".join(ch for ch in str(data.get("bank_account") or "") if ch.isdigit())
    if data.get("bank_account") and not 12 <= len(account) <= 19:
        _errors_add(errors, f"{prefix}bank_account", _("银行卡号应为 12 至 19 位数字。"))
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
            _errors_add(errors, "other_role", _("请选择共借人或担保人。"))
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
                _errors_add(errors, "other_id_number", _("共借人/担保人不能是主借人本人。"))
    if errors:
        raise ApplicationValidationError(errors)
    with transaction.atomic():
        app = _lock_editable(application)
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
                if _in_progress_duplicate(
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


# --------------------------------------------------------------------------------------------
# Step 3: financed items with their payees
# --------------------------------------------------------------------------------------------

DEFAULT_PAYEE = {
    "purchase_tax": PayeeType.TAX_AUTHORITY,
    "insurance": PayeeType.INSURER,
    "warranty": PayeeType.WARRANTY_PROVIDER,
    "accessories": PayeeType.DEALER,
}


def application_items_save(
    *, actor: Any, application: Application, items: Mapping[str, Mapping], car_payee_name: str = ""
) -> Application:
    """Step 3: ``items`` maps each add-on kind to {"amount", "payee_type", "payee_name"} (an
    empty or zero amount means not financed). The car itself is an item paid to the dealer
    (dealer channel) or the seller named in ``car_payee_name`` (direct channel)."""
    if application.status != S.DRAFT:
        raise ApplicationNotEditableError(application.status)
    errors: dict[str, list[str]] = {}
    rows = []
    for kind in ADD_ON_KINDS:
        item = items.get(kind) or {}
        amount = item.get("amount")
        if amount in (None, "") or Decimal(amount) == 0:
            continue
        amount = Decimal(amount)
        if amount < 0:
            _errors_add(errors, f"{kind}_amount", _("金额不能为负数。"))
            continue
        payee_type = item.get("payee_type") or DEFAULT_PAYEE[kind]
        if payee_type not in PayeeType.values:
            _errors_add(errors, f"{kind}_payee_type", _("请选择收款方类型。"))
        payee_name = str(item.get("payee_name") or "").strip()
        if not payee_name:
            _errors_add(errors, f"{kind}_payee_name", _("请填写收款方名称。"))
        rows.append((kind, amount, payee_type, payee_name))
    if application.channel == ApplicationChannel.DEALER:
        car_payee_type, car_payee = PayeeType.DEALER, application.dealer.legal_name
    else:
        car_payee_type, car_payee = PayeeType.DEALER, str(car_payee_name or "").strip()
        if not car_payee:
            _errors_add(errors, "car_payee_name", _("请填写车辆销售方（车款收款方）名称。"))
    add_ons = tuple(AddOn(item_kind=k, amount=a) for k, a, _t, _n in rows)
    check = vehicle_check(
        version=application.product_version,
        data={n: getattr(application, n) for n in VEHICLE_FIELDS},
        add_ons=add_ons,
    )
    for field, messages in check.errors.items():
        errors.setdefault(field, []).extend(messages)
    if errors:
        raise ApplicationValidationError(errors)
    with transaction.atomic():
        app = _lock_editable(application)
        FinancedItem.objects.filter(application=app).delete()
        FinancedItem.objects.create(
            application=app,
            item_kind=FinancedItemKind.CAR,
            amount=app.vehicle_price - app.down_payment,
            payee_type=car_payee_type,
            payee_name=car_payee[:200],
        )
        for kind, amount, payee_type, payee_name in rows:
            FinancedItem.objects.create(
                application=app,
                item_kind=kind,
                amount=amount,
                payee_type=payee_type,
                payee_name=payee_name[:200],
            )
        for name, value in _quote_fields(check.evaluation).items():
            setattr(app, name, value)
        app.items_saved_at = timezone.now()
        app.save()
        audit_record(
            actor=actor,
            obj=app,
            action="application_items_save",
            data={"items": {k: str(a) for k, a, _t, _n in rows}},
        )
        return app


# --------------------------------------------------------------------------------------------
# Step 5: consents
# --------------------------------------------------------------------------------------------


def consent_texts_current() -> dict[str, ConsentText]:
    """The latest text of each consent kind (in effect now)."""
    texts: dict[str, ConsentText] = {}
    for text in ConsentText.objects.filter(effective_at__lte=timezone.now()).order_by(
        "consent_kind", "-version"
    ):
        texts.setdefault(text.consent_kind, text)
    return texts


def consents_missing(application: Application, *, given: set[str] | None = None) -> list[str]:
    """Required consent kinds without an active consent on the application (``given``: the
    kinds actively consented, if the caller has read them already)."""
    required = [k for k, t in consent_texts_current().items() if t.required]
    if given is None:
        given = set(
            Consent.objects.filter(application=application, withdrawn_at__isnull=True).values_list(
                "consent_kind", flat=True
            )
        )
    return [k for k in ConsentKind.values if k in required and k not in given]


def application_consents_give(
    *,
    actor: Any,
    application: Application,
    kinds: Iterable[str],
    text_versions: Mapping[str, int] | None = None,
    via: str = "web",
    ip: str | None = None,
) -> list[Consent]:
    """Record each consent kind ticked, against the text version shown (the current one if
    ``text_versions`` does not say). Consents already given stay as they were."""
    kinds = list(dict.fromkeys(kinds))
    texts = consent_texts_current()
    errors: dict[str, list[str]] = {}
    for kind in kinds:
        if kind not in texts:
            _errors_add(errors, kind, _("未知的授权类型。"))
        elif (
            text_versions
            and kind in text_versions
            and texts[kind].version != int(text_versions[kind])
        ):
            _errors_add(errors, kind, _("授权文本已更新，请阅读最新版本后重新勾选。"))
    if errors:
        raise ApplicationValidationError(errors)
    created = []
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if app.status in {S.DECLINED, S.WITHDRAWN, S.CANCELLED, S.FUNDED}:
            raise ApplicationNotEditableError(app.status)
        active = set(
            Consent.objects.filter(application=app, withdrawn_at__isnull=True).values_list(
                "consent_kind", flat=True
            )
        )
        for kind in kinds:
            if kind in active:
                continue
            consent = Consent.objects.create(
                application=app,
                consent_kind=kind,
                text=texts[kind],
                user=_user(actor),
                subject_key=app.customer_key,
                given_via=via,
                ip_address=ip or None,
            )
            audit_record(
                actor=actor,
                obj=consent,
                action="consent_give",
                to_state="given",
                data={"kind": kind, "version": texts[kind].version, "application": app.reference},
            )
            created.append(consent)
        if created:
            event_record(
                application=app,
                kind="consent",
                actor=actor,
                reason=", ".join(c.consent_kind for c in created),
            )
    return created


def consent_withdraw(*, actor: Any, consent: Consent, reason: str = "") -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            return consent
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=actor,
            obj=consent,
            action="consent_withdraw",
            from_state="given",
            to_state="withdrawn",
            reason=reason,
            data={"kind": consent.consent_kind},
        )
        event_record(
            application=consent.application,
            kind="consent_withdrawn",
            actor=actor,
            reason=consent.consent_kind,
        )
        return consent


# --------------------------------------------------------------------------------------------
# Dealer channel: the customer's confirmation by SMS link
# --------------------------------------------------------------------------------------------


def confirmation_token(application: Application) -> str:
    return signing.TimestampSigner(salt=CONFIRM_SALT).sign(
        f"{application.reference}:{application.customer_key[:16]}"
    )


def application_for_confirmation_token(token: str) -> Application | None:
    try:
        value = signing.TimestampSigner(salt=CONFIRM_SALT).unsign(token, max_age=CONFIRM_MAX_AGE)
    except signing.BadSignature:
        return None
    reference, _sep, key = value.partition(":")
    app = Application.objects.filter(reference=reference).first()
    if app is None or app.customer_key[:16] != key:
        return None  # the mobile changed since the link was sent
    return app


def application_confirmation_send(*, actor: Any, application: Application, link_base: str) -> str:
    """Text the customer the link to confirm the application and give the consents."""
    token = confirmation_token(application)
    url = f"{link_base.rstrip('/')}/apply/confirm/{token}/"
    with transaction.atomic():
        notification_send(
            channel="sms",
            to=decrypt(application.customer_mobile_enc),
            body=_(
                "【AutoFin】%(dealer)s为您提交了汽车金融申请 %(ref)s，请点击链接确认并授权：%(url)s"
            )
            % {
                "dealer": application.dealer.legal_name if application.dealer else "",
                "ref": application.reference,
                "url": url,
            },
            purpose="application_confirm",
        )
        event_record(application=application, kind="confirmation_sent", actor=actor)
    return url


def application_customer_confirm(
    *, token: str, kinds: Iterable[str], text_versions=None, user=None, ip: str | None = None
) -> Application:
    """The customer opened the SMS link, read the consent texts and ticked them."""
    app = application_for_confirmation_token(token)
    if app is None:
        raise ApplicationValidationError(
            {"__all__": [_("链接无效或已过期，请联系经销商重新发送。")]}
        )
    kinds = list(kinds)
    required = [k for k, t in consent_texts_current().items() if t.required]
    missing = [k for k in required if k not in kinds]
    if missing:
        raise ApplicationValidationError({k: [_("提交申请须同意此项授权。")] for k in missing})
    with transaction.atomic():
        actor = user if getattr(user, "is_authenticated", False) else "customer:sms_link"
        application_consents_give(
            actor=actor, application=app, kinds=kinds, text_versions=text_versions,
            via="sms_link", ip=ip,
        )  # fmt: skip
        app = Application.objects.select_for_update().get(pk=app.pk)
        app.customer_confirmed_at = timezone.now()
        fields = ["customer_confirmed_at", "updated_at"]
        if (
            app.customer_id is None
            and getattr(user, "is_authenticated", False)
            and keyed_hash(getattr(user, "phone", "") or "-") == app.customer_key
        ):
            app.customer = user
            fields.append("customer")
        app.save(update_fields=fields)
        event_record(application=app, kind="customer_confirmed", actor=actor)
        return app


# --------------------------------------------------------------------------------------------
# Submission
# --------------------------------------------------------------------------------------------


def submission_problems(application: Application) -> dict[str, list[str]]:
    """What still stops submission, per step (empty: ready)."""
    return _submission_check(application)[0]


def _submission_check(application: Application) -> tuple[dict[str, list[str]], VehicleCheck]:
    from origination.services.documents import documents_missing

    problems: dict[str, list[str]] = {}
    app = application
    today = business_date_current()
    primary = app.applicants.filter(role=ApplicantRole.PRIMARY).first()
    if primary is None:
        _errors_add(problems, "applicant", _("请填写申请人信息。"))
    if app.items_saved_at is None:
        _errors_add(problems, "items", _("请确认融资项目及收款方。"))
    missing_docs = documents_missing(app)
    if missing_docs:
        _errors_add(
            problems,
            "documents",
            _("请上传：%(docs)s。") % {"docs": "、".join(str(label) for label in missing_docs)},
        )
    if app.channel == ApplicationChannel.DEALER and app.customer_confirmed_at is None:
        _errors_add(problems, "consents", _("客户尚未通过短信链接确认申请并授权。"))
    elif consents_missing(app):
        labels = dict(ConsentKind.choices)
        _errors_add(
            problems,
            "consents",
            _("请同意：%(kinds)s。")
            % {"kinds": "、".join(str(labels[k]) for k in consents_missing(app))},
        )
    if app.channel == ApplicationChannel.DEALER:
        from dealers.selectors import dealer_can_submit

        if not dealer_can_submit(app.dealer_id):
            _errors_add(problems, "__all__", _("贵店当前不是合作中状态，暂不能提交申请。"))
    check = vehicle_check(
        version=app.product_version,
        data={n: getattr(app, n) for n in VEHICLE_FIELDS},
        add_ons=_saved_add_ons(app),
        today=today,
    )
    if check.errors:
        _errors_add(problems, "vehicle", _("产品与车辆信息不符合要求，请返回第 1 步修改。"))
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
            _errors_add(problems, "applicant", exc.messages[0])
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
        quote = _quote_fields(check.evaluation)
        app = application_transition(
            application=app,
            to_status=S.SUBMITTED,
            actor=actor,
            reason="submitted",
            extra_fields={"submission_key": key, **quote},
        )
        _notify(
            app, _("您的汽车金融申请 %(ref)s 已提交，我们会尽快审批。"), "application_submitted"
        )
        app_id = app.pk

        def _queue():
            from origination.tasks import application_decide

            application_decide.delay(app_id)

        if queue_decision:
            transaction.on_commit(_queue)
        return SubmitResult(app, created=True)


def application_withdraw(*, actor: Any, application: Application, reason: str = "") -> Application:
    app = application_transition(
        application=application, to_status=S.WITHDRAWN, actor=actor, reason=reason or "withdrawn"
    )
    return app


# --------------------------------------------------------------------------------------------
# The decision's outcome
# --------------------------------------------------------------------------------------------

RISK_DECISION_PREFIX = "risk-decision:"


def risk_decision_ref(decision_id: int) -> str:
    """How an application names the risk decision behind its outcome (`decision_ref`)."""
    return f"{RISK_DECISION_PREFIX}{decision_id}"


def risk_decision_id(decision_ref: str | None) -> int | None:
    """The risk decision's id from an application's `decision_ref`, or None (an underwriter's
    decision, or none yet)."""
    ref = str(decision_ref or "")
    number = ref.removeprefix(RISK_DECISION_PREFIX)
    return int(number) if ref.startswith(RISK_DECISION_PREFIX) and number.isdigit() else None


OUTCOME_STATUS = {
    "approve": S.APPROVED,
    "counter_offer": S.COUNTER_OFFERED,
    "refer": S.REFERRED,
    "decline": S.DECLINED,
}
OUTCOME_MESSAGE = {
    "approve": gettext_lazy("您的汽车金融申请 %(ref)s 已获批准，请留意签约通知。"),
    "counter_offer": gettext_lazy("您的汽车金融申请 %(ref)s 有调整后的方案，请登录查看并确认。"),
    "refer": gettext_lazy("您的汽车金融申请 %(ref)s 已转人工审核，如需补充资料我们会通知您。"),
    "decline": gettext_lazy("很遗憾，您的汽车金融申请 %(ref)s 本次未获批准。"),
}


def _notify(app: Application, template, purpose: str) -> None:
    mobile = decrypt(app.customer_mobile_enc) if app.customer_mobile_enc else ""
    if mobile:
        notification_send(
            channel="sms",
            to=mobile,
            body=str(template) % {"ref": app.reference},
            purpose=purpose,
            dedupe_key=f"application:{app.reference}:{purpose}:{app.status}",
        )
    if app.salesperson_id and app.salesperson.email:
        notification_send(
            channel="email",
            to=app.salesperson.email,
            subject=_("申请 %(ref)s 状态更新") % {"ref": app.reference},
            body=str(template) % {"ref": app.reference},
            purpose=purpose,
            dedupe_key=f"application:{app.reference}:{purpose}:{app.status}:dealer",
        )


def application_decision_apply(
    *,
    application_id: int,
    outcome: str,
    reasons: list | tuple = (),
    decision_ref: str = "",
    actor: Any = "decision-worker",
    conditions: list | tuple = (),
) -> Application:
    """Move the application by the decision's outcome (approve -> approved, counter_offer ->
    counter_offered, refer -> referred, decline -> declined). A submitted application passes
    through under_review first. Applying the same decision twice changes nothing."""
    if outcome not in OUTCOME_STATUS:
        raise ValueError(f"unknown outcome {outcome!r}")
    target = OUTCOME_STATUS[outcome]
    reasons = [str(r) for r in reasons]
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application_id)
        if decision_ref and app.decision_ref == decision_ref and app.status == target:
            return app
        if app.status == S.SUBMITTED:
            app = application_transition(
                application=app, to_status=S.UNDER_REVIEW, actor=actor, reason="automated decision"
            )
        app = application_transition(
            application=app,
            to_status=target,
            actor=actor,
            reason="; ".join(reasons) or outcome,
            data={"decision_ref": decision_ref, "outcome": outcome, "reasons": reasons},
            extra_fields={
                "decision_ref": decision_ref,
                "decision_reasons": reasons,
                "conditions": [str(c) for c in conditions],
            },
        )
        _notify(app, OUTCOME_MESSAGE[outcome], f"application_{outcome}")
        return app
