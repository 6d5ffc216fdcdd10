"""The account managers' pages (/dealer/manage/…): dashboard, onboarding, a dealer's page and
its actions (status transitions, re-grading, bank-account maker-checker, invitations, alerts)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from dealers import selectors, services
from dealers.forms import (
    BankAccountChangeForm,
    DealerOnboardForm,
    DecisionForm,
    StaffInviteForm,
    TransitionForm,
    form_error_from,
)
from dealers.models.accounts import BankAccountChange
from dealers.models.dealers import Dealer
from dealers.models.grading import DealerAlert
from dealers.models.staff import DealerStaff, StaffRole
from dealers.rules import DealerError, allowed_transitions, manages
from dealers.services.grading import METRIC_LABELS
from dealers.views.access import manager_view
from dealers.views.kpis import kpi_charts


@manager_view
def manager_home(request):
    return render(
        request,
        "dealers/manager_home.html",
        {
            "rows": selectors.manager_dashboard_rows(request.user),
            "can_onboard": True,
        },
    )


@manager_view
def manager_onboard(request):
    form = DealerOnboardForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            dealer = services.dealer_onboard(
                actor=request.user,
                account_manager=request.user
                if user_has_role(request.user, Role.ACCOUNT_MANAGER)
                and not request.user.is_superuser
                else None,
                **form.cleaned_data,
            )
            messages.success(request, _("经销商已登记，状态为“已申请”。"))
            if manages(request.user, dealer):
                return redirect("dealers:manager_dealer", pk=dealer.pk)
            return redirect("dealers:manager_home")
        except DealerError as exc:
            form_error_from(form, exc)
    return render(request, "dealers/manager_onboard.html", {"form": form})


def _managed_dealer(request, pk: int) -> Dealer:
    dealer = get_object_or_404(Dealer, pk=pk)
    if not manages(request.user, dealer):
        raise Http404
    return dealer


@manager_view
def manager_dealer(request, pk: int):
    dealer = _managed_dealer(request, pk)
    grade = selectors.dealer_current_grade(dealer.pk)
    contributions = []
    if grade:
        for name, entry in grade.contributions.items():
            contributions.append({"name": name, "label": METRIC_LABELS.get(name, name), **entry})
    charts, _series = kpi_charts(dealer.pk)
    transition_form = TransitionForm()
    allowed = allowed_transitions(request.user, dealer)
    transition_form.fields["to_status"].choices = [
        (value, label)
        for value, label in transition_form.fields["to_status"].choices
        if value in allowed
    ]
    invite_form = StaffInviteForm(initial={"role": StaffRole.DEALER_ADMIN})
    return render(
        request,
        "dealers/manager_dealer.html",
        {
            "dealer": dealer,
            "grade": grade,
            "grades": dealer.grades.order_by("-as_of", "-id")[:12],
            "contributions": contributions,
            "alerts": dealer.alerts.all()[:20],
            "account": selectors.dealer_active_account(dealer.pk),
            "pending_change": selectors.dealer_pending_account_change(dealer.pk),
            "bank_form": BankAccountChangeForm(initial={"account_name": dealer.legal_name}),
            "decision_form": DecisionForm(),
            "transition_form": transition_form if allowed else None,
            "invite_form": invite_form,
            "members": DealerStaff.objects.filter(dealer=dealer).select_related("user"),
            "agreements": dealer.agreements.all(),
            "licences": dealer.licences.all(),
            "charts": charts[:2],
        },
    )


def _back(pk: int):
    return redirect("dealers:manager_dealer", pk=pk)


@manager_view
@require_POST
def manager_dealer_transition(request, pk: int):
    dealer = _managed_dealer(request, pk)
    form = TransitionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择新状态并填写原因。"))
        return _back(pk)
    try:
        services.dealer_transition(
            actor=request.user,
            dealer=dealer,
            to_status=form.cleaned_data["to_status"],
            reason=form.cleaned_data["reason"],
        )
        messages.success(request, _("状态已变更。"))
    except DealerError as exc:
        messages.error(request, exc.message)
    except PermissionDenied as exc:
        messages.error(request, str(exc) or gettext("您没有执行此操作的权限。"))
    return _back(pk)


@manager_view
@require_POST
def manager_grade_recompute(request, pk: int):
    dealer = _managed_dealer(request, pk)
    try:
        row = services.dealer_grade_recompute_now(actor=request.user, dealer_id=dealer.pk)
        messages.success(
            request,
            _("已重新评级：%(grade)s（%(score)s 分）") % {"grade": row.grade, "score": row.score},
        )
    except DealerError as exc:
        messages.error(request, exc.message)
    return _back(pk)


@manager_view
@require_POST
def manager_bank_change_prepare(request, pk: int):
    dealer = _managed_dealer(request, pk)
    form = BankAccountChangeForm(request.POST)
    if form.is_valid():
        try:
            services.bank_account_change_prepare(
                actor=request.user, dealer=dealer, **form.cleaned_data
            )
            messages.success(request, _("账户变更已提交，等待另一位同事复核。"))
        except DealerError as exc:
            messages.error(request, exc.message)
        except PermissionDenied:
            messages.error(request, _("您没有提交账户变更的权限。"))
    else:
        messages.error(request, _("请完整填写账户信息。"))
    return _back(pk)


@manager_view
@require_POST
def manager_bank_change_decide(request, pk: int):
    change = get_object_or_404(BankAccountChange.objects.select_related("dealer"), pk=pk)
    if not manages(request.user, change.dealer):
        raise Http404
    form = DecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择复核结果。"))
        return _back(change.dealer_id)
    try:
        if form.cleaned_data["decision"] == "approve":
            services.bank_account_change_approve(
                actor=request.user, change_id=change.pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("账户变更已批准，新账户已启用。"))
        else:
            services.bank_account_change_reject(
                actor=request.user, change_id=change.pk, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("账户变更已驳回。"))
    except DealerError as exc:
        messages.error(request, exc.message)
    except PermissionDenied:
        messages.error(request, _("您没有复核账户变更的权限。"))
    return _back(change.dealer_id)


@manager_view
@require_POST
def manager_invite(request, pk: int):
    dealer = _managed_dealer(request, pk)
    form = StaffInviteForm(request.POST)
    if form.is_valid():
        try:
            services.staff_invite(
                actor=request.user,
                dealer=dealer,
                base_url=settings.SITE_URL + "/",
                **form.cleaned_data,
            )
            messages.success(request, _("邀请已发送。"))
        except DealerError as exc:
            messages.error(request, exc.message)
    else:
        messages.error(request, "; ".join(str(e) for errs in form.errors.values() for e in errs))
    return _back(pk)


@manager_view
@require_POST
def manager_alert_resolve(request, pk: int):
    alert = get_object_or_404(DealerAlert.objects.select_related("dealer"), pk=pk)
    if not manages(request.user, alert.dealer):
        raise Http404
    services.dealer_alert_resolve(actor=request.user, alert_id=alert.pk)
    messages.success(request, _("预警已处理。"))
    return _back(alert.dealer_id)
