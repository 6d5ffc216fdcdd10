"""The four-eyes queue over the API: the same services and checks as the approvals page."""

from __future__ import annotations

from django.core.exceptions import PermissionDenied
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.approvals import (
    ApprovalError,
    approval_request_approve,
    approval_request_cancel,
    approval_request_reject,
    approval_requests_pending_for,
)
from autofin.roles import STAFF_ROLES, user_has_role

ERRORS = inline_serializer("ApprovalErrors", {"errors": serializers.DictField(), "code": serializers.CharField()})  # fmt: skip


class ChangeOutput(serializers.Serializer):
    label = serializers.CharField()
    before = serializers.CharField()
    after = serializers.CharField()
    changed = serializers.BooleanField()


class PendingOutput(serializers.Serializer):
    id = serializers.IntegerField(source="request.pk")
    action = serializers.CharField(source="request.action")
    label = serializers.CharField()
    target = serializers.CharField(source="request.target_repr")
    maker = serializers.CharField(source="request.maker.get_username")
    made_at = serializers.DateTimeField(source="request.made_at")
    reason = serializers.CharField(source="request.maker_reason")
    payload = serializers.JSONField(source="request.payload")
    changes = ChangeOutput(many=True)
    may_check = serializers.BooleanField()
    own = serializers.BooleanField()
    error = serializers.CharField()


class DecisionInput(serializers.Serializer):
    reason = serializers.CharField(max_length=500, required=False, allow_blank=True, default="")


class DecisionOutput(serializers.Serializer):
    id = serializers.IntegerField()
    status = serializers.CharField()


_STATUS = {"forbidden": 403, "not_found": 404, "decided": 409, "own_request": 403}


def _staff(request) -> None:
    if not user_has_role(request.user, *STAFF_ROLES):
        raise PermissionDenied


class ApprovalListView(APIView):
    @extend_schema(operation_id="approvals_list", responses=PendingOutput(many=True))
    def get(self, request):
        _staff(request)
        items = approval_requests_pending_for(request.user)
        return Response(PendingOutput(items, many=True).data)


class _DecisionView(APIView):
    verb = ""

    @extend_schema(request=DecisionInput, responses={200: DecisionOutput, 400: ERRORS, 403: ERRORS, 404: ERRORS, 409: ERRORS})  # fmt: skip
    def post(self, request, request_id: int):
        _staff(request)
        data = DecisionInput(data=request.data)
        if not data.is_valid():
            return Response({"errors": data.errors, "code": "invalid"}, status=400)
        reason = data.validated_data["reason"]
        try:
            if self.verb == "approve":
                approval_request_approve(request_id=request_id, checker=request.user, reason=reason)
                new = "approved"
            elif self.verb == "reject":
                approval_request_reject(request_id=request_id, checker=request.user, reason=reason)
                new = "rejected"
            else:
                approval_request_cancel(request_id=request_id, actor=request.user, reason=reason)
                new = "cancelled"
        except ApprovalError as exc:
            return Response(
                {"errors": {"__all__": [str(exc.message)]}, "code": exc.code},
                status=_STATUS.get(exc.code, status.HTTP_400_BAD_REQUEST),
            )
        return Response({"id": request_id, "status": new})


class ApprovalApproveView(_DecisionView):
    verb = "approve"


class ApprovalRejectView(_DecisionView):
    verb = "reject"


class ApprovalCancelView(_DecisionView):
    verb = "cancel"
