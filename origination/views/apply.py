"""The customer's application pages: a new application (step 1 with the live quote), the
steps, my applications with their timeline, withdrawal, a request for a human review of an
automated decision, the dealer channel's SMS confirmation link, and document downloads.

Every lookup goes through the scoping selectors: another user's application is a 404.
"""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from autofin.throttle import client_ip
from autofin.uploads import upload_response
from origination.customer_texts import dealer_status_label
from origination.forms.apply import ConsentForm, VehicleForm, WithdrawForm, errors_into
from origination.models.applications import Application, ApplicationChannel
from origination.selectors import applications as sel
from origination.selectors import progress
from origination.selectors.contracts import contract_live
from origination.selectors.todo import application_poll_state, application_polls, application_todo
from origination.selectors.workbench import counter_offer_open
from origination.services.applications import withdrawal as withdrawal_service
from origination.services.applications.confirmation import (
    application_confirm_code_send,
    application_customer_confirm,
    application_for_confirmation_token,
)
from origination.services.applications.consents import consent_texts_current
from origination.services.applications.errors import ApplicationValidationError
from origination.services.applications.start import application_start
from origination.services.state import TRANSITIONS, IllegalTransitionError, event_record
from origination.views.steps import CUSTOMER_MODE, Mode, step_page
from risk.services.decisions.review import decision_review_request


def customer_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, Role.CUSTOMER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


@customer_view
def apply_start(request):
    """Step 1 of a new application: product, car and deal with the live quote."""

    def start(product_version, vehicle):
        return application_start(
            actor=request.user,
            channel=ApplicationChannel.DIRECT,
            product_version=product_version,
            vehicle=vehicle,
            customer=request.user,
        )

    if request.method == "GET" and request.GET.get("product"):
        messages.info(request, _("已带入您在计算器中选择的方案，请补充品牌和车型后继续。"))
    return vehicle_step_page(request, start=start)


def vehicle_step_page(request, *, start, start_url: str = ""):
    """The first step's page: `start(product_version, vehicle)` makes the draft (the plain
    start here; servicing's, posted to `start_url`, when the customer takes up a pre-approved
    car offer)."""
    form = VehicleForm(request.POST or None, initial=VehicleForm.initial_from_plan(request.GET))
    if request.method == "POST" and form.is_valid():
        try:
            app = start(form.cleaned_data["product"], form.vehicle_data())
            return redirect(CUSTOMER_MODE.step(app, "applicant"))
        except ApplicationValidationError as exc:
            errors_into(form, exc.errors)
    drafts = sel.applications_for_customer(request.user).filter(status="draft")
    return render(
        request,
        "origination/apply/step.html",
        {
            "app": None,
            "step": "vehicle",
            "mode": CUSTOMER_MODE,
            "form": form,
            "drafts": drafts,
            "steps": [
                progress.StepState(n, label, i + 1, False)
                for i, (n, label) in enumerate(progress.STEPS)
            ],
            "percent": 0,
            "start_url": start_url,
        },
        status=400 if request.method == "POST" else 200,
    )


@customer_view
def apply_step(request, reference: str, step: str):
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None or app.channel != ApplicationChannel.DIRECT:
        raise Http404
    return step_page(request, app, step, CUSTOMER_MODE, {})


@customer_view
def my_applications(request):
    apps = sel.applications_for_customer(request.user).order_by("-created_at")
    rows = [
        {"app": a, "percent": progress.progress_percent(progress.application_progress(a))}
        for a in apps
    ]
    return render(request, "origination/apply/my_applications.html", {"rows": rows})


def detail_context(app: Application, *, for_dealer: bool, mode: Mode | None = None) -> dict:
    """What an application's detail page shows (the customer's and the dealer portal's)."""
    return {
        "app": app,
        "mode": mode or CUSTOMER_MODE,
        "timeline": sel.application_timeline(app, for_dealer=for_dealer),
        "status_label": dealer_status_label(app.status) if for_dealer else app.get_status_display(),
        "needs": progress.application_needs(app, for_dealer=for_dealer),
        "steps": progress.application_progress(app),
        "applicants": app.applicants.all(),
        "items": app.items.all(),
        "documents": app.documents.all(),
        "consents": app.consents.select_related("text"),
        "can_withdraw": "withdrawn" in TRANSITIONS[app.status]
        and app.status not in ("contract_signed",),
        # the approved terms (the contract's), not the reference quote's tier-B rate
        "terms": contract_live(app)
        if app.status in ("approved", "contract_signed", "funded")
        else None,
    }


