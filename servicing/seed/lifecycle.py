"""Issue 21's demo: the demo customers' marketing consents, complaints in different states (one
about collections, which pauses contact on its loan; one past its deadline and escalated), two
segments from the issue's examples with an SMS campaign launched with a hold-out and a banner, a pre-approved
maintenance offer for the demo customer who logs in, and their policy renewing within 30 days
with the sandbox insurers' quotes. Everything goes through the services the pages use; only the
breached complaint's receipt is moved back in time, as its history."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from autofin.business_date import business_date_current
from autofin.models import User
from autofin.pricing import add_months
from autofin.roles import Role
from origination.services.contracts.pricing import lender_name
from servicing.models.customers import (
    Complaint,
    ComplaintCategory,
    ComplaintChannel,
    ComplaintPriority,
    OfferKind,
)
from servicing.models.loans import Loan
from servicing.models.marketing import Campaign, CampaignChannel, Segment
from servicing.services.complaints.batch import complaints_escalate
from servicing.services.complaints.sla import acknowledge_due, resolve_due
from servicing.services.complaints.workflow import (
    complaint_acknowledge,
    complaint_create,
    complaint_resolve,
)
from servicing.services.customer_facts import customer_facts_refresh
from servicing.services.insurance.policies import insurance_policy_record
from servicing.services.insurance.renewals import renewal_quotes_fetch
from servicing.services.marketing.campaigns import (
    campaign_launch,
    campaign_launch_request,
    consent_give,
)
from servicing.services.marketing.segments import segment_compute
from servicing.services.offers.issue import offer_issue

SEGMENTS = [
    (
        "按时还款满24期·6至12个月到期",
        "已还 24 期以上、从未逾期、距到期 6 至 12 个月的客户。",
        [
            {"fact": "instalments_paid", "op": "gte", "value": 24},
            {"fact": "max_dpd_ever", "op": "eq", "value": 0},
            {"fact": "months_to_maturity", "op": "between", "value": 6, "value2": 12},
        ],
    ),
    (
        "有在贷车辆且按时还款的客户",
        "在贷、当前无逾期：保养分期的目标客群。",
        [
            {"fact": "loans_active", "op": "gte", "value": 1},
            {"fact": "current_dpd", "op": "eq", "value": 0},
        ],
    ),
]


def _complaints(customers, loans_of, agent, today) -> int:
    made = 0
    first, second = customers[0], customers[1 % len(customers)]
    # a collections complaint on an overdue loan: contact on that loan pauses until reviewed
    overdue = next(
        (loan for c in customers for loan in loans_of(c) if loan.status == "overdue"), None
    )
    if overdue is not None:
        complaint_create(
            customer=overdue.customer, channel=ComplaintChannel.PHONE,
            category=ComplaintCategory.COLLECTION, priority=ComplaintPriority.HIGH,
            summary="催收电话过于频繁，晚上九点后仍有来电", loan=overdue, created_by=agent,
        )  # fmt: skip
        made += 1
    # the demo customer's own: one being handled, one resolved awaiting their confirmation
    handled = complaint_create(
        customer=first, channel=ComplaintChannel.PORTAL, category=ComplaintCategory.PRICING,
        summary="提前还款手续费与合同约定不一致", loan=next(iter(loans_of(first)), None),
    )  # fmt: skip
    complaint_acknowledge(complaint_id=handled.pk, actor=agent)
    resolved = complaint_create(
        customer=first, channel=ComplaintChannel.PHONE, category=ComplaintCategory.SERVICE,
        summary="客服热线等待时间过长", created_by=agent,
    )  # fmt: skip
    complaint_acknowledge(complaint_id=resolved.pk, actor=agent)
    complaint_resolve(
        complaint_id=resolved.pk, actor=agent, resolution="已致电致歉，并优化了热线排班。"
    )
    # one received three weeks ago and never handled: the nightly check escalates it
    breached = complaint_create(
        customer=second, channel=ComplaintChannel.PORTAL,
        category=ComplaintCategory.CONTRACT_TERMS, summary="合同中的 GPS 服务费条款未事先说明",
    )  # fmt: skip
    received = timezone.now() - dt.timedelta(days=21)
    Complaint.objects.filter(pk=breached.pk).update(
        received_at=received,
        acknowledge_due_at=acknowledge_due(received),
        resolve_due_at=resolve_due(received),
    )
    complaints_escalate(business_date=today)
    return made + 3


def _campaign(marketing, today) -> dict:
    segments = []
    for name, description, rules in SEGMENTS:
        segment = Segment.objects.create(
            name=name, description=description, rules=rules, created_by=marketing
        )
        segment_compute(segment, today=today)
        segments.append(segment)
    campaign = Campaign.objects.create(
        name="保养分期·短信（在贷客户）",
        segment=segments[1],
        offer_kind=OfferKind.MAINTENANCE,
        channel=CampaignChannel.SMS,
        message="您的爱车该保养了：合作服务商保养可分期，最长 12 期。",
        starts_at=timezone.now(),
        holdout_percent=20,
        created_by=marketing,
    )
    campaign_launch_request(actor=marketing, campaign_id=campaign.pk)
    counts = campaign_launch(campaign_id=campaign.pk)
    # the in-portal banner the consenting members see on /my/loans/ (no hold-out: every member
    # who consents sees it, so the demo customer does)
    banner = Campaign.objects.create(
        name="保养分期·横幅（在贷客户）", segment=segments[1], offer_kind=OfferKind.MAINTENANCE,
        channel=CampaignChannel.BANNER, message="保养分期：合作服务商保养费用最长可分 12 期。",
        starts_at=timezone.now(), holdout_percent=0, created_by=marketing,
    )  # fmt: skip
    campaign_launch_request(actor=marketing, campaign_id=banner.pk)
    campaign_launch(campaign_id=banner.pk)
    return counts


def _insurance(customer, loan, operator, today) -> int:
    starts = add_months(today, -12) + dt.timedelta(days=20)
    insurance_policy_record(
        loan=loan, insurer_name="中国人民财产保险", policy_number=f"PDAA{today:%Y}3101{loan.pk:06d}",
        premium="5860.00", starts_on=starts, ends_on=add_months(starts, 12) - dt.timedelta(days=1),
        beneficiary_name=lender_name(),
        actor=operator, cover=["交强险", "车损险", "第三者责任险 100 万"],
    )  # fmt: skip
    return renewal_quotes_fetch(business_date=today)["quotes"]


def lifecycle_seed(*, stdout, context: dict) -> None:
    users = context.get("users", {})
    customer = users.get(Role.CUSTOMER)
    # a second run adds nothing (the demo's segments are there: so is the rest of this seed)
    if customer is None or Segment.objects.filter(name=SEGMENTS[0][0]).exists():
        return
    today = business_date_current()
    customer_facts_refresh(business_date=today)
    customer_ids = list(
        Loan.objects.order_by("customer_id").values_list("customer_id", flat=True).distinct()
    )
    customers = [customer] + [
        u for u in User.objects.filter(pk__in=customer_ids).order_by("pk") if u.pk != customer.pk
    ]
    # consent for the demo customer and every other one but the last (it shows the refusal)
    for c in customers[:-1]:
        consent_give(customer=c, via="portal")
    customer_facts_refresh(business_date=today)

    def loans_of(c):
        return list(Loan.objects.filter(customer=c).order_by("id"))

    complaints = _complaints(customers, loans_of, users[Role.SERVICING_AGENT], today)
    counts = _campaign(users[Role.MARKETING], today)
    live = next((loan for loan in loans_of(customer) if loan.status == "active"), None)
    quotes = _insurance(customer, live, users[Role.OPERATIONS], today) if live else 0
    customer_facts_refresh(business_date=today)
    offer = offer_issue(customer=customer, kind=OfferKind.MAINTENANCE, business_date=today)
    stdout.write(
        f"  lifecycle: {len(customers) - 1} consents, {complaints} complaints, campaign {counts}, "
        f"{quotes} renewal quotes, maintenance offer {'issued' if offer else 'declined'}"
    )
