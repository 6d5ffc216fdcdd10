"""The bank's signed callback with a disbursement payment's result."""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from servicing.api.common import ERRORS
from servicing.gateway.interface import CallbackRejected, bank_callback_verify
from servicing.services.disbursement.settle import bank_callback_receive
from servicing.services.disbursement.states import DisbursementError


class BankCallbackView(APIView):
    """The bank's server-to-server result of a disbursement payment (signed JSON with the
    bank's secret, docs/integrations.md)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=None, responses={200: None, 400: ERRORS, 403: ERRORS})
    def post(self, request):
        try:
            payload = bank_callback_verify(request)
        except CallbackRejected:
            return Response(
                {"errors": {"__all__": [_("银行回调签名无效。")]}, "code": "bad_signature"}, 403
            )
        try:
            return Response(bank_callback_receive(payload=payload))
        except DisbursementError as exc:
            return Response({"errors": {"__all__": [exc.message]}, "code": exc.code}, 400)
