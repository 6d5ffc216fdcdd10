"""The dealer API for DMS integration: everything is scoped to the caller's dealer."""

from rest_framework import generics
from rest_framework.permissions import BasePermission, IsAuthenticated
from rest_framework.response import Response
from rest_framework.views import APIView

from dealers.api import serializers as s
from dealers.models.commissions import Commission, CommissionStatement
from dealers.models.grading import DealerMonthlyKpi
from dealers.models.staff import DealerStaff
from dealers.selectors import staff_for_user


class IsDealerStaff(BasePermission):
    message = "只有经销商员工可以使用此接口。"

    def has_permission(self, request, view) -> bool:
        staff = staff_for_user(request.user)
        if staff is None:
            return False
        request.dealer_staff = staff
        return True


class DealerScoped:
    permission_classes = [IsAuthenticated, IsDealerStaff]

    @property
    def dealer_id(self) -> int:
        return self.request.dealer_staff.dealer_id


class ProfileView(DealerScoped, APIView):
    serializer_class = s.DealerOut

    def get(self, request):
        return Response(s.DealerOut(request.dealer_staff.dealer).data)


class StaffList(DealerScoped, generics.ListAPIView):
    serializer_class = s.StaffOut

    def get_queryset(self):
        return DealerStaff.objects.filter(dealer_id=self.dealer_id).select_related("user")


class AgreementList(DealerScoped, generics.ListAPIView):
    serializer_class = s.AgreementOut

    def get_queryset(self):
        return self.request.dealer_staff.dealer.agreements.order_by(
            "product_line", "-effective_from"
        )


class CommissionList(DealerScoped, generics.ListAPIView):
    serializer_class = s.CommissionOut

    def get_queryset(self):
        return (
            Commission.objects.filter(dealer_id=self.dealer_id)
            .select_related("clawback")
            .order_by("-funded_on", "-id")
        )


class StatementList(DealerScoped, generics.ListAPIView):
    serializer_class = s.StatementOut

    def get_queryset(self):
        return CommissionStatement.objects.filter(dealer_id=self.dealer_id).order_by("-month")


class StatementDetail(DealerScoped, generics.RetrieveAPIView):
    serializer_class = s.StatementDetailOut

    def get_queryset(self):
        return CommissionStatement.objects.filter(dealer_id=self.dealer_id).prefetch_related(
            "lines"
        )


class KpiList(DealerScoped, generics.ListAPIView):
    serializer_class = s.KpiOut

    def get_queryset(self):
        return DealerMonthlyKpi.objects.filter(dealer_id=self.dealer_id).order_by("-month")
