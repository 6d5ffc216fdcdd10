"""Customer pages: sign-up by SMS code, the multi-step application (shared with the dealer
portal through ``step_page``), my applications with their timeline, consents and personal-data
requests, the dealer channel's SMS confirmation link, and document downloads.

Every lookup goes through the scoping selectors: another user's application is a 404.
"""

from __future__ import annotations

import contextlib
import json
import uuid
from functools import wraps

from django.contrib import messages
from django.contrib.auth import login
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.crypto import decrypt
from autofin.roles import Role, user_has_role
from autofin.throttle import client_ip
from autofin.uploads import upload_response
from origination import selectors_applications as sel
from origination.forms_apply import (
    ApplicantForm,
    ConsentForm,
    DocumentForm,
    ItemsForm,
    SignupForm,
    SubmitForm,
    VehicleForm,
    WithdrawForm,
    errors_into,
)
from origination.models import Application, ApplicationChannel, Consent
from origination.services.applications import consents, withdrawal
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.confirmation import (
    application_customer_confirm,
    application_for_confirmation_token,
)
from origination.services.applications.consents import (
    application_consents_give,
    consent_texts_current,
)
from origination.services.applications.decision import risk_decision_id
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
)
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start, application_vehicle_update
from origination.services.applications.submission import (
    SubmissionConflictError,
    application_submit,
    submission_problems,
)
from origination.services.applications.vehicle import vehicle_check
from origination.services.documents import application_document_add, documents_required
from origination.services.privacy import personal_data_delete, personal_data_export
from origination.services.signup import customer_signup, sms_code_send
from origination.services.state import IllegalTransitionError, event_record

STEP_NAMES = [name for name, _label in sel.STEPS]


def customer_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, Role.CUSTOMER):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


# --- sign-up ---------------------------------------------------------------------------------


def signup(request):
    """Phone -> SMS code -> name and password -> a signed-in customer."""
    if request.user.is_authenticated:
        return redirect("origination:apply_start")
    form = SignupForm(request.POST or None)
    code_sent = request.POST.get("action") == "signup"
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            if request.POST.get("action") == "send_code":
                sms_code_send(phone=data["phone"], client=f"ip:{client_ip(request)}")
                messages.success(request, _("验证码已发送，请查收短信。"))
                code_sent = True
            else:
                user = customer_signup(
                    phone=data["phone"],
                    code=data["code"],
                    display_name=data["display_name"],
                    password=data["password"],
                )
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, _("注册成功，欢迎使用 AutoFin。"))
                return redirect("origination:apply_start")
        except ApplicationValidationError as exc:
            errors_into(form, exc.errors)
    return render(request, "origination/apply/signup.html", {"form": form, "code_sent": code_sent})


# --- the steps (shared with the dealer portal) -----------------------------------------------


class Mode:
    """Where the step pages live: the customer's pages or the dealer portal."""

    def __init__(self, *, dealer: bool, template: str, step_url: str, detail_url: str):
        self.dealer = dealer
        self.template = template
        self.step_url = step_url
        self.detail_url = detail_url

    def step(self, app: Application, step: str) -> str:
        return reverse(self.step_url, args=[app.reference, step])

    def detail(self, app: Application) -> str:
        return reverse(self.detail_url, args=[app.reference])


CUSTOMER_MODE = Mode(
    dealer=False,
    template="origination/apply/step.html",
    step_url="origination:apply_step",
    detail_url="origination:application_detail",
)


def _next(step: str) -> str:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[min(index + 1, len(STEP_NAMES) - 1)]


