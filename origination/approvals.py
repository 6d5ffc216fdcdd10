"""Origination's four-eyes actions (autofin.approvals): publishing a product version.

The maker submits the draft's rules as they are at that moment; the checker approves exactly
that: if the draft was edited after the request, approval refuses and the request must be
rejected and submitted again.
"""

from __future__ import annotations

import json
from decimal import Decimal
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
from origination.quoting.figures import cny_text, percent_text
from origination.quoting.validation import rules_validate
from origination.quoting.vocabulary import RULE_LABELS, VEHICLE_USE_LABELS
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


# Snapshot keys that are not model fields, and those the checker needs no line for.
_KEY_LABELS = {
    "product_name": _("产品名称"),
    "vehicle_kind": _("产品线"),
    "contract_type": _("合同类型"),
    "secured": _("车辆抵押"),
    "rates": _("利率表"),
    "subsidy": _("厂商贴息"),
}
_RATIO_KEYS = ("balloon_ratio_min", "balloon_ratio_max", "penalty_markup", "early_settlement_fee_rate")  # fmt: skip


def _label(key: str):
    if key in _KEY_LABELS:
        return _KEY_LABELS[key]
    try:
        return ProductVersion._meta.get_field(key).verbose_name
    except Exception:  # noqa: BLE001 - keys of the snapshot that are not fields keep their name
        return key


def _word(code) -> str:
    return gettext(RULE_LABELS.get(str(code), str(code)))


def _fee_text(fee: dict) -> str:
    value = Decimal(fee["value"])
    if fee["basis"] == "percent":
        how = gettext("融资额的 %(rate)s") % {"rate": percent_text(value)}
    elif fee["basis"] == "per_instalment":
        how = gettext("每期 %(amount)s") % {"amount": cny_text(value)}
    else:
        how = cny_text(value)
    paid = gettext("计入融资额") if fee["financed"] else gettext("签约时付")
    if fee["basis"] == "per_instalment":
        paid = gettext("随月供支付")
    return f"{_word(fee['fee_kind'])} {how}{gettext('（')}{paid}{gettext('）')}"


def _item_text(item: dict) -> str:
    caps = []
    if item.get("cap_amount"):
        caps.append("≤ " + cny_text(Decimal(item["cap_amount"])))
    if item.get("cap_ratio"):
        caps.append(
            gettext("≤ 车价 %(ratio)s") % {"ratio": percent_text(Decimal(item["cap_ratio"]))}
        )
    cap = gettext("，").join(caps) or gettext("不设上限")
    return f"{_word(item['item_kind'])}{gettext('（')}{cap}{gettext('）')}"


def _ltv_text(rule: dict) -> str:
    return gettext("%(kind)s·%(use)s：首付 ≥ %(down)s，贷款价值比 ≤ %(ltv)s") % {
        "kind": _word(rule["vehicle_kind"]),
        "use": gettext(VEHICLE_USE_LABELS.get(rule["vehicle_use"], rule["vehicle_use"])),
        "down": percent_text(Decimal(rule["min_down_payment_ratio"])),
        "ltv": percent_text(Decimal(rule["max_ltv"])),
    }


def _rate_text(row: dict) -> str:
    if row.get("annual_rate") is not None:
        figure = percent_text(Decimal(row["annual_rate"]))
    else:
        figure = gettext("LPR + %(bp)s 基点") % {"bp": row.get("spread_bps")}
    return gettext("%(term)s 期 %(tier)s 类 %(figure)s") % {
        "term": row["term_months"], "tier": row["tier"], "figure": figure,
    }  # fmt: skip


def _render(key: str, value: Any) -> str:
    """A snapshot value as the checker reads it: labels, percentages and yuan, not codes."""
    if value is None or value == "" or value == []:
        return "—"
    rows = {"rates": _rate_text, "ltv_rules": _ltv_text, "fees": _fee_text,
            "financed_items": _item_text}  # fmt: skip
    if key in rows:
        return gettext("；").join(rows[key](row) for row in value)
    if key in ("methods", "vehicle_kind", "contract_type"):
        return gettext("、").join(_word(v) for v in (value if isinstance(value, list) else [value]))
    if key == "terms":
        return gettext("%(terms)s 期") % {"terms": gettext("、").join(str(t) for t in value)}
    if key in _RATIO_KEYS:
        return percent_text(Decimal(value))
    if key in ("amount_min", "amount_max"):
        return cny_text(Decimal(value))
    if isinstance(value, bool):
        return gettext("是") if value else gettext("否")
    if key == "rate_basis":
        return gettext("LPR 加点") if value == "lpr" else gettext("固定利率")
    if key == "lpr_tenor":
        return gettext("5 年期以上") if value == "5y" else gettext("1 年期")
    if key == "subsidy":
        return gettext("%(payer)s：客户利率 %(rate)s") % {
            "payer": value.get("payer", ""), "rate": percent_text(Decimal(value["customer_rate"])),
        }  # fmt: skip
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
        raise ApprovalError(gettext("；").join(p.render(gettext) for p in problems), code="rules")
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
        if before and key == "rates":
            old, value = _rates_changed(old or [], value)
        # Compared as the checker reads them: "0.80" and "0.8" are one cap, not a change.
        shown = (_render(key, old), _render(key, value))
        if not before or shown[0] != shown[1]:
            changes.append(Change(_label(key), *shown))
    return changes


def _rates_changed(old: list, new: list) -> tuple[list, list]:
    """Only the cells of the rate table that differ (a 5 × 4 table in full hides the one)."""

    def cells(rows):
        return {(r["term_months"], r["tier"]): r for r in rows}

    before, after = cells(old), cells(new)

    def figure(row):
        if row is None:
            return None
        value = (
            row.get("annual_rate") if row.get("annual_rate") is not None else row.get("spread_bps")
        )
        return Decimal(str(value))

    keys = sorted(k for k in before.keys() | after.keys() if figure(before.get(k)) != figure(after.get(k)))  # fmt: skip
    return [before[k] for k in keys if k in before], [after[k] for k in keys if k in after]


def _execute(*, actor, maker, target: ProductVersion, payload: dict) -> ProductVersion:
    _unchanged(target, payload, lock=True)
    try:
        return product_version_publish(actor=actor, version=target)
    except ProductRulesInvalidError as exc:
        raise ApprovalError(gettext("；").join(v.render(gettext) for v in exc.violations)) from exc
    except ProductVersionImmutableError as exc:
        raise ApprovalError(_("该版本已发布，不能再次发布。"), code="published") from exc


def _title(version: ProductVersion) -> str:
    """The product's name, as the product manager knows it (the code stays on the product page)."""
    return f"{version.product.name} v{version.number}"


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
            title=_title,
        )
    )
