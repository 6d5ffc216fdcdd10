"""Campaigns: create, launch (set-based), the customer's marketing consent, the banner, the
tracking and unsubscribe links.

Launch classifies every segment member once, in this order, into ONE CampaignContact:
no active MarketingConsent → `no_consent`; already `sent` MARKETING_FREQUENCY_CAP messages in
the last MARKETING_FREQUENCY_DAYS (any campaign) → `capped`; then the hold-out draw among the
contactable rest → `holdout`; else `sent`. The draw is taken among contactable customers only,
so treated and hold-out groups come from the same population and their conversions compare.
The draw is reproducible: the first 32 bits of sha256("<campaign id>:<customer id>") mod 100
below holdout_percent. SMS and e-mail contacts get an OutboundMessage (one INSERT … SELECT)
with not_before at the next contact time (08:00–21:00 Beijing) at or after the start, which the
periodic sender delivers; banner contacts are shown on the customer's portal. Members without
an address for the channel (no e-mail for an e-mail campaign) are classified first as
`no_address`: not contacted, but counted in the funnel beside no consent and capped.
"""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.notifications import next_contact_time
from autofin.scheduling import after_commit
from servicing.models.customers import MarketingConsent
from servicing.models.marketing import (
    Campaign,
    CampaignChannel,
    CampaignContact,
    CampaignStatus,
)
from servicing.services.marketing.links import (
    OPEN,
    UNSUBSCRIBE,
    contact_for_token,
    contact_token,
    link_key,
    token_sql,
)

LAUNCH_TASK = "servicing.tasks.marketing.campaign_launch"
CONSENT_TEXT_VERSION = 1


def consent_text() -> str:
    return _(
        "本人同意 AutoFin 通过短信、邮件和客户自助页向本人推荐汽车金融产品与服务（如购车、置换、保养分期、续保）。"
        "本授权与贷款合同相互独立，不授权不影响贷款服务；本人可随时在“联系方式”页或通过营销信息中的退订链接撤回。"
    )


class CampaignError(Exception):
    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


# the end of a campaign's response window (SQL over the alias `k`; days bound as %(days)s)
WINDOW_END_SQL = "coalesce(k.ends_at, k.starts_at + make_interval(days => %(days)s))"

_DRAW = (
    "('x' || substr(encode(sha256(convert_to(%(campaign)s::text || ':' || m.customer_id::text,"
    " 'UTF8')), 'hex'), 1, 8))::bit(32)::bigint %% 100"
)

# the customer's facts row as it stands at launch (alias `f`, NULL without one), kept on the
# contact so the next-best-offer model learns from what was known when the offer was made
FACTS_SNAPSHOT_SQL = "CASE WHEN f.customer_id IS NULL THEN NULL ELSE to_jsonb(f) END"

_CLASSIFY = f"""
WITH members AS (
    SELECT m.customer_id,
           coalesce(CASE %(channel)s WHEN 'sms' THEN u.phone WHEN 'email' THEN u.email
                    ELSE 'x' END, '') <> '' AS reachable
      FROM servicing_segmentmember m
      JOIN autofin_user u ON u.id = m.customer_id
     WHERE m.segment_id = %(segment)s AND u.is_active
), classified AS (
    SELECT m.customer_id,
           CASE WHEN NOT m.reachable THEN 'no_address'
                WHEN NOT EXISTS (SELECT 1 FROM servicing_marketingconsent mc
                                  WHERE mc.customer_id = m.customer_id
                                    AND mc.withdrawn_at IS NULL) THEN 'no_consent'
                WHEN (SELECT count(*) FROM servicing_campaigncontact k
                       WHERE k.customer_id = m.customer_id AND k.result = 'sent'
                         AND k.sent_at > %(cap_since)s) >= %(cap)s THEN 'capped'
                WHEN {_DRAW} < %(holdout)s THEN 'holdout'
                ELSE 'sent' END AS result
      FROM members m
)
INSERT INTO servicing_campaigncontact
    (campaign_id, customer_id, result, offer_id, sent_at, revenue, created_at, facts)
SELECT %(campaign)s, c.customer_id, c.result, o.id,
       CASE WHEN c.result = 'sent' THEN %(sent_at)s END, 0, now(), {FACTS_SNAPSHOT_SQL}
  FROM classified c
  LEFT JOIN servicing_offer o
         ON o.customer_id = c.customer_id AND o.kind = %(kind)s AND o.status = 'active'
  LEFT JOIN servicing_customerfact f ON f.customer_id = c.customer_id
ON CONFLICT (campaign_id, customer_id) DO NOTHING
"""  # noqa: S608 - constant SQL; values are bound

