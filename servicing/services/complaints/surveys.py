"""Satisfaction surveys (满意度回访): an invitation after a complaint closes and after the key
moments of a loan (funded, settled). The loans' invitations are created set-based each night for
the business day's events; every invitation is texted once (dedupe_key) inside contact hours.

The link carries the invitation's token signed with the site key (django.core.signing), valid
SURVEY_LINK_DAYS: no login, and one answer per invitation."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.notifications import notification_send
from servicing.eod.sql import REPAID_SQL, run
from servicing.models.customers import Complaint
from servicing.models.surveys import SurveyInvitation, SurveyOccasion
from servicing.services.complaints import ComplaintError

SALT = "servicing.survey"


def survey_link(invitation: SurveyInvitation) -> str:
    return reverse(
        "servicing:survey_answer", args=[signing.dumps(str(invitation.token), salt=SALT)]
    )


def survey_for_link(signed: str) -> SurveyInvitation | None:
    """The invitation of a signed link, or None for a forged, foreign or expired one."""
    try:
        token = signing.loads(
            signed, salt=SALT, max_age=dt.timedelta(days=settings.SURVEY_LINK_DAYS)
        )
        return SurveyInvitation.objects.filter(token=uuid.UUID(token)).first()
    except (signing.BadSignature, ValueError):
        return None


def survey_invite_complaint(*, complaint_id: int) -> None:
    complaint = Complaint.objects.get(pk=complaint_id)
    SurveyInvitation.objects.get_or_create(
        complaint=complaint,
        defaults={
            "customer_id": complaint.customer_id,
            "occasion": SurveyOccasion.COMPLAINT_CLOSED,
        },
    )


def surveys_invite_loans(*, business_date: dt.date) -> int:
    """The business day's funded and settled loans, one invitation each (re-run safe)."""
    return run(
        f"""
        INSERT INTO servicing_surveyinvitation
            (customer_id, occasion, loan_id, token, created_at, sent_at, score, comment, answered_at)
        SELECT l.customer_id, e.occasion, l.id, gen_random_uuid(), now(), NULL, NULL, '', NULL
          FROM servicing_loan l
          CROSS JOIN LATERAL (
                SELECT 'funded' AS occasion WHERE l.value_date = %(d)s
                UNION ALL
                SELECT 'settled' WHERE l.closed_on = %(d)s
                   AND l.status IN {REPAID_SQL}) e
         WHERE l.value_date = %(d)s OR l.closed_on = %(d)s
        ON CONFLICT (loan_id, occasion) WHERE loan_id IS NOT NULL DO NOTHING
        """,  # noqa: S608 - SQL built from constants; values are bound
        {"d": business_date},
    )


def surveys_send() -> int:
    """Text every unsent invitation its link, delivered inside contact hours."""
    sent = 0
    pending = SurveyInvitation.objects.filter(sent_at__isnull=True).select_related("customer")
    for inv in pending.iterator():
        if inv.customer.phone:
            notification_send(
                channel="sms",
                to=inv.customer.phone,
                body=_("【AutoFin】感谢您的信任！请花一分钟为我们的服务打分：%(url)s")
                % {"url": settings.SITE_URL.rstrip("/") + survey_link(inv)},
                purpose="survey",
                respect_quiet_hours=True,
                dedupe_key=f"survey:{inv.pk}",
            )
            sent += 1
        SurveyInvitation.objects.filter(pk=inv.pk).update(sent_at=timezone.now())
    return sent


def survey_answer(*, invitation: SurveyInvitation, score: int, comment: str = "") -> None:
    if score not in range(1, 6):
        raise ComplaintError(_("请选择 1–5 分。"), field="score")
    with transaction.atomic():
        done = SurveyInvitation.objects.filter(pk=invitation.pk, answered_at__isnull=True).update(
            score=score, comment=comment.strip()[:1000], answered_at=timezone.now()
        )
    if not done:
        raise ComplaintError(_("您已提交过本次评价，感谢您的反馈。"))
