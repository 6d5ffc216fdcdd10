"""The quotes API: price a deal and save the quote, read a saved quote (public: the calculator
and dealer systems use it)."""

from __future__ import annotations

from django.http import Http404
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from origination.api.errors import errors_flatten
from origination.api.quote_serializers import QuoteInput, QuoteOutput
from origination.selectors.products import (
    quote_get,
)
from origination.services.quotes import QuoteRejectedError, quote_create, violations_messages


class QuoteAnonThrottle(AnonRateThrottle):
    """Anonymous quoting (the public calculator): 120 a minute per client address."""

    scope = "quote_anon"
    rate = "120/min"


QUOTE_ERRORS = inline_serializer(
    "QuoteErrors",
    {"errors": serializers.DictField(child=serializers.ListField(child=serializers.CharField()))},
)


@extend_schema(request=QuoteInput, responses={201: QuoteOutput, 400: QUOTE_ERRORS})
class QuoteCreateView(APIView):
    """POST a deal: 201 with the saved quote, or 400 naming every rule the deal breaks."""

    permission_classes = [AllowAny]
    throttle_classes = [QuoteAnonThrottle]

    def post(self, request):
        data = QuoteInput(data=request.data)
        if not data.is_valid():
            return Response(
                {"errors": errors_flatten(data.errors)}, status=status.HTTP_400_BAD_REQUEST
            )
        try:
            quote = quote_create(
                actor=request.user,
                version=data.validated_data["product"],
                deal=data.deal(),
            )
        except QuoteRejectedError as exc:
            return Response(
                {"errors": violations_messages(exc.violations)},
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(
            QuoteOutput(quote, context={"request": request}).data, status=status.HTTP_201_CREATED
        )


@extend_schema(responses=QuoteOutput)
class QuoteDetailView(APIView):
    """A saved quote by its reference (an unguessable UUID, so the link itself is the key)."""

    permission_classes = [AllowAny]

    def get(self, request, reference):
        quote = quote_get(reference=reference)
        if quote is None:
            raise Http404
        return Response(QuoteOutput(quote, context={"request": request}).data)
