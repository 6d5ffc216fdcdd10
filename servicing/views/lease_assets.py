"""The lease's asset section of the loan page (融资租赁资产): the car the lessor owns or holds a
mortgage on, its registration, and its insurance policy; operations record the registration
and enter the policy number here (the services check the role: operations or a servicing agent)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from autofin.business_date import business_date_current
from autofin.roles import user_has_role
from servicing.models.leases import InsurancePolicy, LeaseAsset
from servicing.models.loans import Loan
from servicing.services.leases.assets import (
    ASSET_ROLES,
    insurance_policy_number_record,
    lease_asset_registered,
)
from servicing.services.loans.account import LoanError


class RegistrationForm(forms.Form):
    plate = forms.CharField(label=gettext_lazy("车牌号"), max_length=20, required=False)
    evidence = forms.CharField(label=gettext_lazy("登记依据"), max_length=200)


class PolicyNumberForm(forms.Form):
    policy_number = forms.CharField(label=gettext_lazy("保单号"), max_length=40)


def lease_asset_context(request, loan: Loan) -> dict:
    asset = LeaseAsset.objects.filter(loan=loan).first()
    if asset is None:
        return {}
    return {
        "lease_asset": asset,
        "lease_policies": list(InsurancePolicy.objects.filter(loan=loan).order_by("-id")),
        "lease_may_edit": user_has_role(request.user, *ASSET_ROLES),
        "lease_registration_form": RegistrationForm(),
        "lease_policy_form": PolicyNumberForm(),
    }


@require_POST
@login_required
def lease_asset_register(request, loan_id: int):
    loan = get_object_or_404(Loan, pk=loan_id)
    form = RegistrationForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写登记依据。"))
    else:
        try:
            lease_asset_registered(loan=loan, on=business_date_current(), actor=request.user,
                                   **form.cleaned_data)  # fmt: skip
        except LoanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("车辆登记已记录。"))
    return redirect(reverse("servicing:loan_detail", args=[loan.pk]) + "#lease-asset")


@require_POST
@login_required
def lease_policy_number(request, policy_id: int):
    policy = get_object_or_404(InsurancePolicy, pk=policy_id)
    form = PolicyNumberForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写保单号（不超过 40 位）。"))
    else:
        try:
            insurance_policy_number_record(policy_id=policy.pk, actor=request.user,
                                           **form.cleaned_data)  # fmt: skip
        except LoanError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("保单号已保存。"))
    return redirect(reverse("servicing:loan_detail", args=[policy.loan_id]) + "#lease-asset")
