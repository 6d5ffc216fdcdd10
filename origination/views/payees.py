"""The payee register's type-ahead (htmx): wherever an insurer, the tax office, a warranty or
accessory supplier is named (intake add-ons, underwriting, contract), the field offers the
registered, verified payees of that kind. Names only — never an account; signed-in users only."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET

from origination.selectors.payees import payee_search


@login_required
@require_GET
def payee_search_options(request):
    query = request.GET.get("q", "")
    if (
        not query
    ):  # htmx sends the field under its own name (insurance_payee_name, insurance-payee_name)
        query = next((v for k, v in request.GET.items() if k.endswith("payee_name")), "")
    payees = payee_search(kind=request.GET.get("kind", ""), query=query)
    return render(request, "origination/payees/_options.html", {"payees": payees})
