"""Demo dealers of every type with staff, accounts, agreements, grades, KPIs and commissions."""

from __future__ import annotations

import datetime as dt
import random
from decimal import ROUND_HALF_UP, Decimal

from stdnum.cn import uscc as stdnum_uscc

from autofin.business_date import business_date_current
from autofin.refs import contract_ref_make
from autofin.roles import Role
from autofin.seed.users import demo_password, demo_user
from dealers.models.dealers import Dealer, DealerStatus
from dealers.services import (
    agreement_create,
    bank_account_change_approve,
    bank_account_change_prepare,
    commission_accrue,
    commission_clawback,
    commission_statement_for_month,
    dealer_grades_recompute,
    dealer_kpis_record,
    staff_create,
)
from dealers.services.commissions import add_months, month_end, month_start


def uscc_make(region: str, serial: int) -> str:
    """A valid 统一社会信用代码: 91 (enterprise), a 6-digit region, a 9-character organisation
    code and the GB 32100 check character."""
    base = f"91{region}MA{serial:07d}"
    return base + stdnum_uscc.calc_check_digit(base)


# name, type, brands, province, city, region code, address, status
DEALERS = [
    (
        "上海申浦宝悦汽车销售服务有限公司",
        "four_s",
        "宝马",
        "上海市",
        "上海市",
        "310115",
        "浦东新区川沙路 5588 号",
        DealerStatus.ACTIVE,
    ),
    (
        "杭州之江汇丰田汽车销售服务有限公司",
        "four_s",
        "丰田,雷克萨斯",
        "浙江省",
        "杭州市",
        "330106",
        "西湖区古墩路 1200 号",
        DealerStatus.ACTIVE,
    ),
    (
        "成都蜀畅汽车贸易有限公司",
        "secondary",
        "大众,别克,哈弗",
        "四川省",
        "成都市",
        "510107",
        "武侯区二环路南四段 66 号",
        DealerStatus.ACTIVE,
    ),
    (
        "广州穗诚二手车经纪有限公司",
        "used",
        "多品牌",
        "广东省",
        "广州市",
        "440106",
        "天河区黄埔大道中 899 号",
        DealerStatus.ACTIVE,
    ),
    (
        "深圳比亚迪汽车销售南山直营店有限公司",
        "brand_store",
        "比亚迪",
        "广东省",
        "深圳市",
        "440305",
        "南山区深南大道 9028 号",
        DealerStatus.ACTIVE,
    ),
    (
        "天津津融汇通融资租赁有限公司",
        "lease_company",
        "多品牌",
        "天津市",
        "天津市",
        "120116",
        "滨海新区东疆保税港区 18 号",
        DealerStatus.UNDER_REVIEW,
    ),
]

STAFF_NAMES = [
    ("王建国", "刘婷"),
    ("陈晓东", "周倩"),
    ("张海涛", "李娜"),
    ("黄志强", "吴敏"),
    ("郑宇", "孙悦"),
    ("赵明", "钱芳"),
]
BANKS = ["中国工商银行", "中国建设银行", "招商银行", "中国银行", "交通银行", "浦发银行"]
PRODUCT_LINES_BY_TYPE = {
    "four_s": ["new", "nev"],
    "secondary": ["new", "used"],
    "used": ["used"],
    "brand_store": ["nev", "new"],
    "lease_company": ["commercial", "new"],
}
# The first dealer's book is servicing's demo loans (servicing.seed.loans funds them through
# it): its KPIs and statements come from them, not from this seed's synthetic months.
BOOK_DEALER = 1
# per-dealer risk profile: (approval, fraud hits per 100 apps, fpd, dpd30, doc rejection, cancel)
PROFILES = [
    ("0.62", 0, "0.010", "0.008", "0.03", "0.000"),
    ("0.55", 1, "0.020", "0.015", "0.05", "0.005"),
    ("0.45", 2, "0.035", "0.030", "0.10", "0.010"),
    ("0.38", 3, "0.055", "0.045", "0.16", "0.020"),
    ("0.58", 0, "0.015", "0.012", "0.04", "0.000"),
    ("0.50", 1, "0.030", "0.025", "0.08", "0.010"),
]


