"""The API's entry point (`/api/v1/`): links to each area, the schema and the docs."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework.decorators import api_view, permission_classes
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.reverse import reverse


@extend_schema(exclude=True)
@api_view(["GET"])
@permission_classes([AllowAny])
def api_root(request, format=None):  # noqa: A002 - DRF's signature
    """The API's entry point: links to each area and to the schema and docs."""
    links = {
        "schema": request.build_absolute_uri("/api/schema/"),
        "docs": request.build_absolute_uri("/api/docs/"),
    }
    for name in ("products", "quotes", "applications", "dealer", "loans"):
        try:
            links[name] = reverse(f"api-{name}-root", request=request, format=format)
        except Exception:  # noqa: BLE001,S112 - an area not built yet has no link
            continue
    return Response(links)
