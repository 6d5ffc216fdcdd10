"""The loans API's input and output serializers (kept apart: what a client sends is never
what it reads back)."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from autofin.fields import PlainDecimalSerializerField
from servicing.models.loans import Loan, LoanScheduleRow, PayoffQuoteRecord
from servicing.models.repayments import PaymentChannel, Repayment, RepaymentReversal


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


class LoanDetailOutput(LoanOutput):
    schedule = RowOutput(many=True, read_only=True)

    class Meta(LoanOutput.Meta):
        fields = [*LoanOutput.Meta.fields, "schedule"]


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
    payment_channel = serializers.ChoiceField(
        choices=PaymentChannel.values, required=False, default=PaymentChannel.TRANSFER
    )
    payer_account = serializers.CharField(max_length=40, required=False, default="")


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
