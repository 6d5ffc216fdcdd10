"""Step 5: the consents, each given against the text version the customer read (PIPL), and
withdrawn at will."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from autofin.audit import audit_record
from origination.models.applications import Application, ApplicationStatus
from origination.models.privacy import Consent, ConsentKind, ConsentText
from origination.services.applications.drafts import actor_user
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
    errors_add,
)
from origination.services.state import event_record

S = ApplicationStatus


def consent_texts_current() -> dict[str, ConsentText]:
    """The latest text of each consent kind (in effect now)."""
    texts: dict[str, ConsentText] = {}
    for text in ConsentText.objects.filter(effective_at__lte=timezone.now()).order_by(
        "consent_kind", "-version"
    ):
        texts.setdefault(text.consent_kind, text)
    return texts


def consents_missing(application: Application, *, given: set[str] | None = None) -> list[str]:
    """Required consent kinds without an active consent on the application (``given``: the
    kinds actively consented, if the caller has read them already)."""
    required = [k for k, t in consent_texts_current().items() if t.required]
    if given is None:
        given = set(
            Consent.objects.filter(application=application, withdrawn_at__isnull=True).values_list(
                "consent_kind", flat=True
            )
        )
    return [k for k in ConsentKind.values if k in required and k not in given]


def application_consents_give(
    *,
    actor: Any,
    application: Application,
    kinds: Iterable[str],
    text_versions: Mapping[str, int] | None = None,
    via: str = "web",
    ip: str | None = None,
) -> list[Consent]:
    """Record each consent kind ticked, against the text version shown (the current one if
    ``text_versions`` does not say). Consents already given stay as they were."""
    kinds = list(dict.fromkeys(kinds))
    texts = consent_texts_current()
    errors: dict[str, list[str]] = {}
    for kind in kinds:
        if kind not in texts:
            errors_add(errors, kind, _("未知的授权类型。"))
        elif (
            text_versions
            and kind in text_versions
            and texts[kind].version != int(text_versions[kind])
        ):
            errors_add(errors, kind, _("授权文本已更新，请阅读最新版本后重新勾选。"))
    if errors:
        raise ApplicationValidationError(errors)
    created = []
    with transaction.atomic():
        app = Application.objects.select_for_update().get(pk=application.pk)
        if app.status in {S.DECLINED, S.WITHDRAWN, S.CANCELLED, S.FUNDED}:
            raise ApplicationNotEditableError(app.status)
        active = set(
            Consent.objects.filter(application=app, withdrawn_at__isnull=True).values_list(
                "consent_kind", flat=True
            )
        )
        for kind in kinds:
            if kind in active:
                continue
            consent = Consent.objects.create(
                application=app,
                consent_kind=kind,
                text=texts[kind],
                user=actor_user(actor),
                subject_key=app.customer_key,
                given_via=via,
                ip_address=ip or None,
            )
            audit_record(
                actor=actor,
                obj=consent,
                action="consent_give",
                to_state="given",
                data={"kind": kind, "version": texts[kind].version, "application": app.reference},
            )
            created.append(consent)
        if created:
            event_record(
                application=app,
                kind="consent",
                actor=actor,
                reason=", ".join(c.consent_kind for c in created),
            )
    return created


def consent_withdraw(*, actor: Any, consent: Consent, reason: str = "") -> Consent:
    with transaction.atomic():
        consent = Consent.objects.select_for_update().get(pk=consent.pk)
        if consent.withdrawn_at is not None:
            return consent
        consent.withdrawn_at = timezone.now()
        consent.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=actor,
            obj=consent,
            action="consent_withdraw",
            from_state="given",
            to_state="withdrawn",
            reason=reason,
            data={"kind": consent.consent_kind},
        )
        event_record(
            application=consent.application,
            kind="consent_withdrawn",
            actor=actor,
            reason=consent.consent_kind,
        )
        return consent
