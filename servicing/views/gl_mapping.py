"""The product → GL mapping for finance (/finance/gl-mapping/): the rows in force and proposed,
the form to propose one (finance operator or approver) and the checker's approve / reject (a
finance approver who is not the maker); auditors see the page. The GL trial balance by mapped
account for a period is a CSV here too."""

from __future__ import annotations

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.idempotency import NothingDone, idempotent
from autofin.reauth import recent_auth_required
from autofin.roles import MoneyAction, Role, can_move_money
from origination.views.workbench import roles_required
from servicing.forms.gl_mapping import GlMappingForm
from servicing.ledger_names import account_name
from servicing.models.gl_mapping import GlMappingStatus
from servicing.models.ledger import AccountType, Side
from servicing.selectors.gl_mapping import gl_mappings, gl_trial_balance
from servicing.selectors.periods import month_end
from servicing.services.gl_mapping import GlMappingError, gl_mapping_decide, gl_mapping_submit
from servicing.views.periods import csv_response, month_or_404

VIEWERS = (Role.FINANCE_OPERATOR, Role.FINANCE_APPROVER, Role.AUDITOR, Role.SYSTEM_ADMIN)


mapping_viewer = roles_required(*VIEWERS)


@mapping_viewer
def gl_mapping_list(request):
    can_submit = can_move_money(request.user, MoneyAction.GL_MAPPING_SUBMIT)
    can_approve = can_move_money(request.user, MoneyAction.GL_MAPPING_APPROVE)
    return render(
        request,
        "servicing/gl_mapping.html",
        {
            "mappings": gl_mappings(),
            "form": GlMappingForm() if can_submit else None,
            "can_approve": can_approve,
            "token": uuid.uuid4().hex,
        },
    )


@mapping_viewer
@require_POST
@recent_auth_required
def gl_mapping_submit_view(request):
    if not can_move_money(request.user, MoneyAction.GL_MAPPING_SUBMIT):
        raise PermissionDenied
    form = GlMappingForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, "；".join(errors))
        return redirect("servicing:gl_mapping")

    def run(key: str):  # noqa: ARG001 - a replay of the key returns the first answer
        try:
            gl_mapping_submit(actor=request.user, **form.cleaned_data)
        except GlMappingError as exc:
            messages.error(request, str(exc))
            raise NothingDone(redirect("servicing:gl_mapping")) from exc
        messages.success(request, _("映射已提交，等待另一位财务复核人员复核。"))
        return redirect("servicing:gl_mapping")

    return idempotent(request, run=run, form=True)


@mapping_viewer
@require_POST
@recent_auth_required
def gl_mapping_decide_view(request, mapping_id: int):
    if not can_move_money(request.user, MoneyAction.GL_MAPPING_APPROVE):
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"

    def run(key: str):  # noqa: ARG001 - a mapping is decided once (its status)
        try:
            mapping = gl_mapping_decide(mapping_id=mapping_id, approve=approve, actor=request.user)
        except GlMappingError as exc:
            messages.error(request, str(exc))
            raise NothingDone(redirect("servicing:gl_mapping")) from exc
        messages.success(
            request,
            _("映射已生效。") if mapping.status == GlMappingStatus.ACTIVE else _("映射已驳回。"),
        )
        return redirect("servicing:gl_mapping")

    return idempotent(request, run=run, form=True)


@mapping_viewer
def gl_trial_balance_csv(request, year: int, month: int):
    first = month_or_404(year, month)
    types = dict(AccountType.choices)

    def rows():
        yield [
            _("总账科目代码"),
            _("总账科目名称"),
            _("科目类别"),
            _("借方合计"),
            _("贷方合计"),
            _("余额"),
        ]
        for code, name, kind, normal, debit, credit in gl_trial_balance(month_end(first)):
            balance = debit - credit if normal == Side.DEBIT else credit - debit
            yield [code, account_name(code, name), types[kind], debit, credit, balance]

    return csv_response(rows(), f"gl-trial-balance-{first:%Y-%m}.csv")
