"""The underwriting workbench's pages: the queue, the case page and its actions, the
permission-checked document viewer, and the back-office contract page with its pre-funding
checklist. Views orchestrate; ``origination.services.underwriting`` decides."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from autofin.uploads import upload_response
from origination.forms.workbench import (
    ApproveForm,
    ChecklistForm,
    ConditionResolveForm,
    CounterOfferForm,
    DeclineForm,
    QueueFilterForm,
    RequestDocumentsForm,
    item_payee_rows,
)
from origination.models.applications import Application
from origination.models.contracts import Contract, FundingChecklistItem
from origination.models.underwriting import Condition
from origination.selectors.applications import document_get_for
from origination.selectors.workbench import (
    SORTS,
    QueueFilters,
    case_detail,
    queue_dealers,
    sla_hours,
    workbench_queue,
)
from origination.services.checklist import ChecklistError, checklist_item_record, checklist_status
from origination.services.contracts.errors import ContractError
from origination.services.contracts.pricing import contract_price
from origination.services.document_ocr import document_check_rows, document_signals
from origination.services.underwriting import approval
from origination.services.underwriting.approval import underwriting_approve
from origination.services.underwriting.authority import (
    UnderwritingError,
    authority_limit_for,
    conflict_of_interest,
)
from origination.services.underwriting.claims import case_claim, case_release
from origination.services.underwriting.counter_offers import underwriting_counter_offer
from origination.services.underwriting.decline import underwriting_decline
from origination.services.underwriting.documents import underwriting_request_documents
from origination.services.underwriting.escalation import case_escalate
from origination.views.bank_cards import bank_card_context

UNDERWRITERS = (Role.UNDERWRITER, Role.SENIOR_UNDERWRITER)
CHECKLIST_ROLES = (*UNDERWRITERS, Role.FINANCE_OPERATOR, Role.OPERATIONS)
# the case page shows one decision at a time: the chosen tab (?action=…)
ACTIONS = ("approve", "counter", "docs", "decline", "escalate")


def roles_required(*roles):
    def decorator(view):
        @login_required
        @wraps(view)
        def wrapped(request, *args, **kwargs):
            if not user_has_role(request.user, *roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


@roles_required(*UNDERWRITERS)
def workbench(request):
    form = QueueFilterForm(request.GET or None, dealers=queue_dealers())
    filters = QueueFilters()
    if form.is_bound and form.is_valid():
        d = form.cleaned_data
        filters = QueueFilters(
            product_line=d["product_line"] or "",
            dealer_id=d["dealer"],
            amount_min=d["amount_min"],
            amount_max=d["amount_max"],
            tier=d["tier"] or "",
            mine=d["mine"],
        )
    sort = request.GET.get("sort") if request.GET.get("sort") in SORTS else "sla"
    filters.sort = sort
    limit = authority_limit_for(request.user)
    rows = workbench_queue(user=request.user, filters=filters, limit=limit)
    params = request.GET.copy()
    params.pop("sort", None)
    return render(
        request,
        "origination/workbench/queue.html",
        {
            "form": form,
            "rows": rows,
            "sla_hours": sla_hours(),
            "limit": limit,
            "overdue_count": sum(1 for r in rows if r.overdue),
            "sort": sort,
            "sort_query": params.urlencode(),
            "is_senior": user_has_role(request.user, Role.SENIOR_UNDERWRITER),
        },
    )


def _app(reference: str) -> Application:
    return get_object_or_404(
        Application.objects.select_related("product_version__product", "dealer", "salesperson"),
        reference=reference,
    )


@roles_required(*UNDERWRITERS)
def case(request, reference: str):
    app = _app(reference)
    detail = case_detail(app)
    c = detail["case"]
    mine = bool(c and c.assigned_to_id == request.user.pk)
    conflict = conflict_of_interest(user=request.user, application=app)
    limit = authority_limit_for(request.user)
    over_limit = limit is not None and (app.amount_financed or 0) > limit
    is_senior = user_has_role(request.user, Role.SENIOR_UNDERWRITER)
    escalated = bool(c and c.escalated_at)
    action = request.GET.get("action")
    if action not in ACTIONS or (action == "escalate" and (is_senior or escalated)):
        action = "escalate" if over_limit and not is_senior and not escalated else "approve"
    return render(
        request,
        "origination/workbench/case.html",
        {
            **detail,
            "action": action,
            "escalated": escalated,
            "locked_to_seniors": escalated and not is_senior,
            "mine": mine,
            "conflict": conflict,
            "limit": limit,
            "over_limit": over_limit,
            "can_act": mine
            and app.status == "referred"
            and not conflict
            and not (escalated and not is_senior),
            "schedule": _quote_schedule(app) if app.status == "referred" else None,
            "document_checks": document_check_rows(app),
            "document_signals": document_signals(app),
            "payee_rows": item_payee_rows(
                [
                    {
                        "item": i.item_kind,
                        "payee_type": i.payee_type,
                        "name": i.payee_name,
                        "amount": i.amount,
                    }
                    for i in detail["items"]
                ]
            ),
            # while deciding (the case is held), or once approved and the contract unsigned
            "can_pick_payee": (mine and app.status == "referred" and not conflict)
            or (app.status == "approved" and not conflict),
            "approve_form": ApproveForm(prefix="approve", label_suffix="："),
            "counter_form": CounterOfferForm(
                prefix="counter",
                label_suffix="：",
                initial={"down_payment": app.down_payment, "term_months": app.term_months},
            ),
            "docs_form": RequestDocumentsForm(prefix="docs", label_suffix="："),
            "decline_form": DeclineForm(prefix="decline", label_suffix="："),
            "resolve_form": ConditionResolveForm(),
            "is_senior": is_senior,
        },
    )


def _quote_schedule(application: Application) -> dict | None:
    """The application's current priced schedule (the contract pricing), or None if it does
    not price."""
    try:
        priced = contract_price(application=application)
    except (ContractError, ValueError):
        return None
    ev = priced.evaluation
    return {
        "tier": priced.deal.tier,
        "amount_financed": ev.amount_financed,
        "customer_rate": ev.customer_rate,
        "apr": ev.apr,
        "monthly_payment": ev.monthly_payment,
        "fees": ev.fees,
        "rows": ev.schedule.rows_read_out(),
    }


def _run(request, app: Application, action, ok_message: str):
    try:
        action()
    except (UnderwritingError, ContractError) as exc:  # a contract refused refuses the approval
        for msgs in exc.errors.values():
            for m in msgs:
                messages.error(request, m)
        return False
    messages.success(request, ok_message)
    return True


def _form_errors(request, form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for e in errors:
            messages.error(request, f"{label}：{e}" if label else e)


@require_POST
@roles_required(*UNDERWRITERS)
def claim(request, reference: str):
    app = _app(reference)
    _run(
        request,
        app,
        lambda: case_claim(application_id=app.pk, actor=request.user),
        _("已领取案件 %(ref)s。") % {"ref": app.reference},
    )
    return redirect("origination:workbench_case", app.reference)


@require_POST
@roles_required(*UNDERWRITERS)
def release(request, reference: str):
    app = _app(reference)
    _run(
        request,
        app,
        lambda: case_release(application_id=app.pk, actor=request.user),
        _("已释放案件，退回队列。"),
    )
    return redirect("origination:workbench")


def _case_action(request, reference: str, form_class, prefix: str, action, done_message):
    """The shape every decision button shares: validate the form, run the service (its errors
    become messages), and go back to the case page (on the same tab when refused)."""
    app = _app(reference)
    form = form_class(request.POST, prefix=prefix)
    ok = False
    if not form.is_valid():
        _form_errors(request, form)
    else:
        ok = _run(request, app, lambda: action(app, form), done_message)
    url = reverse("origination:workbench_case", args=[app.reference])
    return redirect(url if ok else f"{url}?action={prefix}")


@require_POST
@roles_required(*UNDERWRITERS)
def escalate(request, reference: str):
    """转高级: the case leaves this underwriter's hands and queue for the seniors'."""
    app = _app(reference)
    note = request.POST.get("note", "")[:500]
    ok = _run(
        request,
        app,
        lambda: case_escalate(application_id=app.pk, actor=request.user, note=note),
        _("已转高级审批员：%(ref)s 已移出您的队列。") % {"ref": app.reference},
    )
    if ok:
        return redirect("origination:workbench")
    url = reverse("origination:workbench_case", args=[app.reference])
    return redirect(f"{url}?action=escalate")


@require_POST
@roles_required(*UNDERWRITERS)
def approve(request, reference: str):
    return _case_action(
        request,
        reference,
        ApproveForm,
        "approve",
        lambda app, form: underwriting_approve(
            application_id=app.pk,
            actor=request.user,
            conditions=form.conditions(),
            note=form.cleaned_data["note"],
        ),
        _("已批准，合同已生成。"),
    )


@require_POST
@roles_required(*UNDERWRITERS)
def counter_offer(request, reference: str):
    return _case_action(
        request,
        reference,
        CounterOfferForm,
        "counter",
        lambda app, form: underwriting_counter_offer(
            application_id=app.pk,
            actor=request.user,
            down_payment=form.cleaned_data["down_payment"],
            term_months=form.cleaned_data["term_months"],
            note=form.cleaned_data["note"],
        ),
        _("调整方案已发送给客户。"),
    )


@require_POST
@roles_required(*UNDERWRITERS)
def request_documents(request, reference: str):
    return _case_action(
        request,
        reference,
        RequestDocumentsForm,
        "docs",
        lambda app, form: underwriting_request_documents(
            application_id=app.pk,
            actor=request.user,
            doc_kinds=form.cleaned_data["doc_kinds"],
            note=form.cleaned_data["note"],
        ),
        _("已通知客户补充资料；资料上传后案件将回到队列。"),
    )


@require_POST
@roles_required(*UNDERWRITERS)
def decline(request, reference: str):
    """Declining is final: the first post shows what will happen and asks to confirm; only the
    confirmed post declines."""
    if request.POST.get("confirmed") != "1":
        app = _app(reference)
        form = DeclineForm(request.POST, prefix="decline")
        if not form.is_valid():
            _form_errors(request, form)
            url = reverse("origination:workbench_case", args=[app.reference])
            return redirect(f"{url}?action=decline")
        chosen = set(form.cleaned_data["reason_codes"])
        return render(
            request,
            "origination/workbench/decline_confirm.html",
            {
                "app": app,
                "form": form,
                "reasons": [
                    label for code, label in form.fields["reason_codes"].choices if code in chosen
                ],
            },
        )
    return _case_action(
        request,
        reference,
        DeclineForm,
        "decline",
        lambda app, form: underwriting_decline(
            application_id=app.pk,
            actor=request.user,
            reason_codes=form.cleaned_data["reason_codes"],
            note=form.cleaned_data["note"],
        ),
        _("已拒绝该申请。"),
    )


@require_POST
@roles_required(*UNDERWRITERS)
def condition_resolve(request, pk: int):
    condition = get_object_or_404(Condition.objects.select_related("application"), pk=pk)
    form = ConditionResolveForm(request.POST)
    if form.is_valid():
        _run(
            request,
            condition.application,
            lambda: approval.condition_resolve(
                condition_id=condition.pk,
                actor=request.user,
                status=form.cleaned_data["status"],
                evidence=form.cleaned_data["evidence"],
            ),
            _("条件已更新。"),
        )
    else:
        _form_errors(request, form)
    return redirect("origination:workbench_case", condition.application.reference)


@roles_required(*CHECKLIST_ROLES)
def document(request, pk: int):
    """A document through an application the user may see (404 otherwise); ?thumb=1 serves
    the image preview."""
    doc = document_get_for(request.user, pk)
    if doc is None:
        raise Http404
    thumb = request.GET.get("thumb") == "1" and doc.thumbnail_path
    return upload_response(
        relative_path=doc.thumbnail_path if thumb else doc.path,
        content_type="image/jpeg" if thumb else doc.content_type,
        allowed=True,
        filename=doc.original_name,
    )


# --------------------------------------------------------------------------------------------
# Back office: a contract and its pre-funding checklist
# --------------------------------------------------------------------------------------------


@roles_required(*CHECKLIST_ROLES)
def contract_detail(request, contract_ref: str):
    contract = get_object_or_404(
        Contract.objects.select_related("application", "product_version__product"),
        contract_ref=contract_ref,
    )
    return render(
        request,
        "origination/workbench/contract.html",
        {
            "c": contract,
            "status": checklist_status(contract),
            "items": list(contract.checklist.select_related("recorded_by").order_by("id")),
            "form": ChecklistForm(),
            "payee_rows": item_payee_rows(contract.payees or []),
            "can_pick_payee": contract.status == "issued"
            and user_has_role(request.user, *UNDERWRITERS),
            "signature": getattr(contract, "signature", None)
            if contract.status == "signed"
            else None,
            **bank_card_context(contract, request.user),
        },
    )


@roles_required(*CHECKLIST_ROLES)
def contract_pdf(request, contract_ref: str):
    contract = get_object_or_404(Contract, contract_ref=contract_ref)
    signed = request.GET.get("signed") == "1" and contract.status == "signed"
    path = contract.signature.signed_pdf_path if signed else contract.pdf_path
    return upload_response(
        relative_path=path,
        content_type="application/pdf",
        allowed=True,
        filename=f"{contract.contract_ref}{'-signed' if signed else ''}.pdf",
    )


@require_POST
@roles_required(*CHECKLIST_ROLES)
def checklist_record(request, pk: int):
    item = get_object_or_404(FundingChecklistItem.objects.select_related("contract"), pk=pk)
    form = ChecklistForm(request.POST)
    if form.is_valid():
        try:
            checklist_item_record(
                item_id=item.pk,
                actor=request.user,
                status=form.cleaned_data["status"],
                evidence=form.cleaned_data["evidence"],
                deadline=form.cleaned_data["deadline"],
            )
            messages.success(request, _("检查项已登记。"))
        except ChecklistError as exc:
            for msgs in exc.errors.values():
                for m in msgs:
                    messages.error(request, m)
    else:
        _form_errors(request, form)
    return redirect("origination:workbench_contract", item.contract.contract_ref)
