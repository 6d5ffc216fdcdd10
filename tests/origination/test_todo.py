"""The customer's 待办 panel: on the application page, the home page and 我的申请 it always says
what to do next, with the link that does it (issue #16, item 1)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from origination.models.contracts import Contract
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.claims import case_claim
from origination.services.underwriting.counter_offers import underwriting_counter_offer
from origination.services.underwriting.documents import underwriting_request_documents

pytestmark = pytest.mark.django_db


def _page(client, app, url=None) -> str:
    client.force_login(app.customer)
    url = url or reverse("origination:application_detail", args=[app.reference])
    return client.get(url).content.decode()


def test_approved_application_links_to_its_contract_everywhere(client, referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_approve(application_id=referred.pk, actor=underwriter)
    contract = Contract.objects.get(application=referred)
    sign = reverse("origination:contract_sign", args=[contract.contract_ref])
    for url in (None, reverse("home"), reverse("origination:my_applications")):
        html = _page(client, referred, url)
        assert 'data-testid="todo"' in html and f'href="{sign}"' in html and "签署合同" in html
    detail = _page(client, referred)
    assert "请等待签约通知" not in detail
    assert 'data-testid="approved-terms"' in detail and f"{contract.monthly_payment:,.2f}" in detail
    assert 'data-testid="polling"' not in detail  # decided, contract issued: nothing to wait for


def test_requested_documents_link_to_the_upload_step(client, referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_request_documents(
        application_id=referred.pk, actor=underwriter, doc_kinds=["income_proof"], note="流水"
    )
    html = _page(client, referred)
    upload = reverse("origination:apply_step", args=[referred.reference, "documents"])
    assert "上传资料" in html and f'href="{upload}"' in html and "收入证明" in html


def test_counter_offer_links_to_the_answer(client, referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    offer = underwriting_counter_offer(
        application_id=referred.pk,
        actor=underwriter,
        down_payment=Decimal("80000.00"),
        term_months=48,
        note="建议提高首付",
    )
    html = _page(client, referred, reverse("home"))
    assert "答复调整方案" in html
    assert f'href="{reverse("origination:counter_offer", args=[offer.pk])}"' in html


def test_waiting_says_what_for_and_the_page_polls_until_decided(client, referred):
    html = _page(client, referred)
    assert "审批员正在人工审核" in html and 'data-testid="polling"' not in html
    referred.status = "under_review"
    referred.save(update_fields=["status"])
    html = _page(client, referred)
    assert 'data-testid="polling"' in html
    poll = reverse("origination:application_status_poll", args=[referred.reference])
    assert client.get(poll, {"state": "under_review:"}).status_code == 204
    moved = client.get(poll, {"state": "submitted:"})
    assert moved.status_code == 200 and moved["HX-Refresh"] == "true"


def test_another_customers_status_is_a_404(client, referred, customer):
    client.force_login(customer)
    poll = reverse("origination:application_status_poll", args=[referred.reference])
    assert client.get(poll, {"state": "referred:"}).status_code == 404