_MESSAGES = f"""
WITH m AS (
    INSERT INTO autofin_outboundmessage
        (created_at, channel, "to", subject, body, purpose, status, not_before, sent_at,
         gateway, provider_ref, error, attempts, dedupe_key)
    SELECT now(), %(channel)s, CASE %(channel)s WHEN 'sms' THEN u.phone ELSE u.email END,
           %(subject)s,
           %(body)s || %(open_label)s || %(site)s || '/m/o/' || {token_sql("c.id", OPEN)} || '/ '
           || %(unsub_label)s || %(site)s || '/m/unsubscribe/' || {token_sql("c.id", UNSUBSCRIBE)}
           || '/',
           'marketing', 'queued', %(not_before)s, NULL, '', '', '', 0,
           'campaign:' || c.campaign_id || ':' || c.customer_id
      FROM servicing_campaigncontact c
      JOIN autofin_user u ON u.id = c.customer_id
     WHERE c.campaign_id = %(campaign)s AND c.result = 'sent' AND c.message_id IS NULL
    ON CONFLICT (dedupe_key) DO NOTHING
    RETURNING id, dedupe_key
)
UPDATE servicing_campaigncontact c SET message_id = m.id
  FROM m
 WHERE c.campaign_id = %(campaign)s
   AND m.dedupe_key = 'campaign:' || c.campaign_id || ':' || c.customer_id
"""  # noqa: S608 - constant SQL; values are bound


def message_preview(*, message: str, channel: str) -> str:
    """What a customer receives (the links shown as placeholders)."""
    if not message.strip() or channel == CampaignChannel.BANNER:
        return message.strip()
    site = settings.SITE_URL
    return (
        _sms_body(message)
        + _("查看：")
        + f"{site}/m/o/…/ "
        + _("退订：")
        + f"{site}/m/unsubscribe/…/"
    )


def _sms_body(message: str) -> str:
    return _("【AutoFin】") + message.strip() + " "


def campaign_launch_request(*, actor, campaign_id: int) -> Campaign:
    """A draft becomes scheduled; if its start has come, its launch task runs on commit,
    otherwise the periodic task launches it at starts_at."""
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.DRAFT:
            raise CampaignError(_("只有草稿状态的活动可以发送。"))
        if not campaign.segment.computed_at:
            raise CampaignError(_("客群尚未计算，请先计算客群。"))
        campaign.status = CampaignStatus.SCHEDULED
        campaign.save(update_fields=["status"])
        if campaign.starts_at <= timezone.now():
            after_commit(LAUNCH_TASK, campaign.pk)
    return campaign


# before the launch nothing has been sent: the campaign may still change or be called off
EDITABLE = (CampaignStatus.DRAFT, CampaignStatus.SCHEDULED)


def _editable_locked(campaign_id: int) -> Campaign:
    # the launch locks the same row, so an edit cannot land after the messages were queued
    campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
    if campaign.status not in EDITABLE:
        raise CampaignError(_("活动已开始发送，不能再修改或取消。"))
    return campaign


def campaign_edit(*, campaign_id: int, changes: dict) -> Campaign:
    """A draft or scheduled campaign takes the edited fields (its status stays as it was)."""
    with transaction.atomic():
        campaign = _editable_locked(campaign_id)
        for name, value in changes.items():
            setattr(campaign, name, value)
        campaign.save(update_fields=list(changes))
    return campaign


def campaign_cancel(*, campaign_id: int) -> Campaign:
    """A draft or scheduled campaign is called off: it will never launch."""
    with transaction.atomic():
        campaign = _editable_locked(campaign_id)
        campaign.status = CampaignStatus.CANCELLED
        campaign.save(update_fields=["status"])
    return campaign


def campaigns_due(*, now: dt.datetime | None = None) -> list[int]:
    now = now or timezone.now()
    return list(
        Campaign.objects.filter(status=CampaignStatus.SCHEDULED, starts_at__lte=now)
        .order_by("starts_at", "id")
        .values_list("id", flat=True)
    )


