"""Output serializers of the dealer API (read-only: nothing here is written through DRF)."""

from rest_framework import serializers

from dealers.models.commissions import (
    Agreement,
    Commission,
    CommissionStatement,
    CommissionStatementLine,
)
from dealers.models.dealers import Dealer
from dealers.models.grading import DealerMonthlyKpi
from dealers.models.staff import DealerStaff
from dealers.selectors import dealer_active_account, dealer_current_grade


class DealerOut(serializers.ModelSerializer):
    grade = serializers.SerializerMethodField()
    settlement_account = serializers.SerializerMethodField()

    class Meta:
        model = Dealer
        fields = [
            "id",
            "legal_name",
            "uscc",
            "dealer_type",
            "brands",
            "province",
            "city",
            "address",
            "contact_name",
            "contact_phone",
            "contact_email",
            "status",
            "grade",
            "settlement_account",
        ]

    def get_grade(self, obj) -> dict | None:
        """The grade letter and its date; the numeric channel score is risk's internal figure
        and stays in the back office (the portal shows the same)."""
        grade = dealer_current_grade(obj.pk)
        return {"grade": grade.grade, "as_of": grade.as_of} if grade else None

    def get_settlement_account(self, obj) -> dict | None:
        account = dealer_active_account(obj.pk)
        if account is None:
            return None
        return {
            "account_name": account.account_name,
            "bank_name": account.bank_name,
            "account_number_masked": account.account_number_masked,
        }


class StaffOut(serializers.ModelSerializer):
    username = serializers.CharField(source="user.username")
    display_name = serializers.CharField(source="user.display_name")

    class Meta:
        model = DealerStaff
        fields = ["id", "username", "display_name", "role", "active", "created_at"]


class AgreementOut(serializers.ModelSerializer):
    class Meta:
        model = Agreement
        fields = [
            "id",
            "product_line",
            "commission_kind",
            "commission_rate",
            "commission_fixed",
            "cap_rate",
            "clawback_months",
            "clawback_share",
            "deposit_required",
            "deposit_held",
            "effective_from",
            "effective_to",
        ]


class CommissionOut(serializers.ModelSerializer):
    clawback_amount = serializers.SerializerMethodField()

    class Meta:
        model = Commission
        fields = [
            "id",
            "contract_ref",
            "product_line",
            "amount_financed",
            "funded_on",
            "uncapped_amount",
            "cap_amount",
            "amount",
            "clawback_amount",
        ]

    def get_clawback_amount(self, obj) -> str | None:
        clawback = getattr(obj, "clawback", None)
        return str(clawback.amount) if clawback else None


class StatementLineOut(serializers.ModelSerializer):
    class Meta:
        model = CommissionStatementLine
        fields = ["kind", "contract_ref", "event_date", "amount_financed", "amount"]


class StatementOut(serializers.ModelSerializer):
    class Meta:
        model = CommissionStatement
        fields = ["id", "month", "total", "created_at"]


class StatementDetailOut(StatementOut):
    lines = StatementLineOut(many=True, read_only=True)

    class Meta(StatementOut.Meta):
        fields = [*StatementOut.Meta.fields, "lines"]


class KpiOut(serializers.ModelSerializer):
    class Meta:
        model = DealerMonthlyKpi
        fields = ["month", "figures"]
