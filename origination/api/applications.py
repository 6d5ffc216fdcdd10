"""The applications API (/api/v1/applications/): create, update a step, upload, consents,
submit (``Idempotency-Key`` header), status. Scoped like the pages: a customer sees their own,
dealer staff their dealer's, the back office by role; anything else is a 404."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import Http404
from django.utils.translation import gettext
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.changes import change_wait
from autofin.parsers import LimitedJSONParser
from autofin.roles import Role, user_has_role
from autofin.throttle import client_ip
from dealers.selectors import staff_for_user
from origination.api.application_serializers import (
    ApplicantsInput,
    ApplicationCreateInput,
    ApplicationListOutput,
    ApplicationOutput,
    ApplicationStepOutput,
    ConsentsInput,
    DocumentInput,
    DocumentOutput,
    ItemsInput,
    StatusOutput,
    UpdateInput,
    VehicleStepInput,
)
from origination.api.errors import errors_flatten
from origination.customer_texts import dealer_status
from origination.models.applications import ApplicationChannel
from origination.selectors import applications as sel
from origination.selectors.progress import application_needs
from origination.services.applications.applicants import application_applicants_save
from origination.services.applications.consents import application_consents_give
from origination.services.applications.errors import (
    ApplicationNotEditableError,
    ApplicationValidationError,
)
from origination.services.applications.items import application_items_save
from origination.services.applications.start import application_start, application_vehicle_update
from origination.services.applications.submission import SubmissionConflictError, application_submit
from origination.services.documents import application_document_add
from origination.services.state import application_status_topic

TAG = ["applications"]
# Below gunicorn's 30 s worker timeout and common proxies' idle timeouts.
STATUS_WAIT_MAX_SECONDS = 20


def _bad(errors) -> Response:
    return Response({"errors": errors}, status=status.HTTP_400_BAD_REQUEST)


def _audience(request) -> dict:
    """The serializers' context: dealer staff read the statuses as their portal names them."""
    return {"for_dealer": staff_for_user(request.user) is not None}


def _prefetched(qs):
    return qs.prefetch_related("applicants", "items", "documents")


def _get(request, reference: str, *, prefetch: bool = False):
    qs = sel.applications_visible_to(request.user)
    if prefetch:
        qs = _prefetched(qs)
    else:
        # Nine of an application's eleven intake requests read the row through here: they read
        # its product (required documents, quote) but never its dealer or salesperson rows.
        # Compiling and reading the wider join was a quarter of the intake's CPU (issue #22).
        qs = qs.select_related(None).select_related("product_version__product")
    try:
        # the reference is unique: get() asks for no ordering, unlike first()
        return qs.get(reference=reference)
    except qs.model.DoesNotExist:
        raise Http404 from None


class ApplicationListCreateView(APIView):
    @extend_schema(tags=TAG, responses=ApplicationListOutput(many=True), summary="我的/本店的申请")
    def get(self, request):
        apps = sel.applications_visible_to(request.user).order_by("-created_at")[:200]
        return Response(
            {"results": ApplicationListOutput(apps, many=True, context=_audience(request)).data}
        )

    @extend_schema(
        tags=TAG,
        request=ApplicationCreateInput,
        responses={201: ApplicationStepOutput},
        summary="新建申请（第 1 步：产品与车辆）",
    )
    def post(self, request):
        data = ApplicationCreateInput(data=request.data)
        if not data.is_valid():
            return _bad(errors_flatten(data.errors))
        staff = staff_for_user(request.user)
        try:
            if staff is not None:
                app = application_start(
                    actor=request.user,
                    channel=ApplicationChannel.DEALER,
                    product_version=data.validated_data["product"],
                    vehicle=data.vehicle(),
                    customer_name=data.validated_data.get("customer_name", ""),
                    customer_mobile=data.validated_data.get("customer_mobile", ""),
                    dealer=staff.dealer,
                    salesperson=request.user,
                )
            elif user_has_role(request.user, Role.CUSTOMER):
                app = application_start(
                    actor=request.user,
                    channel=ApplicationChannel.DIRECT,
                    product_version=data.validated_data["product"],
                    vehicle=data.vehicle(),
                    customer=request.user,
                )
            else:
                return Response(status=status.HTTP_403_FORBIDDEN)
        except ApplicationValidationError as exc:
            return _bad(exc.errors)
        return Response(
            ApplicationStepOutput(app, context=_audience(request)).data,
            status=status.HTTP_201_CREATED,
        )