def _dealer_create(i: int, row: tuple, account_manager) -> Dealer:
    name, kind, brands, province, city, region, address, status = row
    return Dealer.objects.create(
        legal_name=name,
        uscc=uscc_make(region, 1000 + i * 37),
        dealer_type=kind,
        brands=brands,
        province=province,
        city=city,
        address=f"{province}{city if city != province else ''}{address}",
        contact_name=STAFF_NAMES[i - 1][0],
        contact_phone=f"1391000{i:04d}",
        contact_email=f"dealer{i}@dealer.example",
        status=status,
        account_manager=account_manager,
    )


def _staff_create(i: int, dealer: Dealer, logins: list) -> None:
    """dealerN_admin and dealerN_sales, and their lines on the demo's login list."""
    admin_name, sales_name = STAFF_NAMES[i - 1]
    admin = demo_user(
        f"dealer{i}_admin", f"{admin_name}", None, email=f"dealer{i}_admin@dealer.example"
    )
    sales = demo_user(
        f"dealer{i}_sales", f"{sales_name}", None, email=f"dealer{i}_sales@dealer.example"
    )
    staff_create(actor="seed", dealer=dealer, user=admin, role="dealer_admin")
    staff_create(actor="seed", dealer=dealer, user=sales, role="dealer_sales")
    name = dealer.legal_name
    logins.append((admin.username, f"经销商管理员 · {name[:8]}…"))
    logins.append((sales.username, f"经销商销售 · {name[:8]}…"))


def _settlement_account(rng: random.Random, i: int, dealer: Dealer, maker, checker) -> None:
    """The account through the maker-checker, as in production: prepared, then approved."""
    change = bank_account_change_prepare(
        actor=maker,
        dealer=dealer,
        account_name=dealer.legal_name,
        bank_name=BANKS[i - 1],
        branch_name=f"{dealer.city}分行营业部",
        account_number=f"6222{rng.randrange(10**14, 10**15)}",
        reason="经销商准入",
    )
    bank_account_change_approve(actor=checker, change_id=change.pk, reason="已核对开户许可证")


def _agreements_create(dealer: Dealer, start: dt.date) -> None:
    """One agreement per product line of the dealer's type: a percentage for the first line,
    a fixed amount per contract for the others."""
    for j, line in enumerate(PRODUCT_LINES_BY_TYPE[dealer.dealer_type]):
        percent = j == 0
        agreement_create(
            actor="seed",
            dealer=dealer,
            product_line=line,
            commission_kind="percent" if percent else "fixed",
            commission_rate=Decimal("0.015") if percent else Decimal("0"),
            commission_fixed=Decimal("0") if percent else Decimal("1500.00"),
            cap_rate=Decimal("0.05"),
            clawback_months=6,
            clawback_share=Decimal("1"),
            deposit_required=Decimal("200000.00"),
            deposit_held=Decimal("200000.00")
            if dealer.status == DealerStatus.ACTIVE
            else Decimal(0),
            effective_from=start,
        )


def _month_figures(rng: random.Random, approval: str) -> dict:
    """A small dealer's month: applications, approvals and how many of them were funded."""
    apps = rng.randint(8, 24)
    rate = Decimal(approval) + Decimal(rng.randint(-5, 5)) / 100
    approved = int(apps * rate)
    return {
        "applications": apps,
        "approved": approved,
        "funded": max(approved - rng.randint(0, 2), 1),
    }


def _kpis_record(rng: random.Random, dealer: Dealer, month: dt.date, kpis: dict, funded) -> None:
    """The month's KPIs; funded count and amount are the month's commissions (`funded`), the
    lines of its statement, as the nightly batch counts a real month from its loans."""
    apps, approved = kpis["applications"], kpis["approved"]
    dealer_kpis_record(
        dealer_id=dealer.pk,
        month=month,
        figures={
            "applications": apps,
            "approved": approved,
            "approval_rate": (Decimal(approved) / apps).quantize(
                Decimal("0.0001"), rounding=ROUND_HALF_UP
            ),
            "funded_count": len(funded),
            "funded_amount": sum((c.amount_financed for c in funded), Decimal("0.00")),
            "avg_decision_hours": Decimal(rng.randint(5, 60)) / 10,
        },
    )


