"""The underwriting workbench's services: claim/release (with a real race), authority limits
and conflicts of interest, and each action's state change, audit rows and notifications."""

from __future__ import annotations

import threading
from decimal import Decimal

import pytest
from django.conf import settings
from django.db import connection

from autofin.models import AuditEntry, OutboundMessage
from origination.models.applications import Application
from origination.models.contracts import Contract
from origination.models.underwriting import (
    AuthorityLimit,
    Condition,
    CounterOffer,
    UnderwritingCase,
)
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.authority import (
    AuthorityError,
    ClaimConflictError,
    UnderwritingError,
)
from origination.services.underwriting.claims import case_claim, case_release
from origination.services.underwriting.counter_offers import (
    counter_offer_respond,
    underwriting_counter_offer,
)
from origination.services.underwriting.decline import underwriting_decline
from origination.services.underwriting.documents import (
    underwriting_documents_received,
    underwriting_request_documents,
)
from tests.origination.workbench_support import make_referred

pytestmark = pytest.mark.django_db


def _snapshot(app):
    app.refresh_from_db()
    return (
        app.status,
        AuditEntry.objects.count(),
        Condition.objects.count(),
        Contract.objects.count(),
        OutboundMessage.objects.count(),
    )


def test_approve_with_condition_moves_audits_notifies_and_issues_contract(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    sms_before = OutboundMessage.objects.filter(channel="sms").count()

    app = underwriting_approve(
        application_id=referred.pk,
        actor=underwriter,
        conditions=[{"condition_kind": "down_payment", "amount": "70000.00", "note": "首付提高"}],
        note="收入核实无误",
    )

    assert app.status == "approved"
    cond = Condition.objects.get(application=app)
    assert (cond.condition_kind, cond.amount, cond.status) == (
        "down_payment",
        Decimal("70000.00"),
        "open",
    )
    audit = AuditEntry.objects.filter(action="application_transition").order_by("-id").first()
    assert (audit.from_state, audit.to_state, audit.actor, audit.reason) == (
        "referred",
        "approved",
        underwriter,
        "收入核实无误",
    )
    contract = Contract.objects.get(application=app)
    assert contract.status == "issued"
    assert contract.amount_financed == Decimal("146000.00")
    # the approval SMS and the contract-issued SMS
    assert OutboundMessage.objects.filter(channel="sms").count() == sms_before + 2


def _force_claim_free(app):
    UnderwritingCase.objects.filter(application=app).update(assigned_to=None, claimed_at=None)


def test_claim_and_release_are_audited(referred, underwriter, underwriter2):
    case = case_claim(application_id=referred.pk, actor=underwriter)
    assert case.assigned_to == underwriter
    audit = AuditEntry.objects.filter(action="underwriting_claim").get()
    assert (audit.actor, audit.from_state, audit.to_state) == (
        underwriter,
        "unassigned",
        underwriter.username,
    )
    with pytest.raises(ClaimConflictError):
        case_claim(application_id=referred.pk, actor=underwriter2)
    with pytest.raises(UnderwritingError):
        case_release(application_id=referred.pk, actor=underwriter2)
    assert UnderwritingCase.objects.get(application=referred).assigned_to == underwriter

    case_release(application_id=referred.pk, actor=underwriter, reason="换人")

    case = UnderwritingCase.objects.get(application=referred)
    assert (case.assigned_to, case.claimed_at) == (None, None)
    audit = AuditEntry.objects.filter(action="underwriting_release").get()
    assert (audit.from_state, audit.to_state, audit.reason) == (
        underwriter.username,
        "unassigned",
        "换人",
    )


@pytest.mark.django_db(transaction=True)
def test_two_underwriters_claiming_at_once_one_wins(products, underwriter, underwriter2):
    app = make_referred(products=products)
    barrier = threading.Barrier(2)
    results = {}

    def claim(user):
        try:
            barrier.wait(timeout=10)
            case_claim(application_id=app.pk, actor=user)
            results[user.pk] = "won"
        except ClaimConflictError:
            results[user.pk] = "lost"
        finally:
            connection.close()

    threads = [threading.Thread(target=claim, args=(u,)) for u in (underwriter, underwriter2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert sorted(results.values()) == ["lost", "won"]
    winner = next(pk for pk, r in results.items() if r == "won")
    assert UnderwritingCase.objects.get(application=app).assigned_to_id == winner
    assert AuditEntry.objects.filter(action="underwriting_claim").count() == 1


def test_acting_without_claim_is_refused_and_changes_nothing(referred, underwriter):
    before = _snapshot(referred)
    with pytest.raises(UnderwritingError, match="请先领取"):
        underwriting_approve(application_id=referred.pk, actor=underwriter)
    assert _snapshot(referred) == before


def test_non_underwriter_is_refused(referred, customer):
    with pytest.raises(AuthorityError):
        case_claim(application_id=referred.pk, actor=customer)


def test_amount_above_underwriter_limit_is_refused_senior_approves(
    big_referred, underwriter, senior
):
    assert big_referred.amount_financed == Decimal("306000.00")
    case_claim(application_id=big_referred.pk, actor=underwriter)
    before = _snapshot(big_referred)

    with pytest.raises(AuthorityError, match="超出您的审批权限"):
        underwriting_approve(application_id=big_referred.pk, actor=underwriter)
    assert _snapshot(big_referred) == before

    case_release(application_id=big_referred.pk, actor=underwriter)
    case_claim(application_id=big_referred.pk, actor=senior)
    app = underwriting_approve(application_id=big_referred.pk, actor=senior)
    assert app.status == "approved"


def test_authority_limit_is_configurable(big_referred, underwriter):
    AuthorityLimit.objects.create(role="underwriter", max_amount=Decimal("400000.00"))
    case_claim(application_id=big_referred.pk, actor=underwriter)
    app = underwriting_approve(application_id=big_referred.pk, actor=underwriter)
    assert app.status == "approved"


def test_account_manager_of_the_dealer_may_not_claim_or_decide(
    products, underwriter, underwriter2, dealer, salesperson
):
    dealer.account_manager = underwriter
    dealer.save(update_fields=["account_manager"])
    app = make_referred(products=products, dealer=dealer, salesperson=salesperson)
    before = _snapshot(app)
    with pytest.raises(AuthorityError, match="渠道客户经理"):
        case_claim(application_id=app.pk, actor=underwriter)
    # even holding the case (claimed by a colleague, then handed over in the database), the
    # service refuses the decision itself
    UnderwritingCase.objects.filter(application=app).update(
        assigned_to=underwriter, claimed_at=app.submitted_at
    )
    with pytest.raises(AuthorityError, match="渠道客户经理"):
        underwriting_approve(application_id=app.pk, actor=underwriter)
    with pytest.raises(AuthorityError):
        underwriting_decline(application_id=app.pk, actor=underwriter, reason_codes=["M99_OTHER"])
    app.refresh_from_db()
    assert app.status == "referred"
    assert _snapshot(app)[1:] == before[1:]
    # a colleague without the relation may
    _force_claim_free(app)
    case_claim(application_id=app.pk, actor=underwriter2)


def test_creator_may_not_decide(products, underwriter):
    app = make_referred(products=products)
    Application.objects.filter(pk=app.pk).update(created_by=underwriter)
    with pytest.raises(AuthorityError, match="创建人"):
        case_claim(application_id=app.pk, actor=underwriter)


def test_counter_offer_priced_then_accepted_issues_contract_on_new_terms(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    offer = underwriting_counter_offer(
        application_id=referred.pk,
        actor=underwriter,
        down_payment=Decimal("80000.00"),
        term_months=48,
        note="建议提高首付",
    )
    referred.refresh_from_db()
    assert referred.status == "counter_offered"
    # 200,000 − 80,000 + 6,000 insurance
    assert offer.amount_financed == Decimal("126000.00")
    assert offer.quote.term_months == 48
    audit = AuditEntry.objects.filter(to_state="counter_offered").get()
    assert audit.data["amount_financed"] == "126000.00"
    sms = OutboundMessage.objects.filter(purpose="underwriting_counter_offer").get()
    assert "¥80,000.00" in sms.body

    app = counter_offer_respond(
        counter_offer_id=offer.pk, actor=referred.customer_user, accept=True
    )

    assert app.status == "approved"
    assert (app.down_payment, app.term_months, app.amount_financed) == (
        Decimal("80000.00"),
        48,
        Decimal("126000.00"),
    )
    assert app.items.get(item_kind="car").amount == Decimal("120000.00")
    contract = Contract.objects.get(application=app)
    assert (contract.amount_financed, contract.term_months, contract.status) == (
        Decimal("126000.00"),
        48,
        "issued",
    )
    offer.refresh_from_db()
    assert offer.status == "accepted"


def test_counter_offer_rejected_withdraws(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    offer = underwriting_counter_offer(
        application_id=referred.pk, actor=underwriter, down_payment=Decimal("80000"), term_months=36
    )
    app = counter_offer_respond(
        counter_offer_id=offer.pk, actor=referred.customer_user, accept=False
    )
    assert app.status == "withdrawn"
    assert not Contract.objects.filter(application=app).exists()


def test_counter_offer_breaking_product_rules_is_refused(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    before = _snapshot(referred)
    with pytest.raises(UnderwritingError):
        underwriting_counter_offer(
            application_id=referred.pk,
            actor=underwriter,
            down_payment=Decimal("10000.00"),  # 5 %: below the product's minimum
            term_months=36,
        )
    assert _snapshot(referred) == before
    assert CounterOffer.objects.count() == 0


def test_request_documents_then_upload_returns_case_to_queue(referred, underwriter):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from origination.selectors.workbench import workbench_queue
    from origination.services.documents import application_document_add
    from tests.origination.intake_support import PNG

    case_claim(application_id=referred.pk, actor=underwriter)
    underwriting_request_documents(
        application_id=referred.pk,
        actor=underwriter,
        doc_kinds=["income_proof"],
        note="请补充近 6 个月银行流水",
    )
    referred.refresh_from_db()
    assert referred.status == "documents_requested"
    sms = OutboundMessage.objects.filter(purpose="underwriting_documents_requested").get()
    assert "收入证明" in sms.body and "银行流水" in sms.body
    assert workbench_queue(user=underwriter) == []
    assert underwriting_documents_received(application_id=referred.pk) is False

    application_document_add(
        actor=referred.customer_user,
        application=referred,
        doc_kind="income_proof",
        file=SimpleUploadedFile("flow.png", PNG, content_type="image/png"),
    )
    assert underwriting_documents_received(application_id=referred.pk) is True

    referred.refresh_from_db()
    assert referred.status == "referred"
    audit = AuditEntry.objects.filter(action="application_transition").order_by("-id").first()
    assert (audit.from_state, audit.to_state) == ("documents_requested", "referred")
    rows = workbench_queue(user=underwriter)
    assert [r.application.pk for r in rows] == [referred.pk]
    assert rows[0].returned is True
    assert underwriting_documents_received(application_id=referred.pk) is False


def test_decline_with_reason_codes(referred, underwriter):
    case_claim(application_id=referred.pk, actor=underwriter)
    before = _snapshot(referred)
    with pytest.raises(UnderwritingError):
        underwriting_decline(application_id=referred.pk, actor=underwriter, reason_codes=["NOPE"])
    assert _snapshot(referred) == before

    app = underwriting_decline(
        application_id=referred.pk,
        actor=underwriter,
        reason_codes=["M02_DEBT_BURDEN", "M03_CREDIT_HISTORY"],
    )
    assert app.status == "declined"
    audit = AuditEntry.objects.filter(to_state="declined").get()
    assert audit.data["reason_codes"] == ["M02_DEBT_BURDEN", "M03_CREDIT_HISTORY"]
    assert app.decision_reasons[-2:] == [
        "M02_DEBT_BURDEN: 负债过高，还款能力不足",
        "M03_CREDIT_HISTORY: 征信记录不符合要求",
    ]
    assert OutboundMessage.objects.filter(purpose="underwriting_decline").count() == 1


def test_queue_sla_and_filters(products, underwriter, dealer, salesperson):
    import datetime as dt

    from django.utils import timezone

    from origination.selectors.workbench import QueueFilters, workbench_queue

    old = make_referred(products=products)
    new = make_referred(
        products=products,
        dealer=dealer,
        salesperson=salesperson,
        vehicle_price=Decimal("400000.00"),
        down_payment=Decimal("100000.00"),
    )
    now = timezone.now()
    Application.objects.filter(pk=old.pk).update(status_changed_at=now - dt.timedelta(hours=5))
    Application.objects.filter(pk=new.pk).update(status_changed_at=now - dt.timedelta(hours=1))

    rows = workbench_queue(user=underwriter, now=now)

    assert [r.application.pk for r in rows] == [old.pk, new.pk]  # oldest first
    assert [r.overdue for r in rows] == [True, False]
    assert rows[0].due_at == now - dt.timedelta(hours=1)
    assert rows[0].waiting_text == "5小时00分"
    big = QueueFilters(amount_min=Decimal("300000"))
    assert [r.application.pk for r in workbench_queue(user=underwriter, filters=big)] == [new.pk]
    by_dealer = QueueFilters(dealer_id=dealer.pk)
    assert [r.application.pk for r in workbench_queue(user=underwriter, filters=by_dealer)] == [
        new.pk
    ]
    assert workbench_queue(user=underwriter, filters=QueueFilters(product_line="used")) == []
    case_claim(application_id=old.pk, actor=underwriter)
    mine = QueueFilters(mine=True)
    assert [r.application.pk for r in workbench_queue(user=underwriter, filters=mine)] == [old.pk]


def test_automated_counter_offer_is_answered_on_the_customers_page(referred, client):
    from django.urls import reverse

    from origination.services.applications.decision import application_decision_apply
    from origination.services.underwriting.counter_offers import automated_counter_offer_record

    app = application_decision_apply(
        application_id=referred.pk, outcome="counter_offer", reasons=["C01_COUNTER_OFFER"]
    )
    assert app.status == "counter_offered"
    offer = automated_counter_offer_record(
        application_id=app.pk,
        offer={"down_payment": "80000.00", "term_months": 48},
        tier="B",
    )
    assert (offer.down_payment, offer.term_months, offer.amount_financed) == (
        Decimal("80000.00"),
        48,
        Decimal("126000.00"),  # 200,000 − 80,000 + 6,000 insurance
    )
    assert offer.created_by is None and offer.quote.term_months == 48
    # the decision worker retried: the open offer is returned, not a second one
    again = automated_counter_offer_record(
        application_id=app.pk, offer={"down_payment": "70000.00", "term_months": 36}
    )
    assert again.pk == offer.pk

    client.force_login(referred.customer_user)
    page = client.get(reverse("origination:application_detail", args=[app.reference]))
    body = page.content.decode()
    assert 'data-testid="counter-offer"' in body
    assert reverse("origination:counter_offer", args=[offer.pk]) in body
    # the system's line in the reader's language (it was stored in Chinese at decision time
    # and read so on the English page)
    offer_page = reverse("origination:counter_offer", args=[offer.pk])
    assert "系统根据您的还款能力调整了方案" in client.get(offer_page).content.decode()
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(offer_page).content.decode()
    assert "Terms adjusted to what you can repay" in english and "系统根据" not in english
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "zh-hans"
    answered = client.post(
        reverse("origination:counter_offer", args=[offer.pk]), {"answer": "accept"}
    )
    assert answered.status_code == 302
    app.refresh_from_db()
    assert app.status == "approved" and app.amount_financed == Decimal("126000.00")
    contract = Contract.objects.get(application=app)
    assert answered.url == reverse("origination:contract_sign", args=[contract.contract_ref])
