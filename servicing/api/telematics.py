"""The GPS provider's signed webhook (docs/telematics.md): positions and events in."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.integrations.http import SignatureInvalid
from servicing.api.common import ERRORS
from servicing.services.telematics import TelematicsPayloadError, telematics_events_receive
from servicing.telematics_adapters import telematics_verify


@extend_schema(
    request=None,
    responses={200: None, 400: ERRORS, 401: ERRORS},
    description="Server-to-server push of the GPS provider, signed with its secret "
    "(X-AutoFin-Signature, docs/telematics.md). Idempotent by event_id.",
)
class TelematicsEventsView(APIView):
    """Stores the events of loans with a location consent; counts the rest."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request):
        try:
            payload = telematics_verify(
                method=request.method, path=request.path, headers=request.headers,
                body=request.body,
            )  # fmt: skip
        except SignatureInvalid:
            return Response(
                {"errors": {"__all__": [_("GPS 推送签名无效或已过期。")]}, "code": "bad_signature"},
                401,
            )
        try:
            counts = telematics_events_receive(payload=payload)
        except TelematicsPayloadError as exc:
            return Response(
                {"errors": {"__all__": [_("GPS 推送格式不正确。")]}, "code": "invalid",
                 "detail": str(exc)}, 400,
            )  # fmt: skip
        return Response(counts)
