"""What the customer must do next — the 待办 panel of the application page, the home page and
"my" pages: sign the contract, answer a counter-offer, upload the requested documents, finish
the draft; or nothing, and what they are waiting for. One row per live application, always
with a plain sentence and, when there is something to do, the link that does it."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from origination.models.applications import Application, ApplicationChannel, ApplicationStatus
from origination.models.documents import DocumentKind
from origination.models.underwriting import UnderwritingCase
from origination.selectors.applications import applications_for_customer
from origination.selectors.contracts import contract_live
from origination.selectors.workbench import counter_offer_open

S = ApplicationStatus
# the applications a customer still has something to do or wait for
LIVE = (
    S.DRAFT,
    S.SUBMITTED,
    S.UNDER_REVIEW,
    S.REFERRED,
    S.DOCUMENTS_REQUESTED,
    S.COUNTER_OFFERED,
    S.APPROVED,
    S.CONTRACT_SIGNED,
)
# still being decided: the application page asks for news every few seconds
PENDING = (S.SUBMITTED, S.UNDER_REVIEW)
WAITING = {
    S.SUBMITTED: gettext_lazy("申请已提交，正在排队审批，通常几分钟内出结果。"),
    S.UNDER_REVIEW: gettext_lazy("系统正在审批，通常几分钟内出结果。"),
    S.REFERRED: gettext_lazy("审批员正在人工审核您的申请，如需补充资料会短信通知您。"),
    S.CONTRACT_SIGNED: gettext_lazy("合同已签署，我们正在核对放款资料，放款后会短信通知您。"),
}


@dataclass(frozen=True)
class Todo:
    app: Application
    text: str
    url: str = ""
    action: str = ""  # the link's words; empty: nothing to do but wait

    @property
    def waiting(self) -> bool:
        return not self.url


def application_todo(app: Application) -> Todo | None:
    """The one thing the customer must do next on ``app`` (None once it is over)."""
    if app.status == S.APPROVED:
        contract = contract_live(app)
        if contract is not None and contract.status == "issued":
            return Todo(
                app,
                _("申请已批准，合同 %(ref)s 已生成，请阅读并在线签署。")
                % {"ref": contract.contract_ref},
                reverse("origination:contract_sign", args=[contract.contract_ref]),
                _("签署合同"),
            )
        return Todo(app, _("申请已批准，合同正在生成，生成后会短信通知您签署。"))
    if app.status == S.COUNTER_OFFERED:
        offer = counter_offer_open(app)
        if offer is not None:
            return Todo(
                app,
                _("我们为您调整了方案（首付、期限），请查看并答复是否接受。"),
                reverse("origination:counter_offer", args=[offer.pk]),
                _("答复调整方案"),
            )
    if app.status == S.DOCUMENTS_REQUESTED:
        return _documents_todo(app)
    if app.status == S.DRAFT and app.channel == ApplicationChannel.DIRECT:
        return Todo(
            app,
            _("申请尚未提交，请完成填写并提交。"),
            reverse("origination:apply_step", args=[app.reference, "applicant"]),
            _("继续填写"),
        )
    if app.status in WAITING:
        return Todo(app, str(WAITING[app.status]))
    return None


def documents_asked(app: Application) -> tuple[list[str], set[str]]:
    """While an underwriter asks for documents: the kinds asked for, and those of them the
    application has received since the request."""
    case = UnderwritingCase.objects.filter(application=app).first()
    kinds = [
        k for k in (case.requested_doc_kinds if case else None) or [] if k in DocumentKind.values
    ]
    if not kinds or case.documents_requested_at is None:
        return kinds, set()
    since = app.documents.filter(uploaded_at__gte=case.documents_requested_at, doc_kind__in=kinds)
    return kinds, set(since.values_list("doc_kind", flat=True))


def _documents_todo(app: Application) -> Todo:
    kinds, _received = documents_asked(app)
    labels = "、".join(str(DocumentKind(k).label) for k in kinds)
    text = _("请补充资料：%(docs)s。") % {"docs": labels} if labels else _("请按通知补充资料。")
    if app.channel != ApplicationChannel.DIRECT:
        return Todo(app, text + _("请联系为您办理的经销商上传。"))
    return Todo(
        app,
        text,
        reverse("origination:apply_step", args=[app.reference, "documents"]),
        _("上传资料"),
    )


def application_polls(app: Application) -> bool:
    """Whether the application page should ask for news: still being decided, or approved with
    its contract on the way (the decision worker issues it just after)."""
    return app.status in PENDING or (app.status == S.APPROVED and contract_live(app) is None)


def application_poll_state(app: Application) -> str:
    """What the page was drawn from; when it differs, the page is drawn again."""
    contract = contract_live(app) if app.status == S.APPROVED else None
    return f"{app.status}:{contract.contract_ref if contract else ''}"


def customer_todos(user) -> list[Todo]:
    """Every live application's next step, the ones with something to do first."""
    if not getattr(user, "is_authenticated", False):
        return []
    apps = applications_for_customer(user).filter(status__in=LIVE).order_by("-updated_at")[:10]
    todos = [t for t in (application_todo(a) for a in apps) if t is not None]
    return sorted(todos, key=lambda t: t.waiting)
