"""HTML pages: the dealer portal (/dealer/…) and the account managers' pages (/dealer/manage/…).

Every portal query is scoped to the signed-in user's dealer; an object of another dealer is a
404, never a 403 that would confirm it exists.
"""

from __future__ import annotations

import csv
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _g
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from autofin.roles import Role, user_has_role
from autofin.uploads import upload_response
from dealers import selectors, services
from dealers.charts import bar_chart_svg
from dealers.forms import (
    BankAccountChangeForm,
    DealerOnboardForm,
    DecisionForm,
    InviteAcceptForm,
    LicenceUploadForm,
    StaffInviteForm,
    TransitionForm,
    form_error_from,
)
from dealers.models.accounts import BankAccountChange
from dealers.models.commissions import CommissionStatement
from dealers.models.dealers import Dealer, DealerLicence
from dealers.models.grading import DealerAlert
from dealers.models.staff import DealerStaff, StaffRole
from dealers.portal import portal_nav
from dealers.rules import DealerError, allowed_transitions, manages
from dealers.services.grading import METRIC_LABELS

# --- decorators -------------------------------------------------------------------------------


def portal_view(view):
    """Signed-in, active dealer staff only; sets request.dealer_staff and request.dealer."""

    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        staff = selectors.staff_for_user(request.user)
        if staff is None:
            raise PermissionDenied
        request.dealer_staff = staff
        request.dealer = staff.dealer
        return view(request, *args, **kwargs)

    return wrapper


def manager_view(view):
    @login_required
    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not user_has_role(request.user, Role.ACCOUNT_MANAGER, Role.SYSTEM_ADMIN):
            raise PermissionDenied
        return view(request, *args, **kwargs)

    return wrapper


def _is_admin(request) -> bool:
    return request.dealer_staff.role == StaffRole.DEALER_ADMIN


def _portal(request, template: str, context: dict) -> HttpResponse:
    context.update(
        {
            "dealer": request.dealer,
            "staff": request.dealer_staff,
            "is_dealer_admin": _is_admin(request),
            "portal_nav": portal_nav(request.path),
        }
    )
    return render(request, template, context)


# --- the dealer portal ------------------------------------------------------------------------


@portal_view
def portal_home(request):
    dealer = request.dealer
    return _portal(
        request,
        "dealers/portal_home.html",
        {
            "grade": selectors.dealer_current_grade(dealer.pk),
            "account": selectors.dealer_active_account(dealer.pk),
            "pending_change": selectors.dealer_pending_account_change(dealer.pk),
            "licences": dealer.licences.all(),
            "upload_form": LicenceUploadForm() if _is_admin(request) else None,
        },
    )


@portal_view
@require_POST
def portal_licence_upload(request):
    if not _is_admin(request):
        raise PermissionDenied
    form = LicenceUploadForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.dealer_licence_upload(
                actor=request.user,
                dealer=request.dealer,
                kind=form.cleaned_data["kind"],
                file=form.cleaned_data["file"],
            )
            messages.success(request, _("资质文件已上传。"))
        except (DealerError, ValidationError) as exc:
            messages.error(request, getattr(exc, "message", None) or "; ".join(exc.messages))
    else:
        messages.error(request, _("请选择要上传的文件。"))
    return redirect("dealers:portal_home")


@login_required
def licence_download(request, pk: int):
    licence = get_object_or_404(DealerLicence.objects.select_related("dealer"), pk=pk)
    staff = selectors.staff_for_user(request.user)
    allowed = (staff is not None and staff.dealer_id == licence.dealer_id) or manages(
        request.user, licence.dealer
    )
    return upload_response(
        relative_path=licence.path,
        content_type=licence.content_type,
        allowed=allowed,
        filename=licence.original_name,
    )


@portal_view
def portal_staff(request):
    dealer = request.dealer
    form = None
    if _is_admin(request):
        form = StaffInviteForm(request.POST or None, initial={"role": StaffRole.DEALER_SALES})
        # A dealer admin invites sales; dealer admins are invited by the account manager.
        form.fields["role"].choices = [(StaffRole.DEALER_SALES, StaffRole.DEALER_SALES.label)]
        if request.method == "POST" and form.is_valid():
            try:
                services.staff_invite(
                    actor=request.user,
                    dealer=dealer,
                    role=form.cleaned_data["role"],
                    display_name=form.cleaned_data["display_name"],
                    email=form.cleaned_data["email"],
                    phone=form.cleaned_data["phone"],
                    base_url=settings.SITE_URL + "/",
                )
                messages.success(request, _("邀请已发送。"))
                return redirect("dealers:portal_staff")
            except DealerError as exc:
                form_error_from(form, exc)
    elif request.method == "POST":
        raise PermissionDenied
    return _portal(
        request,
        "dealers/portal_staff.html",
        {
            "members": DealerStaff.objects.filter(dealer=dealer).select_related("user"),
            "invitations": dealer.invitations.filter(accepted_at__isnull=True)[:20],
            "form": form,
        },
    )


