"""The loans API (/api/v1/loans/): read loans and schedules; post repayments, online payments,
payoff quotes and reversals. Every posting endpoint requires an `Idempotency-Key` header: a replay
returns the first result (200 instead of 201), backed by unique constraints in the database. The
payment provider's callback is idempotent by its reference and authenticated by its signature
(`X-Signature`)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    inline_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.fields import PlainDecimalSerializerField
from autofin.roles import Role, user_has_role
from servicing import selectors_loans
from servicing.models import Loan, LoanScheduleRow, PaymentOrder, PayoffQuoteRecord, Repayment
from servicing.services.loans import LoanError
from servicing.services.repayments import (
    payment_callback_handle,
    payment_order_create,
    repayment_manual_submit,
    repayment_reverse,
)
from servicing.services.settlement import payoff_quote_issue

AGENT_ROLES = (Role.SERVICING_AGENT,)


class RowOutput(serializers.ModelSerializer):
    class Meta:
        model = LoanScheduleRow
        fields = [
            "instalment_no", "due_date", "schedule_version", "opening_balance", "principal",
            "interest", "fee", "instalment", "closing_balance", "principal_paid", "interest_paid",
            "fee_paid", "penalty", "penalty_paid", "status",
        ]  # fmt: skip


class LoanOutput(serializers.ModelSerializer):
    class Meta:
        model = Loan
        fields = [
            "id", "contract_ref", "status", "status_date", "amount_financed", "annual_rate",
            "schedule_rate", "term_months", "method", "value_date", "first_due_date",
            "principal_outstanding", "suspense_balance", "schedule_version", "vin", "plate",
            "mortgage_status", "gps_status",
        ]  # fmt: skip


class RepaymentOutput(serializers.ModelSerializer):
    allocations = serializers.SerializerMethodField()

    class Meta:
        model = Repayment
        fields = [
            "id", "loan", "source", "purpose", "amount", "status", "received_on",
            "suspense_amount", "journal_entry_id", "reversal_entry_id", "allocations",
        ]  # fmt: skip

    @extend_schema_field(serializers.ListField(child=serializers.DictField()))
    def get_allocations(self, obj) -> list[dict]:
        return [
            {
                "instalment_no": a.row.instalment_no if a.row else None,
                "component": a.component,
                "amount": str(a.amount),
            }
            for a in obj.allocations.select_related("row").order_by("id")
        ]


class PayoffQuoteOutput(serializers.ModelSerializer):
    class Meta:
        model = PayoffQuoteRecord
        fields = [
            "id", "as_of", "valid_until", "outstanding_principal", "accrued_interest",
            "early_settlement_fee", "total", "status",
        ]  # fmt: skip


class ManualRepaymentInput(serializers.Serializer):
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2)
    evidence = serializers.CharField(max_length=500)
    evidence_ref = serializers.CharField(max_length=255, required=False, default="")


class PaymentInput(serializers.Serializer):
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2, required=False)
    purpose = serializers.ChoiceField(
        choices=["instalment", "payoff", "prepayment"], default="instalment"
    )
    payoff_quote_id = serializers.IntegerField(required=False)
    prepay_amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2, required=False)
    prepayment_option = serializers.CharField(required=False, default="")


class PayoffQuoteInput(serializers.Serializer):
    as_of = serializers.DateField(required=False)


class ReverseInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


def _is_agent(user) -> bool:
    return user_has_role(user, *AGENT_ROLES)


def _loan_for(request, loan_id: int) -> Loan:
    if _is_agent(request.user):
        loan = Loan.objects.filter(pk=loan_id).first()
    else:
        loan = selectors_loans.loan_for_customer(user=request.user, loan_id=loan_id)
    if loan is None:
        raise Http404
    return loan


def _key(request) -> str | None:
    key = (request.headers.get("Idempotency-Key") or "").strip()
    return key[:150] or None


def _missing_key() -> Response:
    return Response(
        {"errors": {"Idempotency-Key": ["请在请求头中提供 Idempotency-Key。"]}},
        status=status.HTTP_400_BAD_REQUEST,
    )


def _error(exc: LoanError) -> Response:
    code = status.HTTP_409_CONFLICT if exc.code == "idempotency_conflict" else 400
    if exc.code == "forbidden":
        code = status.HTTP_403_FORBIDDEN
    return Response({"errors": {exc.field or "__all__": [exc.message]}, "code": exc.code}, code)


IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    str,
    OpenApiParameter.HEADER,
    required=True,
    description="Any unique string per intended posting; a replay returns the first result.",
)
ERRORS = inline_serializer("ServicingErrors", {"errors": serializers.DictField()})


class LoanDetailOutput(LoanOutput):
    schedule = RowOutput(many=True, read_only=True)

    class Meta(LoanOutput.Meta):
        fields = [*LoanOutput.Meta.fields, "schedule"]


class PaymentOrderOutput(serializers.Serializer):
    id = serializers.IntegerField()
    provider_ref = serializers.CharField()
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2)
    status = serializers.CharField()
    pay_url = serializers.URLField()


class CallbackInput(serializers.Serializer):
    provider_ref = serializers.CharField()
    amount = PlainDecimalSerializerField(max_digits=18, decimal_places=2)
    status = serializers.CharField()
    paid_at = serializers.DateTimeField(required=False)


class CallbackOutput(serializers.Serializer):
    provider_ref = serializers.CharField()
    status = serializers.CharField()
    repayment = serializers.IntegerField(allow_null=True)


class LoanListView(APIView):
    @extend_schema(
        operation_id="loans_list",
        responses=inline_serializer("LoanList", {"results": LoanOutput(many=True)}),
    )
    def get(self, request):
        if _is_agent(request.user):
            qs = selectors_loans.loan_search(query=request.query_params.get("q", ""))[:100]
        else:
            qs = selectors_loans.loans_of_customer(user=request.user)
        return Response({"results": LoanOutput(qs, many=True).data})


class LoanDetailView(APIView):
    @extend_schema(operation_id="loans_detail", responses=LoanDetailOutput)
    def get(self, request, loan_id: int):
        loan = _loan_for(request, loan_id)
        data = LoanOutput(loan).data
        data["schedule"] = RowOutput(loan.schedule_rows(), many=True).data
        return Response(data)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=ManualRepaymentInput,
    responses={201: RepaymentOutput, 200: RepaymentOutput, 400: ERRORS},
)
class RepaymentCreateView(APIView):
    """A servicing agent posts a bank transfer (maker-checker above the threshold)."""

    def post(self, request, loan_id: int):
        if not _is_agent(request.user):
            return Response(status=status.HTTP_403_FORBIDDEN)
        loan = _loan_for(request, loan_id)
        key = _key(request)
        if key is None:
            return _missing_key()
        data = ManualRepaymentInput(data=request.data)
        if not data.is_valid():
            return Response({"errors": data.errors}, status=status.HTTP_400_BAD_REQUEST)
        full_key = f"api:{request.user.pk}:{key}"
        replay = Repayment.objects.filter(idempotency_key=full_key).exists()
        try:
            repayment = repayment_manual_submit(
                loan_id=loan.pk, actor=request.user, idempotency_key=full_key, **data.validated_data
            )
        except LoanError as exc:
            return _error(exc)
        return Response(
            RepaymentOutput(repayment).data, status=200 if replay else status.HTTP_201_CREATED
        )


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PaymentInput,
    responses={201: PaymentOrderOutput, 200: PaymentOrderOutput, 400: ERRORS},
)
class PaymentCreateView(APIView):
    """The customer starts an online payment; the response carries the provider's pay URL."""

    def post(self, request, loan_id: int):
        loan = _loan_for(request, loan_id)
        key = _key(request)
        if key is None:
            return _missing_key()
        data = PaymentInput(data=request.data)
        if not data.is_valid():
            return Response({"errors": data.errors}, status=status.HTTP_400_BAD_REQUEST)
        full_key = f"api:{request.user.pk}:{key}"
        replay = PaymentOrder.objects.filter(idempotency_key=full_key).exists()
        try:
            order, pay_url = payment_order_create(
                loan_id=loan.pk, actor=request.user, idempotency_key=full_key, **data.validated_data
            )
        except LoanError as exc:
            return _error(exc)
        return Response(
            {
                "id": order.pk,
                "provider_ref": order.provider_ref,
                "amount": str(order.amount),
                "status": order.status,
                "pay_url": request.build_absolute_uri(pay_url),
            },
            status=200 if replay else status.HTTP_201_CREATED,
        )


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PayoffQuoteInput,
    responses={201: PayoffQuoteOutput, 200: PayoffQuoteOutput, 400: ERRORS},
)
class PayoffQuoteCreateView(APIView):
    def post(self, request, loan_id: int):
        loan = _loan_for(request, loan_id)
        key = _key(request)
        if key is None:
            return _missing_key()
        data = PayoffQuoteInput(data=request.data)
        if not data.is_valid():
            return Response({"errors": data.errors}, status=status.HTTP_400_BAD_REQUEST)
        full_key = f"api:{request.user.pk}:{key}"
        replay = PayoffQuoteRecord.objects.filter(idempotency_key=full_key).exists()
        try:
            quote = payoff_quote_issue(
                loan_id=loan.pk,
                actor=request.user,
                as_of=data.validated_data.get("as_of"),
                idempotency_key=full_key,
            )
        except LoanError as exc:
            return _error(exc)
        return Response(PayoffQuoteOutput(quote).data, status=200 if replay else 201)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=ReverseInput,
    responses={201: RepaymentOutput, 200: RepaymentOutput, 400: ERRORS},
)
class RepaymentReverseView(APIView):
    def post(self, request, repayment_id: int):
        if not _is_agent(request.user):
            return Response(status=status.HTTP_403_FORBIDDEN)
        if _key(request) is None:
            return _missing_key()
        data = ReverseInput(data=request.data)
        if not data.is_valid():
            return Response({"errors": data.errors}, status=status.HTTP_400_BAD_REQUEST)
        repayment = Repayment.objects.filter(pk=repayment_id).first()
        if repayment is None:
            raise Http404
        replay = repayment.status == "reversed"
        try:
            repayment = repayment_reverse(
                repayment_id=repayment.pk, reason=data.validated_data["reason"], actor=request.user
            )
        except LoanError as exc:
            return _error(exc)
        return Response(RepaymentOutput(repayment).data, status=200 if replay else 201)


@extend_schema(
    request=CallbackInput,
    responses={200: CallbackOutput, 400: ERRORS, 403: ERRORS},
    description="Server-to-server callback of the payment provider, signed in X-Signature.",
)
class PaymentCallbackView(APIView):
    """The payment provider's server-to-server callback (signature in X-Signature)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    def post(self, request):
        payload = {k: request.data.get(k) for k in ("provider_ref", "amount", "status", "paid_at")}
        try:
            order = payment_callback_handle(
                payload=payload, signature=request.headers.get("X-Signature", "")
            )
        except LoanError as exc:
            code = 403 if exc.code == "bad_signature" else 400
            return Response({"errors": {"__all__": [exc.message]}, "code": exc.code}, code)
        return Response(
            {
                "provider_ref": order.provider_ref,
                "status": order.status,
                "repayment": order.repayment_id,
            }
        )