class ApplicationDetailView(APIView):
    @extend_schema(tags=TAG, responses=ApplicationOutput, summary="申请详情")
    def get(self, request, reference: str):
        app = _get(request, reference, prefetch=True)
        return Response(ApplicationOutput(app, context=_audience(request)).data)

    @extend_schema(
        tags=TAG,
        request=UpdateInput,
        responses=ApplicationStepOutput,
        summary="保存一个步骤（vehicle / applicants / items / consents）",
        description=(
            "`step` 指明步骤，其余字段同该步骤的输入：vehicle 同创建；applicants 为 "
            "{primary, other_role, other}；items 为 {car_payee_name, items:[…]}；consents 为 "
            "{kinds, text_versions}。规则错误以字段名返回。"
        ),
    )
    def patch(self, request, reference: str):
        app = _get(request, reference)
        step = UpdateInput(data=request.data)
        if not step.is_valid():
            return _bad(errors_flatten(step.errors))
        name = step.validated_data["step"]
        may_edit = sel.application_may_edit(request.user, app)
        if name == "consents":
            # consents are the customer's own: never given by dealer staff
            if app.customer_id != request.user.pk:
                raise Http404
        elif not may_edit:
            if app.status not in ("draft",):
                return Response(
                    {"errors": {"__all__": ["申请已提交，不能修改。"]}},
                    status=status.HTTP_409_CONFLICT,
                )
            raise Http404
        try:
            if name == "vehicle":
                data = VehicleStepInput(data=request.data)
                if not data.is_valid():
                    return _bad(errors_flatten(data.errors))
                app = application_vehicle_update(
                    actor=request.user,
                    application=app,
                    product_version=data.validated_data["product"],
                    vehicle=data.vehicle(),
                )
            elif name == "applicants":
                data = ApplicantsInput(data=request.data)
                if not data.is_valid():
                    return _bad(errors_flatten(data.errors))
                role = data.validated_data.get("other_role") or ""
                app = application_applicants_save(
                    actor=request.user,
                    application=app,
                    primary=data.validated_data["primary"],
                    other=data.validated_data.get("other") if role else None,
                    other_role=role,
                )
            elif name == "items":
                data = ItemsInput(data=request.data)
                if not data.is_valid():
                    return _bad(errors_flatten(data.errors))
                app = application_items_save(
                    actor=request.user,
                    application=app,
                    items={i["item_kind"]: i for i in data.validated_data.get("items", [])},
                    car_payee_name=data.validated_data.get("car_payee_name", ""),
                )
            else:
                data = ConsentsInput(data=request.data)
                if not data.is_valid():
                    return _bad(errors_flatten(data.errors))
                application_consents_give(
                    actor=request.user,
                    application=app,
                    kinds=data.validated_data["kinds"],
                    text_versions=data.validated_data.get("text_versions"),
                    via="api",
                    ip=client_ip(request),
                )
        except ApplicationValidationError as exc:
            return _bad(exc.errors)
        except ApplicationNotEditableError:
            return Response(
                {"errors": {"__all__": ["申请已提交，不能修改。"]}}, status=status.HTTP_409_CONFLICT
            )
        # The step services return the saved row (read under their lock) and consents change
        # no field of the application row, so ``app`` is current: no re-read.
        return Response(ApplicationStepOutput(app, context=_audience(request)).data)