def step_page(request, app: Application, step: str, mode: Mode, extra: dict) -> HttpResponse:
    """GET shows the step; POST saves it (the draft) and moves on. Errors keep the page with
    field-level messages and change nothing."""
    if step not in STEP_NAMES:
        raise Http404
    if app.status != "draft" and not (step == "documents" and app.status == "documents_requested"):
        return redirect(mode.detail(app))
    user = request.user
    context = {"app": app, "step": step, "mode": mode, **extra}
    form = None
    post = request.method == "POST"
    try:
        if step == "vehicle":
            form = VehicleForm(request.POST or None, initial=VehicleForm.initial_from(app))
            if post and form.is_valid():
                application_vehicle_update(
                    actor=user,
                    application=app,
                    product_version=form.cleaned_data["product"],
                    vehicle=form.vehicle_data(),
                )
                return redirect(mode.step(app, _next(step)))
        elif step == "applicant":
            form = ApplicantForm(request.POST or None, initial=_applicant_initial(app))
            if post and form.is_valid():
                role = form.cleaned_data.get("other_role") or ""
                application_applicants_save(
                    actor=user,
                    application=app,
                    primary=form.person(""),
                    other=form.person("other_") if role else None,
                    other_role=role,
                )
                return redirect(mode.step(app, _next(step)))
        elif step == "items":
            form = ItemsForm(
                request.POST or None,
                initial=ItemsForm.initial_from(app),
                dealer_channel=app.channel == ApplicationChannel.DEALER,
            )
            if post and form.is_valid():
                application_items_save(
                    actor=user,
                    application=app,
                    items=form.items(),
                    car_payee_name=form.cleaned_data.get("car_payee_name", ""),
                )
                return redirect(mode.step(app, _next(step)))
        elif step == "documents":
            form = DocumentForm(request.POST or None, request.FILES or None)
            if post and form.is_valid():
                try:
                    upload = form.cleaned_data["file"]
                    application_document_add(
                        actor=user,
                        application=app,
                        doc_kind=form.cleaned_data["doc_kind"],
                        file=upload,
                        original_name=upload.name,
                    )
                    messages.success(request, _("资料已上传。"))
                    return redirect(mode.step(app, step))
                except ValidationError as exc:
                    form.add_error("file", exc.messages[0])
            context["documents"] = app.documents.all()
            context["required"] = _required_labels(app)
        elif step == "consents":
            texts = consent_texts_current()
            if mode.dealer:
                context["texts"] = texts
            else:
                form = ConsentForm(request.POST or None, texts=texts, initial=_consent_initial(app))
                if post and form.is_valid():
                    missing = [
                        k for k, t in texts.items() if t.required and not form.cleaned_data[k]
                    ]
                    for kind in missing:
                        form.add_error(kind, _("提交申请须同意此项授权。"))
                    if not missing:
                        application_consents_give(
                            actor=user,
                            application=app,
                            kinds=form.kinds(),
                            text_versions=form.versions(),
                            via="web",
                            ip=client_ip(request),
                        )
                        return redirect(mode.step(app, _next(step)))
            context["consents"] = app.consents.filter(withdrawn_at__isnull=True).select_related(
                "text"
            )
        elif step == "review":
            form = SubmitForm(request.POST or None, initial={"form_token": uuid.uuid4().hex})
            context["problems"] = submission_problems(app)
            if post and form.is_valid():
                with contextlib.suppress(SubmissionConflictError):
                    application_submit(
                        actor=user, application=app, key=f"form:{form.cleaned_data['form_token']}"
                    )
                messages.success(request, _("申请已提交。"))
                return redirect(mode.detail(app))
    except ApplicationValidationError as exc:
        errors_into(form, exc.errors)
    except ApplicationNotEditableError:
        return redirect(mode.detail(app))
    context["form"] = form
    context["steps"] = sel.application_progress(app)
    context["percent"] = sel.progress_percent(context["steps"])
    return render(request, mode.template, context, status=400 if post else 200)


def _required_labels(app: Application) -> list[dict]:
    from origination.models import DocumentKind

    labels = dict(DocumentKind.choices)
    have = set(app.documents.values_list("doc_kind", flat=True))
    return [
        {"label": " / ".join(str(labels[k]) for k in group), "done": bool(have.intersection(group))}
        for group in documents_required(app)
    ]


def _applicant_initial(app: Application) -> dict:

    initial: dict = {}
    for applicant in app.applicants.all():
        prefix = "" if applicant.role == "primary" else "other_"
        if prefix:
            initial["other_role"] = applicant.role
        initial.update(
            {
                f"{prefix}name": applicant.name,
                f"{prefix}id_number": decrypt(applicant.id_number_enc),
                f"{prefix}birth_date": applicant.birth_date,
                f"{prefix}mobile": decrypt(applicant.mobile_enc),
                f"{prefix}marital_status": applicant.marital_status,
                f"{prefix}address": applicant.address,
                f"{prefix}employment_kind": applicant.employment_kind,
                f"{prefix}employer": applicant.employer,
                f"{prefix}employment_years": applicant.employment_years,
                f"{prefix}housing": applicant.housing,
                f"{prefix}monthly_income": applicant.monthly_income,
                f"{prefix}bank_account": decrypt(applicant.bank_account_enc),
            }
        )
    if not initial:
        initial = {"name": app.customer_name, "mobile": decrypt(app.customer_mobile_enc)}
    return initial


def _consent_initial(app: Application) -> dict:
    return dict.fromkeys(
        app.consents.filter(withdrawn_at__isnull=True).values_list("consent_kind", flat=True), True
    )


def quote_preview(request):
    """HTMX: the live quote for step 1's fields (nothing saved)."""
    form = VehicleForm(request.POST or None)
    context: dict = {"evaluation": None, "errors": {}}
    if form.is_valid():
        check = vehicle_check(version=form.cleaned_data["product"], data=form.vehicle_data())
        context.update(evaluation=check.evaluation, errors=check.errors)
    else:
        context["incomplete"] = True
    return render(request, "origination/apply/_quote.html", context)


# --- customer pages --------------------------------------------------------------------------


@customer_view
def apply_start(request):
    """Step 1 of a new application: product, car and deal with the live quote."""
    form = VehicleForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            app = application_start(
                actor=request.user,
                channel=ApplicationChannel.DIRECT,
                product_version=form.cleaned_data["product"],
                vehicle=form.vehicle_data(),
                customer=request.user,
            )
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
                sel.StepState(n, label, i + 1, False) for i, (n, label) in enumerate(sel.STEPS)
            ],
            "percent": 0,
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
    rows = [{"app": a, "percent": sel.progress_percent(sel.application_progress(a))} for a in apps]
    return render(request, "origination/apply/my_applications.html", {"rows": rows})


