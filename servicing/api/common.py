"""What the loans API's views share: who is an agent, the loan a caller may see, the error
responses, the Idempotency-Key header's schema."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import OpenApiParameter, inline_serializer
from rest_framework import serializers, status
from rest_framework.response import Response

from autofin.roles import Role, user_has_role
from servicing.models.loans import Loan
from servicing.selectors import loans as loans_sel
from servicing.services.loans.account import LoanError

AGENT_ROLES = (Role.SERVICING_AGENT,)


def is_agent(user) -> bool:
    return user_has_role(user, *AGENT_ROLES)


def loan_for_request(request, loan_id: int) -> Loan:
    if is_agent(request.user):
        loan = Loan.objects.filter(pk=loan_id).first()
    else:
        loan = loans_sel.loan_for_customer(user=request.user, loan_id=loan_id)
    if loan is None:
        raise Http404
    return loan


def staff_loan(loan_id: int) -> Loan:
    loan = Loan.objects.filter(pk=loan_id).first()
    if loan is None:
        raise Http404
    return loan


def forbidden() -> Response:
    return Response(
        {"errors": {"__all__": ["您没有执行该资金操作的权限。"]}, "code": "forbidden"},
        status=status.HTTP_403_FORBIDDEN,
    )


def invalid(serializer) -> Response:
    return Response({"errors": serializer.errors}, status=status.HTTP_400_BAD_REQUEST)


def error_response(exc: LoanError) -> Response:
    code = {
        "idempotency_conflict": 422,
        "forbidden": status.HTTP_403_FORBIDDEN,
        "maker_checker": status.HTTP_403_FORBIDDEN,
    }.get(exc.code, status.HTTP_400_BAD_REQUEST)
    return Response({"errors": {exc.field or "__all__": [exc.message]}, "code": exc.code}, code)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description=(
        "1–80 printable ASCII characters, unique per intended posting: a replay returns the "
        "first response; the same key with another body is refused (422)."
    ),
)


ERRORS = inline_serializer("ServicingErrors", {"errors": serializers.DictField()})
