"""Read queries of the dealers app, for its views and API and for the apps above it.

Other apps get plain values (dicts), never Dealer rows to write to.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import Prefetch, QuerySet

from autofin.crypto import decrypt
from autofin.roles import Role, user_has_role
from dealers.models.accounts import BankAccountChange, SettlementAccount
from dealers.models.commissions import CommissionStatement
from dealers.models.dealers import Dealer, DealerStatus
from dealers.models.deposits import DealerDeposit
from dealers.models.grading import DealerAlert, DealerGrade, DealerMonthlyKpi
from dealers.models.staff import DealerStaff


def staff_for_user(user) -> DealerStaff | None:
    """The active staff binding of a signed-in dealer user, or None."""
    if not getattr(user, "is_authenticated", False) or not user.is_active:
        return None
    staff = (
        DealerStaff.objects.select_related("dealer").filter(user_id=user.pk, active=True).first()
    )
    return staff


def dealer_current_grade(dealer_id: int) -> DealerGrade | None:
    return DealerGrade.objects.filter(dealer_id=dealer_id).order_by("-as_of", "-id").first()


def dealer_deposit_position(dealer_id: int) -> DealerDeposit | None:
    """The deposit figures servicing last pushed (required / held / due), or None before any."""
    return DealerDeposit.objects.filter(dealer_id=dealer_id).first()


def dealer_active_account(dealer_id: int) -> SettlementAccount | None:
    return SettlementAccount.objects.filter(dealer_id=dealer_id, active=True, verified=True).first()


def dealer_pending_account_change(dealer_id: int) -> BankAccountChange | None:
    return BankAccountChange.objects.filter(
        dealer_id=dealer_id, status=BankAccountChange.Status.PENDING
    ).first()


def dealer_can_submit(dealer_id: int) -> bool:
    """Only active dealers may submit applications."""
    return Dealer.objects.filter(pk=dealer_id, status=DealerStatus.ACTIVE).exists()


def dealer_funds_account(dealer_id: int) -> SettlementAccount | None:
    """The account a dealer receives funds into: its verified, active settlement account, and
    only while the dealer is active (None otherwise: it may not receive funds)."""
    return dealer_active_account(dealer_id) if dealer_can_submit(dealer_id) else None


def dealer_risk_facts(*, dealer_id: int) -> dict:
    """Plain facts origination reads and hands to risk."""
    dealer = Dealer.objects.get(pk=dealer_id)
    grade = dealer_current_grade(dealer_id)
    active = dealer.status == DealerStatus.ACTIVE
    return {
        "dealer_id": dealer.pk,
        "status": dealer.status,
        "grade": grade.grade if grade else None,
        "grade_as_of": grade.as_of if grade else None,
        "can_submit": active,
        "can_receive_funds": active and dealer_active_account(dealer_id) is not None,
        "dealer_type": dealer.dealer_type,
        "region": {"province": dealer.province, "city": dealer.city},
    }


def dealer_settlement_account(*, dealer_id: int) -> dict | None:
    """The verified, active account servicing pays the dealer's share of a disbursement into."""
    return _account_plain(dealer_active_account(dealer_id))


def dealer_payout_account(*, dealer_id: int) -> dict | None:
    """`dealer_settlement_account` of a dealer that may receive funds now
    (`dealer_funds_account`), its account read once; None otherwise."""
    return _account_plain(dealer_funds_account(dealer_id))


def _account_plain(account: SettlementAccount | None) -> dict | None:
    if account is None:
        return None
    return {
        "account_id": account.pk,
        "dealer_id": account.dealer_id,
        "account_name": account.account_name,
        "bank_name": account.bank_name,
        "branch_name": account.branch_name,
        "account_number": decrypt(account.account_number_enc),
        "account_number_masked": account.account_number_masked,
    }


def dealer_summary(*, dealer_id: int) -> dict:
    """Name and status for other apps' pages (plain values)."""
    dealer = Dealer.objects.get(pk=dealer_id)
    return {
        "dealer_id": dealer.pk,
        "legal_name": dealer.legal_name,
        "dealer_type": dealer.dealer_type,
        "status": dealer.status,
        "status_label": dealer.get_status_display(),
        "province": dealer.province,
        "city": dealer.city,
    }


