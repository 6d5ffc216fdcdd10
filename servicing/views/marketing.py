"""The marketing pages (营销, Role.MARKETING): segments with the rule builder and its live count,
campaigns with their message preview, launch, funnel and uplift; and the customer's side —
the tracking link, one-tap unsubscribe, and marketing consent on the contact page. Thin: the
rules, launch, attribution and report live in servicing.services.marketing."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseForbidden
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_for_posting
from autofin.roles import Role, user_has_role
from servicing.forms.marketing import CampaignForm, SegmentForm
from servicing.models.marketing import Campaign, CampaignChannel, Segment
from servicing.services.marketing import campaigns as svc
from servicing.services.marketing.links import OFFERS_PATH
from servicing.services.marketing.report import campaign_funnel, campaign_uplift
from servicing.services.marketing.rules import (
    CHOICE,
    DATE,
    FACTS,
    OPS,
    OPS_BY_KIND,
    RuleError,
    rule_describe,
    rules_where,
)
from servicing.services.marketing.segments import segment_compute, segment_count

MAX_ROWS = 12


def _forbidden():
    return HttpResponseForbidden(_("您没有访问营销功能的权限。"))


def _marketer(request) -> bool:
    return user_has_role(request.user, Role.MARKETING)


# --- the rule builder ------------------------------------------------------------------------


def _rules_from_post(post) -> list[dict]:
    rules = []
    for i in post.getlist("row"):
        if not i.isdigit():
            continue
        rule = {"fact": post.get(f"fact_{i}", ""), "op": post.get(f"op_{i}", "")}
        fact = FACTS.get(rule["fact"])
        # a fact changed since the operator was picked: its first operator
        if fact and rule["op"] not in OPS_BY_KIND[fact.kind]:
            rule["op"] = OPS_BY_KIND[fact.kind][0]
        for key in ("value", "value2"):
            if post.get(f"{key}_{i}", "") != "":
                rule[key] = post.get(f"{key}_{i}").strip()
        rules.append(rule)
    return rules


def _builder_rows(rules: list[dict], error: RuleError | None) -> list[dict]:
    rows = []
    for i, rule in enumerate(rules):
        fact = FACTS.get(rule.get("fact", "")) or next(iter(FACTS.values()))
        op = OPS.get(rule.get("op", "")) or OPS[OPS_BY_KIND[fact.kind][0]]
        if op.days:
            input_kind = "days"
        elif op.values == 0:
            input_kind = "none"
        elif fact.kind == CHOICE:
            input_kind = "choice"
        else:
            input_kind = "date" if fact.kind == DATE else "number"
        rows.append(
            {
                "i": i,
                "fact": fact.column,
                "op": op.code,
                "value": rule.get("value", ""),
                "value2": rule.get("value2", ""),
                "ops": [(code, OPS[code].label) for code in OPS_BY_KIND[fact.kind]],
                "input": input_kind,
                "two": op.values == 2,
                "choices": fact.choices,
                "error": error.message if error is not None and error.index == i else "",
            }
        )
    return rows


def _builder_context(rules: list[dict], *, pending: int | None = None) -> dict:
    """`pending`: the row just put on the page, not yet filled in — its empty value is not an
    error to shout about before the user has typed (the count stays — until it is valid)."""
    today = business_date_for_posting()
    error, count = None, None
    try:
        count = segment_count(rules=rules, today=today)
    except RuleError as exc:
        error = None if pending is not None and exc.index == pending else exc
    return {
        "rows": _builder_rows(rules, error),
        "facts": [(f.column, f.label) for f in FACTS.values()],
        "count": count,
        "rule_error": error.message if error is not None and error.index is None else "",
        "can_add": len(rules) < MAX_ROWS,
    }


def _apply_action(post, rules: list[dict]) -> list[dict]:
    action = post.get("action", "")
    if action == "add" and len(rules) < MAX_ROWS:
        rules.append({"fact": "instalments_paid", "op": "gte"})
    elif action.startswith("remove_") and action[7:].isdigit():
        index = int(action[7:])
        rules = [r for n, r in enumerate(rules) if n != index]
    return rules


@login_required
def segment_list(request):
    if not _marketer(request):
        return _forbidden()
    segments = list(Segment.objects.all())
    for segment in segments:
        segment.rule_texts = [rule_describe(r) for r in segment.rules]
    return render(request, "servicing/marketing/segments.html", {"segments": segments})


@login_required
def segment_edit(request, segment_id: int | None = None):
    if not _marketer(request):
        return _forbidden()
    segment = get_object_or_404(Segment, pk=segment_id) if segment_id else None
    rules = list(segment.rules) if segment else [{"fact": "instalments_paid", "op": "gte"}]
    form = SegmentForm(instance=segment)
    pending = None if segment else 0
    if request.method == "POST":
        form = SegmentForm(request.POST, instance=segment)
        rules = _apply_action(request.POST, _rules_from_post(request.POST))
        pending = len(rules) - 1 if request.POST.get("action") == "add" else None
        if request.POST.get("action") == "save" and form.is_valid():
            try:
                rules_where(rules, today=business_date_for_posting())
            except RuleError as exc:
                messages.error(request, exc.message)
            else:
                saved = form.save(commit=False)
                saved.rules = rules
                if saved.created_by_id is None:
                    saved.created_by = request.user
                saved.save()
                count = segment_compute(saved, today=business_date_for_posting())
                messages.success(request, _("客群已保存，当前 %(n)s 位客户。") % {"n": count})
                return redirect("servicing:marketing_segments")
    return render(
        request,
        "servicing/marketing/segment_edit.html",
        {"segment": segment, "form": form, **_builder_context(rules, pending=pending)},
    )


@login_required
@require_POST
def segment_preview(request):
    """The builder's rows and live count, re-rendered as the user edits (htmx)."""
    if not _marketer(request):
        return _forbidden()
    rules = _apply_action(request.POST, _rules_from_post(request.POST))
    added = len(rules) - 1 if request.POST.get("action") == "add" else None
    return render(
        request, "servicing/marketing/_builder.html", _builder_context(rules, pending=added)
    )


