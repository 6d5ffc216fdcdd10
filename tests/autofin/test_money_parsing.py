"""One parser for amounts and rates (autofin.money.to_decimal), used by every money form field and
API field: plain ASCII decimals, commas only as three-digit thousands groups, nothing guessed."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django import forms
from hypothesis import given
from hypothesis import strategies as st

from autofin.fields import PlainDecimalField, PlainDecimalSerializerField
from autofin.money import AmountSyntaxError, format_cny, to_decimal
from origination.api.quote_serializers import QuoteInput
from servicing.forms.loans import PayForm

REFUSED = [
    "1,5",  # a decimal comma: never 15, never 1.5
    "12,34",
    "1,2345",
    "1234,567",  # grouping must start from the left at 1-3 digits
    ",123",
    "1,,234",
    "1,234.",
    "1_000",
    "１２０００",  # full-width digits
    "１２,０００.００",
    "١٢٣",  # Arabic-Indic digits (Decimal() takes them too)
    "NaN",
    "nan",
    "sNaN",
    "Infinity",
    "-Infinity",
    "inf",
    "1e3",
    "1E-2",
    ".5",
    "5.",
    "+5",
    "--5",
    "¥100",
    "100元",
    "",
    " ",
    "1 000",
]


@pytest.mark.parametrize("text", REFUSED)
def test_refused_with_a_value_error(text):
    with pytest.raises(AmountSyntaxError):
        to_decimal(text)


@pytest.mark.parametrize(
    ("text", "amount"),
    [
        ("12345.67", D("12345.67")),
        ("12,345.67", D("12345.67")),
        ("1,234,567", D("1234567")),
        ("999", D("999")),
        ("0.05", D("0.05")),
        ("-1,000.00", D("-1000.00")),
        (" 88.80 ", D("88.80")),
    ],
)
def test_plain_and_correctly_grouped_amounts_are_read_exactly(text, amount):
    assert to_decimal(text) == amount
    assert str(to_decimal(text)) == str(amount)  # the places typed are kept


def test_non_text_inputs():
    assert to_decimal(D("1.50")) == D("1.50")
    assert to_decimal(12) == D(12)
    with pytest.raises(TypeError):
        to_decimal(1.1)
    for bad in (True, D("NaN"), D("Infinity"), None, [1]):
        with pytest.raises(AmountSyntaxError):
            to_decimal(bad)


amounts = st.decimals(min_value=D("-1e15"), max_value=D("1e15"), places=2, allow_nan=False)


@given(amounts)
def test_every_amount_we_print_reads_back_exactly(amount):
    # Plain and as shown on pages (format_cny groups by thousands)
    assert to_decimal(str(amount)) == amount
    assert to_decimal(format_cny(amount, symbol=False)) == amount


@given(st.integers(min_value=1, max_value=10**15), st.data())
def test_a_comma_anywhere_but_a_thousands_boundary_is_refused(number, data):
    digits = str(number)
    boundaries = {len(digits) - k for k in range(3, len(digits), 3)}
    wrong = [i for i in range(len(digits) + 1) if i not in boundaries]
    at = data.draw(st.sampled_from(wrong))
    with pytest.raises(AmountSyntaxError):
        to_decimal(digits[:at] + "," + digits[at:])


FULL_WIDTH = str.maketrans("0123456789.,-", "０１２３４５６７８９．，－")


@given(amounts)
def test_full_width_and_underscored_forms_are_refused(amount):
    with pytest.raises(AmountSyntaxError):
        to_decimal(str(amount).translate(FULL_WIDTH))
    whole = str(abs(amount)).split(".")[0]
    if len(whole) > 1:
        with pytest.raises(AmountSyntaxError):
            to_decimal(whole[:1] + "_" + whole[1:])


# --- Forms and serializers: the same parser, a clear Chinese message --------------------------


@pytest.mark.parametrize("text", ["1,5", "1_000", "１００", "NaN", "1e3"])
def test_a_payment_form_refuses_with_its_message_and_no_amount(text):
    form = PayForm(data={"amount": text, "token": "t" * 32})

    assert not form.is_valid()
    assert form.errors["amount"] == ["请输入有效金额。"]
    assert "amount" not in form.cleaned_data


def test_a_payment_form_reads_a_grouped_amount():
    form = PayForm(data={"amount": "12,345.67", "token": "t" * 32})

    assert form.is_valid(), form.errors
    assert form.cleaned_data["amount"] == D("12345.67")


def test_the_default_message_says_what_is_accepted():
    field = PlainDecimalField(max_digits=18, decimal_places=2)
    with pytest.raises(forms.ValidationError) as refused:
        field.clean("1,5")
    assert refused.value.messages == [
        "请输入有效数字（半角数字，如 12345.67 或 12,345.67，逗号只能每三位一个）。"
    ]
    assert field.clean("1,234.50") == D("1234.50")


@pytest.mark.parametrize(
    ("value", "ok"),
    [("1,234.56", D("1234.56")), (1234, D("1234.00")), (1234.5, D("1234.50")), ("7", D("7.00"))],
)
def test_the_api_field_accepts_plain_numbers_and_strings(value, ok):
    assert PlainDecimalSerializerField(max_digits=18, decimal_places=2).run_validation(value) == ok


@pytest.mark.parametrize("value", ["1,5", "1_000", "１２", "NaN", "Infinity", 1e-05, True, {}, []])
def test_the_api_field_refuses_the_rest(value):
    from rest_framework.exceptions import ValidationError

    with pytest.raises(ValidationError) as refused:
        PlainDecimalSerializerField(max_digits=18, decimal_places=2).run_validation(value)
    assert refused.value.detail[0].code == "invalid"


def test_every_money_serializer_field_goes_through_the_one_parser():
    # The quote API's amounts and ratios, nested ones included
    fields = QuoteInput().fields
    assert isinstance(fields["down_payment"], PlainDecimalSerializerField)
    assert isinstance(fields["balloon_ratio"], PlainDecimalSerializerField)
    assert isinstance(fields["vehicle"].fields["price"], PlainDecimalSerializerField)
    assert isinstance(fields["add_ons"].child.fields["amount"], PlainDecimalSerializerField)


def test_no_form_or_serializer_parses_decimals_another_way():
    # A source scan: a new money field must use the one parser (autofin.fields).
    import pathlib
    import re

    root = pathlib.Path(__file__).resolve().parents[2]
    found = []
    apps = ("autofin", "dealers", "origination", "risk", "servicing")
    for path in (p for app in apps for p in (root / app).rglob("*.py")):
        rel = path.relative_to(root)
        if "migrations" in rel.parts:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\b(forms|serializers)\.DecimalField\(", text):
            found.append(str(rel))
    assert found == []


@pytest.mark.django_db
def test_the_quote_api_answers_400_with_the_message_for_full_width_digits(client):
    response = client.post(
        "/api/v1/quotes/",
        {
            "product": "new-std",
            "vehicle": {"kind": "new", "use": "personal", "price": "２０００００"},
            "term_months": 36,
            "method": "equal_instalment",
        },
        content_type="application/json",
    )

    assert response.status_code == 400
    assert response.json()["errors"]["vehicle.price"] == [
        "请输入有效数字（半角数字，如 12345.67 或 12,345.67，逗号只能每三位一个）。"
    ]


def test_policy_amounts_read_with_the_same_parser():
    from django.core.exceptions import ValidationError

    from autofin.policy import POLICIES

    threshold = POLICIES["servicing.manual_repayment_approval_threshold"]
    assert threshold.parse("50,000.00") == D("50000.00")
    for bad in ("50,00", "５００００", "5e4"):
        with pytest.raises(ValidationError):
            threshold.parse(bad)
