"""Demo data for the underwriting workbench and contracts: a few referred applications waiting
in the queue, and approved applications with issued and signed contracts (one ready for
funding) for the disbursement demo. Everything goes through the real services.

Called by ``origination.seed.seed()`` after the applications.
"""

from __future__ import annotations

import datetime as dt
from decimal import ROUND_HALF_UP, Decimal

from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.business_date import business_date_current
from autofin.models import OutboundMessage
from autofin.roles import Role
from autofin.seed.users import demo_user
from origination.models import ProductVersion
from origination.models.contracts import Contract
from origination.models.underwriting import UnderwritingCase
from origination.seed.applications import DEMO_PNG, id_number_make, intake_products_ensure
from origination.seed.payees import payees_register
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.consents import application_consents_give
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start
from origination.services.applications.submission import application_submit
from origination.services.checklist import checklist_item_record
from origination.services.contracts.signing import contract_sign, contract_sign_code_send
from origination.services.documents import application_document_add, documents_required
from origination.services.signup import sms_code_in
from origination.services.state import application_transition
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim

# name, birth, region, mobile, car (brand, model, trim, price), down payment, term, target
CASES = [
    ("郑浩", dt.date(1986, 4, 9), "310101", "13700000101",
     ("特斯拉", "Model 3", "后轮驱动版", Decimal("231900.00")), Decimal("50000.00"), 36, "referred"),
    ("冯雪", dt.date(1992, 9, 14), "330102", "13700000102",
     ("小鹏", "G6", "580 长续航 Pro", Decimal("209900.00")), Decimal("42000.00"), 48, "referred"),
    ("何军", dt.date(1980, 1, 22), "440103", "13700000103",
     ("奔驰", "E 级", "E 300 L 豪华型", Decimal("459800.00")), Decimal("120000.00"), 60, "referred"),
    ("韩梅", dt.date(1989, 6, 30), "320105", "13700000104",
     ("大众", "ID.4 CROZZ", "Pro 长续航", Decimal("189900.00")), Decimal("40000.00"), 36, "signed"),
    ("曹宇", dt.date(1984, 11, 5), "110108", "13700000105",
     ("丰田", "汉兰达", "2.5L 双擎四驱", Decimal("289800.00")), Decimal("90000.00"), 36, "signed_ready"),
    ("马晓明", dt.date(1989, 3, 3), "310115", "13800138000",
     ("理想", "L6", "Pro", Decimal("249800.00")), Decimal("75000.00"), 36, "issued"),
    # on the OEM's 0 % product (when the demo products are published): servicing's seed funds it
    ("周婷", dt.date(1991, 8, 21), "310104", "13700000106",
     ("星辰", "S7", "长续航版", Decimal("189900.00")), Decimal("60000.00"), 24, "signed_ready_subsidised"),
]  # fmt: skip
SUBSIDISED_PRODUCT = "oem-zero"


def _code_from_outbox(phone: str) -> str:
    msg = OutboundMessage.objects.filter(to=phone, channel="sms").order_by("-id").first()
    return sms_code_in(msg.body)


def seed_backoffice(*, stdout, context: dict) -> None:
    """Each of CASES taken as far as its target: referred (waiting in the queue), approved with
    its contract issued, signed, or signed with the pre-funding checklist done."""
    if Contract.objects.exists() or UnderwritingCase.objects.exists():
        stdout.write("workbench/contracts: already seeded\n")
        return
    users = context.get("users") or {}
    if Role.UNDERWRITER not in users:
        # Only the full demo (seed_demo, which makes the back-office users) gets cases and
        # contracts: the product fixtures of other tests call origination.seed without users
        # and need not wait for the contract PDFs.
        stdout.write("workbench/contracts: skipped (no demo back-office users)\n")
        return
    # contracts are signed only with registered payees: the register comes first
    payees_register(stdout=stdout, context=context)
    uw = users[Role.UNDERWRITER]
    senior = users.get(Role.SENIOR_UNDERWRITER) or demo_user(
        "uw_senior", "高级审批员 陈静", Role.SENIOR_UNDERWRITER
    )
    ops = users.get(Role.FINANCE_OPERATOR) or "seed"
    products = intake_products_ensure(actor="seed")
    today = business_date_current()
    made = {"referred": 0, "issued": 0, "signed": 0}
    subsidised = (
        ProductVersion.objects.filter(product__code=SUBSIDISED_PRODUCT, status="published")
        .order_by("-number")
        .first()
    )
    for index, case in enumerate(CASES):
        target = case[-1]
        if target.endswith("_subsidised") and subsidised is None:
            continue
        version = subsidised if target.endswith("_subsidised") else products["new"]
        customer, app = _case_referred(index, case, version=version)
        if target == "referred":
            made["referred"] += 1
            continue
        contract = _case_approved(app, uw=uw, senior=senior, gps_condition=target == "signed")
        made["issued"] += 1
        if target == "issued":
            continue
        _contract_signed(contract, customer=customer)
        made["signed"] += 1
        if target.startswith("signed_ready"):
            _checklist_ready(contract, ops=ops, today=today)
    stdout.write(
        "workbench/contracts: {referred} referred in the queue, {issued} contracts issued, "
        "{signed} signed\n".format(**made)
    )