def dealers_for_manager(user) -> QuerySet[Dealer]:
    """Dealers a back-office user may manage: system admins all, account managers theirs."""
    qs = Dealer.objects.select_related("account_manager").order_by("legal_name")
    if user_has_role(user, Role.SYSTEM_ADMIN):
        return qs
    if user_has_role(user, Role.ACCOUNT_MANAGER):
        return qs.filter(account_manager_id=user.pk)
    return qs.none()


def manager_dashboard_rows(user) -> list[dict]:
    dealers = list(
        dealers_for_manager(user).prefetch_related(
            Prefetch(
                "alerts",
                queryset=DealerAlert.objects.filter(resolved_at__isnull=True),
                to_attr="open_alerts",
            )
        )
    )
    grades = {}
    for g in DealerGrade.objects.filter(dealer__in=dealers).order_by("dealer_id", "-as_of", "-id"):
        grades.setdefault(g.dealer_id, g)
    kpis = {}
    for k in DealerMonthlyKpi.objects.filter(dealer__in=dealers).order_by("dealer_id", "-month"):
        kpis.setdefault(k.dealer_id, k)
    return [
        {
            "dealer": d,
            "grade": grades.get(d.pk),
            "kpi": kpis.get(d.pk),
            "alerts": d.open_alerts,
        }
        for d in dealers
    ]


def dealer_statements(dealer_id: int) -> QuerySet[CommissionStatement]:
    return CommissionStatement.objects.filter(dealer_id=dealer_id).order_by("-month")


def dealer_kpi_series(dealer_id: int, *, months: int = 12) -> list[dict]:
    """The dealer's last `months` KPI rows, oldest first, with numbers as Decimals."""
    rows = list(DealerMonthlyKpi.objects.filter(dealer_id=dealer_id).order_by("-month")[:months])
    rows.reverse()
    series = []
    for row in rows:
        figures = {}
        for key, value in row.figures.items():
            try:
                figures[key] = Decimal(str(value))
            except ArithmeticError:
                figures[key] = value
        series.append({"month": row.month, **figures})
    return series


def month_label(day: dt.date) -> str:
    return f"{day:%Y-%m}"


def statement_lines(statement: CommissionStatement) -> list[dict]:
    """Each line with what a dealer asks about it: the rate it was earned at and its payment
    (the statement's: servicing pays a statement's net as one payout and marks it 已付), and
    the salesperson the commission was accrued for (servicing names them at funding: they live
    with the application, in origination, which dealers may not import)."""
    lines = list(
        statement.lines.select_related("commission__agreement", "clawback__commission__agreement")
    )
    paid = statement.pay_status == CommissionStatement.PayStatus.PAID
    rows = []
    for line in lines:
        commission = line.commission or (line.clawback.commission if line.clawback else None)
        agreement = commission.agreement if commission else None
        rows.append(
            {
                "line": line,
                "agreement": agreement,
                "salesperson": commission.salesperson_name if commission else "",
                "paid": paid,
                "paid_on": statement.paid_on,
            }
        )
    return rows


def dealers_credit_facts(*, since: dt.date) -> dict[int, dict]:
    """What a wholesale (floor-plan) credit decision reads of every dealer, in plain values:
    name, status, the current grade, and each month's funded amount since `since` (newest
    first). Three queries whatever the number of dealers."""
    facts = {
        d.pk: {
            "dealer_id": d.pk,
            "legal_name": d.legal_name,
            "status": d.status,
            "status_label": d.get_status_display(),
            "grade": None,
            "grade_as_of": None,
            "funded_amounts": [],
        }
        for d in Dealer.objects.order_by("legal_name", "pk")
    }
    latest = DealerGrade.objects.order_by("dealer_id", "-as_of", "-id").distinct("dealer_id")
    for g in latest.only("dealer_id", "grade", "as_of"):
        facts[g.dealer_id].update(grade=g.grade, grade_as_of=g.as_of)
    kpis = DealerMonthlyKpi.objects.filter(month__gte=since).order_by("dealer_id", "-month")
    for row in kpis.only("dealer_id", "figures"):
        amount = row.figures.get("funded_amount")
        if amount is not None:
            facts[row.dealer_id]["funded_amounts"].append(Decimal(str(amount)))
    return facts
