"""Concurrency on real PostgreSQL with threads: two checkers releasing one floor-plan advance at
once → one release; two workers sending it and two callbacks at once → one bank payment, one
funding entry."""

from __future__ import annotations

import pytest

from servicing.gateway.sandbox_bank import SandboxBank
from servicing.models import JournalEntry
from servicing.models.disbursement import SandboxBankPayment
from servicing.models.floorplan import FloorplanAdvance
from servicing.services.disbursement.settle import bank_callback_receive
from servicing.services.floorplan.advances import (
    FloorplanError,
    advance_approve,
    advance_release,
    advance_request,
)
from servicing.services.floorplan.bank import floorplan_advance_send
from tests.servicing.floorplan_support import (
    D,
    books_agree,
    dealer_admin_for,
    line_open,
    oem_payee,
    vin_next,
)
from tests.servicing.test_disbursement_concurrency import _race

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("disbursement_settings"),
]


def test_concurrent_releases_sends_and_callbacks_pay_an_advance_once(
    transactional_db, dealer, maker, checker, checker2
):
    line = line_open(dealer, checker)
    oem = oem_payee(maker, checker)
    advance = advance_request(
        line=line,
        vin=vin_next(),
        model_name="途观 L",
        invoice_price="250000.00",
        oem_invoice_number="SVW20260615002",
        amount="230000.00",
        payee_kind="oem",
        oem_payee_id=oem.pk,
        by=dealer_admin_for(dealer),
    )
    advance_approve(advance, maker)

    results = _race(
        lambda user: advance_release(advance.pk, user).status, [(checker,), (checker2,)]
    )
    assert sorted(r[0] for r in results) == ["error", "ok"]
    error = next(r[1] for r in results if r[0] == "error")
    assert isinstance(error, FloorplanError) and error.code == "not_approved"

    results = _race(
        lambda pk: floorplan_advance_send(advance_id=pk), [(advance.pk,), (advance.pk,)]
    )
    assert all(r[0] == "ok" for r in results), results
    key = FloorplanAdvance.objects.get(pk=advance.pk).idempotency_key
    assert SandboxBankPayment.objects.filter(idempotency_key=key).count() == 1

    payload = SandboxBank().callback_payload(key)
    results = _race(lambda p: bank_callback_receive(payload=p), [(payload,), (payload,)])
    assert sorted(r[1]["result"] for r in results) == ["duplicate", "recorded"]
    advance.refresh_from_db()
    assert (advance.status, advance.principal_outstanding) == ("funded", D("230000.00"))
    assert JournalEntry.objects.filter(source_id=f"advance-{advance.pk}").count() == 1
    books_agree()
