"""The six application steps, shared by the customer's pages and the dealer portal: a step
table (``STEP_VIEWS``, one small handler per step) and ``step_page``, which runs a step's
handler and renders the step; and the live quote of step 1."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Callable
from dataclasses import dataclass

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from autofin.crypto import decrypt
from autofin.throttle import client_ip
from origination.forms.apply import (
    ApplicantForm,
    ConsentForm,
    DocumentForm,
    ItemsForm,
    SubmitForm,
    VehicleForm,
    errors_into,
)
from origination.models.applications import Application, ApplicationChannel, ApplicationStatus
from origination.models.documents import DocumentKind
from origination.selectors import progress
from origination.selectors.todo import documents_asked
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.consents import (
    application_consents_give,
    consent_texts_current,
)
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
)
from origination.services.applications.items import application_items_save
from origination.services.applications.returning import returning_applicant_prefill
from origination.services.applications.start import application_vehicle_update
from origination.services.applications.submission import (
    SubmissionConflictError,
    application_submit,
    submission_problems,
)
from origination.services.applications.vehicle import vehicle_check
from origination.services.document_ocr import id_card_prefill
from origination.services.documents import (
    DOCUMENT_MAX_BYTES,
    application_document_add,
    documents_required,
)

STEP_NAMES = [name for name, _label in progress.STEPS]


class Mode:
    """Where the step pages live: the customer's pages or the dealer portal."""

    def __init__(self, *, dealer: bool, template: str, step_url: str, detail_url: str):
        self.dealer = dealer
        self.template = template
        self.step_url = step_url
        self.detail_url = detail_url

    def step(self, app: Application, step: str) -> str:
        return reverse(self.step_url, args=[app.reference, step])

    def detail(self, app: Application) -> str:
        return reverse(self.detail_url, args=[app.reference])


CUSTOMER_MODE = Mode(
    dealer=False,
    template="origination/apply/step.html",
    step_url="origination:apply_step",
    detail_url="origination:application_detail",
)


def _next(step: str) -> str:
    index = STEP_NAMES.index(step)
    return STEP_NAMES[min(index + 1, len(STEP_NAMES) - 1)]


# --- the step table --------------------------------------------------------------------------
# Each step builds its form (and anything the page needs before a save), saves a valid POST
# (a redirect moves on; None shows the page again), and may add what the page lists below the
# form (not when a service refused the save: the page then shows the errors only, as before).


@dataclass(frozen=True)
class StepView:
    # (request, app, mode, context) -> the step's form, or None when there is nothing to post
    form: Callable[..., forms.Form | None]
    # (request, app, form, mode) on a valid POST -> a redirect, or None to show the page again
    save: Callable[..., HttpResponse | None]
    # (app) -> what the page lists below the form
    context: Callable[[Application], dict] = lambda app: {}


def _vehicle_form(request, app, mode, context):
    return VehicleForm(request.POST or None, initial=VehicleForm.initial_from(app))


def _vehicle_save(request, app, form, mode):
    application_vehicle_update(
        actor=request.user,
        application=app,
        product_version=form.cleaned_data["product"],
        vehicle=form.vehicle_data(),
    )
    return redirect(mode.step(app, _next("vehicle")))


def _applicant_form(request, app, mode, context):
    initial = _applicant_initial(app)
    if not app.applicants.exists() and (prefill := id_card_prefill(app)):
        # read from the ID card photo: shown for the customer to check and confirm by saving
        initial.update(prefill)
        context["prefilled_from_id_card"] = True
    elif prefill := returning_applicant_prefill(app):
        # a returning customer confirms what we verified last time (and may still edit it)
        initial.update(prefill)
        context["prefilled_from_last_application"] = True
    context["offer_id_card_read"] = not app.applicants.exists() and not (
        context.get("prefilled_from_id_card") or context.get("prefilled_from_last_application")
    )
    return ApplicantForm(request.POST or None, initial=initial)


