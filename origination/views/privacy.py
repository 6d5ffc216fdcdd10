"""The customer's consents and personal-data requests (PIPL): the consents given, withdrawing
one, exporting the personal data, and deleting it where the law allows."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from origination.models.privacy import Consent
from origination.selectors import applications as sel
from origination.services.applications import consents as consent_service
from origination.services.privacy import personal_data_delete, personal_data_export
from origination.views.apply import customer_view


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
    consent_service.consent_withdraw(actor=request.user, consent=consent, reason="customer")
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
