"""Commission payouts over the API: finance lists and reads every payout and prepares
(maker) and releases (checker, not the maker) them with the same services, money actions and
maker-checker as the page; a dealer admin reads its own dealer's payouts only."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from autofin.idempotency import idempotent
from autofin.roles import MoneyAction, can_move_money, user_has_role
from dealers.models.staff import StaffRole
from dealers.selectors import staff_for_user
from servicing.api.common import ERRORS, IDEMPOTENCY_KEY, error_response, forbidden
from servicing.models.commission_payouts import CommissionPayout
from servicing.services.commissions.payouts import PayoutError, commission_payout_prepare
from servicing.services.commissions.release import commission_payout_approve
from servicing.views.disbursement import FINANCE


class PayoutOutput(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display")

    class Meta:
        model = CommissionPayout
        fields = [
            "id", "statement_number", "dealer_id", "dealer_name", "month", "accrued_total",
            "set_off", "amount", "status", "status_display", "invoice_number",
            "account_number_masked", "bank_status", "bank_ref",
        ]  # fmt: skip


def payouts_visible(user):
    """Every payout for finance; the dealer admin's own dealer's; None for anyone else."""
    if user_has_role(user, *FINANCE):
        return CommissionPayout.objects.order_by("-month", "-id")
    staff = staff_for_user(user)
    if staff is not None and staff.role == StaffRole.DEALER_ADMIN:
        return CommissionPayout.objects.filter(dealer_id=staff.dealer_id).order_by("-month", "-id")
    return None


@extend_schema(responses={200: PayoutOutput(many=True), 403: ERRORS})
class PayoutListView(APIView):
    def get(self, request):
        payouts = payouts_visible(request.user)
        if payouts is None:
            return forbidden()
        return Response(PayoutOutput(payouts[:200], many=True).data)


@extend_schema(responses={200: PayoutOutput, 403: ERRORS, 404: ERRORS})
class PayoutDetailView(APIView):
    def get(self, request, payout_id: int):
        payouts = payouts_visible(request.user)
        if payouts is None:
            return forbidden()
        payout = payouts.filter(pk=payout_id).first()
        if payout is None:
            raise Http404
        return Response(PayoutOutput(payout).data)


class _PayoutActionView(APIView):
    money_action = MoneyAction.COMMISSION_PAYOUT_PREPARE

    def act(self, *, payout_id: int, actor) -> CommissionPayout:
        raise NotImplementedError

    def post(self, request, payout_id: int):
        if not can_move_money(request.user, self.money_action):
            return forbidden()
        if not CommissionPayout.objects.filter(pk=payout_id).exists():
            raise Http404

        def run(key: str) -> Response:  # noqa: ARG001 - each step is idempotent by state
            try:
                payout = self.act(payout_id=payout_id, actor=request.user)
            except PayoutError as exc:
                return error_response(exc)
            return Response(PayoutOutput(payout).data)

        return idempotent(request, run=run)


@extend_schema(parameters=[IDEMPOTENCY_KEY], request=None, responses={200: PayoutOutput})
class PayoutPrepareView(_PayoutActionView):
    """The maker: checked against the invoice policy and the dealer's verified account."""

    def act(self, *, payout_id: int, actor) -> CommissionPayout:
        return commission_payout_prepare(payout_id=payout_id, actor=actor)


@extend_schema(parameters=[IDEMPOTENCY_KEY], request=None, responses={200: PayoutOutput})
class PayoutReleaseView(_PayoutActionView):
    """The checker (not the maker) releases it to the bank."""

    money_action = MoneyAction.COMMISSION_PAYOUT_APPROVE

    def act(self, *, payout_id: int, actor) -> CommissionPayout:
        return commission_payout_approve(payout_id=payout_id, actor=actor)
