from __future__ import annotations

import io
import re
from decimal import Decimal

import pytest
from django.contrib.auth import authenticate
from stdnum.cn import uscc

from autofin.seed import users as autofin_seed
from autofin.seed.users import DEMO_PASSWORD
from dealers import seed as dealers_seed
from dealers.models.commissions import Commission
from dealers.models.dealers import DealerType
from dealers.selectors import dealer_risk_facts, dealer_settlement_account


@pytest.mark.django_db
def test_seed_creates_dealers_of_every_type_with_staff_and_history():
    context: dict = {}
    out = io.StringIO()
    autofin_seed.seed(stdout=out, context=context)
    dealers_seed.seed(stdout=out, context=context)
    dealers = context["dealers"]
    assert {d.dealer_type for d in dealers} == set(DealerType.values)
    assert all(uscc.is_valid(d.uscc) for d in dealers)
    logins = dict(context["logins"])
    assert "dealer1_admin" in logins and "dealer1_sales" in logins
    assert authenticate(username="dealer1_admin", password=DEMO_PASSWORD) is not None
    first = dealers[0]
    assert first.staff.count() == 2
    # the first dealer's book is servicing's demo loans: grades here, KPIs and statements there
    assert first.grades.count() == 6
    assert first.kpis.count() == 0 and first.statements.count() == 0
    second = dealers[1]
    assert second.kpis.count() == 6 and second.statements.count() == 6
    for kpi in second.kpis.all():
        statement = second.statements.get(month=kpi.month)
        lines = statement.lines.filter(kind="accrual")
        assert int(kpi.figures["funded_count"]) == lines.count() > 0
        assert Decimal(kpi.figures["funded_amount"]) == sum(x.amount_financed for x in lines)
    facts = dealer_risk_facts(dealer_id=first.pk)
    assert facts["can_submit"] and facts["can_receive_funds"] and facts["grade"] in "ABCD"
    assert dealer_settlement_account(dealer_id=first.pk)["account_name"] == first.legal_name
    assert dealers[-1].status == "under_review"
    # one contract-number format, the one issued contracts carry (autofin.refs)
    refs = list(Commission.objects.values_list("contract_ref", flat=True))
    assert refs and all(re.fullmatch(r"AF-\d{4}-\d{6}", ref) for ref in refs), refs
