"""Reversals: a posted repayment's reversal is requested by one person and approved or rejected
by another."""

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
)
from servicing.api.serializers import (
    RejectInput,
    ReversalOutput,
    ReverseInput,
)
from servicing.models.repayments import Repayment, RepaymentReversal
from servicing.services.loans.account import LoanError
from servicing.services.repayments.reversal import (
    repayment_reversal_approve,
    repayment_reversal_reject,
    repayment_reversal_request,
)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=ReverseInput,
    responses={201: ReversalOutput, 400: ERRORS, 403: ERRORS},
)
class RepaymentReverseView(APIView):
    """Ask for a posted repayment to be reversed: another person approves or rejects the
    request (`reversals/<id>/approve/`, `reversals/<id>/reject/`)."""

    def post(self, request, repayment_id: int):
        if not can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_REQUEST):
            return forbidden()
        repayment = Repayment.objects.filter(pk=repayment_id).first()
        if repayment is None:
            raise Http404

        def run(key: str) -> Response:
            data = ReverseInput(data=request.data)
            if not data.is_valid():
                return invalid(data)
            try:
                reversal = repayment_reversal_request(
                    repayment_id=repayment.pk,
                    reason=data.validated_data["reason"],
                    actor=request.user,
                    idempotency_key=key,
                )
            except LoanError as exc:
                return error_response(exc)
            return Response(ReversalOutput(reversal).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)


class _ReversalDecisionView(APIView):
    def decide(self, request, reversal: RepaymentReversal) -> RepaymentReversal:
        raise NotImplementedError

    def post(self, request, reversal_id: int):
        if not can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_APPROVE):
            return forbidden()
        reversal = RepaymentReversal.objects.filter(pk=reversal_id).first()
        if reversal is None:
            raise Http404

        def run(key: str) -> Response:  # noqa: ARG001 - the decision is idempotent by state
            try:
                decided = self.decide(request, reversal)
            except LoanError as exc:
                return error_response(exc)
            except serializers.ValidationError as exc:
                return Response({"errors": exc.detail}, status=status.HTTP_400_BAD_REQUEST)
            return Response(ReversalOutput(decided).data)

        return idempotent(request, run=run)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=None,
    responses={200: ReversalOutput, 400: ERRORS, 403: ERRORS},
)
class ReversalApproveView(_ReversalDecisionView):
    """The checker (not the requester) approves: the repayment is reversed."""

    def decide(self, request, reversal):
        return repayment_reversal_approve(reversal_id=reversal.pk, actor=request.user)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=RejectInput,
    responses={200: ReversalOutput, 400: ERRORS, 403: ERRORS},
)
class ReversalRejectView(_ReversalDecisionView):
    """The checker (not the requester) rejects: the repayment stays posted."""

    def decide(self, request, reversal):
        data = RejectInput(data=request.data)
        data.is_valid(raise_exception=True)
        return repayment_reversal_reject(
            reversal_id=reversal.pk, actor=request.user, reason=data.validated_data["reason"]
        )
