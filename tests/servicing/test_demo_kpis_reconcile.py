"""The demo's dealer KPI page and commission statements tell one story: for every dealer and
month with both, the KPI's funded count and amount are the statement's accrual lines."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.test import Client

from dealers.models.commissions import Commission, CommissionStatement, CommissionStatementLine
from dealers.models.grading import DealerMonthlyKpi
from dealers.models.staff import DealerStaff
from servicing.models.loans import Loan


def _month_pairs():
    kpis = {(k.dealer_id, k.month): k.figures for k in DealerMonthlyKpi.objects.all()}
    pairs = []
    for st in CommissionStatement.objects.all():
        if (st.dealer_id, st.month) not in kpis:
            continue
        accruals = st.lines.filter(kind=CommissionStatementLine.Kind.ACCRUAL)
        counted = (accruals.count(), sum((x.amount_financed for x in accruals), Decimal(0)))
        figures = kpis[(st.dealer_id, st.month)]
        shown = (int(figures["funded_count"]), Decimal(figures["funded_amount"]))
        pairs.append((st.dealer_id, st.month, counted, shown))
    return pairs


@pytest.mark.django_db
def test_demo_kpis_agree_with_statements_and_with_the_loans(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    call_command("seed_demo", stdout=io.StringIO())
    pairs = _month_pairs()
    # every demo commission names its salesperson (issue #16), the book dealer's loans too
    book = Commission.objects.filter(contract_ref__in=Loan.objects.values("contract_ref"))
    assert book.exists()
    assert not Commission.objects.filter(salesperson_name="").exists()
    # every dealer with history has months with both, and the book dealer's are its loans'
    assert len({dealer for dealer, *_ in pairs}) >= 4, pairs
    mismatched = [p for p in pairs if p[2] != p[3]]
    assert not mismatched, mismatched
    book = Loan.objects.exclude(dealer_id=None).order_by("value_date").first()
    book_months = [p for p in pairs if p[0] == book.dealer_id and p[2][0]]
    assert len(book_months) >= 5, book_months
    for _dealer, month, _counted, (count, amount) in book_months:
        loans = Loan.objects.filter(
            dealer_id=book.dealer_id, value_date__year=month.year, value_date__month=month.month
        )
        assert count == loans.count()
        assert amount == sum((x.amount_financed for x in loans), Decimal(0))
    # what the dealer admin reads: the KPI table's 放款笔数 for a month is the number of
    # contracts on that month's statement
    staff = DealerStaff.objects.select_related("user").get(user__username="dealer1_admin")
    client = Client()
    client.force_login(staff.user)
    page = client.get("/dealer/kpis/").content.decode()
    statement = (
        CommissionStatement.objects.filter(dealer_id=staff.dealer_id, lines__isnull=False)
        .distinct()
        .order_by("-month")
        .first()
    )
    count = statement.lines.filter(kind=CommissionStatementLine.Kind.ACCRUAL).count()
    row = page.split(f"{statement.month:%Y-%m}</td>", 1)[1].split("</tr>", 1)[0]
    assert f'data-label="放款笔数">{count}</td>' in row, row
