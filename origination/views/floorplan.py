"""The underwriters' floor-plan page (库存融资额度): every dealer with its open line, its use and
the suggested limit; a line opened, changed, frozen, unfrozen or closed. Thin: the service
decides and refuses in Chinese, the page shows the refusal on the form."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from origination.forms.floorplan import LineStatusForm, LineTermsForm
from origination.models.floorplan import FloorplanLine
from origination.selectors.floorplan import (
    dealer_line_suggestion,
    line_history,
    line_open_for,
    line_use,
    lines_board,
)
from origination.services import floorplan as svc
from origination.views.workbench import UNDERWRITERS, roles_required


def _form_error(form, exc: svc.FloorplanLineError) -> None:
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)


def _board(request, *, open_form=None, dealer_id=None, status=200):
    rows = lines_board()
    chosen = next((r for r in rows if r["dealer"]["dealer_id"] == dealer_id), None)
    if chosen is not None and chosen["line"] is not None:
        chosen = None  # a dealer with an open line is changed on the line's page
    if chosen is not None and open_form is None:
        open_form = LineTermsForm(
            initial=LineTermsForm.initial_for(suggested=chosen["suggestion"]["suggested"])
        )
    return render(
        request,
        "origination/floorplan/lines.html",
        {
            "rows": rows,
            "chosen": chosen,
            "open_form": open_form,
            "authority": svc.floorplan_authority_for(request.user),
        },
        status=status,
    )


def _dealer_id(raw) -> int | None:
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


@roles_required(*UNDERWRITERS)
def floorplan_lines(request):
    return _board(request, dealer_id=_dealer_id(request.GET.get("dealer")))


@roles_required(*UNDERWRITERS)
@require_POST
def floorplan_line_open(request):
    dealer_id = _dealer_id(request.POST.get("dealer"))
    form = LineTermsForm(request.POST)
    if dealer_id is not None and form.is_valid():
        try:
            line = svc.line_open(dealer_id=dealer_id, by=request.user, **form.terms())
        except svc.FloorplanLineError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("库存融资额度已开立。"))
            return redirect("origination:floorplan_line", line_id=line.pk)
    return _board(request, open_form=form, dealer_id=dealer_id, status=400)


def _line_page(request, line, *, terms_form=None, status_form=None, status=200):
    return render(
        request,
        "origination/floorplan/line.html",
        {
            "line": line,
            "use": line_use(line),
            "suggestion": dealer_line_suggestion(line.dealer_id),
            "terms_form": terms_form or LineTermsForm(initial=LineTermsForm.initial_for(line)),
            "status_form": status_form,
            "history": line_history(line),
            "authority": svc.floorplan_authority_for(request.user),
            "open_line": line_open_for(line.dealer_id),
        },
        status=status,
    )


def _line(line_id: int) -> FloorplanLine:
    return get_object_or_404(
        FloorplanLine.objects.select_related("dealer", "approved_by"), pk=line_id
    )


@roles_required(*UNDERWRITERS)
def floorplan_line(request, line_id: int):
    return _line_page(request, _line(line_id))


@roles_required(*UNDERWRITERS)
@require_POST
def floorplan_line_change(request, line_id: int):
    line = _line(line_id)
    form = LineTermsForm(request.POST)
    if form.is_valid():
        try:
            svc.line_change(line=line, by=request.user, **form.terms())
        except svc.FloorplanLineError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, _("额度条件已调整。"))
            return redirect("origination:floorplan_line", line_id=line.pk)
    return _line_page(request, line, terms_form=form, status=400)


STATUS_ACTIONS = {
    "freeze": (svc.line_freeze, gettext_lazy("额度已冻结。")),
    "unfreeze": (svc.line_unfreeze, gettext_lazy("额度已解冻。")),
    "close": (svc.line_close, gettext_lazy("额度已关闭。")),
}


@roles_required(*UNDERWRITERS)
@require_POST
def floorplan_line_status(request, line_id: int):
    line = _line(line_id)
    form = LineStatusForm(request.POST)
    if form.is_valid():
        action, done = STATUS_ACTIONS[form.cleaned_data["action"]]
        try:
            action(line=line, reason=form.cleaned_data["reason"], by=request.user)
        except svc.FloorplanLineError as exc:
            _form_error(form, exc)
        else:
            messages.success(request, done)
            return redirect("origination:floorplan_line", line_id=line.pk)
    return _line_page(request, line, status_form=form, status=400)
