"""The loans API (/api/v1/loans/): read loans and schedules; post repayments, online payments,
payoff quotes, reversal requests and the checker's decisions. Every posting endpoint goes through
`autofin.idempotency.idempotent`: an `Idempotency-Key` header is required (400 without), the same
key with another body gets 422, a duplicate still in flight 409, a replay the original response;
the services' unique keys back it in the database. Who may move money is
`autofin.roles.can_move_money`, the check the pages make too. The payment provider's callback is
idempotent by its reference, authenticated by its signature (signed with the provider's own
secret, docs/integrations.md) and checked against the order."""

from __future__ import annotations

from django.http import Http404
from django.utils.translation import gettext as _
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
from autofin.idempotency import idempotent
from autofin.roles import MoneyAction, Role, can_move_money, user_has_role
from servicing import selectors_loans
from servicing.adapters import CallbackRejected, payment_callback_verify
from servicing.models import (
    Loan,
    LoanScheduleRow,
    PayoffQuoteRecord,
    Repayment,
    RepaymentPurpose,
    RepaymentReversal,
)
from servicing.services.loans.account import LoanError
from servicing.services.repayments.manual import (
    repayment_manual_approve,
    repayment_manual_reject,
    repayment_manual_submit,
)
from servicing.services.repayments.online import payment_callback_handle, payment_order_create
from servicing.services.repayments.reversal import (
    repayment_reversal_approve,
    repayment_reversal_reject,
    repayment_reversal_request,
)
from servicing.services.settlement.early import payoff_quote_issue

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


class RejectInput(serializers.Serializer):
    reason = serializers.CharField(max_length=255)


class ReversalOutput(serializers.ModelSerializer):
    class Meta:
        model = RepaymentReversal
        fields = [
            "id", "repayment", "reason", "status", "requested_by", "decided_by",
            "decision_reason", "created_at", "decided_at",
        ]  # fmt: skip


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


def _staff_loan(loan_id: int) -> Loan:
    loan = Loan.objects.filter(pk=loan_id).first()
    if loan is None:
        raise Http404
    return loan


def _forbidden() -> Response:
    return Response(
        {"errors": {"__all__": ["您没有执行该资金操作的权限。"]}, "code": "forbidden"},
        status=status.HTTP_403_FORBIDDEN,
    )


def _invalid(serializer) -> Response:
    return Response({"errors": serializer.errors}, status=status.HTTP_400_BAD_REQUEST)


def _error(exc: LoanError) -> Response:
    code = {
        "idempotency_conflict": 422,
        "forbidden": status.HTTP_403_FORBIDDEN,
        "maker_checker": status.HTTP_403_FORBIDDEN,
    }.get(exc.code, status.HTTP_400_BAD_REQUEST)
    return Response({"errors": {exc.field or "__all__": [exc.message]}, "code": exc.code}, code)


# The customer's online payment: which money action each purpose is.
PAYMENT_ACTIONS = {
    RepaymentPurpose.INSTALMENT: MoneyAction.PAYMENT_ONLINE,
    RepaymentPurpose.PAYOFF: MoneyAction.EARLY_SETTLEMENT,
    RepaymentPurpose.PREPAYMENT: MoneyAction.PREPAYMENT,
}


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
    """A servicing agent posts a bank transfer (maker-checker when the loan's manual postings
    of the day reach the threshold)."""

    def post(self, request, loan_id: int):
        if not can_move_money(request.user, MoneyAction.REPAYMENT_MANUAL_POST):
            return _forbidden()
        loan = _staff_loan(loan_id)

        def run(key: str) -> Response:
            data = ManualRepaymentInput(data=request.data)
            if not data.is_valid():
                return _invalid(data)
            try:
                repayment = repayment_manual_submit(
                    loan_id=loan.pk, actor=request.user, idempotency_key=key, **data.validated_data
                )
            except LoanError as exc:
                return _error(exc)
            return Response(RepaymentOutput(repayment).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)


