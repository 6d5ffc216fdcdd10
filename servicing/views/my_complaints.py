"""The customer's complaint pages (/my/complaints/: list, new, detail with confirm or reopen),
the satisfaction survey reached by a signed link (no login), and the dealer's referral of a
customer's complaint from the dealer portal (only for the dealer's own loans)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from dealers.views.access import portal_render, portal_view
from servicing.forms.complaints import (
    CustomerComplaintForm,
    DealerComplaintForm,
    SurveyForm,
    TextForm,
)
from servicing.models.customers import ComplaintChannel
from servicing.models.loans import Loan
from servicing.selectors import loans as loans_sel
from servicing.selectors.complaints import customer_complaint, customer_complaints
from servicing.services.complaints import ComplaintError
from servicing.services.complaints import workflow as wf
from servicing.services.complaints.surveys import survey_answer, survey_for_link


def _form_error(form, exc: ComplaintError) -> None:
    form.add_error(exc.field if exc.field in form.fields else None, exc.message)


@login_required
def my_complaints(request):
    return render(
        request,
        "servicing/complaints/my_list.html",
        {"complaints": customer_complaints(user=request.user)},
    )


@login_required
def my_complaint_new(request):
    loans = list(loans_sel.loans_of_customer(user=request.user))
    form = CustomerComplaintForm(request.POST or None, loans=loans)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        loan = next((ln for ln in loans if ln.pk == data["loan"]), None)
        try:
            complaint = wf.complaint_create(
                customer=request.user,
                channel=ComplaintChannel.PORTAL,
                category=data["category"],
                summary=data["summary"],
                detail=data["detail"],
                loan=loan,
                created_by=request.user,
            )
        except ComplaintError as exc:
            _form_error(form, exc)
        else:
            messages.success(
                request,
                _("投诉已提交，编号 %(ref)s。我们会在 1 个工作日内受理。")
                % {"ref": complaint.reference},
            )
            return redirect("servicing:my_complaint_detail", complaint.pk)
    return render(request, "servicing/complaints/my_new.html", {"form": form})


@login_required
def my_complaint_detail(request, complaint_id: int):
    complaint = customer_complaint(user=request.user, complaint_id=complaint_id)
    if complaint is None:
        raise Http404
    return render(
        request,
        "servicing/complaints/my_detail.html",
        {"c": complaint, "reopen_form": TextForm(), "now": timezone.now()},
    )


@login_required
@require_POST
def my_complaint_answer(request, complaint_id: int):
    if customer_complaint(user=request.user, complaint_id=complaint_id) is None:
        raise Http404
    try:
        if request.POST.get("answer") == "confirm":
            wf.complaint_confirm(complaint_id=complaint_id, customer=request.user)
            messages.success(request, _("感谢您的确认，本次投诉已办结。"))
        else:
            wf.complaint_reopen(
                complaint_id=complaint_id,
                customer=request.user,
                reason=request.POST.get("text", ""),
            )
            messages.success(request, _("已为您重新处理，我们会尽快联系您。"))
    except ComplaintError as exc:
        messages.error(request, exc.message)
    return redirect("servicing:my_complaint_detail", complaint_id)


def survey_page(request, signed: str):
    """No login: the signed link is the key. One answer per invitation."""
    invitation = survey_for_link(signed)
    if invitation is None:
        raise Http404
    form = SurveyForm(request.POST or None)
    if request.method == "POST" and form.is_valid() and invitation.answered_at is None:
        try:
            survey_answer(
                invitation=invitation,
                score=form.cleaned_data["score"],
                comment=form.cleaned_data["comment"],
            )
        except ComplaintError as exc:
            _form_error(form, exc)
        else:
            invitation.refresh_from_db()
    return render(request, "servicing/complaints/survey.html", {"inv": invitation, "form": form})


@portal_view
def dealer_complaint_new(request):
    """A dealer passes on a complaint of a customer of one of its own loans (another dealer's
    contract is simply not found)."""
    form = DealerComplaintForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        loan = Loan.objects.filter(
            contract_ref=data["contract_ref"].strip(), dealer_id=request.dealer.pk
        ).first()
        if loan is None:
            form.add_error("contract_ref", _("未找到贵店的该合同。"))
        else:
            try:
                complaint = wf.complaint_create(
                    customer=loan.customer,
                    channel=ComplaintChannel.DEALER,
                    category=data["category"],
                    summary=data["summary"],
                    detail=data["detail"],
                    loan=loan,
                    dealer_id=request.dealer.pk,
                    created_by=request.user,
                )
            except ComplaintError as exc:
                _form_error(form, exc)
            else:
                messages.success(
                    request, _("已转交投诉，编号 %(ref)s。") % {"ref": complaint.reference}
                )
                return redirect("servicing:dealer_complaint_new")
    return portal_render(request, "servicing/complaints/dealer_new.html", {"form": form})