def _detail_context(app: Application, *, for_dealer: bool, mode: Mode | None = None) -> dict:
    from origination.services.state import TRANSITIONS

    return {
        "app": app,
        "mode": mode or CUSTOMER_MODE,
        "timeline": sel.application_timeline(app),
        "needs": sel.application_needs(app, for_dealer=for_dealer),
        "steps": sel.application_progress(app),
        "applicants": app.applicants.all(),
        "items": app.items.all(),
        "documents": app.documents.all(),
        "consents": app.consents.select_related("text"),
        "can_withdraw": "withdrawn" in TRANSITIONS[app.status]
        and app.status not in ("contract_signed",),
    }


@customer_view
def application_detail(request, reference: str):
    app = sel.applications_for_customer(request.user).filter(reference=reference).first()
    if app is None:
        raise Http404
    context = _detail_context(app, for_dealer=False)
    context["withdraw_form"] = WithdrawForm()
    context["can_request_review"] = _automated_decision_id(app) is not None
    if app.status == "counter_offered":
        from origination.selectors_workbench import counter_offer_open

        context["counter_offer"] = counter_offer_open(app)
    return render(request, "origination/apply/detail.html", context)


def _automated_decision_id(app) -> int | None:
    """The risk decision behind an automated outcome the customer may ask a person to review."""
    if app.status not in ("declined", "counter_offered"):
        return None
    return risk_decision_id(app.decision_ref)


@customer_view
@require_POST
def application_review_request(request, reference: str):
    """PIPL: a customer may ask for a human review of an automated decision."""
    from risk.services.decisions import decision_review_request

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
        withdrawal.application_withdraw(
            actor=request.user, application=app, reason=form.cleaned_data.get("reason", "")
        )
        messages.success(request, _("申请已撤回。"))
    except IllegalTransitionError:
        messages.error(request, _("当前状态不能撤回申请。"))
    return redirect("origination:application_detail", reference=reference)


@customer_view
def consents_page(request):
    return render(
        request,
        "origination/apply/consents.html",
        {
            "consents": sel.consents_for_customer(request.user),
            "requests": request.user.data_requests.all()[:20],
        },
    )


@customer_view
@require_POST
def consent_withdraw(request, pk: int):
    visible = sel.applications_for_customer(request.user).values("pk")
    consent = Consent.objects.filter(pk=pk, application__in=visible).first()
    if consent is None:
        raise Http404
    consents.consent_withdraw(actor=request.user, consent=consent, reason="customer")
    messages.success(request, _("已撤回该项授权。"))
    return redirect("origination:consents")


@customer_view
def data_export(request):
    data = personal_data_export(user=request.user)
    response = HttpResponse(
        json.dumps(data, ensure_ascii=False, indent=2), content_type="application/json"
    )
    response["Content-Disposition"] = 'attachment; filename="autofin-personal-data.json"'
    response["Cache-Control"] = "private, no-store"
    return response


@customer_view
@require_POST
def data_delete(request):
    result = personal_data_delete(user=request.user)
    if result.result.get("anonymised"):
        messages.success(
            request,
            _("已删除 %(n)s 笔申请中的个人信息。") % {"n": len(result.result["anonymised"])},
        )
    for refused in result.result.get("refused", []):
        messages.warning(request, f"{refused['reference']}：{refused['reason']}")
    if not result.result.get("anonymised") and not result.result.get("refused"):
        messages.info(request, _("没有可删除的个人信息。"))
    return redirect("origination:consents")


# --- the dealer channel's confirmation link (no sign-in: the signed link is the key) ----------


def apply_confirm(request, token: str):
    app = application_for_confirmation_token(token)
    if app is None:
        return render(request, "origination/apply/confirm_invalid.html", status=404)
    texts = consent_texts_current()
    form = ConsentForm(request.POST or None, texts=texts)
    if request.method == "POST" and form.is_valid():
        try:
            application_customer_confirm(
                token=token,
                kinds=form.kinds(),
                text_versions=form.versions(),
                user=request.user,
                ip=client_ip(request),
            )
            return render(request, "origination/apply/confirm_done.html", {"app": app})
        except ApplicationValidationError as exc:
            for field, msgs in exc.errors.items():
                for message in msgs:
                    form.add_error(field if field in form.fields else None, message)
    return render(
        request,
        "origination/apply/confirm.html",
        {"app": app, "form": form, "items": app.items.all()},
        status=400 if request.method == "POST" else 200,
    )


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


# --- back office: turnaround -----------------------------------------------------------------


@login_required
def intake_report(request):
    if not user_has_role(request.user, *sel.BACK_OFFICE_ALL, Role.ACCOUNT_MANAGER):
        raise PermissionDenied
    visible = sel.applications_visible_to(request.user)
    return render(
        request,
        "origination/report/turnaround.html",
        {
            "by_channel": sel.turnaround_summary(group_by="channel", queryset=visible),
            "by_dealer": sel.turnaround_summary(group_by="dealer", queryset=visible),
            "rows": sel.turnaround_rows(queryset=visible)[-50:],
        },
    )