def _applicant_save(request, app, form, mode):
    role = form.cleaned_data.get("other_role") or ""
    application_applicants_save(
        actor=request.user,
        application=app,
        primary=form.person(""),
        other=form.person("other_") if role else None,
        other_role=role,
    )
    return redirect(mode.step(app, _next("applicant")))


def _items_form(request, app, mode, context):
    return ItemsForm(
        request.POST or None,
        initial=ItemsForm.initial_from(app),
        dealer_channel=app.channel == ApplicationChannel.DEALER,
    )


def _items_save(request, app, form, mode):
    application_items_save(
        actor=request.user,
        application=app,
        items=form.items(),
        car_payee_name=form.cleaned_data.get("car_payee_name", ""),
    )
    return redirect(mode.step(app, _next("items")))


def _documents_form(request, app, mode, context):
    return DocumentForm(request.POST or None, request.FILES or None)


def _documents_save(request, app, form, mode):
    """One upload per POST; the page stays on the step to upload the next."""
    try:
        upload = form.cleaned_data["file"]
        application_document_add(
            actor=request.user,
            application=app,
            doc_kind=form.cleaned_data["doc_kind"],
            file=upload,
            original_name=upload.name,
        )
        messages.success(request, _("资料已上传。"))
        # the applicant step's "read my ID card" upload goes back there, to the prefilled form
        back = "applicant" if request.POST.get("next") == "applicant" else "documents"
        return redirect(mode.step(app, back))
    except ValidationError as exc:
        form.add_error("file", exc.messages[0])
    return None


def _documents_context(app: Application) -> dict:
    return {
        "documents": app.documents.all(),
        "required": _required_labels(app),
        "upload_max_bytes": DOCUMENT_MAX_BYTES,
        "upload_max_mb": DOCUMENT_MAX_BYTES // (1024 * 1024),
    }


def _consents_form(request, app, mode, context):
    """The customer gives consents here; in the dealer portal the page only shows the texts
    (the customer gives them through the SMS link)."""
    texts = consent_texts_current()
    if mode.dealer:
        context["texts"] = texts
        return None
    return ConsentForm(request.POST or None, texts=texts, initial=_consent_initial(app))


def _consents_save(request, app, form, mode):
    missing = [k for k, t in form.texts.items() if t.required and not form.cleaned_data[k]]
    for kind in missing:
        form.add_error(kind, _("提交申请须同意此项授权。"))
    if missing:
        return None
    application_consents_give(
        actor=request.user,
        application=app,
        kinds=form.kinds(),
        text_versions=form.versions(),
        via="web",
        ip=client_ip(request),
    )
    return redirect(mode.step(app, _next("consents")))


def _consents_context(app: Application) -> dict:
    return {"consents": app.consents.filter(withdrawn_at__isnull=True).select_related("text")}


def _review_form(request, app, mode, context):
    # the messages flattened here: in the template `problems.items` would read the "items"
    # step's list (a dict key wins over the method) and unpack its one message letter by letter
    context["problems"] = [m for msgs in submission_problems(app).values() for m in msgs]
    return SubmitForm(request.POST or None, initial={"form_token": uuid.uuid4().hex})


def _review_save(request, app, form, mode):
    # submitted already (another tab, another key): the detail page shows where it stands
    with contextlib.suppress(SubmissionConflictError):
        application_submit(
            actor=request.user, application=app, key=f"form:{form.cleaned_data['form_token']}"
        )
    messages.success(request, _("申请已提交。"))
    return redirect(mode.detail(app))


STEP_VIEWS: dict[str, StepView] = {
    "vehicle": StepView(_vehicle_form, _vehicle_save),
    "applicant": StepView(_applicant_form, _applicant_save),
    "items": StepView(_items_form, _items_save),
    "documents": StepView(_documents_form, _documents_save, _documents_context),
    "consents": StepView(_consents_form, _consents_save, _consents_context),
    "review": StepView(_review_form, _review_save),
}


