"""The public calculator (HTMX: three options repriced as the inputs move) and the schedule
downloads (printable page, CSV, PDF) of a calculator option or a saved quote."""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urlencode

from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from autofin.ratelimit import heavy_endpoint
from origination.documents import (
    ScheduleDocument,
    document_csv,
    document_from_evaluation,
    document_from_quote,
    document_html,
    document_pdf,
)
from origination.forms.calculator import CALCULATOR_TIER, OPTIONS, CalculatorForm
from origination.models import ProductVersion
from origination.quoting.deal import Deal, QuoteEvaluation
from origination.selectors.products import quote_get, vehicle_product_versions_current
from origination.services.quotes import quote_preview, violations_messages


@dataclass
class OptionResult:
    number: int
    version: ProductVersion
    evaluation: QuoteEvaluation
    errors: dict[str, list[str]]
    query: str
    term_months: int

    deal: Deal | None = None

    @property
    def error_list(self) -> list[str]:
        return [m for items in self.errors.values() for m in items]

    @property
    def apply_query(self) -> str:
        """This plan as the first application step's starting values (用此方案申请)."""
        deal = self.deal
        plan = {
            "product": self.version.pk,
            "vehicle_kind": self.version.product.vehicle_kind,
            "vehicle_use": deal.vehicle_use,
            "vehicle_price": deal.vehicle_price,
            "down_payment": self.evaluation.down_payment,
            "term_months": deal.term_months,
            "method": deal.method,
        }
        if deal.balloon_ratio is not None:
            plan["balloon_ratio"] = f"{deal.balloon_ratio * 100:f}".rstrip("0").rstrip(".")
        return urlencode(plan)


def _calculator_form(request):
    products = vehicle_product_versions_current()
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
                deal=deal,
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
    quote = quote_get(reference=reference)
    if quote is None:
        raise Http404
    return _document_response(document_from_quote(quote), fmt, request)
