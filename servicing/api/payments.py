"""Online payments: the customer starts one on their own loan (its purpose decides the money
action), and the payment provider's signed callback settles it (idempotent by its reference,
checked against the order)."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.idempotency import idempotent
from autofin.roles import MoneyAction, can_move_money
from servicing.adapters import CallbackRejected, payment_callback_verify
from servicing.api.common import (
    ERRORS,
    IDEMPOTENCY_KEY,
    error_response,
    forbidden,
    invalid,
)
from servicing.api.serializers import (
    CallbackInput,
    CallbackOutput,
    PaymentInput,
    PaymentOrderOutput,
)
from servicing.models.repayments import RepaymentPurpose
from servicing.selectors import loans as loans_sel
from servicing.services.deposits.receipts import DepositError
from servicing.services.loans.account import LoanError
from servicing.services.payment_callbacks import payment_callback_route
from servicing.services.repayments.online import payment_order_create

# The customer's online payment: which money action each purpose is.
PAYMENT_ACTIONS = {
    RepaymentPurpose.INSTALMENT: MoneyAction.PAYMENT_ONLINE,
    RepaymentPurpose.PAYOFF: MoneyAction.EARLY_SETTLEMENT,
    RepaymentPurpose.PREPAYMENT: MoneyAction.PREPAYMENT,
}


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PaymentInput,
    responses={201: PaymentOrderOutput, 200: PaymentOrderOutput, 400: ERRORS},
)
class PaymentCreateView(APIView):
    """The customer starts an online payment on their own loan; the response carries the
    provider's pay URL."""

    def post(self, request, loan_id: int):
        loan = loans_sel.loan_for_customer(user=request.user, loan_id=loan_id)
        if loan is None:
            raise Http404

        def run(key: str) -> Response:
            data = PaymentInput(data=request.data)
            if not data.is_valid():
                return invalid(data)
            if not can_move_money(request.user, PAYMENT_ACTIONS[data.validated_data["purpose"]]):
                return forbidden()
            try:
                order, pay_url = payment_order_create(
                    loan_id=loan.pk, actor=request.user, idempotency_key=key, **data.validated_data
                )
            except LoanError as exc:
                return error_response(exc)
            return Response(
                {
                    "id": order.pk,
                    "provider_ref": order.provider_ref,
                    "amount": str(order.amount),
                    "status": order.status,
                    "pay_url": request.build_absolute_uri(pay_url),
                },
                status=status.HTTP_201_CREATED,
            )

        return idempotent(request, run=run)


@extend_schema(
    request=CallbackInput,
    responses={200: CallbackOutput, 400: ERRORS, 403: ERRORS},
    description="Server-to-server callback of the payment provider, signed with the "
    "provider's secret (X-AutoFin-Signature, docs/integrations.md).",
)
class PaymentCallbackView(APIView):
    """The payment provider's server-to-server callback (signed JSON, docs/integrations.md)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request):
        # The signature check also refuses a body that is not a JSON object (never a 500).
        try:
            signed = payment_callback_verify(request)
        except CallbackRejected:
            return Response(
                {"errors": {"__all__": [_("支付回调签名无效。")]}, "code": "bad_signature"}, 403
            )
        payload = {k: signed.get(k) for k in ("provider_ref", "amount", "status", "paid_at")}
        try:
            order = payment_callback_route(payload=payload)
        except (LoanError, DepositError) as exc:
            return Response({"errors": {"__all__": [exc.message]}, "code": exc.code}, 400)
        return Response(
            {
                "provider_ref": order.provider_ref,
                "status": order.status,
                "repayment": getattr(order, "repayment_id", None),
            }
        )
