"""Form and API fields for amounts and rates: every one parses with `autofin.money.to_decimal`.

Django's and DRF's DecimalField parse with Decimal(), which also takes "1_000", full-width digits
("１２０００") and exponents ("1e5"), and Django's drops nothing it cannot read; a comma typed as a
decimal point ("1,5") would be refused by one and read as 15 elsewhere. These subclasses keep
every other behaviour (max_digits, decimal_places, min/max, the OpenAPI schema) and replace only
the parsing, so a page and the API accept and refuse the same text.
"""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from autofin.money import to_decimal

INVALID = _("请输入有效数字（半角数字，如 12345.67 或 12,345.67，逗号只能每三位一个）。")


class PlainDecimalField(forms.DecimalField):
    """forms.DecimalField that accepts only the notation `to_decimal` accepts."""

    default_error_messages = {"invalid": INVALID}

    def to_python(self, value):
        if value in self.empty_values:
            return None
        try:
            return to_decimal(str(value))
        except ValueError:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from None


class PlainDecimalSerializerField(serializers.DecimalField):
    """serializers.DecimalField that accepts only the notation `to_decimal` accepts.

    A JSON number arrives as int or float (DRF's parser); a float is read from its shortest
    repr, which is the text the client sent for any number a person would type ("1234.5"),
    while 1e-05, NaN and Infinity are refused like their string forms.
    """

    default_error_messages = {"invalid": INVALID}

    def to_internal_value(self, data):
        if isinstance(data, float):
            data = repr(data)
        try:
            value = to_decimal(data)
        except (ValueError, TypeError):
            self.fail("invalid")
        # The base class then checks digits, places and bounds, and quantizes.
        return super().to_internal_value(value)