def step_page(request, app: Application, step: str, mode: Mode, extra: dict) -> HttpResponse:
    """GET shows the step; POST saves it (the draft) and moves on. Errors keep the page with
    field-level messages and change nothing."""
    if step not in STEP_VIEWS:
        raise Http404
    if app.status != "draft" and not (step == "documents" and app.status == "documents_requested"):
        return redirect(mode.detail(app))
    view = STEP_VIEWS[step]
    context = {"app": app, "step": step, "mode": mode, **extra}
    form = None
    post = request.method == "POST"
    try:
        form = view.form(request, app, mode, context)
        if post and form is not None and form.is_valid():
            response = view.save(request, app, form, mode)
            if response is not None:
                return response
        context.update(view.context(app))
    except ApplicationValidationError as exc:
        errors_into(form, exc.errors)
    except ApplicationNotEditableError:
        return redirect(mode.detail(app))
    context["form"] = form
    context["steps"] = progress.application_progress(app)
    context["percent"] = progress.progress_percent(context["steps"])
    return render(request, mode.template, context, status=400 if post else 200)


# Cards and licences are photographed: their button opens the phone's rear camera in one tap.
# Proofs and contracts are often PDFs, so theirs opens the chooser (camera, album or files).
PHOTO_KINDS = frozenset(
    {
        DocumentKind.ID_FRONT,
        DocumentKind.ID_BACK,
        DocumentKind.DRIVING_LICENCE,
        DocumentKind.VEHICLE_LICENCE,
    }
)


def _required_labels(app: Application) -> list[dict]:
    """Each required group: its label, whether one of its kinds is in, and one upload button per
    kind (a photo or a file)."""
    labels = dict(DocumentKind.choices)
    groups = documents_required(app)
    have = set(app.documents.values_list("doc_kind", flat=True))
    if app.status == ApplicationStatus.DOCUMENTS_REQUESTED:
        # what the underwriter asked for is what is missing, whatever came before the request
        asked, have = documents_asked(app)
        groups = [(k,) for k in asked] or groups
    return [
        {
            "label": " / ".join(str(labels[k]) for k in group),
            "done": bool(have.intersection(group)),
            "kinds": [{"kind": k, "label": labels[k], "photo": k in PHOTO_KINDS} for k in group],
        }
        for group in groups
    ]


def _applicant_initial(app: Application) -> dict:
    initial: dict = {}
    for applicant in app.applicants.all():
        prefix = "" if applicant.role == "primary" else "other_"
        if prefix:
            initial["other_role"] = applicant.role
        initial.update(
            {
                f"{prefix}name": applicant.name,
                f"{prefix}id_number": decrypt(applicant.id_number_enc),
                f"{prefix}birth_date": applicant.birth_date,
                f"{prefix}mobile": decrypt(applicant.mobile_enc),
                f"{prefix}marital_status": applicant.marital_status,
                f"{prefix}address": applicant.address,
                f"{prefix}employment_kind": applicant.employment_kind,
                f"{prefix}employer": applicant.employer,
                f"{prefix}employment_years": applicant.employment_years,
                f"{prefix}housing": applicant.housing,
                f"{prefix}monthly_income": applicant.monthly_income,
                f"{prefix}bank_account": decrypt(applicant.bank_account_enc),
            }
        )
    if not initial:
        initial = {"name": app.customer_name, "mobile": decrypt(app.customer_mobile_enc)}
    return initial


def _consent_initial(app: Application) -> dict:
    return dict.fromkeys(
        app.consents.filter(withdrawn_at__isnull=True).values_list("consent_kind", flat=True), True
    )


def quote_preview(request):
    """HTMX: the live quote for step 1's fields (nothing saved)."""
    form = VehicleForm(request.POST or None)
    context: dict = {"evaluation": None, "errors": {}}
    if form.is_valid():
        check = vehicle_check(version=form.cleaned_data["product"], data=form.vehicle_data())
        context.update(evaluation=check.evaluation, errors=check.errors)
    else:
        context["incomplete"] = True
    return render(request, "origination/apply/_quote.html", context)
