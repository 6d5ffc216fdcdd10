"""Finance's OEM subsidy claims page (厂商贴息索赔): claims by month and OEM, a claim's lines
with its disputes (accept the OEM's figure, or resubmit), receipts, the ageing of unpaid
claims, the claim file as CSV, and each OEM's agreement details. Thin: the services decide;
every POST is a money action checked as the services check it, and idempotent."""

from __future__ import annotations

import csv
import uuid

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_for_posting
from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, can_move_money
from servicing.forms.oem_claims import OemAgreementForm, OemReceiptForm
from servicing.models.oem_claims import (
    EarlySettlementOption,
    OemAgreement,
    OemClaim,
    OemClaimLine,
)
from servicing.selectors import oem_claims as pages
from servicing.services.invoicing import InvoiceError
from servicing.services.oem.claims import (
    oem_claim_invoice_reverse,
    oem_claim_line_accept,
    oem_claim_line_resubmit,
    oem_claim_receipt_record,
    oem_claim_send,
    oem_claims_generate,
)
from servicing.services.oem.subsidy import OemError, oem_agreement_update
from servicing.views.disbursement import finance_view, money_action


def _page(request, *, claim=None, receipt_form=None, status=200):
    user = request.user
    return render(
        request,
        "servicing/oem_claims.html",
        {
            "claims": pages.claims_recent(),
            "claim": claim,
            "lines": list(claim.lines.order_by("contract_ref")) if claim else [],
            "invoices": pages.claim_invoices(claim) if claim else [],
            "ageing": pages.claims_ageing(on=business_date_for_posting()),
            "difference": pages.claims_subledger_difference(),
            "agreements": pages.agreements(),
            "options": EarlySettlementOption.choices,
            "token": uuid.uuid4().hex,
            "receipt_form": receipt_form or OemReceiptForm(),
            "can_work": can_move_money(user, MoneyAction.OEM_CLAIM_WORK),
            "can_receive": can_move_money(user, MoneyAction.OEM_RECEIPT_RECORD),
        },
        status=status,
    )


@finance_view
def oem_claim_list(request):
    return _page(request)


@finance_view
def oem_claim_detail(request, claim_id: int):
    return _page(
        request, claim=get_object_or_404(OemClaim.objects.select_related("agreement"), pk=claim_id)
    )


@finance_view
def oem_claim_csv(request, claim_id: int):
    claim = get_object_or_404(OemClaim.objects.select_related("agreement"), pk=claim_id)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    name = f"oem-claim-{claim.month:%Y-%m}-{claim.agreement_id}.csv"
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    response.write("\ufeff")  # Excel opens UTF-8 Chinese only with the BOM
    writer = csv.writer(response)
    writer.writerow([str(h) for h in pages.CLAIM_FILE_HEADER])
    writer.writerows(pages.claim_file_rows(claim))
    return response


def _back(claim_id: int | None = None):
    if claim_id:
        return redirect("servicing:oem_claim_detail", claim_id=claim_id)
    return redirect("servicing:oem_claim_list")


def _act(request, *, claim_id: int | None, work, done: str):
    def run(key: str):  # noqa: ARG001 - the form's token makes a resubmission a replay
        try:
            work()
        except (OemError, InvoiceError) as exc:
            messages.error(request, str(exc))
            raise NothingDone(_back(claim_id)) from exc
        messages.success(request, done)
        return _back(claim_id)

    return idempotent(request, run=run, form=True)


@finance_view
@require_POST
@money_action(MoneyAction.OEM_CLAIM_WORK)
@recent_auth_required
def oem_claims_generate_view(request):
    on = business_date_for_posting()
    return _act(request, claim_id=None, done=gettext("已按当前营业日生成本月索赔草稿。"),
                work=lambda: oem_claims_generate(on=on, actor=request.user))  # fmt: skip


@finance_view
@require_POST
@money_action(MoneyAction.OEM_CLAIM_WORK)
@recent_auth_required
def oem_claim_send_view(request, claim_id: int):
    get_object_or_404(OemClaim, pk=claim_id)
    on = business_date_for_posting()
    return _act(request, claim_id=claim_id, done=gettext("索赔单已发送厂商。"),
                work=lambda: oem_claim_send(claim_id=claim_id, on=on, actor=request.user))  # fmt: skip


@finance_view
@require_POST
@money_action(MoneyAction.OEM_CLAIM_WORK)
@recent_auth_required
def oem_claim_line_view(request, line_id: int):
    line = get_object_or_404(OemClaimLine, pk=line_id)
    on = business_date_for_posting()
    if request.POST.get("resolution") == "accept":
        work = lambda: oem_claim_line_accept(line_id=line_id, on=on, actor=request.user)  # noqa: E731
        done = gettext("已按厂商金额确认，差额已核减。")
    else:
        work = lambda: oem_claim_line_resubmit(line_id=line_id, on=on, actor=request.user)  # noqa: E731
        done = gettext("已重新提交厂商。")
    return _act(request, claim_id=line.claim_id, work=work, done=done)


@finance_view
@require_POST
@money_action(MoneyAction.OEM_RECEIPT_RECORD)
@recent_auth_required
def oem_claim_receipt_view(request, claim_id: int):
    claim = get_object_or_404(OemClaim.objects.select_related("agreement"), pk=claim_id)
    form = OemReceiptForm(request.POST)
    if not form.is_valid():
        return _page(request, claim=claim, receipt_form=form, status=400)
    data = form.cleaned_data
    on = business_date_for_posting()
    return _act(request, claim_id=claim_id, done=gettext("厂商回款已登记。"),
                work=lambda: oem_claim_receipt_record(claim_id=claim_id, amount=data["amount"],
                                                      bank_ref=data["bank_ref"], on=on,
                                                      actor=request.user))  # fmt: skip


@finance_view
@require_POST
@money_action(MoneyAction.OEM_CLAIM_WORK)
@recent_auth_required
def oem_agreement_view(request, agreement_id: int):
    get_object_or_404(OemAgreement, pk=agreement_id)
    form = OemAgreementForm(request.POST)
    if not form.is_valid():
        messages.error(request, gettext("厂商协议未保存，请检查填写内容。"))
        return _back()
    data = form.cleaned_data
    return _act(request, claim_id=None, done=gettext("厂商协议已保存。"),
                work=lambda: oem_agreement_update(
                    agreement_id=agreement_id, taxpayer_id=data["taxpayer_id"],
                    bank_name=data["bank_name"], bank_account=data["bank_account"],
                    option=data["early_settlement_option"], actor=request.user))  # fmt: skip


@finance_view
@require_POST
@money_action(MoneyAction.OEM_CLAIM_WORK)
@recent_auth_required
def oem_claim_invoice_reverse_view(request, claim_id: int):
    get_object_or_404(OemClaim, pk=claim_id)
    if request.POST.get("confirm") != "1":
        messages.error(request, gettext("请勾选确认后再开具红字发票。"))
        return _back(claim_id)
    on = business_date_for_posting()
    return _act(request, claim_id=claim_id, done=gettext("已开具红字发票。"),
                work=lambda: oem_claim_invoice_reverse(claim_id=claim_id, on=on,
                                                       actor=request.user))  # fmt: skip
