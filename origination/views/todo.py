"""The application page's live status: while the application is being decided the page asks
every few seconds whether it has moved; once it has, htmx reloads the page (HX-Refresh) and
the new page, decided, asks no more."""

from __future__ import annotations

from django.http import Http404, HttpResponse

from origination.selectors import applications as sel
from origination.selectors.todo import application_poll_state
from origination.views.apply import customer_view


@customer_view
def application_status_poll(request, reference: str):
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None:
        raise Http404
    if application_poll_state(app) == request.GET.get("state"):
        return HttpResponse(status=204)  # unchanged: htmx swaps nothing
    response = HttpResponse(status=200)
    response["HX-Refresh"] = "true"
    return response
