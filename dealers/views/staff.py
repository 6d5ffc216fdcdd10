"""A dealer's staff in the portal: inviting sales, deactivating staff, accepting an invitation."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from dealers import services
from dealers.forms import (
    InviteAcceptForm,
    StaffInviteForm,
    form_error_from,
)
from dealers.models.staff import DealerStaff, StaffRole
from dealers.rules import DealerError
from dealers.views.access import is_dealer_admin, portal_render, portal_view


@portal_view
def portal_staff(request):
    dealer = request.dealer
    form = None
    if is_dealer_admin(request):
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
    return portal_render(
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