def _demo_ref(dealer: Dealer, month: dt.date, n: int) -> str:
    """A demo commission's contract number in the one format (autofin.refs), from serials of
    the dealers' demo (800000 + dealer, month, n; below the demo loans' 900001 and far above
    issued contracts' ids)."""
    serial = 800_000 + (dealer.pk % 10) * 10_000 + month.month * 100 + n
    return contract_ref_make(year=month.year, serial=serial)


def _commissions_record(
    rng: random.Random, i: int, dealer: Dealer, month: dt.date, back: int, count: int
) -> list:
    """The month's funded contracts (`count`) with their commissions, and a clawback for two
    dealers; returns the commissions."""
    lines = PRODUCT_LINES_BY_TYPE[dealer.dealer_type]
    _admin_name, sales_name = STAFF_NAMES[i - 1]
    funded = []
    for k in range(count):
        funded.append(
            commission_accrue(
                dealer=dealer,
                contract_ref=_demo_ref(dealer, month, k + 1),
                amount_financed=Decimal(rng.randint(80, 300) * 1000),
                funded_on=month + dt.timedelta(days=2 + (k * 26) // count),
                product_line=lines[k % len(lines)],
                salesperson_name=sales_name,
            )
        )
    if back == 3 and i in (3, 4):
        commission_clawback(
            contract_ref=_demo_ref(dealer, month, 1),
            reason="early_settlement",
            event_date=month_end(month),
        )
    return funded


def _grade_record(
    rng: random.Random, i: int, dealer: Dealer, month: dt.date, back: int, kpis: dict
) -> None:
    """The month-end grade from the dealer's risk profile, drifting worse towards today."""
    _approval, fraud, fpd, dpd30, docs, cancel = PROFILES[i - 1]
    apps, approved = kpis["applications"], kpis["approved"]
    metrics = {
        "applications": apps,
        "approval_rate": Decimal(approved) / apps,
        "decline_reasons": {"征信不良": rng.randint(2, 10), "收入不足": rng.randint(1, 8)},
        "fraud_hits": round(apps * fraud / 100 * (1 + (6 - back) / 10)),
        "fpd_rate": Decimal(fpd) * (1 + Decimal(6 - back) / 20),
        "dpd30_rate": {"3": Decimal(dpd30) / 2, "6": Decimal(dpd30)},
        "document_rejection_rate": Decimal(docs),
        "cancellation_after_funding_rate": Decimal(cancel),
    }
    dealer_grades_recompute(as_of=month_end(month), metrics={dealer.pk: metrics})


def _history_record(rng: random.Random, i: int, dealer: Dealer, today: dt.date) -> None:
    """Six months of KPIs, commissions and grades for an active dealer. The book dealer's
    funded months are its real loans' (servicing's demo loans, counted as the batch counts
    them), so it gets grades only: two stories of one month never meet on a page."""
    this_month = month_start(today)
    for back in range(6, 0, -1):
        month = add_months(this_month, -back)
        kpis = _month_figures(rng, PROFILES[i - 1][0])
        if i != BOOK_DEALER:
            funded = _commissions_record(rng, i, dealer, month, back, kpis["funded"])
            _kpis_record(rng, dealer, month, kpis, funded)
            if month_end(month) <= today:
                commission_statement_for_month(dealer=dealer, month=month)
        _grade_record(rng, i, dealer, month, back, kpis)


def seed(*, stdout, context: dict) -> None:
    rng = random.Random(20260)  # noqa: S311 - demo data
    users = context.get("users", {})
    am = users.get(Role.ACCOUNT_MANAGER) or demo_user("am", "渠道经理 李强", Role.ACCOUNT_MANAGER)
    checker = users.get(Role.SYSTEM_ADMIN) or demo_user("admin", "系统管理员", Role.SYSTEM_ADMIN)
    today = business_date_current()
    dealers: list[Dealer] = []
    logins = context.setdefault("logins", [])
    for i, row in enumerate(DEALERS, 1):
        dealer = _dealer_create(i, row, am)
        dealers.append(dealer)
        _staff_create(i, dealer, logins)
        _settlement_account(rng, i, dealer, am, checker)
        _agreements_create(dealer, add_months(month_start(today), -24))
        if dealer.status == DealerStatus.ACTIVE:
            _history_record(rng, i, dealer, today)
    context["dealers"] = dealers
    stdout.write(
        f"  {len(dealers)} dealers, staff dealerN_admin / dealerN_sales (password {demo_password()})"
    )
