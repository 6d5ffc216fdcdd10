"""Manual repayments: an agent posts a bank transfer; the checker (not the maker) approves or
rejects one pending approval."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.idempotency import idempotent
from autofin.roles import MoneyAction, can_move_money
from servicing.api.common import (
    ERRORS,
    IDEMPOTENCY_KEY,
    error_response,
    forbidden,
    invalid,
    staff_loan,
)
from servicing.api.serializers import (
    ManualRepaymentInput,
    RejectInput,
    RepaymentOutput,
)
from servicing.models.repayments import Repayment
from servicing.services.loans.account import LoanError
from servicing.services.repayments.manual import (
    repayment_manual_approve,
    repayment_manual_reject,
    repayment_manual_submit,
)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=ManualRepaymentInput,
    responses={201: RepaymentOutput, 200: RepaymentOutput, 400: ERRORS},
)
class RepaymentCreateView(APIView):
    """A servicing agent posts a bank transfer (maker-checker when the loan's manual postings
    of the day reach the threshold)."""

    def post(self, request, loan_id: int):
        if not can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST):
            return forbidden()
        loan = staff_loan(loan_id)

        def run(key: str) -> Response:
            data = ManualRepaymentInput(data=request.data)
            if not data.is_valid():
                return invalid(data)
            try:
                repayment = repayment_manual_submit(
                    loan_id=loan.pk, actor=request.user, idempotency_key=key, **data.validated_data
                )
            except LoanError as exc:
                return error_response(exc)
            return Response(RepaymentOutput(repayment).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)


class _RepaymentDecisionView(APIView):
    money_action = MoneyAction.REPAYMENT_MANUAL_APPROVE

    def decide(self, request, repayment: Repayment) -> Repayment:
        raise NotImplementedError

    def post(self, request, repayment_id: int):
        if not can_move_money(request.user, self.money_action):
            return forbidden()
        repayment = Repayment.objects.filter(pk=repayment_id).first()
        if repayment is None:
            raise Http404

        def run(key: str) -> Response:  # noqa: ARG001 - the decision is idempotent by state
            try:
                decided = self.decide(request, repayment)
            except LoanError as exc:
                return error_response(exc)
            except serializers.ValidationError as exc:
                return Response({"errors": exc.detail}, status=status.HTTP_400_BAD_REQUEST)
            return Response(RepaymentOutput(decided).data)

        return idempotent(request, run=run)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=None,
    responses={200: RepaymentOutput, 400: ERRORS, 403: ERRORS},
)
class RepaymentApproveView(_RepaymentDecisionView):
    """The checker (not the maker) approves a pending manual repayment, which posts it."""

    def decide(self, request, repayment):
        return repayment_manual_approve(repayment_id=repayment.pk, actor=request.user)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=RejectInput,
    responses={200: RepaymentOutput, 400: ERRORS, 403: ERRORS},
)
class RepaymentRejectView(_RepaymentDecisionView):
    """The checker (not the maker) rejects a pending manual repayment: nothing is posted."""

    def decide(self, request, repayment):
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return repayment_manual_reject(
            repayment_id=repayment.pk, actor=request.user, reason=data.validated_data["reason"]
        )
