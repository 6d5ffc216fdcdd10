"""The product pages of product managers and risk analysts: the list with the LPR and the
regulatory limits, a product's versions and rate table, opening a draft and publishing it
(four eyes: a second product manager approves)."""

from __future__ import annotations

from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from origination.approvals import PRODUCT_PUBLISH, product_version_publish_submit
from origination.forms.product_rules import ProductEditor
from origination.models import Product, ProductVersion, RepaymentMethod
from origination.quoting.deal import Deal
from origination.quoting.vocabulary import TIERS
from origination.selectors.products import (
    lpr_rates_latest,
    product_list_for_managers,
    product_versions,
    regulatory_limits,
)
from origination.services.products import (
    ProductRulesInvalidError,
    ProductVersionImmutableError,
    product_draft_open,
    product_version_grid_save,
)
from origination.services.quotes import quote_preview


@login_required
@permission_required("origination.view_product", raise_exception=True)
def product_list(request):
    return render(
        request,
        "origination/product_list.html",
        {
            "products": product_list_for_managers(),
            "lpr_rates": lpr_rates_latest(),
            "limits": regulatory_limits(),
        },
    )


@login_required
@permission_required("origination.view_product", raise_exception=True)
def product_detail(request, code: str):
    product = get_object_or_404(Product, code=code)
    versions = list(product_versions(product=product))
    number = request.GET.get("version")
    shown = next((v for v in versions if str(v.number) == number), None) or (
        next((v for v in versions if v.is_published), None) or (versions[0] if versions else None)
    )
    for v in versions:
        # A draft waiting for its second person shows that instead of another publish button.
        v.pending_publish = (
            None
            if v.is_published
            else approval_request_pending_for(action=PRODUCT_PUBLISH, target=v)
        )
    rules = shown.current_rules() if shown else None
    rate_rows = []
    if rules:
        key = "annual_rate" if rules["rate_basis"] == "fixed" else "spread_bps"
        table = {(r["term_months"], r["tier"]): r[key] for r in rules["rates"]}
        rate_rows = [(term, [table.get((term, t)) for t in TIERS]) for term in rules["terms"]]
    return render(
        request,
        "origination/product_detail.html",
        {
            "product": product,
            "versions": versions,
            "shown": shown,
            "rules": rules,
            "rate_rows": rate_rows,
            "tiers": TIERS,
            "method_labels": dict(RepaymentMethod.choices),
            "can_edit": request.user.has_perm("origination.change_productversion"),
            "has_draft": any(not v.is_published for v in versions),
        },
    )


@login_required
@permission_required("origination.change_productversion", raise_exception=True)
@require_POST
def product_draft(request, code: str):
    product = get_object_or_404(Product, code=code)
    draft = product_draft_open(actor=request.user, product=product)
    messages.success(request, _("已打开草稿版本 %(n)s，可点击“编辑草稿”修改") % {"n": draft.number})
    url = reverse("origination:product_detail", kwargs={"code": code})
    return redirect(f"{url}?version={draft.number}")


@login_required
@permission_required("origination.change_productversion", raise_exception=True)
@require_POST
def product_publish(request, code: str, number: int):
    version = get_object_or_404(ProductVersion, product__code=code, number=number)
    try:
        submitted = product_version_publish_submit(actor=request.user, version=version)
    except ProductRulesInvalidError as exc:
        for violation in exc.violations:
            messages.error(request, violation.render(_))
    except ProductVersionImmutableError:
        messages.error(request, _("该版本已发布，不能修改"))
    except ApprovalError as exc:
        messages.error(request, str(exc.message))
    else:
        if submitted.pending:
            messages.success(
                request,
                _("已提交复核：版本 %(n)s 将在另一位产品经理批准后发布") % {"n": version.number},
            )
        else:
            messages.success(request, _("已发布版本 %(n)s") % {"n": version.number})
    return redirect("origination:product_detail", code=code)


@login_required
@permission_required("origination.change_productversion", raise_exception=True)
def product_edit(request, code: str, number: int):
    """A draft's whole rules on one page (terms, methods, amounts, rate grid, LTV rules, fees,
    financed items), saved only when they pass rules_validate, with a sample quote priced on
    the saved draft."""
    version = get_object_or_404(ProductVersion, product__code=code, number=number)
    if version.is_published:
        messages.error(request, _("该版本已发布，不能修改；请在产品页“复制为新版本”后编辑"))
        return redirect("origination:product_detail", code=code)
    rules = version.rules_build()
    editor = ProductEditor(request.POST if request.method == "POST" else None, rules=rules)
    if request.method == "POST" and editor.is_valid():
        try:
            product_version_grid_save(actor=request.user, version=version, **editor.changes())
        except ProductRulesInvalidError as exc:
            editor.violations_show(exc.violations)
        except ProductVersionImmutableError:
            messages.error(request, _("该版本已发布，不能修改"))
            return redirect("origination:product_detail", code=code)
        else:
            messages.success(request, _("已保存草稿版本 %(n)s") % {"n": version.number})
            return redirect("origination:product_edit", code=code, number=number)
    return render(
        request,
        "origination/product_edit.html",
        {
            "product": version.product,
            "version": version,
            "editor": editor,
            "form": editor.grid,
            "tiers": TIERS,
            "lpr": rules["rate_basis"] == "lpr",
            "preview": _preview(version, rules),
            "pending_publish": approval_request_pending_for(action=PRODUCT_PUBLISH, target=version),
        },
    )


def _preview(version: ProductVersion, rules: dict):
    """A sample deal (¥200,000 car, the least down payment the first LTV rule allows, the
    shortest term, tier A) priced on the saved draft; None when it cannot be priced yet."""
    if not (rules["ltv_rules"] and rules["terms"] and rules["methods"]):
        return None
    ltv = rules["ltv_rules"][0]
    deal = Deal(
        vehicle_kind=ltv["vehicle_kind"],
        vehicle_use=ltv["vehicle_use"],
        vehicle_price=Decimal("200000.00"),
        term_months=min(rules["terms"]),
        method=rules["methods"][0],
        tier=TIERS[0],
        # a cap below 1 − minimum down payment asks for more down than the minimum
        down_payment_ratio=max(
            Decimal(str(ltv["min_down_payment_ratio"])), 1 - Decimal(str(ltv["max_ltv"]))
        ),
    )
    try:
        return quote_preview(version=version, deal=deal)
    except (ValueError, KeyError):
        return None