class _RepaymentDecisionView(APIView):
    money_action = MoneyAction.REPAYMENT_MANUAL_APPROVE

    def decide(self, request, repayment: Repayment) -> Repayment:
        raise NotImplementedError

    def post(self, request, repayment_id: int):
        if not can_move_money(request.user, self.money_action):
            return _forbidden()
        repayment = Repayment.objects.filter(pk=repayment_id).first()
        if repayment is None:
            raise Http404

        def run(key: str) -> Response:  # noqa: ARG001 - the decision is idempotent by state
            try:
                decided = self.decide(request, repayment)
            except LoanError as exc:
                return _error(exc)
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


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PaymentInput,
    responses={201: PaymentOrderOutput, 200: PaymentOrderOutput, 400: ERRORS},
)
class PaymentCreateView(APIView):
    """The customer starts an online payment on their own loan; the response carries the
    provider's pay URL."""

    def post(self, request, loan_id: int):
        loan = selectors_loans.loan_for_customer(user=request.user, loan_id=loan_id)
        if loan is None:
            raise Http404

        def run(key: str) -> Response:
            data = PaymentInput(data=request.data)
            if not data.is_valid():
                return _invalid(data)
            if not can_move_money(request.user, PAYMENT_ACTIONS[data.validated_data["purpose"]]):
                return _forbidden()
            try:
                order, pay_url = payment_order_create(
                    loan_id=loan.pk, actor=request.user, idempotency_key=key, **data.validated_data
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
                status=status.HTTP_201_CREATED,
            )

        return idempotent(request, run=run)


@extend_schema(
    parameters=[IDEMPOTENCY_KEY],
    request=PayoffQuoteInput,
    responses={201: PayoffQuoteOutput, 200: PayoffQuoteOutput, 400: ERRORS},
)
class PayoffQuoteCreateView(APIView):
    def post(self, request, loan_id: int):
        loan = _loan_for(request, loan_id)

        def run(key: str) -> Response:
            data = PayoffQuoteInput(data=request.data)
            if not data.is_valid():
                return _invalid(data)
            try:
                quote = payoff_quote_issue(
                    loan_id=loan.pk,
                    actor=request.user,
                    as_of=data.validated_data.get("as_of"),
                    idempotency_key=key,
                )
            except LoanError as exc:
                return _error(exc)
            return Response(PayoffQuoteOutput(quote).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)


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
            return _forbidden()
        repayment = Repayment.objects.filter(pk=repayment_id).first()
        if repayment is None:
            raise Http404

        def run(key: str) -> Response:
            data = ReverseInput(data=request.data)
            if not data.is_valid():
                return _invalid(data)
            try:
                reversal = repayment_reversal_request(
                    repayment_id=repayment.pk,
                    reason=data.validated_data["reason"],
                    actor=request.user,
                    idempotency_key=key,
                )
            except LoanError as exc:
                return _error(exc)
            return Response(ReversalOutput(reversal).data, status=status.HTTP_201_CREATED)

        return idempotent(request, run=run)


class _ReversalDecisionView(APIView):
    def decide(self, request, reversal: RepaymentReversal) -> RepaymentReversal:
        raise NotImplementedError

    def post(self, request, reversal_id: int):
        if not can_move_money(request.user, MoneyAction.REPAYMENT_REVERSE_APPROVE):
            return _forbidden()
        reversal = RepaymentReversal.objects.filter(pk=reversal_id).first()
        if reversal is None:
            raise Http404

        def run(key: str) -> Response:  # noqa: ARG001 - the decision is idempotent by state
            try:
                decided = self.decide(request, reversal)
            except LoanError as exc:
                return _error(exc)
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
            order = payment_callback_handle(payload=payload)
        except LoanError as exc:
            return Response({"errors": {"__all__": [exc.message]}, "code": exc.code}, 400)
        return Response(
            {
                "provider_ref": order.provider_ref,
                "status": order.status,
                "repayment": order.repayment_id,
            }
        )


class BankCallbackView(APIView):
    """The bank's server-to-server result of a disbursement payment (signed JSON with the
    bank's secret, docs/integrations.md)."""

    permission_classes = [AllowAny]
    authentication_classes: list = []

    @extend_schema(request=None, responses={200: None, 400: ERRORS, 403: ERRORS})
    def post(self, request):
        from servicing.gateway.interface import CallbackRejected as BankCallbackRejected
        from servicing.gateway.interface import bank_callback_verify
        from servicing.services.disbursement.settle import bank_callback_receive
        from servicing.services.disbursement.states import DisbursementError

        try:
            payload = bank_callback_verify(request)
        except BankCallbackRejected:
            return Response(
                {"errors": {"__all__": [_("银行回调签名无效。")]}, "code": "bad_signature"}, 403
            )
        try:
            return Response(bank_callback_receive(payload=payload))
        except DisbursementError as exc:
            return Response({"errors": {"__all__": [exc.message]}, "code": exc.code}, 400)
