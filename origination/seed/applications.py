"""Demo applications in every status, for both channels: believable names, valid resident ID
numbers (GB 11643 check character) and VINs (ISO 3779 check digit).

Called by ``origination.seed.seed()`` after the products; also provides the small helpers tests and
the intake benchmark use (``id_number_make``, ``vin_make``, ``intake_products_ensure``).
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction

from autofin.approvals import four_eyes_waived
from autofin.roles import Role
from autofin.seed.users import demo_user
from dealers.models.dealers import DealerStatus
from dealers.models.staff import DealerStaff
from origination.models import Product, ProductVersion
from origination.models.applications import Application, ApplicationStatus
from origination.models.underwriting import CounterOffer
from origination.seed.payees import payees_register
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.confirmation import (
    application_confirmation_record,
)
from origination.services.applications.consents import application_consents_give
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.documents import application_document_add, documents_required
from origination.services.products import product_create, product_version_publish
from origination.services.state import application_transition
from origination.services.underwriting.counter_offers import automated_counter_offer_record
from origination.validators import id_number_check_char, vin_check_digit

S = ApplicationStatus

# a 1×1 PNG used as the demo documents' content
DEMO_PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def id_number_make(region: str, birth: dt.date, sequence: int) -> str:
    """A valid 18-character resident ID number: region, birth date, sequence, check char."""
    first17 = f"{region}{birth:%Y%m%d}{sequence % 1000:03d}"
    return first17 + id_number_check_char(first17)


def vin_make(prefix8: str, year_plant: str, serial: str) -> str:
    """A valid VIN: 8 characters (WMI + VDS), the check digit, model year + plant, serial."""
    body = f"{prefix8}0{year_plant}{serial}"
    if len(body) != 17:
        raise ValueError("a VIN has 17 characters")
    return body[:8] + vin_check_digit(body) + body[9:]


def _rates(terms, base: str, step: str = "0.0100"):
    return [
        (term, tier, Decimal(base) + Decimal(step) * i, None)
        for term in terms
        for i, tier in enumerate("ABCD")
    ]


INTAKE_PRODUCTS = {
    "new": {
        "code": "intake-new-std",
        "name": "新车标准贷",
        "vehicle_kind": "new",
        "rules": {
            "terms": [12, 24, 36, 48, 60],
            "max_term_months": 60,
            "methods": ["equal_instalment", "equal_principal"],
            "ltv_rules": [
                {"vehicle_kind": "new", "vehicle_use": "personal",
                 "min_down_payment_ratio": "0.15", "max_ltv": "0.80"},
                {"vehicle_kind": "nev", "vehicle_use": "personal",
                 "min_down_payment_ratio": "0.15", "max_ltv": "0.85"},
                {"vehicle_kind": "new", "vehicle_use": "commercial",
                 "min_down_payment_ratio": "0.30", "max_ltv": "0.70"},
            ],
            "amount_min": Decimal("20000.00"),
            "amount_max": Decimal("1500000.00"),
            "fees": [{"fee_kind": "gps", "basis": "fixed", "value": "1200.00", "financed": False}],
            "financed_items": [
                {"item_kind": "purchase_tax", "payee_type": "tax_authority",
                 "cap_amount": None, "cap_ratio": "0.10"},
                {"item_kind": "insurance", "payee_type": "insurer",
                 "cap_amount": "15000.00", "cap_ratio": None},
                {"item_kind": "warranty", "payee_type": "warranty_provider",
                 "cap_amount": "8000.00", "cap_ratio": None},
                {"item_kind": "accessories", "payee_type": "dealer",
                 "cap_amount": "20000.00", "cap_ratio": None},
            ],
        },
        "rates": _rates([12, 24, 36, 48, 60], "0.0399"),
    },
    "used": {
        "code": "intake-used-std",
        "name": "二手车标准贷",
        "vehicle_kind": "used",
        "rules": {
            "terms": [12, 24, 36],
            "max_term_months": 36,
            "methods": ["equal_instalment"],
            "ltv_rules": [
                {"vehicle_kind": "used", "vehicle_use": "personal",
                 "min_down_payment_ratio": "0.30", "max_ltv": "0.70"},
            ],
            "amount_min": Decimal("20000.00"),
            "amount_max": Decimal("500000.00"),
            "fees": [],
            "financed_items": [
                {"item_kind": "insurance", "payee_type": "insurer",
                 "cap_amount": "10000.00", "cap_ratio": None},
            ],
        },
        "rates": _rates([12, 24, 36], "0.0699"),
    },
}  # fmt: skip


def intake_products_ensure(*, actor) -> dict[str, ProductVersion]:
    """Published intake products (created once): {"new": version, "used": version}."""
    result = {}
    for key, spec in INTAKE_PRODUCTS.items():
        product = Product.objects.filter(code=spec["code"]).first()
        if product is None:
            product = product_create(
                actor=actor,
                code=spec["code"],
                name=spec["name"],
                vehicle_kind=spec["vehicle_kind"],
                contract_type="loan",
                rules=spec["rules"],
                rates=spec["rates"],
            )
        version = product.versions.filter(status="published").order_by("-number").first()
        if version is None:
            # Installation data: nobody exists yet to check it (autofin.approvals).
            with four_eyes_waived("intake products seed"):
                version = product_version_publish(actor=actor, version=product.versions.get())
        result[key] = ProductVersion.objects.select_related("product").get(pk=version.pk)
    return result


# name, gender digit parity via sequence, birth date, region, mobile
PEOPLE = [
    ("张伟", dt.date(1985, 3, 12), "110105", "13911110001"),
    ("王芳", dt.date(1990, 7, 24), "310104", "13911110002"),
    ("李娜", dt.date(1988, 11, 2), "440106", "13911110003"),
    ("刘洋", dt.date(1993, 1, 30), "510107", "13911110004"),
    ("陈静", dt.date(1979, 9, 8), "330106", "13911110005"),
    ("杨磊", dt.date(1995, 5, 19), "320102", "13911110006"),
    ("赵敏", dt.date(1987, 12, 1), "120101", "13911110007"),
    ("黄海涛", dt.date(1982, 4, 16), "420102", "13911110008"),
    ("周婷婷", dt.date(1996, 8, 27), "370102", "13911110009"),
    ("吴建国", dt.date(1975, 2, 5), "610102", "13911110010"),
    ("徐丽", dt.date(1991, 10, 13), "350102", "13911110011"),
    ("孙志强", dt.date(1984, 6, 21), "210102", "13911110012"),
    ("马晓明", dt.date(1989, 3, 3), "310115", "13800138000"),
]
# the city of each region code's province above (the address read "31市中山路": the code's digits)
CITIES = {"11": "北京", "12": "天津", "21": "沈阳", "31": "上海", "32": "南京", "33": "杭州",
          "35": "福州", "37": "济南", "42": "武汉", "44": "广州", "51": "成都", "61": "西安"}  # fmt: skip
CARS = [
    ("比亚迪", "汉 EV", "610KM 旗舰型", Decimal("219800.00"), "LGXCE4CB", "PA"),
    ("丰田", "凯美瑞", "2.0E 精英版", Decimal("179800.00"), "LVGBE40K", "RA"),
    ("大众", "帕萨特", "330TSI 豪华版", Decimal("209900.00"), "LSVNV433", "PB"),
    ("宝马", "3 系", "325Li M 运动套装", Decimal("349900.00"), "LBV5S310", "RC"),
    ("吉利", "星越 L", "2.0TD 旗舰型", Decimal("169700.00"), "L6T79Y4E", "PD"),
    ("本田", "雅阁", "260TURBO 豪华版", Decimal("189800.00"), "LHGCV165", "NE"),
]
# status -> how far the demo application gets
TARGETS = [
    S.DRAFT,
    S.SUBMITTED,
    S.UNDER_REVIEW,
    S.REFERRED,
    S.DOCUMENTS_REQUESTED,
    S.APPROVED,
    S.COUNTER_OFFERED,
    S.DECLINED,
    S.WITHDRAWN,
    S.CANCELLED,
    S.CONTRACT_SIGNED,
    S.FUNDED,
    S.DRAFT,
]
PATH = {
    S.SUBMITTED: [],
    S.UNDER_REVIEW: [S.UNDER_REVIEW],
    S.REFERRED: [S.UNDER_REVIEW, S.REFERRED],
    S.DOCUMENTS_REQUESTED: [S.UNDER_REVIEW, S.REFERRED, S.DOCUMENTS_REQUESTED],
    S.APPROVED: [S.UNDER_REVIEW, S.APPROVED],
    S.COUNTER_OFFERED: [S.UNDER_REVIEW, S.COUNTER_OFFERED],
    S.DECLINED: [S.UNDER_REVIEW, S.DECLINED],
    S.WITHDRAWN: [S.UNDER_REVIEW, S.REFERRED, S.WITHDRAWN],
    S.CANCELLED: [S.UNDER_REVIEW, S.APPROVED, S.CANCELLED],
    S.CONTRACT_SIGNED: [S.UNDER_REVIEW, S.APPROVED, S.CONTRACT_SIGNED],
    S.FUNDED: [S.UNDER_REVIEW, S.APPROVED, S.CONTRACT_SIGNED, S.FUNDED],
}
REASONS = {
    S.REFERRED: "收入负债比接近上限，转人工审核",
    S.DOCUMENTS_REQUESTED: "收入证明不清晰，请补充近 6 个月银行流水",
    S.APPROVED: "评分 586，A 类客户，自动通过",
    S.COUNTER_OFFERED: "建议首付提高至 40%",
    S.DECLINED: "征信近 24 个月有 90 天以上逾期",
    S.WITHDRAWN: "客户改为全款购车",
    S.CANCELLED: "车辆缺货，经销商取消订单",
    S.CONTRACT_SIGNED: "电子签完成",
    S.FUNDED: "多方放款完成",
}


def _user_for(phone: str, name: str):
    user = demo_user(phone, name, Role.CUSTOMER, phone=phone)
    if user.phone != phone:
        user.phone = phone
        user.save(update_fields=["phone"])
    return user


def seed_applications(*, stdout, context: dict) -> None:
    """One demo application per TARGETS status; every other one through a dealer (if any)."""
    if (
        Application.objects.filter(reference__startswith="AP").exists()
        and context.get("skip_existing", True)
        and Application.objects.count() >= len(TARGETS)
    ):
        stdout.write("applications: already seeded\n")
        return
    products = intake_products_ensure(actor="seed")
    # intake names only registered payees (the demo insurer): the register comes first
    payees_register(stdout=stdout, context=context)
    staff = list(
        DealerStaff.objects.filter(active=True, dealer__status=DealerStatus.ACTIVE)
        .select_related("dealer", "user")
        .order_by("dealer_id", "id")
    )
    for index, target in enumerate(TARGETS):
        member = staff[index % len(staff)] if staff and index % 2 == 1 else None
        with transaction.atomic():
            _demo_application(
                index, target, version=products["new"], member=member, context=context
            )
    stdout.write(f"applications: {len(TARGETS)} demo applications in every status\n")


def _demo_application(index: int, target: str, *, version, member, context: dict) -> None:
    """The ``index``-th demo application, taken as far as ``target``: started by the customer
    (or by dealer staff ``member``), filled in step by step, submitted, then moved along its
    PATH by the state machine."""
    actor, app = _demo_start(index, version=version, member=member)
    application_applicants_save(actor=actor, application=app, primary=_demo_primary(index))
    if target == S.DRAFT and index == 0:
        return  # a half-filled draft
    app.refresh_from_db()
    _demo_complete(app, actor=actor, dealer_channel=member is not None)
    if target == S.DRAFT:
        return
    application_submit(
        actor=actor, application=app, key=f"seed-{app.reference}", queue_decision=False
    )
    for step in PATH[target]:
        application_transition(
            application=app,
            to_status=step,
            actor=context.get("users", {}).get(Role.UNDERWRITER) or "seed",
            reason=REASONS.get(step, ""),
        )
    if target == S.COUNTER_OFFERED:
        # the offer the customer answers (without it the page asked for an answer and offered
        # nothing to answer): priced as the services price one, made by the underwriter who
        # moved the application
        price = app.vehicle_price
        offer = automated_counter_offer_record(
            application_id=app.pk,
            offer={
                "down_payment": (price * Decimal("0.40")).quantize(
                    Decimal("1"), rounding=ROUND_HALF_UP
                ),
                "term_months": app.term_months,
            },
            note=REASONS[S.COUNTER_OFFERED],
        )
        underwriter = context.get("users", {}).get(Role.UNDERWRITER)
        if offer is not None and underwriter is not None:
            CounterOffer.objects.filter(pk=offer.pk).update(created_by=underwriter)


def _demo_vehicle(index: int) -> dict:
    brand, model, trim, price, vin8, year_plant = CARS[index % len(CARS)]
    return {
        "vehicle_brand": brand,
        "vehicle_model": model,
        "vehicle_trim": trim,
        "vehicle_kind": "nev" if brand == "比亚迪" else "new",
        "vehicle_use": "personal",
        "vehicle_price": price,
        "vin": vin_make(vin8, year_plant, f"{300100 + index:06d}") if index % 3 else "",
        "mileage_km": None,
        "first_registration_date": None,
        "down_payment": (price * Decimal("0.30")).quantize(Decimal("1"), rounding=ROUND_HALF_UP),
        "term_months": (24, 36, 48)[index % 3],
        "method": "equal_instalment",
        "balloon_ratio": None,
    }


def _demo_start(index: int, *, version, member):
    """(actor, application): step 1 by dealer staff ``member`` or, without one, the customer."""
    name, _birth, _region, phone = PEOPLE[index % len(PEOPLE)]
    if member is not None:
        app = application_start(
            actor=member.user,
            channel="dealer",
            product_version=version,
            vehicle=_demo_vehicle(index),
            customer_name=name,
            customer_mobile=phone,
            dealer=member.dealer,
            salesperson=member.user,
        )
        return member.user, app
    actor = _user_for(phone, name)
    app = application_start(
        actor=actor,
        channel="direct",
        product_version=version,
        vehicle=_demo_vehicle(index),
        customer=actor,
    )
    return actor, app


def _demo_primary(index: int) -> dict:
    name, birth, region, phone = PEOPLE[index % len(PEOPLE)]
    return {
        "name": name,
        "id_number": id_number_make(region, birth, 100 + index * 7),
        "birth_date": birth,
        "mobile": phone,
        "marital_status": "married" if index % 2 else "single",
        "address": f"{CITIES[region[:2]]}市中山路 {100 + index} 号",
        "employment_kind": "employed",
        "employer": "某某科技有限公司",
        "employment_years": Decimal(3 + index % 8),
        "housing": ("own", "mortgage", "rent", "family")[index % 4],
        "monthly_income": Decimal(12000 + 1500 * index),
        "bank_account": f"62220202001{index:08d}",
    }


def _demo_complete(app, *, actor, dealer_channel: bool) -> None:
    """Steps 3-5: the financed items, every required document, the consents (a dealer-channel
    customer gives them through the SMS link)."""
    application_items_save(
        actor=actor,
        application=app,
        items={
            "insurance": {
                "amount": "6800",
                "payee_type": "insurer",
                "payee_name": "中国平安财产保险股份有限公司",
            }
        },
        car_payee_name="AutoFin 直销合作车商",
    )
    app.refresh_from_db()
    for group in documents_required(app):
        application_document_add(
            actor=actor,
            application=app,
            doc_kind=group[0],
            file=SimpleUploadedFile(f"{group[0]}.png", DEMO_PNG, content_type="image/png"),
        )
    kinds = ["credit_bureau", "sensitive_info", "automated_decision"]
    if dealer_channel:
        # the seed stands in for the customer, whose phone it does not hold
        application_confirmation_record(application=app, kinds=kinds)
    else:
        application_consents_give(actor=actor, application=app, kinds=kinds)
    app.refresh_from_db()
