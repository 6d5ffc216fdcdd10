"""Documents that read themselves: a generated ID card photo is read by OCR after upload (the
task runs on commit), prefills the applicant form, and a name that differs from the
application becomes a fact risk refers on; near-duplicate images across applications are
caught by their perceptual hash."""

from __future__ import annotations

import datetime as dt
import io
import random

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from autofin.roles import Role
from origination.models.documents import ApplicationDocument
from origination.ocr import forensics, samples
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.start import application_start
from origination.services.document_ocr import document_check_rows, document_checks, document_read
from origination.services.documents import application_document_add
from origination.services.facts import application_facts
from risk.models import FraudHit
from risk.rules import RuleContext, rules_evaluate
from risk.services import rule_set_default_ensure
from risk.services.fraud import fraud_checks_run
from risk.services.rulesets import rules_of
from tests.factories import UserFactory
from tests.origination.intake_support import new_car, next_phone, primary_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def eager(settings):
    # the OCR task runs inline when the upload commits, as the worker would run it
    settings.CELERY_TASK_ALWAYS_EAGER = True


def _person(**over) -> samples.Person:
    data = primary_data()
    fields = {
        "name": data["name"],
        "sex": "男",
        "birth": data["birth_date"],
        "address": "上海市浦东新区张江路100号",
        "id_number": data["id_number"],
        "id_valid_from": dt.date(2020, 5, 17),
        "id_valid_to": dt.date(2040, 5, 17),
        "authority": "上海市公安局浦东分局",
    }
    fields.update(over)
    return samples.Person(**fields)


def _upload(app, actor, sample: samples.Sample, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        document = application_document_add(
            actor=actor,
            application=app,
            doc_kind=sample.kind,
            file=SimpleUploadedFile(f"{sample.kind}.jpg", sample.jpeg(), "image/jpeg"),
        )
    document.refresh_from_db()
    return document


def test_id_card_photo_fills_the_applicant_form(
    eager, client, customer, draft, django_capture_on_commit_callbacks
):
    client.force_login(customer)
    card = samples.id_front(_person(name="赵志刚"))
    url = f"/apply/{draft.reference}/documents/"
    page = client.get(f"/apply/{draft.reference}/applicant/").content.decode()
    assert 'id="id-card-read"' in page and 'id="id-card-prefill"' not in page
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            url,
            {
                "doc_kind": "id_front",
                "next": "applicant",
                "file": SimpleUploadedFile("id.jpg", card.jpeg(), "image/jpeg"),
            },
        )
    assert r.status_code == 302 and r["Location"].endswith("/applicant/")
    document = ApplicationDocument.objects.get(application=draft, doc_kind="id_front")
    assert document.ocr_engine.startswith("rapidocr-onnxruntime ")
    # stored with the ID number masked; the number itself only encrypted
    assert document.ocr_fields["name"] == "赵志刚"
    assert (
        document.ocr_fields["id_number"]
        == card.fields["id_number"][:4] + "*" * 10 + card.fields["id_number"][-4:]
    )
    assert card.fields["id_number"] not in document.ocr_secret_enc
    page = client.get(f"/apply/{draft.reference}/applicant/").content.decode()
    assert 'id="id-card-prefill"' in page
    assert 'value="赵志刚"' in page
    assert f'value="{card.fields["id_number"]}"' in page
    assert "张江路100号" in page
    assert not draft.applicants.exists()  # nothing saved until the customer confirms


def test_mismatched_name_raises_the_fact_and_the_referral(
    eager, customer, draft, django_capture_on_commit_callbacks
):
    application_applicants_save(
        actor=customer, application=draft, primary=primary_data(address="上海市浦东新区张江路100号")
    )
    _upload(
        draft,
        customer,
        samples.id_front(_person(name="李大伟")),
        django_capture_on_commit_callbacks,
    )
    checks = {c.code: c.status for c in document_checks(draft)}
    assert checks == {
        "id_front.name": "mismatch",
        "id_front.id_number": "match",
        "id_front.birth_date": "match",
        "id_front.address": "match",
    }
    facts = application_facts(draft)
    assert facts["documents_read"]["mismatches"] == ["id_front.name"]
    hits = rules_evaluate(RuleContext(facts, {}), rules_of(rule_set_default_ensure()))
    assert [h["code"] for h in hits if h["rule"].startswith("DOCUMENT")] == [
        "R06_DOCUMENT_MISMATCH"
    ]
    assert hits[[h["code"] for h in hits].index("R06_DOCUMENT_MISMATCH")]["evidence"] == {
        "fields": ["id_front.name"]
    }
    rows = [r for r in document_check_rows(draft) if r["status"] == "mismatch"]
    assert rows == [
        {
            "document": "身份证人像面",
            "field": "姓名",
            "read": "李大伟",
            "expected": "王小明",
            "status": "mismatch",
            "status_label": "不一致",
        }
    ]


