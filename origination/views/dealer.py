"""Dealer portal pages of origination: the pipeline, the application list, a new application
(the same steps as the customer's, in the portal shell), the detail with its timeline, and the
SMS confirmation link sent to the customer. Scoped to the signed-in staff member's dealer."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.models.staff import StaffRole
from dealers.portal import portal_nav
from dealers.selectors import staff_for_user
from origination.customer_texts import dealer_status, dealer_status_label
from origination.forms.apply import DealerStartForm, errors_into
from origination.models.applications import ApplicationChannel, ApplicationStatus
from origination.selectors import applications as sel
from origination.selectors import progress
from origination.services.applications.confirmation import application_confirmation_send
from origination.services.applications.errors import ApplicationValidationError
from origination.services.applications.start import application_start
from origination.views.apply import detail_context
from origination.views.steps import Mode, step_page

DEALER_MODE = Mode(
    dealer=True,
    template="origination/dealer/step.html",
    step_url="origination:dealer_application_step",
    detail_url="origination:dealer_application_detail",
)


def dealer_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = staff_for_user(request.user)
        if staff is None:
            raise PermissionDenied
        request.dealer_staff = staff
        request.dealer = staff.dealer
        return view(request, *args, **kwargs)

    return wrapper


def _portal(request) -> dict:
    return {
        "dealer": request.dealer,
        "staff": request.dealer_staff,
        "portal_nav": portal_nav(request.path),
    }


def _app(request, reference: str):
    app = (
        sel.applications_visible_to(request.user)
        .filter(reference=reference, dealer_id=request.dealer.pk)
        .first()
    )
    if app is None:
        raise Http404
    return app


@dealer_view
def dealer_pipeline(request):
    """A salesperson's landing: their own applications and to-dos (an admin's: the dealer's)."""
    own = request.dealer_staff.role == StaffRole.DEALER_SALES
    columns = sel.pipeline_for_dealer(
        request.dealer.pk, salesperson_id=request.user.pk if own else None
    )
    board: dict[str, dict] = {}  # by the dealer's label: "审核中" gathers review and referral
    for status, apps in columns.items():
        if apps:
            label = dealer_status_label(status)
            board.setdefault(label, {"status": dealer_status(status), "label": label, "apps": []})
            board[label]["apps"].extend(apps)
    board = list(board.values())
    context = {**_portal(request), "board": board, "todos": sel.dealer_todos(columns), "own": own}
    return render(request, "origination/dealer/pipeline.html", context)


@dealer_view
def dealer_applications(request):
    apps = sel.applications_visible_to(request.user).filter(dealer_id=request.dealer.pk)
    status = dealer_status(request.GET.get("status", ""))  # ?status=referred tells nothing
    if status == ApplicationStatus.UNDER_REVIEW:  # "审核中" is review and referral alike
        apps = apps.filter(status__in=[status, ApplicationStatus.REFERRED])
    elif status in ApplicationStatus.values:
        apps = apps.filter(status=status)
    apps = list(apps.order_by("-created_at")[:200])
    for app in apps:
        app.dealer_status = dealer_status_label(app.status)
    statuses = [(v, dealer_status_label(v)) for v in ApplicationStatus.values if v != "referred"]
    return render(
        request,
        "origination/dealer/list.html",
        {
            **_portal(request),
            "apps": apps,
            "statuses": statuses,
            "status": status,
        },
    )


@dealer_view
def dealer_application_new(request):
    form = DealerStartForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = application_start(
                actor=request.user,
                channel=ApplicationChannel.DEALER,
                product_version=form.cleaned_data["product"],
                vehicle=form.vehicle_data(),
                customer_name=form.cleaned_data["customer_name"],
                customer_mobile=form.cleaned_data["customer_mobile"],
                dealer=request.dealer,
                salesperson=request.user,
            )
            return redirect(DEALER_MODE.step(app, "applicant"))
        except ApplicationValidationError as exc:
            errors_into(form, exc.errors)
    return render(
        request,
        "origination/dealer/step.html",
        {
            **_portal(request),
            "app": None,
            "step": "vehicle",
            "mode": DEALER_MODE,
            "form": form,
            "steps": [
                progress.StepState(n, label, i + 1, False)
                for i, (n, label) in enumerate(progress.STEPS)
            ],
            "percent": 0,
        },
        status=400 if request.method == "POST" else 200,
    )


@dealer_view
def dealer_application_step(request, reference: str, step: str):
    app = _app(request, reference)
    return step_page(request, app, step, DEALER_MODE, _portal(request))


@dealer_view
def dealer_application_detail(request, reference: str):
    app = _app(request, reference)
    context = {**_portal(request), **detail_context(app, for_dealer=True, mode=DEALER_MODE)}
    return render(request, "origination/dealer/detail.html", context)


@dealer_view
@require_POST
def dealer_send_confirmation(request, reference: str):
    app = _app(request, reference)
    if app.status != ApplicationStatus.DRAFT:
        raise Http404
    application_confirmation_send(
        actor=request.user, application=app, link_base=settings.SITE_URL + "/"
    )
    messages.success(
        request,
        _("确认短信已发送至 %(mobile)s。") % {"mobile": app.customer_mobile_masked},
    )
    return redirect(DEALER_MODE.step(app, "consents"))