def campaign_launch(*, campaign_id: int, now: dt.datetime | None = None) -> dict:
    """Classify every member and queue the messages, in one transaction; a second call for the
    same campaign does nothing (only a scheduled campaign whose start has come launches)."""
    now = now or timezone.now()
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign_id)
        if campaign.status != CampaignStatus.SCHEDULED or campaign.starts_at > now:
            return {}
        start = max(now, campaign.starts_at)
        banner = campaign.channel == CampaignChannel.BANNER
        sent_at = start if banner else next_contact_time(start)
        params = {
            "campaign": campaign.pk,
            "segment": campaign.segment_id,
            "channel": campaign.channel,
            "kind": campaign.offer_kind,
            "holdout": campaign.holdout_percent,
            "cap": settings.MARKETING_FREQUENCY_CAP,
            "cap_since": now - dt.timedelta(days=settings.MARKETING_FREQUENCY_DAYS),
            "sent_at": sent_at,
        }
        with connection.cursor() as cur:
            cur.execute(_CLASSIFY, params)
            if not banner:
                cur.execute(
                    _MESSAGES,
                    {
                        "campaign": campaign.pk,
                        "channel": campaign.channel,
                        "subject": campaign.name,
                        "body": _sms_body(campaign.message),
                        "open_label": _("查看："),
                        "unsub_label": _("退订："),
                        "site": settings.SITE_URL,
                        "not_before": sent_at,
                        "key": link_key(),
                    },
                )
        campaign.status, campaign.launched_at = CampaignStatus.RUNNING, now
        campaign.save(update_fields=["status", "launched_at"])
    counts = CampaignContact.objects.filter(campaign=campaign).values_list("result")
    return dict(counts.annotate(n=Count("id")).order_by())


# --- the customer's side ---------------------------------------------------------------------


def contact_open(*, token: str) -> CampaignContact | None:
    """The tracking link was opened: the first opening is kept."""
    contact_id = contact_for_token(token, OPEN)
    if contact_id is None:
        return None
    CampaignContact.objects.filter(pk=contact_id, opened_at__isnull=True).update(
        opened_at=timezone.now()
    )
    return CampaignContact.objects.filter(pk=contact_id).first()


def unsubscribe_contact(*, token: str) -> int | None:
    """The customer the unsubscribe token was made for, or None."""
    contact_id = contact_for_token(token, UNSUBSCRIBE)
    if contact_id is None:
        return None
    return (
        CampaignContact.objects.filter(pk=contact_id).values_list("customer_id", flat=True).first()
    )


def consent_active(customer) -> MarketingConsent | None:
    return MarketingConsent.objects.filter(customer=customer, withdrawn_at__isnull=True).first()


def consent_give(*, customer, via: str) -> MarketingConsent:
    with transaction.atomic():
        current = (
            MarketingConsent.objects.select_for_update()
            .filter(customer=customer, withdrawn_at__isnull=True)
            .first()
        )
        return current or MarketingConsent.objects.create(
            customer=customer, given_via=via, text_version=CONSENT_TEXT_VERSION
        )


def consent_withdraw(*, customer_id: int, via: str) -> bool:
    """Withdraw the active consent; False when there was none (withdrawing twice is harmless)."""
    return bool(
        MarketingConsent.objects.filter(customer_id=customer_id, withdrawn_at__isnull=True).update(
            withdrawn_at=timezone.now(), withdrawn_via=via
        )
    )


_BANNER = f"""
SELECT c.id FROM servicing_campaigncontact c
  JOIN servicing_campaign k ON k.id = c.campaign_id
 WHERE c.customer_id = %(customer)s AND c.result = 'sent' AND k.channel = 'banner'
   AND k.status = 'running' AND k.starts_at <= %(now)s AND {WINDOW_END_SQL} > %(now)s
   AND EXISTS (SELECT 1 FROM servicing_marketingconsent mc
                WHERE mc.customer_id = c.customer_id AND mc.withdrawn_at IS NULL)
 ORDER BY k.starts_at DESC, c.id DESC
 LIMIT 1
"""  # noqa: S608 - constant SQL; values are bound


def banner_for(customer) -> dict | None:
    """The customer's current banner (the latest running banner campaign they were sent, while
    they still consent); showing it counts as opened."""
    now = timezone.now()
    with connection.cursor() as cur:
        cur.execute(
            _BANNER,
            {"customer": customer.pk, "now": now, "days": settings.MARKETING_ATTRIBUTION_DAYS},
        )
        row = cur.fetchone()
    if row is None:
        return None
    CampaignContact.objects.filter(pk=row[0], opened_at__isnull=True).update(opened_at=now)
    contact = CampaignContact.objects.select_related("campaign").get(pk=row[0])
    return {
        "contact": contact,
        "message": contact.campaign.message,
        "open_url": f"/m/o/{contact_token(contact.pk, OPEN)}/",
    }