@portal_view
@require_POST
def portal_staff_deactivate(request, pk: int):
    staff = get_object_or_404(DealerStaff, pk=pk, dealer=request.dealer)
    try:
        services.staff_deactivate(
            actor=request.user, staff_id=staff.pk, reason=request.POST.get("reason", "")
        )
        messages.success(request, _("已停用该员工，其登录会话和接口令牌已失效。"))
    except DealerError as exc:
        messages.error(request, exc.message)
    return redirect("dealers:portal_staff")


@portal_view
def portal_agreements(request):
    return _portal(
        request,
        "dealers/portal_agreements.html",
        {"agreements": request.dealer.agreements.order_by("product_line", "-effective_from")},
    )


@portal_view
def portal_statements(request):
    return _portal(
        request,
        "dealers/portal_statements.html",
        {"statements": selectors.dealer_statements(request.dealer.pk)},
    )


def _own_statement(request, pk: int) -> CommissionStatement:
    return get_object_or_404(CommissionStatement, pk=pk, dealer=request.dealer)


@portal_view
def portal_statement_detail(request, pk: int):
    statement = _own_statement(request, pk)
    return _portal(
        request,
        "dealers/portal_statement_detail.html",
        {"statement": statement, "lines": statement.lines.all()},
    )


@portal_view
def portal_statement_csv(request, pk: int):
    statement = _own_statement(request, pk)
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    filename = f"commission-{statement.month:%Y-%m}.csv"
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.write("\ufeff")  # BOM: Excel opens UTF-8 Chinese headers correctly
    writer = csv.writer(response)
    writer.writerow([_g("合同号"), _g("类型"), _g("日期"), _g("融资额"), _g("金额")])
    for line in statement.lines.all():
        writer.writerow(
            [
                line.contract_ref,
                line.get_kind_display(),
                line.event_date.isoformat(),
                f"{line.amount_financed:.2f}",
                f"{line.amount:.2f}",
            ]
        )
    writer.writerow([_g("合计"), "", "", "", f"{statement.total:.2f}"])
    return response


def _kpi_charts(dealer_id: int) -> tuple[list[dict], list]:
    series = selectors.dealer_kpi_series(dealer_id, months=12)
    labels = [selectors.month_label(row["month"]) for row in series]

    def col(key):
        return [row.get(key) for row in series]

    def pct(v):
        return f"{v * 100:.1f}%"

    charts = [
        {
            "title": _g("进件量"),
            "svg": bar_chart_svg(title=_g("进件量"), labels=labels, values=col("applications")),
        },
        {
            "title": _g("审批通过率"),
            "svg": bar_chart_svg(
                title=_g("审批通过率"),
                labels=labels,
                values=col("approval_rate"),
                value_format=pct,
            ),
        },
        {
            "title": _g("放款金额"),
            "svg": bar_chart_svg(
                title=_g("放款金额"),
                labels=labels,
                values=col("funded_amount"),
                value_format=lambda v: f"{v / 10000:.1f}万",
            ),
        },
        {
            "title": _g("平均审批时长（小时）"),
            "svg": bar_chart_svg(
                title=_g("平均审批时长（小时）"),
                labels=labels,
                values=col("avg_decision_hours"),
                value_format=lambda v: f"{v:.1f}",
            ),
        },
    ]
    return charts, series


@portal_view
def portal_kpis(request):
    charts, series = _kpi_charts(request.dealer.pk)
    return _portal(request, "dealers/portal_kpis.html", {"charts": charts, "series": series})


def invite_accept(request, token: str):
    invitation = services.invitation_for_token(token)
    if invitation is None:
        raise Http404(_("邀请链接无效或已过期。"))
    form = InviteAcceptForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.staff_invitation_accept(
                token=token,
                username=form.cleaned_data["username"],
                password=form.cleaned_data["password1"],
            )
            messages.success(request, _("账号已开通，请登录。"))
            return redirect("login")
        except DealerError as exc:
            if exc.field == "password":
                form.add_error("password1", exc.message)
            else:
                form_error_from(form, exc)
    return render(request, "dealers/invite_accept.html", {"invitation": invitation, "form": form})


# --- account managers -------------------------------------------------------------------------


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
    charts, _series = _kpi_charts(dealer.pk)
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
        messages.error(request, str(exc) or _g("您没有执行此操作的权限。"))
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
