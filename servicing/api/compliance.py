"""The compliance queue over the API (/api/v1/compliance/): watch-list screening hits (list,
detail, decide) and AML alerts (list, detail, investigate, decide). The same rule as the pages
(servicing.compliance_access): the compliance officer reads and decides, the auditor reads;
everyone else gets 403 and a refused decision changes nothing. The decisions are the pages'
services (risk.services.screening_hit_decide, servicing.services.aml.cases)."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import BasePermission
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.fields import PlainDecimalSerializerField
from risk.models import ScreeningHit
from risk.selectors.aml import screening_hit_explained, screening_hits
from risk.services import screening_hit_decide
from servicing.api.common import ERRORS, forbidden, invalid
from servicing.compliance_access import compliance_can_decide, compliance_can_read
from servicing.models.aml import AmlAlert, AmlAlertStatus
from servicing.selectors.aml import aml_alert_explained, aml_alerts
from servicing.services.aml.cases import aml_alert_decide, aml_alert_investigate

LIMIT = 200  # the queue shows the newest 200, as the page does


class ComplianceReader(BasePermission):
    """Reading needs a compliance reader; every POST a decider (checked again by the services)."""

    message = "仅合规专员和审计员可访问。"

    def has_permission(self, request, view) -> bool:
        if request.method == "POST":
            return compliance_can_decide(request.user)
        return compliance_can_read(request.user)


class ScreeningHitOutput(serializers.Serializer):
    id = serializers.IntegerField()
    subject_ref = serializers.CharField()
    subject_name = serializers.CharField()
    list_type = serializers.CharField(source="entry.list_type")
    list_type_label = serializers.CharField(source="entry.get_list_type_display")
    list_source = serializers.CharField(source="entry.source")
    entry_ref = serializers.CharField(source="entry.external_ref")
    entry_name = serializers.CharField(source="entry.name")
    score = serializers.IntegerField()
    threshold = serializers.IntegerField()
    trigger = serializers.CharField()
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    decision_reason = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decided_at = serializers.DateTimeField(allow_null=True)
    created_at = serializers.DateTimeField()


class ExplainedPart(serializers.Serializer):
    label = serializers.CharField()
    subject = serializers.CharField()
    entry = serializers.CharField()
    effect = serializers.IntegerField()


class ScreeningHitDetail(ScreeningHitOutput):
    explanation = ExplainedPart(many=True, source="explained")


class ScreeningHitDecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["confirmed", "cleared"])
    reason = serializers.CharField(max_length=2000)


class AmlAlertOutput(serializers.Serializer):
    id = serializers.IntegerField()
    kind = serializers.CharField()
    kind_label = serializers.CharField(source="get_kind_display")
    loan_id = serializers.IntegerField()
    contract_ref = serializers.CharField(source="loan.contract_ref")
    business_date = serializers.DateField()
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2)
    status = serializers.CharField()
    status_label = serializers.CharField(source="get_status_display")
    report_due = serializers.DateField(allow_null=True)
    investigator = serializers.CharField(allow_null=True)
    decision_text = serializers.CharField()
    decided_by = serializers.CharField(allow_null=True)
    decided_on = serializers.DateField(allow_null=True)


class AmlAlertDetail(AmlAlertOutput):
    repayment_ids = serializers.ListField(child=serializers.IntegerField())
    explained = serializers.ListField(child=serializers.CharField())


class AmlAlertDecideInput(serializers.Serializer):
    decision = serializers.ChoiceField(choices=["confirmed", "dismissed"])
    decision_text = serializers.CharField(max_length=2000)


STATUS = OpenApiParameter("status", str, description="only cases in this status")
ALL = OpenApiParameter("all", str, description="1: decided cases too (default: open ones)")


def _refused(exc: Exception) -> Response:
    if isinstance(exc, PermissionDenied):
        return forbidden()
    return Response({"errors": {"__all__": exc.messages}}, status=400)


def _decided(request, *, model, pk: int, given, decide, detail) -> Response:
    """One decision: the case (404), the input (400), the service (400/403), the case after."""
    case = get_object_or_404(model, pk=pk)
    data = given(data=request.data) if given else None
    if data is not None and not data.is_valid():
        return invalid(data)
    try:
        decide(case, data.validated_data if data is not None else {})
    except (ValidationError, PermissionDenied) as exc:
        return _refused(exc)
    return Response(detail(case.pk))


def _hit_detail(hit: ScreeningHit) -> dict:
    hit.explained = screening_hit_explained(hit)
    return ScreeningHitDetail(hit).data


class ScreeningHitListView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(
        operation_id="compliance_hits_list",
        parameters=[STATUS, ALL],
        responses=inline_serializer("ScreeningHitList", {"results": ScreeningHitOutput(many=True)}),
    )
    def get(self, request):
        status = request.query_params.get("status") or None
        if status is None and request.query_params.get("all") != "1":
            status = ScreeningHit.Status.OPEN
        qs = screening_hits(status=status)[:LIMIT]
        return Response({"results": ScreeningHitOutput(qs, many=True).data})


class ScreeningHitDetailView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(operation_id="compliance_hits_detail", responses=ScreeningHitDetail)
    def get(self, request, hit_id: int):
        return Response(_hit_detail(get_object_or_404(screening_hits(), pk=hit_id)))


class ScreeningHitDecideView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(
        operation_id="compliance_hits_decide",
        request=ScreeningHitDecideInput,
        responses={200: ScreeningHitDetail, 400: ERRORS, 403: ERRORS},
    )
    def post(self, request, hit_id: int):
        return _decided(
            request, model=ScreeningHit, pk=hit_id, given=ScreeningHitDecideInput,
            decide=lambda hit, v: screening_hit_decide(
                hit_id=hit.pk, actor=request.user, to_status=v["decision"], reason=v["reason"]
            ),
            detail=lambda pk: _hit_detail(screening_hits().get(pk=pk)),
        )  # fmt: skip


def _alert_detail(alert: AmlAlert) -> dict:
    alert.explained = aml_alert_explained(alert)
    return AmlAlertDetail(alert).data


class AmlAlertListView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(
        operation_id="compliance_alerts_list",
        parameters=[STATUS, ALL],
        responses=inline_serializer("AmlAlertList", {"results": AmlAlertOutput(many=True)}),
    )
    def get(self, request):
        qs = aml_alerts(status=request.query_params.get("status") or None)
        if not request.query_params.get("status") and request.query_params.get("all") != "1":
            qs = qs.filter(status__in=(AmlAlertStatus.OPEN, AmlAlertStatus.INVESTIGATING))
        return Response({"results": AmlAlertOutput(qs[:LIMIT], many=True).data})


class AmlAlertDetailView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(operation_id="compliance_alerts_detail", responses=AmlAlertDetail)
    def get(self, request, alert_id: int):
        return Response(_alert_detail(get_object_or_404(aml_alerts(), pk=alert_id)))


class AmlAlertInvestigateView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(
        operation_id="compliance_alerts_investigate",
        request=None,
        responses={200: AmlAlertDetail, 400: ERRORS, 403: ERRORS},
    )
    def post(self, request, alert_id: int):
        return _decided(
            request, model=AmlAlert, pk=alert_id, given=None,
            decide=lambda alert, _v: aml_alert_investigate(alert_id=alert.pk, actor=request.user),
            detail=lambda pk: _alert_detail(aml_alerts().get(pk=pk)),
        )  # fmt: skip


class AmlAlertDecideView(APIView):
    permission_classes = [ComplianceReader]

    @extend_schema(
        operation_id="compliance_alerts_decide",
        request=AmlAlertDecideInput,
        responses={200: AmlAlertDetail, 400: ERRORS, 403: ERRORS},
    )
    def post(self, request, alert_id: int):
        return _decided(
            request, model=AmlAlert, pk=alert_id, given=AmlAlertDecideInput,
            decide=lambda alert, v: aml_alert_decide(
                alert_id=alert.pk, actor=request.user, to_status=v["decision"],
                decision_text=v["decision_text"],
            ),
            detail=lambda pk: _alert_detail(aml_alerts().get(pk=pk)),
        )  # fmt: skip