@login_required
@require_POST
def segment_recompute(request, segment_id: int):
    if not _marketer(request):
        return _forbidden()
    segment = get_object_or_404(Segment, pk=segment_id)
    try:
        count = segment_compute(segment, today=business_date_for_posting())
    except RuleError as exc:
        messages.error(request, _("客群规则已失效，请编辑后保存：%(m)s") % {"m": exc.message})
    else:
        messages.success(request, _("客群已重新计算，当前 %(n)s 位客户。") % {"n": count})
    return redirect("servicing:marketing_segments")


# --- campaigns -------------------------------------------------------------------------------


@login_required
def campaign_list(request):
    if not _marketer(request):
        return _forbidden()
    campaigns = Campaign.objects.select_related("segment")[:200]
    return render(request, "servicing/marketing/campaigns.html", {"campaigns": campaigns})


@login_required
def campaign_new(request):
    if not _marketer(request):
        return _forbidden()
    form = CampaignForm(request.POST or None, initial={"holdout_percent": 10})
    if request.method == "POST" and request.POST.get("action") != "preview" and form.is_valid():
        campaign = form.save(commit=False)
        campaign.created_by = request.user
        campaign.save()
        messages.success(request, _("活动已保存为草稿。"))
        return redirect("servicing:marketing_campaign", campaign_id=campaign.pk)
    preview = svc.message_preview(
        message=request.POST.get("message", ""),
        channel=request.POST.get("channel", CampaignChannel.SMS),
    )
    return render(
        request, "servicing/marketing/campaign_new.html", {"form": form, "preview": preview}
    )


@login_required
def campaign_edit(request, campaign_id: int):
    if not _marketer(request):
        return _forbidden()
    campaign = get_object_or_404(Campaign, pk=campaign_id)
    if campaign.status not in svc.EDITABLE:
        messages.error(request, _("活动已开始发送，不能再修改或取消。"))
        return redirect("servicing:marketing_campaign", campaign_id=campaign.pk)
    form = CampaignForm(request.POST or None, instance=campaign)
    if request.method == "POST" and request.POST.get("action") != "preview" and form.is_valid():
        try:
            svc.campaign_edit(
                campaign_id=campaign.pk,
                changes={name: form.cleaned_data[name] for name in CampaignForm.Meta.fields},
            )
        except svc.CampaignError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("活动已修改。"))
        return redirect("servicing:marketing_campaign", campaign_id=campaign.pk)
    preview = svc.message_preview(
        message=request.POST.get("message", campaign.message),
        channel=request.POST.get("channel", campaign.channel),
    )
    return render(
        request,
        "servicing/marketing/campaign_new.html",
        {"form": form, "preview": preview, "campaign": campaign},
    )