class ApplicationDocumentView(APIView):
    parser_classes = [MultiPartParser, FormParser]

    @extend_schema(
        tags=TAG,
        request={"multipart/form-data": DocumentInput},
        responses={201: DocumentOutput},
        summary="上传资料（按内容检查类型与大小）",
    )
    def post(self, request, reference: str):
        app = _get(request, reference)
        if not sel.application_may_edit(request.user, app):
            raise Http404
        data = DocumentInput(data=request.data)
        if not data.is_valid():
            return _bad(errors_flatten(data.errors))
        upload = data.validated_data["file"]
        try:
            document = application_document_add(
                actor=request.user,
                application=app,
                doc_kind=data.validated_data["doc_kind"],
                file=upload,
                original_name=upload.name,
            )
        except ValidationError as exc:
            return _bad({"file": exc.messages})
        return Response(DocumentOutput(document).data, status=status.HTTP_201_CREATED)


class ApplicationSubmitView(APIView):
    parser_classes = [LimitedJSONParser, FormParser]

    @extend_schema(
        tags=TAG,
        request=None,
        parameters=[
            OpenApiParameter(
                "Idempotency-Key",
                str,
                OpenApiParameter.HEADER,
                required=True,
                description="同一键重复提交只生效一次，返回相同结果",
            )
        ],
        responses={200: ApplicationStepOutput, 201: ApplicationStepOutput},
        summary="提交申请（幂等）",
    )
    def post(self, request, reference: str):
        app = _get(request, reference)
        key = request.headers.get("Idempotency-Key", "").strip()
        if not key or len(key) > 80:
            return _bad({"Idempotency-Key": ["请提供 Idempotency-Key 请求头（1–80 个字符）。"]})
        if app.submission_key != f"api:{request.user.pk}:{key}" and not sel.application_may_edit(
            request.user, app
        ):
            if app.status == "draft":
                raise Http404
            return Response(
                {"errors": {"__all__": ["申请已提交。"]}}, status=status.HTTP_409_CONFLICT
            )
        try:
            result = application_submit(
                actor=request.user, application=app, key=f"api:{request.user.pk}:{key}"
            )
        except ApplicationValidationError as exc:
            return _bad(exc.errors)
        except SubmissionConflictError:
            return Response(
                {"errors": {"__all__": ["申请已提交。"]}}, status=status.HTTP_409_CONFLICT
            )
        return Response(
            ApplicationStepOutput(result.application, context=_audience(request)).data,
            status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK,
        )


class ApplicationStatusView(APIView):
    @extend_schema(
        tags=TAG,
        parameters=[
            OpenApiParameter(
                "wait",
                float,
                OpenApiParameter.QUERY,
                required=False,
                description=(
                    f"已提交、自动审批中的申请：最多等待这么多秒（0–{STATUS_WAIT_MAX_SECONDS}），"
                    "审批结果一出即返回，免去频繁轮询"
                ),
            )
        ],
        responses=StatusOutput,
        summary="申请状态与进度",
    )
    def get(self, request, reference: str):
        try:
            wait = float(request.query_params.get("wait") or 0)
        except ValueError:
            wait = -1.0
        if not 0 <= wait <= STATUS_WAIT_MAX_SECONDS:
            message = gettext("wait 应为 0 到 %(max)s 之间的秒数。")
            return _bad({"wait": [message % {"max": STATUS_WAIT_MAX_SECONDS}]})
        app = _get(request, reference)
        if wait and app.status in sel.BEING_DECIDED:
            change_wait(
                application_status_topic(app.pk),
                seconds=wait,
                pending=lambda: sel.application_being_decided(app.pk),
            )
            app.refresh_from_db()
        context = _audience(request)
        timeline = list(app.events.order_by("created_at", "id"))
        if context["for_dealer"]:
            # a review turned referral is no step to a dealer (both read under_review)
            timeline = [
                e for e in timeline
                if e.kind != "status" or dealer_status(e.from_status) != dealer_status(e.to_status)
            ]  # fmt: skip
        payload = {
            "reference": app.reference,
            "status": app.status,
            "needs": application_needs(app, for_dealer=context["for_dealer"]),
            "timeline": timeline,
        }
        return Response(StatusOutput(payload, context=context).data)
