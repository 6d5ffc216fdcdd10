"""Finance's repurchase page (回购) and the dealer portal's: who may see and act, a request by a
maker approved by another person through the page, the partner sub-ledgers section, and the
dealer admin seeing its own repurchase (and no other dealer's) in Chinese."""

from __future__ import annotations

import pytest
from django.urls import reverse

from dealers.services import staff_create
from servicing.models.loans import Loan
from servicing.models.repurchases import Repurchase
from tests.factories import UserFactory
from tests.servicing.loan_helpers import make_loan

pytestmark = pytest.mark.usefixtures("disbursement_settings")


def test_the_page_needs_a_finance_role(client, dealer, today):
    for role in ("customer", "dealer_admin", "servicing_agent"):
        client.force_login(UserFactory(roles=[role]))
        assert client.get(reverse("servicing:repurchase_list")).status_code == 403
        refused = client.post(
            reverse("servicing:repurchase_create"),
            {"token": "q1", "dealer": dealer.pk, "contract_ref": "X", "ground": "fraud",
             "settlement": "deposit", "evidence": "x"},
        )  # fmt: skip
        assert refused.status_code == 403
    assert not Repurchase.objects.exists()


def test_request_and_approve_through_the_page_and_the_portal_shows_it(
    client, dealer, today, maker, checker
):
    loan = make_loan()
    Loan.objects.filter(pk=loan.pk).update(dealer_id=dealer.pk)  # sold by the dealer
    client.force_login(maker)
    form = {"dealer": dealer.pk, "contract_ref": loan.contract_ref, "ground": "fraud",
            "settlement": "dealer_pays", "evidence": "身份冒用"}  # fmt: skip
    client.post(reverse("servicing:repurchase_create"), {"token": "q1", **form})
    repurchase = Repurchase.objects.get()
    decide = reverse("servicing:repurchase_decide", args=[repurchase.pk])
    page = client.get(reverse("servicing:repurchase_list")).content.decode()
    assert loan.contract_ref in page and "欺诈贷款" in page and "待复核" in page
    assert f"approve-{repurchase.pk}" not in page  # the maker has no approve button
    assert "应收经销商回购款" in page  # the partner sub-ledgers section
    assert (
        client.post(decide, {"token": "d0", "decision": "approve", "confirm": "1"}).status_code
        == 403
    )

    client.force_login(checker)
    assert (
        f"approve-{repurchase.pk}"
        in client.get(reverse("servicing:repurchase_list")).content.decode()
    )
    for token in ("d1", "d1"):  # a double submit approves once
        client.post(decide, {"token": token, "decision": "approve", "confirm": "1"})
    repurchase.refresh_from_db()
    assert (repurchase.status, repurchase.approved_by_id) == ("due", checker.pk)
    assert Loan.objects.get(pk=loan.pk).status == "repurchased"

    staff = staff_create(actor="seed", dealer=dealer, user=UserFactory(), role="dealer_admin")
    client.force_login(staff.user)
    html = client.get(reverse("servicing:dealer_repurchases")).content.decode()
    assert loan.contract_ref in html and "待收回" in html and "回购" in html
    sales = staff_create(actor="seed", dealer=dealer, user=UserFactory(), role="dealer_sales")
    client.force_login(sales.user)
    assert client.get(reverse("servicing:dealer_repurchases")).status_code == 403
