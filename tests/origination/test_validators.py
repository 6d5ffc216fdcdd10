import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from origination.validators import (
    id_number_check_char,
    validate_age_window,
    validate_id_number,
    validate_mobile,
    validate_vin,
    vin_check_digit,
)

# The GB 11643 standard's own worked example and a well-known sample number.
VALID_IDS = ["11010519491231002X", "440524188001010014"]


@pytest.mark.parametrize("value", VALID_IDS)
def test_valid_resident_id_numbers(value):
    assert validate_id_number(value.lower()) == value


@pytest.mark.parametrize(
    ("value", "code"),
    [
        ("110105194912310021", "id_checksum"),
        ("11010519491231002", "id_format"),
        ("1101051949123100X2", "id_format"),
        ("110105194902300028", "id_birth_date"),  # 30 February
    ],
)
def test_invalid_resident_id_numbers(value, code):
    with pytest.raises(ValidationError) as err:
        validate_id_number(value)
    assert err.value.code == code


def test_id_number_must_match_the_stated_birth_date():
    assert validate_id_number("11010519491231002X", birth_date=dt.date(1949, 12, 31))
    with pytest.raises(ValidationError) as err:
        validate_id_number("11010519491231002X", birth_date=dt.date(1949, 12, 30))
    assert err.value.code == "id_birth_mismatch"


@given(st.from_regex(r"\A\d{6}(19[5-9]\d|200[0-7])(0[1-9]|1[0-2])(0[1-9]|1\d|2[0-8])\d{3}\Z"))
def test_any_number_with_its_computed_check_char_is_valid(first17):
    value = first17 + id_number_check_char(first17)
    assert validate_id_number(value) == value
    wrong = "0" if value[-1] != "0" else "1"
    with pytest.raises(ValidationError):
        validate_id_number(first17 + wrong)


def test_age_window_at_application_and_maturity():
    born = dt.date(2000, 6, 15)
    validate_age_window(birth_date=born, on=dt.date(2018, 6, 15), maturity=dt.date(2021, 6, 15))
    with pytest.raises(ValidationError) as err:
        validate_age_window(birth_date=born, on=dt.date(2018, 6, 14), maturity=dt.date(2021, 6, 1))
    assert err.value.code == "age_below_minimum"
    old = dt.date(1962, 1, 10)
    with pytest.raises(ValidationError) as err:
        validate_age_window(birth_date=old, on=dt.date(2026, 1, 1), maturity=dt.date(2029, 1, 1))
    assert err.value.code == "age_above_maximum"
    assert "66" in str(err.value.messages[0])  # 67th birthday falls after maturity


@pytest.mark.parametrize("value", ["13800138000", "+86 138-0013-8000", "19912345678"])
def test_valid_mobiles(value):
    assert len(validate_mobile(value)) == 11


@pytest.mark.parametrize("value", ["12800138000", "1380013800", "phone"])
def test_invalid_mobiles(value):
    with pytest.raises(ValidationError):
        validate_mobile(value)


def test_vin_check_digit():
    # A VIN whose check digit is published: 1M8GDM9AXKP042788 (the ISO 3779 worked example).
    assert vin_check_digit("1M8GDM9AXKP042788") == "X"
    assert validate_vin("1m8gdm9axkp042788") == "1M8GDM9AXKP042788"
    with pytest.raises(ValidationError) as err:
        validate_vin("1M8GDM9A1KP042788")
    assert err.value.code == "vin_checksum"
    with pytest.raises(ValidationError) as err:
        validate_vin("1M8GDM9AXKP04278")
    assert err.value.code == "vin_length"
    with pytest.raises(ValidationError) as err:
        validate_vin("1M8GDM9AXKP0427O8")
    assert err.value.code == "vin_characters"
