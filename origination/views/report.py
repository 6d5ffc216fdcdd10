"""The back office's intake turnaround report: hours from submission to decision and to
funding, per channel and per dealer, over the applications the user may see."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render

from autofin.roles import Role, user_has_role
from origination.selectors.applications import BACK_OFFICE_ALL, applications_visible_to
from origination.selectors.turnaround import turnaround_rows, turnaround_summary


@login_required
def intake_report(request):
    if not user_has_role(request.user, *BACK_OFFICE_ALL, Role.ACCOUNT_MANAGER):
        raise PermissionDenied
    visible = applications_visible_to(request.user)
    return render(
        request,
        "origination/report/turnaround.html",
        {
            "by_channel": turnaround_summary(group_by="channel", queryset=visible),
            "by_dealer": turnaround_summary(group_by="dealer", queryset=visible),
            "rows": turnaround_rows(queryset=visible)[-50:],
        },
    )
