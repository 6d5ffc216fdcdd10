"""Origination's four-eyes actions (autofin.approvals): publishing a product version.

The maker submits the draft's rules as they are at that moment; the checker approves exactly
that: if the draft was edited after the request, approval refuses and the request must be
rejected and submitted again.
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.urls import reverse
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from autofin.approvals import (
    ApprovalError,
    Change,
    FourEyesAction,
    Submission,
    four_eyes_action_register,
    four_eyes_submit,
)
from origination.models import ProductVersion
from origination.quoting.validation import rules_validate
from origination.selectors.products import regulatory_caps
from origination.services.products import (
    ProductRulesInvalidError,
    ProductVersionImmutableError,
    product_version_publish,
)

PRODUCT_PUBLISH = "product_publish"


def _same(a: Any, b: Any) -> bool:
    dump = lambda v: json.dumps(v, cls=DjangoJSONEncoder, sort_keys=True)  # noqa: E731
    return dump(a) == dump(b)


def _draft(version: ProductVersion, *, lock: bool = False) -> ProductVersion:
    qs = ProductVersion.objects.select_related("product")
    # Executing: hold the draft so no edit slips in between this check and the publication.
    version = (qs.select_for_update(of=("self",)) if lock else qs).get(pk=version.pk)
    if version.is_published:
        raise ApprovalError(_("该版本已发布，不能再次发布。"), code="published")
    return version


def _payload(version: ProductVersion) -> dict:
    return {"number": version.number, "rules": version.rules_build()}


def _authorised(user, version: ProductVersion) -> bool:
    return user.has_perm("origination.change_productversion")


def _label(key: str):
    try:
        return ProductVersion._meta.get_field(key).verbose_name
    except Exception:  # noqa: BLE001 - keys of the snapshot that are not fields keep their name
        return key


def _render(key: str, value: Any) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if key == "rates":
        parts = []
        for row in value:
            figure = row.get("annual_rate") or f"LPR + {row.get('spread_bps')} bp"
            parts.append(f"{row['term_months']}/{row['tier']}: {figure}")
        return "; ".join(parts)
    if isinstance(value, list | dict):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True)
    return str(value)


def _unchanged(version: ProductVersion, payload: dict, *, lock: bool = False) -> ProductVersion:
    version = _draft(version, lock=lock)
    if not _same(version.rules_build(), payload["rules"]):
        raise ApprovalError(_("草稿在提交复核后已被修改，请驳回本申请并重新提交。"), code="stale")
    return version


def _describe(version: ProductVersion, payload: dict) -> list[Change]:
    version = _unchanged(version, payload)
    after = payload["rules"]
    problems = rules_validate(after, caps=regulatory_caps())
    if problems:
        raise ApprovalError("；".join(p.render(gettext) for p in problems), code="rules")
    current = version.product.versions.filter(status="published").order_by("-number").first()
    before = current.rules if current else {}
    changes = [
        Change(
            _("在售版本"),
            f"v{current.number}" if current else "—",
            f"v{version.number}",
        )
    ]
    for key, value in after.items():
        if key in ("version", "product_code"):
            continue
        old = before.get(key)
        if not before or not _same(old, value):
            changes.append(Change(_label(key), _render(key, old), _render(key, value)))
    return changes


def _execute(*, actor, maker, target: ProductVersion, payload: dict) -> ProductVersion:
    _unchanged(target, payload, lock=True)
    try:
        return product_version_publish(actor=actor, version=target)
    except ProductRulesInvalidError as exc:
        raise ApprovalError("；".join(v.render(gettext) for v in exc.violations)) from exc
    except ProductVersionImmutableError as exc:
        raise ApprovalError(_("该版本已发布，不能再次发布。"), code="published") from exc


def _url(version: ProductVersion) -> str:
    url = reverse("origination:product_detail", kwargs={"code": version.product.code})
    return f"{url}?version={version.number}"


def product_version_publish_submit(
    *, actor: Any, version: ProductVersion, reason: str = ""
) -> Submission:
    """Publish a draft, or (four eyes on) ask a second product manager to approve it. Rules
    that cannot be published are refused at once (ProductRulesInvalidError), nothing stored."""
    version = _draft(version)
    problems = rules_validate(version.rules_build(), caps=regulatory_caps())
    if problems:
        raise ProductRulesInvalidError(problems)
    return four_eyes_submit(
        action=PRODUCT_PUBLISH,
        actor=actor,
        target=version,
        payload=_payload(version),
        reason=reason or version.change_note,
    )


def register() -> None:
    four_eyes_action_register(
        FourEyesAction(
            name=PRODUCT_PUBLISH,
            label=_("产品版本发布"),
            policy_key="four_eyes.product_publish",
            execute=_execute,
            authorised=_authorised,
            describe=_describe,
            url=_url,
        )
    )