@customer_view
def application_detail(request, reference: str):
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None:
        raise Http404
    context = detail_context(app, for_dealer=False)
    context["withdraw_form"] = WithdrawForm()
    context["can_request_review"] = _automated_decision_id(app) is not None
    if app.status == "counter_offered":
        context["counter_offer"] = counter_offer_open(app)
    todo = application_todo(app)
    context["todos"] = [todo] if todo else []
    if application_polls(app):  # the decision (and the contract) appear without a reload
        context["poll_state"] = application_poll_state(app)
    return render(request, "origination/apply/detail.html", context)


def _automated_decision_id(app) -> int | None:
    """The risk decision behind an automated outcome the customer may ask a person to review."""
    if app.status not in ("declined", "counter_offered"):
        return None
    # automated only if the system, not a person, moved it here (an underwriter's counter-offer
    # or decline keeps the risk decision's reference but is a person's decision)
    last = app.events.filter(kind="status", to_status=app.status).order_by("-created_at").first()
    if last is not None and last.actor_id is not None:
        return None
    return app.risk_decision_id


@customer_view
@require_POST
def application_review_request(request, reference: str):
    """PIPL: a customer may ask for a human review of an automated decision."""
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None:
        raise Http404
    decision_id = _automated_decision_id(app)
    reason = (request.POST.get("reason") or "").strip()
    if decision_id is None:
        messages.error(request, _("该申请没有可申请人工复核的自动化决策。"))
    elif not reason:
        messages.error(request, _("请说明申请人工复核的原因。"))
    else:
        with transaction.atomic():
            decision_review_request(decision_id=decision_id, reason=reason, actor=request.user)
            if not app.events.filter(reason="review_requested").exists():
                event_record(
                    application=app, kind="step", actor=request.user, reason="review_requested"
                )
        messages.success(request, _("已提交人工复核申请，审批人员会尽快处理并通知您。"))
    return redirect("origination:application_detail", reference=reference)


@customer_view
@require_POST
def application_withdraw(request, reference: str):
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None:
        raise Http404
    form = WithdrawForm(request.POST)
    form.is_valid()
    try:
        withdrawal_service.application_withdraw(
            actor=request.user, application=app, reason=form.cleaned_data.get("reason", "")
        )
        messages.success(request, _("申请已撤回。"))
    except IllegalTransitionError:
        messages.error(request, _("当前状态不能撤回申请。"))
    return redirect("origination:application_detail", reference=reference)


# --- the dealer channel's confirmation link (no sign-in: the signed link is the key) ----------


def apply_confirm(request, token: str):
    """The summary and the consents; 获取验证码 texts the application's mobile; the consents
    and the code together confirm (a wrong or expired code changes nothing)."""
    app = application_for_confirmation_token(token)
    if app is None:
        return render(request, "origination/apply/confirm_invalid.html", status=404)
    texts = consent_texts_current()
    form = ConsentForm(request.POST or None, texts=texts)
    action = request.POST.get("action")
    code_error = ""
    just_sent = False
    if request.method == "POST" and action == "send_code":
        try:
            application_confirm_code_send(token=token, client=f"ip:{client_ip(request)}")
            messages.success(
                request, _("验证码已发送至 %(mobile)s。") % {"mobile": app.customer_mobile_masked}
            )
            just_sent = True
        except ApplicationValidationError as exc:
            code_error = " ".join(m for msgs in exc.errors.values() for m in msgs)
    elif request.method == "POST" and form.is_valid():
        try:
            application_customer_confirm(
                token=token,
                kinds=form.kinds(),
                code=request.POST.get("code", ""),
                text_versions=form.versions(),
                user=request.user,
                ip=client_ip(request),
            )
            return render(request, "origination/apply/confirm_done.html", {"app": app})
        except ApplicationValidationError as exc:
            for field, msgs in exc.errors.items():
                if field == "code":
                    code_error = " ".join(msgs)
                    continue
                for message in msgs:
                    form.add_error(field if field in form.fields else None, message)
    context = {
        "app": app,
        "form": form,
        "items": app.items.all(),
        "code_error": code_error,
        "just_sent": just_sent,
    }
    failed = request.method == "POST" and not just_sent
    return render(request, "origination/apply/confirm.html", context, status=400 if failed else 200)


# --- documents -------------------------------------------------------------------------------


@login_required
def document_download(request, pk: int):
    document = sel.document_get_for(request.user, pk)
    thumb = request.GET.get("thumb") == "1" and document is not None and document.thumbnail_path
    return upload_response(
        relative_path=(document.thumbnail_path if thumb else document.path) if document else "",
        content_type="image/jpeg" if thumb else (document.content_type if document else ""),
        allowed=document is not None,
        filename=document.original_name if document else None,
    )
