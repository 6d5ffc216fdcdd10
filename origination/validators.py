"""Identity and vehicle checks used by intake (as field errors) and handed to risk as facts.

Each check returns the normalised value or raises ValidationError with a code and a message
that names the field's problem in the user's language.
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

# GB 11643-1999: weights of the first 17 digits and the check character for each remainder.
_ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")

# ISO 3779 / GB 16735: letter values and position weights for the VIN check digit (position 9).
_VIN_VALUES = {
    **{str(d): d for d in range(10)},
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
_VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
_VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")

_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def id_number_check_char(first17: str) -> str:
    total = sum(int(c) * w for c, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def id_number_birth_date(value: str) -> dt.date:
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def validate_id_number(value: str, *, birth_date: dt.date | None = None) -> str:
    """An 18-character resident ID number: format, a real birth date, the check character, and,
    when given, the same birth date as the applicant's."""
    text = str(value or "").strip().upper().replace(" ", "")
    if not _ID_RE.match(text):
        raise ValidationError(
            _("身份证号应为 18 位，前 17 位为数字，最后一位为数字或 X。"), code="id_format"
        )
    try:
        born = id_number_birth_date(text)
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birth_date") from None
    if id_number_check_char(text[:17]) != text[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对后重新输入。"), code="id_checksum")
    if birth_date is not None and born != birth_date:
        raise ValidationError(
            _("身份证号中的出生日期与填写的出生日期不一致。"), code="id_birth_mismatch"
        )
    return text


def age_on(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def validate_age_window(
    *, birth_date: dt.date, on: dt.date, maturity: dt.date, minimum: int = 18, maximum: int = 65
) -> None:
    """Applicants must be adults when they apply and no older than `maximum` at maturity."""
    if age_on(birth_date, on) < minimum:
        raise ValidationError(
            _("申请人须年满 %(min)s 周岁。") % {"min": minimum}, code="age_below_minimum"
        )
    at_maturity = age_on(birth_date, maturity)
    if at_maturity > maximum:
        raise ValidationError(
            _("贷款到期时申请人将满 %(age)s 周岁，超过 %(max)s 周岁的上限。")
            % {"age": at_maturity, "max": maximum},
            code="age_above_maximum",
        )


def validate_mobile(value: str) -> str:
    text = re.sub(r"[\s-]", "", str(value or ""))
    if text.startswith("+86"):
        text = text[3:]
    if not _MOBILE_RE.match(text):
        raise ValidationError(_("请输入 11 位中国大陆手机号码。"), code="mobile_format")
    return text


def vin_check_digit(vin: str) -> str:
    total = sum(_VIN_VALUES[c] * w for c, w in zip(vin, _VIN_WEIGHTS, strict=True))
    remainder = total % 11
    return "X" if remainder == 10 else str(remainder)


def validate_vin(value: str) -> str:
    text = str(value or "").strip().upper().replace(" ", "")
    if len(text) != 17:
        raise ValidationError(
            _("车架号应为 17 位（当前 %(n)s 位）。") % {"n": len(text)}, code="vin_length"
        )
    if not _VIN_RE.match(text):
        raise ValidationError(
            _("车架号只能包含数字和字母，且不含 I、O、Q。"), code="vin_characters"
        )
    if vin_check_digit(text) != text[8]:
        raise ValidationError(
            _("车架号第 9 位校验码不正确，请核对行驶证或合格证。"), code="vin_checksum"
        )
    return text
