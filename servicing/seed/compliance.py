"""The compliance queue's demo cases, so `make run` shows it non-empty: a screening hit waiting
for review (a pinyin spelling of a name on the sandbox sanctions list, same birth date), a
large-value cash repayment (¥60,000 on one loan) and a structured pair of cash repayments just
under the ¥50,000 threshold on two consecutive days (another loan), each through the real
posting and the nightly monitoring rules."""

from __future__ import annotations

import datetime as dt

from autofin.business_date import business_date_current
from autofin.roles import Role
from autofin.seed.users import demo_user
from risk.services import screening_run
from servicing.models.aml import AmlAlert
from servicing.models.loans import Loan, LoanStatus
from servicing.models.repayments import RepaymentStatus
from servicing.services.aml.monitoring import aml_monitor_day
from servicing.services.repayments.manual import repayment_manual_approve, repayment_manual_submit

SCREENED = ("APP-DEMO-AML-01", "欧阳子珊", dt.date(1975, 3, 8))


def _cash(loan: Loan, amount: str, day: dt.date, maker, checker, note: str) -> None:
    r = repayment_manual_submit(loan_id=loan.pk, amount=amount, actor=maker, business_date=day,
                                evidence=note, payment_channel="cash")  # fmt: skip
    if r.status == RepaymentStatus.PENDING_APPROVAL:
        repayment_manual_approve(repayment_id=r.pk, actor=checker, business_date=day)


def compliance_seed(*, stdout, context: dict) -> None:
    ref, name, born = SCREENED
    hits = screening_run(subject_ref=ref, name=name, id_hash="", birth_date=born, actor="seed")
    if AmlAlert.objects.exists():
        return
    users = context.get("users", {})
    maker = users.get(Role.SERVICING_AGENT) or demo_user(
        "agent", "贷后客服 赵丽", Role.SERVICING_AGENT
    )
    checker = demo_user("agent2", "贷后客服 钱亮", Role.SERVICING_AGENT)
    loans = list(Loan.objects.filter(status=LoanStatus.ACTIVE).order_by("-amount_financed")[:2])
    if len(loans) < 2:
        return
    today = business_date_current()
    day1, day2 = today - dt.timedelta(days=2), today - dt.timedelta(days=1)
    _cash(loans[1], "48000.00", day1, maker, checker, "柜台现金缴存（演示）")
    aml_monitor_day(business_date=day1)
    _cash(loans[1], "49500.00", day2, maker, checker, "柜台现金缴存（演示）")
    _cash(loans[0], "60000.00", day2, maker, checker, "柜台现金缴存（演示）")
    found = aml_monitor_day(business_date=day2)
    stdout.write(f"  compliance queue: {len(hits)} screening hit(s), AML alerts {found}")
