"""The early-warning action queue (预警处置队列): the open actions owned by the user's roles, by
due date, each closed with its outcome (servicing.services.warning_actions checks the owner)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponseForbidden
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from autofin.roles import STAFF_ROLES, user_has_role, user_roles
from risk.models import EarlyWarningRule
from servicing.models.telematics import EarlyWarningAction
from servicing.services.warning_actions import WarningActionError, warning_action_close


def _owned(user):
    actions = EarlyWarningAction.objects.select_related("loan")
    return actions if user.is_superuser else actions.filter(owner__in=user_roles(user))


@login_required
def warning_actions(request):
    if not user_has_role(request.user, *STAFF_ROLES):
        return HttpResponseForbidden(_("您没有访问预警处置队列的权限。"))
    done = request.GET.get("status") == "done"
    actions = _owned(request.user).filter(status="done" if done else "open")
    actions = actions.order_by("-closed_at", "-id") if done else actions.order_by("due_date", "id")
    actions = list(actions[:200])
    rules = dict(EarlyWarningRule.objects.values_list("code", "description"))
    for action in actions:  # the rule as configured (its description), not its code
        action.rule_label = rules.get(action.rule_code, action.rule_code)
    return render(request, "servicing/warning_actions.html", {"actions": actions, "done": done})


@login_required
@require_POST
def warning_action_close_view(request, action_id: int):
    if not _owned(request.user).filter(pk=action_id).exists():
        return HttpResponseForbidden(_("该措施不属于您的队列。"))
    try:
        warning_action_close(
            actor=request.user, action_id=action_id, outcome=request.POST.get("outcome", "")
        )
    except WarningActionError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("措施已处理。"))
    return redirect("servicing:warning_actions")