def _case_referred(index: int, case: tuple, *, version):
    """(customer, application): the case's customer applies online, complete, and the decision
    refers it to an underwriter."""
    name, birth, region, phone, car, down, term, target = case
    customer = demo_user(phone, name, Role.CUSTOMER, phone=phone)
    if customer.phone != phone:
        customer.phone = phone
        customer.save(update_fields=["phone"])
    app = application_start(
        actor=customer,
        channel="direct",
        product_version=version,
        vehicle=_case_vehicle(car, down=down, term=term),
        customer=customer,
    )
    application_applicants_save(
        actor=customer,
        application=app,
        primary={
            "name": name,
            "id_number": id_number_make(region, birth, 500 + index * 11),
            "birth_date": birth,
            "mobile": phone,
            "marital_status": "married",
            "address": "上海市徐汇区漕溪北路 88 号",
            "employment_kind": "employed",
            "employer": "上海某某信息技术有限公司",
            "employment_years": Decimal(4 + index),
            "housing": "mortgage",
            "monthly_income": Decimal(22000 + 3000 * index),
            "bank_account": f"62220202009{index:08d}",
        },
    )
    app.refresh_from_db()
    application_items_save(
        actor=customer,
        application=app,
        # the subsidised product finances the car only
        items={} if target.endswith("_subsidised") else _case_add_ons(price=car[3]),
        # the seller must be a registered dealer (dealers/seed.py) for servicing to pay it
        car_payee_name="上海申浦宝悦汽车销售服务有限公司",
    )
    app.refresh_from_db()
    for group in documents_required(app):
        application_document_add(
            actor=customer,
            application=app,
            doc_kind=group[0],
            file=SimpleUploadedFile(f"{group[0]}.png", DEMO_PNG, content_type="image/png"),
        )
    application_consents_give(
        actor=customer,
        application=app,
        kinds=["credit_bureau", "sensitive_info", "automated_decision"],
    )
    app.refresh_from_db()
    application_submit(
        actor=customer, application=app, key=f"seed-bo-{app.reference}", queue_decision=False
    )
    application_transition(application=app, to_status="under_review", actor="decision-worker")
    application_transition(
        application=app,
        to_status="referred",
        actor="decision-worker",
        reason="S02_SCORE_REVIEW: 综合信用评分需要人工审核",
    )
    return customer, app


def _case_vehicle(car: tuple, *, down: Decimal, term: int) -> dict:
    brand, model, trim, price = car
    return {
        "vehicle_brand": brand,
        "vehicle_model": model,
        "vehicle_trim": trim,
        "vehicle_kind": "new",
        "vehicle_use": "personal",
        "vehicle_price": price,
        "vin": "",
        "mileage_km": None,
        "first_registration_date": None,
        "down_payment": down,
        "term_months": term,
        "method": "equal_instalment",
        "balloon_ratio": None,
    }


def _case_add_ons(*, price: Decimal) -> dict:
    return {
        "insurance": {
            "amount": "7200",
            "payee_type": "insurer",
            "payee_name": "中国人民财产保险股份有限公司",
        },
        "purchase_tax": {
            "amount": str(
                (price / Decimal("11.3")).quantize(Decimal("0.01"), rounding=ROUND_HALF_UP)
            ),
            "payee_type": "tax_authority",
            "payee_name": "国家税务总局上海市税务局",
        },
    }


def _case_approved(app, *, uw, senior, gps_condition: bool) -> Contract:
    """An underwriter within their authority claims and approves the case: the issued contract."""
    app.refresh_from_db()
    decider = senior if app.amount_financed > Decimal("200000") else uw
    case_claim(application_id=app.pk, actor=decider)
    underwriting_approve(
        application_id=app.pk,
        actor=decider,
        note="收入与征信核实无误",
        conditions=[{"condition_kind": "gps", "note": "放款后 30 日内安装"}]
        if gps_condition
        else [],
    )
    return Contract.objects.get(application=app, status="issued")


def _contract_signed(contract: Contract, *, customer) -> None:
    """The customer signs with the SMS code the sandbox outbox holds."""
    contract_sign_code_send(contract_id=contract.pk, actor=customer)
    contract_sign(
        contract_id=contract.pk,
        actor=customer,
        code=_code_from_outbox(customer.phone),
        ip_address="203.0.113.20",
        user_agent="seed",
    )


def _checklist_ready(contract: Contract, *, ops, today: dt.date) -> None:
    """Operations records every pending item: GPS and mortgage after funding, the rest done."""
    for item in contract.checklist.filter(status="pending"):
        if item.item_kind in ("gps_installed", "mortgage_registration"):
            checklist_item_record(
                item_id=item.pk,
                actor=ops,
                status="after_funding",
                evidence="已预约安装 / 车管所抵押登记",
                deadline=today + dt.timedelta(days=30),
            )
        else:
            checklist_item_record(
                item_id=item.pk,
                actor=ops,
                status="done",
                evidence={
                    "insurance": "保单 PDAA2026310000000123，第一受益人 AutoFin",
                    "invoice_matches_price": "发票号 31000123 金额与车价一致",
                }.get(item.item_kind, "已核验"),
            )