@login_required
@require_POST
def campaign_cancel(request, campaign_id: int):
    if not _marketer(request):
        return _forbidden()
    get_object_or_404(Campaign, pk=campaign_id)
    try:
        svc.campaign_cancel(campaign_id=campaign_id)
    except svc.CampaignError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("活动已取消，不会发送。"))
    return redirect("servicing:marketing_campaign", campaign_id=campaign_id)


@login_required
@require_POST
def campaign_preview(request):
    if not _marketer(request):
        return _forbidden()
    preview = svc.message_preview(
        message=request.POST.get("message", ""),
        channel=request.POST.get("channel", CampaignChannel.SMS),
    )
    return render(request, "servicing/marketing/_preview.html", {"preview": preview})


def _percentages(uplift) -> dict | None:
    if uplift is None:
        return None
    return {
        "treated": f"{uplift.treated_rate * 100:.2f}",
        "holdout": f"{uplift.holdout_rate * 100:.2f}",
        "difference": f"{uplift.difference * 100:+.2f}",
        "low": f"{uplift.low * 100:+.2f}",
        "high": f"{uplift.high * 100:+.2f}",
        "significant": uplift.significant,
        "raw": uplift,
    }


@login_required
def campaign_detail(request, campaign_id: int):
    if not _marketer(request):
        return _forbidden()
    campaign = get_object_or_404(Campaign.objects.select_related("segment"), pk=campaign_id)
    funnel = campaign_funnel(campaign)
    treated = funnel["treated"]
    stages = [
        (key, label, treated[key], funnel["holdout"][key])
        for key, label in (
            ("members", _("触达人数")),
            ("opened", _("打开")),
            ("applied", _("申请")),
            ("approved", _("获批")),
            ("funded", _("放款")),
        )
    ]
    return render(
        request,
        "servicing/marketing/campaign_detail.html",
        {
            "campaign": campaign,
            "funnel": funnel,
            "stages": stages,
            "uplift": [
                (label, _percentages(u))
                for label, u in zip(
                    (_("放款转化率"), _("申请转化率")),
                    campaign_uplift(campaign).values(),
                    strict=True,
                )
            ],
            "rule_texts": [rule_describe(r) for r in campaign.segment.rules],
        },
    )


@login_required
@require_POST
def campaign_launch(request, campaign_id: int):
    if not _marketer(request):
        return _forbidden()
    get_object_or_404(Campaign, pk=campaign_id)
    try:
        campaign = svc.campaign_launch_request(actor=request.user, campaign_id=campaign_id)
    except svc.CampaignError as exc:
        messages.error(request, exc.message)
    else:
        if campaign.starts_at <= timezone.now():
            messages.success(request, _("活动已开始发送，短信和邮件在联系时段内送达。"))
        else:
            messages.success(request, _("活动已排期，开始时间一到即按客群发送。"))
    return redirect("servicing:marketing_campaign", campaign_id=campaign_id)


# --- the customer's side ---------------------------------------------------------------------


def marketing_open(request, token: str):
    """The tracking link: counts the opening, then the customer's offers."""
    if svc.contact_open(token=token) is None:
        raise Http404
    return redirect(OFFERS_PATH)


def marketing_unsubscribe(request, token: str):
    """One tap: the page's single button withdraws (a GET never does — link prefetchers)."""
    customer_id = svc.unsubscribe_contact(token=token)
    if customer_id is None:
        raise Http404
    done = False
    if request.method == "POST":
        svc.consent_withdraw(customer_id=customer_id, via="link")
        done = True
    return render(request, "servicing/marketing/unsubscribe.html", {"done": done})


@login_required
@require_POST
def my_marketing_consent(request):
    if not user_has_role(request.user, Role.CUSTOMER):
        return _forbidden()
    if request.POST.get("give") == "1":
        svc.consent_give(customer=request.user, via="portal")
        messages.success(request, _("您已同意接收营销信息。"))
    else:
        svc.consent_withdraw(customer_id=request.user.pk, via="portal")
        messages.success(request, _("您已退订营销信息。"))
    return redirect("servicing:my_contact")
