"""HTML pages: the public calculator (HTMX), schedule downloads, the product pages."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from autofin.approvals import ApprovalError, approval_request_pending_for
from autofin.ratelimit import heavy_endpoint
from origination import selectors
from origination.approvals import PRODUCT_PUBLISH, product_version_publish_submit
from origination.documents import (
    ScheduleDocument,
    document_csv,
    document_from_evaluation,
    document_from_quote,
    document_html,
    document_pdf,
)
from origination.forms import CALCULATOR_TIER, OPTIONS, CalculatorForm
from origination.models import Product, ProductVersion, RepaymentMethod
from origination.quoting.deal import QuoteEvaluation
from origination.quoting.vocabulary import TIERS
from origination.services.products import (
    ProductRulesInvalidError,
    ProductVersionImmutableError,
    product_draft_open,
)
from origination.services.quotes import quote_preview, violations_messages


@dataclass
class OptionResult:
    number: int
    version: ProductVersion
    evaluation: QuoteEvaluation
    errors: dict[str, list[str]]
    query: str
    term_months: int

    @property
    def error_list(self) -> list[str]:
        return [m for items in self.errors.values() for m in items]


def _calculator_form(request):
    products = selectors.product_versions_current()
    data = request.GET if "price" in request.GET else CalculatorForm.initial_data(products)
    return CalculatorForm(data, products=products), data


def _option_results(form: CalculatorForm, data) -> list[OptionResult]:
    query = data.urlencode() if hasattr(data, "urlencode") else urlencode(data)
    results = []
    for i in OPTIONS:
        version, deal = form.option_deal(i)
        evaluation = quote_preview(version=version, deal=deal).evaluation
        results.append(
            OptionResult(
                number=i,
                version=version,
                evaluation=evaluation,
                errors=violations_messages(evaluation.violations),
                query=f"{query}&option={i}",
                term_months=deal.term_months,
            )
        )
    return results


@require_GET
def calculator(request):
    """The loan calculator: three options side by side, repriced live as the inputs move."""
    form, data = _calculator_form(request)
    options = _option_results(form, data) if form.is_valid() else []
    context = {
        "form": form,
        "options": options,
        "option_fields": [(i, form.option_fields(i)) for i in OPTIONS] if form.products else [],
        "tier": CALCULATOR_TIER,
    }
    if request.headers.get("HX-Request"):
        return render(request, "origination/_calculator_results.html", context)
    return render(request, "origination/calculator.html", context)


def _calculator_document(request) -> ScheduleDocument:
    form, data = _calculator_form(request)
    try:
        option = int(request.GET.get("option", "1"))
    except ValueError:
        option = 0
    if not form.is_valid() or option not in OPTIONS:
        raise _BadRequest(_("试算参数无效"))
    version, deal = form.option_deal(option)
    priced = quote_preview(version=version, deal=deal)
    if not priced.evaluation.ok:
        messages_ = violations_messages(priced.evaluation.violations)
        raise _BadRequest("；".join(m for items in messages_.values() for m in items))
    return document_from_evaluation(version=version, deal=priced.deal, evaluation=priced.evaluation)


class _BadRequest(Exception):
    pass


def _document_response(doc: ScheduleDocument, fmt: str, request) -> HttpResponse:
    if fmt == "csv":
        response = HttpResponse(document_csv(doc), content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = f'attachment; filename="{doc.filename}.csv"'
        return response
    if fmt == "pdf":
        response = HttpResponse(document_pdf(doc), content_type="application/pdf")
        response["Content-Disposition"] = f'attachment; filename="{doc.filename}.pdf"'
        return response
    return HttpResponse(document_html(doc, for_pdf=False))


@require_GET
@heavy_endpoint(only_formats=("csv", "pdf"))
def calculator_schedule(request, fmt: str = "html"):
    """One calculator option's schedule: printable page, CSV or PDF (nothing is saved)."""
    try:
        doc = _calculator_document(request)
    except _BadRequest as exc:
        return HttpResponseBadRequest(str(exc), content_type="text/plain; charset=utf-8")
    return _document_response(doc, fmt, request)


@require_GET
@heavy_endpoint(only_formats=("csv", "pdf"))
def quote_schedule(request, reference, fmt: str = "html"):
    """A saved quote's schedule (the quote's reference is an unguessable UUID)."""
    quote = selectors.quote_get(reference=reference)
    if quote is None:
        raise Http404
    return _document_response(document_from_quote(quote), fmt, request)


# ---- product pages (product managers, risk analysts) -------------------------------------


@login_required
@permission_required("origination.view_product", raise_exception=True)
def product_list(request):
    return render(
        request,
        "origination/product_list.html",
        {
            "products": selectors.product_list_for_managers(),
            "lpr_rates": selectors.lpr_rates_latest(),
            "limits": selectors.regulatory_limits(),
        },
    )


@login_required
@permission_required("origination.view_product", raise_exception=True)
def product_detail(request, code: str):
    product = get_object_or_404(Product, code=code)
    versions = list(selectors.product_versions(product=product))
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
        },
    )


@login_required
@permission_required("origination.change_productversion", raise_exception=True)
@require_POST
def product_draft(request, code: str):
    product = get_object_or_404(Product, code=code)
    draft = product_draft_open(actor=request.user, product=product)
    messages.success(request, _("已打开草稿版本 %(n)s，可在管理后台编辑") % {"n": draft.number})
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
