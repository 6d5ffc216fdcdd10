"""Finance's checker sees every instruction before release (payee, bank, masked account,
amount; the full number on request, audited) and confirms before release; the 待放款 board lists
every signed contract not yet funded with what blocks it. Finance only."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from autofin.models import AuditEntry
from dealers.selectors import dealer_settlement_account
from servicing.models.disbursement import Disbursement
from servicing.services.disbursement.create import disbursement_create
from tests.factories import UserFactory
from tests.servicing.disbursement_support import STANDARD, make_facts

pytestmark = pytest.mark.usefixtures("disbursement_settings")


@pytest.fixture
def prepared(dealer, customer, payees, maker):
    facts = make_facts(dealer=dealer, customer=customer, parts=STANDARD)
    return disbursement_create(facts=facts, actor=maker)


def test_checker_sees_every_payee_account_line_before_release(client, prepared, checker, payees):
    client.force_login(checker)
    html = client.get(reverse("servicing:disbursement_detail", args=[prepared.pk])).content.decode()
    assert prepared.status == "prepared"
    dealer_account = dealer_settlement_account(dealer_id=prepared.dealer_id)
    expected = [
        dealer_account["account_number_masked"],
        payees["tax"].account_number_masked,
        payees["insurer"].account_number_masked,
        payees["gps"].account_number_masked,
    ]
    for masked in expected:
        assert masked in html
    assert html.count('class="account-masked"') == 4  # one per instruction, none missing
    assert html.count('data-testid="reveal"') == 4
    for amount in ("¥120,000.00", "¥10,619.47", "¥5,200.00", "¥1,380.53"):
        assert amount in html
    assert 'id="confirm-instructions"' in html
    # no full number is on the page until asked for
    assert payees["insurer"].account_number_masked != "6222021002000456"
    assert "6222021002000456" not in html


def test_reveal_shows_the_full_number_and_writes_an_audit_row(client, prepared, checker):
    insurer = prepared.instructions.get(payee_kind="insurer")
    client.force_login(checker)
    before = AuditEntry.objects.filter(action="payee_account_reveal").count()
    response = client.post(
        reverse("servicing:instruction_reveal", args=[insurer.pk]), HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    assert "6222021002000456" in response.content.decode()
    rows = AuditEntry.objects.filter(action="payee_account_reveal")
    assert rows.count() == before + 1
    row = rows.latest("pk")
    assert row.actor_id == checker.pk
    assert row.data["disbursement"] == prepared.contract_ref
    assert "6222021002000456" not in str(row.data)  # the audit keeps the masked number only
    # without htmx: the detail page with that one number shown
    page = client.post(reverse("servicing:instruction_reveal", args=[insurer.pk])).content.decode()
    assert "6222021002000456" in page and "复核并放行" in page


def test_release_needs_the_checkers_confirmation(client, prepared, checker):
    client.force_login(checker)
    url = reverse("servicing:disbursement_approve", args=[prepared.pk])
    refused = client.post(url, {"token": "c0"}, follow=True)
    prepared.refresh_from_db()
    assert prepared.status == "prepared" and prepared.approved_by_id is None
    assert "请先逐条核对收款方、账号和金额" in refused.content.decode()
    client.post(url, {"token": "c1", "confirm": "1"})
    prepared.refresh_from_db()
    assert prepared.status == "released" and prepared.approved_by_id == checker.pk


@pytest.mark.parametrize("role", ["customer", "underwriter", "servicing_agent"])
def test_non_finance_users_are_refused_and_nothing_is_audited(client, prepared, role):
    client.force_login(UserFactory(roles=[role]))
    insurer = prepared.instructions.get(payee_kind="insurer")
    reveal = client.post(reverse("servicing:instruction_reveal", args=[insurer.pk]))
    assert reveal.status_code in (403, 404)
    assert "6222021002000456" not in reveal.content.decode()
    assert not AuditEntry.objects.filter(action="payee_account_reveal").exists()
    assert client.get(reverse("servicing:funding_board")).status_code in (403, 404)


def _awaiting(contract_id, ref, **over):
    row = {
        "contract_id": contract_id,
        "contract_ref": ref,
        "application_id": None,
        "customer_name": "王小明",
        "amount_financed": Decimal("137200.00"),
        "signed_at": None,
        "checklist_pending": [],
        "conditions_open": [],
        "payees_unregistered": [],
        "ready": True,
    }
    row.update(over)
    return row


def test_funding_board_lists_each_contract_with_what_blocks_it(
    client, monkeypatch, prepared, maker
):
    rows = [
        _awaiting(prepared.contract_id, prepared.contract_ref),
        _awaiting(900001, "AF-2026-900001", checklist_pending=["GPS 已安装"], ready=False),
        _awaiting(900002, "AF-2026-900002", payees_unregistered=["保险（平安财险）"]),
        _awaiting(900003, "AF-2026-900003"),
    ]
    monkeypatch.setattr(
        "servicing.selectors.disbursement.contracts_awaiting_funding", lambda: [*rows]
    )
    client.force_login(maker)
    html = client.get(reverse("servicing:funding_board")).content.decode()
    for ref in (prepared.contract_ref, "AF-2026-900001", "AF-2026-900002", "AF-2026-900003"):
        assert ref in html
    assert "GPS 已安装" in html and "去登记" in html
    assert "保险（平安财险）" in html and reverse("origination:payee_list") in html
    assert "待复核" in html and "去复核" in html  # the prepared one
    assert html.count('name="contract_id"') == 1  # only the unblocked one without a disbursement
    assert Disbursement.objects.count() == 1


def test_payee_change_approval_shows_old_and_new_account_and_who_asked(
    client, maker, checker, payees
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    from origination.services.payees import payee_change_prepare
    from tests.origination.intake_support import PNG

    insurer = payees["insurer"]
    change = payee_change_prepare(
        actor=maker,
        payee_type="insurer",
        name=insurer.name,
        account_name=insurer.name,
        bank_name="中国银行上海分行",
        account_number="6216601005009999",
        payee_id=insurer.pk,
        reason="保险公司来函更换收款账户（函号 PA-2026-031）",
        evidence=SimpleUploadedFile("letter.png", PNG, content_type="image/png"),
    )
    client.force_login(checker)
    html = client.get(reverse("origination:payee_list")).content.decode()
    assert "原账户" in html and insurer.account_number_masked in html
    assert "新账户" in html and "6216********9999" in html and "中国银行上海分行" in html
    assert "申请人" in html and str(maker) in html
    assert "函号 PA-2026-031" in html
    assert "批准" in html
    evidence_url = reverse("origination:payee_change_evidence", args=[change.pk])
    assert evidence_url in html and "查看证明材料" in html
    document = client.get(evidence_url)
    assert document.status_code == 200 and b"".join(document.streaming_content) == PNG
    client.force_login(UserFactory(roles=["customer"]))
    assert client.get(evidence_url).status_code in (403, 404)