def test_matching_card_raises_nothing_and_a_rerun_writes_nothing(
    eager, customer, draft, django_capture_on_commit_callbacks
):
    application_applicants_save(
        actor=customer, application=draft, primary=primary_data(address="上海市浦东新区张江路100号")
    )
    document = _upload(
        draft, customer, samples.id_front(_person()), django_capture_on_commit_callbacks
    )
    assert application_facts(draft)["documents_read"]["mismatches"] == []
    before = (document.ocr_at, document.ocr_fields, document.phash)
    document_read(document_id=document.pk)
    document.refresh_from_db()
    assert (document.ocr_at, document.ocr_fields, document.phash) == before


def test_expired_id_card_and_edited_photo_are_facts(
    eager, customer, draft, django_capture_on_commit_callbacks
):
    application_applicants_save(actor=customer, application=draft, primary=primary_data())
    back = samples.id_back(
        _person(id_valid_from=dt.date(2005, 5, 17), id_valid_to=dt.date(2025, 5, 17))
    )
    _upload(draft, customer, back, django_capture_on_commit_callbacks)
    exif = back.image.getexif()
    exif[forensics.EXIF_SOFTWARE] = "Adobe Photoshop 25.0"
    out = io.BytesIO()
    samples.id_front(_person()).image.save(out, "JPEG", exif=exif)
    with django_capture_on_commit_callbacks(execute=True):
        application_document_add(
            actor=customer,
            application=draft,
            doc_kind="id_front",
            file=SimpleUploadedFile("front.jpg", out.getvalue(), "image/jpeg"),
        )
    read = application_facts(draft)["documents_read"]
    assert read["expired"] == ["id_back"] and read["edited"] == ["id_front"]
    hits = rules_evaluate(
        RuleContext({"documents_read": read}, {}), rules_of(rule_set_default_ensure())
    )
    assert {h["code"] for h in hits if h["rule"].startswith("DOCUMENT")} == {
        "R07_DOCUMENT_EXPIRED",
        "R08_DOCUMENT_EDITED",
    }


def test_near_duplicate_image_across_two_applications_is_caught(
    eager, products, customer, other_customer, django_capture_on_commit_callbacks
):
    """The same invoice photo, cropped and re-encoded (a new sha256), with two applicants'
    applications: risk's check on the perceptual hash refers the second."""
    rules = rules_of(rule_set_default_ensure())
    photo = samples.photographed(samples.document_set(8)[4], random.Random(8))
    first_bytes = photo.jpeg()
    second_bytes = samples.near_duplicate(first_bytes)
    # a third applicant's own invoice photo: the same form, another picture
    other_bytes = samples.photographed(samples.document_set(108)[4], random.Random(108)).jpeg()
    refs = []
    born = dt.date(1988, 2, 3)
    third = UserFactory(roles=[Role.CUSTOMER], phone=next_phone())
    results = []
    for user, data, person in (
        (customer, first_bytes, primary_data()),
        (
            third,
            other_bytes,
            primary_data(
                id_number=samples.id_number("310115", born, 99),
                birth_date=born,
                mobile=next_phone(),
                bank_account="6222020200112233001",
            ),
        ),
        (
            other_customer,
            second_bytes,
            primary_data(
                id_number=samples.id_number("110105", born, 17),
                birth_date=born,
                mobile=next_phone(),
                bank_account="6222020200112233002",
            ),
        ),
    ):
        app = application_start(
            actor=user,
            channel="direct",
            product_version=products["new"],
            vehicle=new_car(),
            customer=user,
        )
        application_applicants_save(actor=user, application=app, primary=person)
        with django_capture_on_commit_callbacks(execute=True):
            application_document_add(
                actor=user,
                application=app,
                doc_kind="invoice",
                file=SimpleUploadedFile("inv.jpg", data, "image/jpeg"),
            )
        refs.append(app.reference)
        facts = application_facts(app)
        results.append(
            fraud_checks_run(
                application_ref=app.reference, facts=facts, rules=rules, now=dt.datetime.now(dt.UTC)
            )
        )
    first, other, second = (ApplicationDocument.objects.get(application__reference=r) for r in refs)
    assert first.sha256 != second.sha256
    assert 0 < forensics.hamming(first.phash, second.phash) <= 8
    assert forensics.hamming(first.phash, other.phash) > 8
    assert results[0] == {} and results[1] == {}  # the third applicant's own photo is no hit
    assert results[2] == {
        "FRAUD_DOCUMENT_NEAR_DUPLICATE": {
            "applications": [refs[0]],
            "distance": forensics.hamming(first.phash, second.phash),
        }
    }
    assert FraudHit.objects.filter(application_ref=refs[2]).count() == 1
    assert not FraudHit.objects.filter(application_ref__in=refs[:2]).exists()
