"""Helpers for the intake tests: the business date they run on, a tiny PNG, a fresh phone
number, the cars and applicant a draft is filled with, and a draft filled through steps 2-5.
Imported by name; the fixtures built on them live in tests/origination/conftest.py."""

from __future__ import annotations

import datetime as dt
import io
import itertools
from decimal import Decimal

from origination.seed.applications import id_number_make, vin_make

TODAY = dt.date(2026, 3, 15)
_phone = itertools.count(13900000001)

# a 1×1 PNG
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x02\x00\x00\x00"
    b"\x90wS\xde\x00\x00\x00\x0cIDATx\x9cc\xf8\xcf\xc0\x00\x00\x03\x01\x01\x00\xc9\xfe\x92\xef"
    b"\x00\x00\x00\x00IEND\xaeB`\x82"
)


def png_bytes(size: tuple[int, int] = (1600, 1200)) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", size, (200, 30, 40)).save(buf, "PNG")
    return buf.getvalue()


def next_phone() -> str:
    return str(next(_phone))


def consent_texts_ensure() -> None:
    """The v1 consent texts of migration 0004 (flushed by transactional tests)."""
    import importlib

    from django.apps import apps as django_apps

    from origination.models.privacy import ConsentText

    if not ConsentText.objects.exists():
        migration = importlib.import_module("origination.migrations.0004_consent_texts_v1")
        migration.forwards(django_apps, None)


def new_car(**over) -> dict:
    data = {
        "vehicle_brand": "比亚迪",
        "vehicle_model": "汉 EV",
        "vehicle_trim": "610KM 旗舰型",
        "vehicle_kind": "new",
        "vehicle_use": "personal",
        "vehicle_price": Decimal("200000.00"),
        "vin": "",
        "mileage_km": None,
        "first_registration_date": None,
        "down_payment": Decimal("60000.00"),
        "term_months": 36,
        "method": "equal_instalment",
        "balloon_ratio": None,
    }
    data.update(over)
    return data


def used_car(**over) -> dict:
    data = new_car(
        vehicle_brand="丰田",
        vehicle_model="凯美瑞",
        vehicle_trim="2.0G",
        vehicle_kind="used",
        vehicle_price=Decimal("120000.00"),
        vin=vin_make("LVGBE40K", "MA", "123456"),
        mileage_km=45000,
        first_registration_date=dt.date(2021, 6, 1),
        down_payment=Decimal("40000.00"),
        term_months=24,
    )
    data.update(over)
    return data


def primary_data(**over) -> dict:
    data = {
        "name": "王小明",
        "id_number": id_number_make("310115", dt.date(1990, 5, 17), 123),
        "birth_date": dt.date(1990, 5, 17),
        "mobile": "13812345678",
        "marital_status": "married",
        "address": "上海市浦东新区张江路 100 号",
        "employment_kind": "employed",
        "employer": "上海某科技有限公司",
        "employment_years": Decimal("6"),
        "housing": "mortgage",
        "monthly_income": Decimal("25000.00"),
        "bank_account": "6222020200112233445",
    }
    data.update(over)
    return data


SELLER = "上海某汽车销售有限公司"  # the direct channel's car seller (its car payee)


def payee_registered(payee_type: str, name: str, number: str = "6222020200998877"):
    """A verified payee of the register (a contract is signed only with registered payees)."""
    from autofin.crypto import encrypt, keyed_hash
    from origination.models.payees import Payee

    payee, _created = Payee.objects.get_or_create(
        payee_type=payee_type,
        name=name,
        active=True,
        defaults={
            "account_name": name,
            "bank_name": "中国工商银行上海分行",
            "account_number_enc": encrypt(number),
            "account_number_hash": keyed_hash(number),
            "account_number_masked": f"{number[:4]}********{number[-4:]}",
            "verified": True,
        },
    )
    return payee


def complete_draft(app, *, actor, upload=True, consents=True):
    """Fill steps 2-5 of a draft (documents as tiny PNGs, consents as the customer)."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from origination.services.applications.applicants import application_applicants_save
    from origination.services.applications.consents import application_consents_give
    from origination.services.applications.items import application_items_save
    from origination.services.documents import application_document_add, documents_required

    application_applicants_save(actor=actor, application=app, primary=primary_data())
    app.refresh_from_db()
    payee_registered("insurer", "平安财险")
    application_items_save(
        actor=actor,
        application=app,
        items={"insurance": {"amount": "6000", "payee_type": "insurer", "payee_name": "平安财险"}},
        car_payee_name=SELLER,
    )
    app.refresh_from_db()
    if upload:
        for group in documents_required(app):
            application_document_add(
                actor=actor,
                application=app,
                doc_kind=group[0],
                file=SimpleUploadedFile(f"{group[0]}.png", PNG, content_type="image/png"),
            )
    if consents:
        application_consents_give(
            actor=actor,
            application=app,
            kinds=["credit_bureau", "sensitive_info", "automated_decision"],
        )
    app.refresh_from_db()
    return app
