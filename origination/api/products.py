"""The products API: the active products with their current published rules (public: the
calculator and dealer systems read them)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.views import APIView

from origination.models import ContractType, ProductVersion, VehicleKind
from origination.selectors.products import (
    product_version_for_quote,
    vehicle_product_versions_current,
)


class ProductOutput(serializers.Serializer):
    """A product with its current published rules."""

    def to_representation(self, version: ProductVersion) -> dict:
        product = version.product
        return {
            "id": product.pk,
            "code": product.code,
            "name": product.name,
            "description": product.description,
            "vehicle_kind": product.vehicle_kind,
            "vehicle_kind_label": str(VehicleKind(product.vehicle_kind).label),
            "contract_type": product.contract_type,
            "contract_type_label": str(ContractType(product.contract_type).label),
            "secured": product.secured,
            "version": {
                "id": version.pk,
                "number": version.number,
                "published_at": version.published_at.isoformat() if version.published_at else None,
            },
            "rules": version.rules,
        }


class ProductListView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(
        operation_id="products_list",
        responses=inline_serializer("ProductList", {"results": ProductOutput(many=True)}),
    )
    def get(self, request):
        versions = vehicle_product_versions_current()
        return Response({"results": ProductOutput(versions, many=True).data})


class ProductDetailView(APIView):
    permission_classes = [AllowAny]

    @extend_schema(operation_id="products_detail", responses=ProductOutput)
    def get(self, request, code: str):
        version = product_version_for_quote(product_ref=code)
        if version is None:
            raise Http404
        return Response(ProductOutput(version).data)
