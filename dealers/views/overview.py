"""The dealer portal's overview: grade, settlement account, licences, agreements."""

from __future__ import annotations

import contextlib
import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from autofin.uploads import upload_response
from dealers import selectors, services
from dealers.forms import (
    LicenceUploadForm,
)
from dealers.models.dealers import DealerLicence
from dealers.models.staff import StaffRole
from dealers.rules import DealerError, manages
from dealers.views.access import is_dealer_admin, portal_render, portal_view


@portal_view
def portal_home(request):
    # a salesperson's landing is their own pipeline (new application, to-dos); named by URL,
    # not imported: the pipeline is origination's, above this app
    if request.dealer_staff.role == StaffRole.DEALER_SALES:
        with contextlib.suppress(NoReverseMatch):
            return redirect(reverse("origination:dealer_pipeline"))
    dealer = request.dealer
    return portal_render(
        request,
        "dealers/portal_home.html",
        {
            "grade": selectors.dealer_current_grade(dealer.pk),
            "account": selectors.dealer_active_account(dealer.pk),
            "deposit": selectors.dealer_deposit_position(dealer.pk),
            "pending_change": selectors.dealer_pending_account_change(dealer.pk),
            "licences": dealer.licences.all(),
            "upload_form": LicenceUploadForm() if is_dealer_admin(request) else None,
            # servicing's online deposit payment (a form posted once per token)
            "deposit_pay_token": uuid.uuid4().hex,
        },
    )


@portal_view
@require_POST
def portal_licence_upload(request):
    if not is_dealer_admin(request):
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
def portal_agreements(request):
    return portal_render(
        request,
        "dealers/portal_agreements.html",
        {"agreements": request.dealer.agreements.order_by("product_line", "-effective_from")},
    )
