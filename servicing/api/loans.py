"""Loans: the list (a customer's own, an agent's search), a loan with its schedule, and a payoff
quote on it."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.idempotency import idempotent
from servicing.api.common import (
    ERRORS,
    IDEMPOTENCY_KEY,
    error_response,
    invalid,
    is_agent,
    loan_for_request,
)
from servicing.api.serializers import (
    LoanDetailOutput,
    LoanOutput,
    PayoffQuoteInput,
    PayoffQuoteOutput,
    RowOutput,
)
from servicing.selectors import loans as loans_sel
from servicing.services.loans.account import LoanError
from servicing.services.settlement.early import payoff_quote_issue


class LoanListView(APIView):
    @extend_schema(
        operation_id="loans_list",
        responses=inline_serializer("LoanList", {"results": LoanOutput(many=True)}),
    )
    def get(self, request):
        if is_agent(request.user):
            qs = loans_sel.loan_search(query=request.query_params.get("q", ""))[:100]
        else:
            qs = loans_sel.loans_of_customer(user=request.user)
        return Response({"results": LoanOutput(qs, many=True).data})


class LoanDetailView(APIView):
    @extend_schema(operation_id="loans_detail", responses=LoanDetailOutput)
    def get(self, request, loan_id: int):
        loan = loan_for_request(request, loan_id)
        data = LoanOutput(loan).data
        data["schedule"] = RowOutput(loan.schedule_rows(), many=True).data
        return Response(data)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PayoffQuoteInput,
    responses={201: PayoffQuoteOutput, 200: PayoffQuoteOutput, 400: ERRORS},
)
class PayoffQuoteCreateView(APIView):
    def post(self, request, loan_id: int):
        loan = loan_for_request(request, loan_id)

        def run(key: str) -> Response:
            data = PayoffQuoteInput(data=request.data)
            if not data.is_valid():
                return invalid(data)
            try:
                quote = payoff_quote_issue(
                    loan_id=loan.pk,
                    actor=request.user,
                    as_of=data.validated_data.get("as_of"),
                    idempotency_key=key,
                )
            except LoanError as exc:
                return error_response(exc)
            return Response(PayoffQuoteOutput(quote).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)
