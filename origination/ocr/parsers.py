"""Fields from the OCR rows of each kind of document, by the labels printed on it.

A parser takes the rows (``engine.ocr_read``) and returns the fields it found, as strings
(dates ISO, money "123456.00"); a field it cannot read is left out, never guessed. Numbers
are checked where they carry a check: the ID number's GB 11643 digit, the bank card's Luhn
digit, the VIN's ISO 3779 alphabet (no I, O, Q)."""

from __future__ import annotations

import re
from collections.abc import Callable

from django.core.exceptions import ValidationError

from origination.validators import validate_id_number, validate_vin

# letters the recogniser confuses with digits inside a number
_DIGITS = str.maketrans(
    {"O": "0", "o": "0", "D": "0", "I": "1", "l": "1", "|": "1", "Z": "2", "S": "5", "B": "8"}
)
_DATE = r"(\d{4})[.\-年/]?(\d{1,2})[.\-月/]?(\d{1,2})日?"
VIN_RE = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def _iso(y: str, m: str, d: str) -> str:
    return f"{int(y):04d}-{int(m):02d}-{int(d):02d}"


def _after(rows: list[str], label: str) -> tuple[int, str] | None:
    """(row index, text after the label) of the first row holding ``label``; the next row's
    text when the label stands alone on its row."""
    for i, row in enumerate(rows):
        at = row.find(label)
        if at >= 0:
            rest = row[at + len(label) :].lstrip(":：")
            if not rest and i + 1 < len(rows):
                return i + 1, rows[i + 1]
            return i, rest
    return None


def _value(rows: list[str], label: str, stop: str = "") -> str:
    found = _after(rows, label)
    if found is None:
        return ""
    text = found[1]
    if stop and stop in text:
        text = text[: text.index(stop)]
    return text.strip()


def _block(rows: list[str], label: str, stops: tuple[str, ...]) -> str:
    """A value that may wrap onto following rows (an address): from the label to the next row
    holding one of ``stops``."""
    found = _after(rows, label)
    if found is None:
        return ""
    i, text = found
    parts = [text]
    for row in rows[i + 1 : i + 3]:
        if any(s in row for s in stops) or not row:
            break
        parts.append(row)
    return "".join(parts)


def id_number_in(text: str) -> str:
    """The first 18-character run that is a valid resident ID number (check digit right)."""
    cleaned = text.upper().replace(" ", "")
    for m in re.finditer(r"[0-9OoDIlZSB|]{17}[0-9X]", cleaned):
        candidate = m.group(0)[:17].translate(_DIGITS) + m.group(0)[17]
        try:
            return validate_id_number(candidate)
        except ValidationError:
            continue
    return ""


def luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


# labels that may follow a name on the same row when the detector joins two lines
_NAME_STOPS = re.compile(r"(住址|性别|民族|出生|身份证|证号|国籍)")


def _name(text: str) -> str:
    m = re.match(r"[\u4e00-\u9fa5·]{2,6}", _NAME_STOPS.split(text, maxsplit=1)[0])
    return m.group(0) if m else ""


def parse_id_front(rows: list[str]) -> dict:
    fields: dict = {}
    if name := _name(_value(rows, "姓名", stop="性别")):
        fields["name"] = name
    if m := re.search(r"性别([男女])", "".join(rows)):
        fields["sex"] = m.group(1)
    if m := re.search(r"出生" + _DATE, "".join(rows)):
        fields["birth_date"] = _iso(*m.groups())
    if address := _block(rows, "住址", stops=("公民身份", "身份号码")):
        fields["address"] = address
    if number := id_number_in("".join(rows)):
        fields["id_number"] = number
    return fields


def parse_id_back(rows: list[str]) -> dict:
    fields: dict = {}
    if authority := _value(rows, "签发机关"):
        fields["authority"] = authority
    text = "".join(rows)
    if m := re.search(r"有效期限" + _DATE + r"[-—~至]+(?:" + _DATE + r"|(长期))", text):
        g = m.groups()
        fields["valid_from"] = _iso(*g[:3])
        fields["valid_to"] = "长期" if g[6] else _iso(*g[3:6])
    return fields


def parse_driving_licence(rows: list[str]) -> dict:
    fields: dict = {}
    if name := _name(_value(rows, "姓名", stop="性别")):
        fields["name"] = name
    if number := id_number_in(_value(rows, "证号") or "".join(rows)):
        fields["id_number"] = number
    if address := _block(rows, "住址", stops=("初次领证", "准驾", "有效期")):
        fields["address"] = address
    if m := re.search(r"有效期限?" + _DATE + r"[-—~至]+" + _DATE, "".join(rows)):
        fields["valid_to"] = _iso(*m.groups()[3:])
    return fields


def _vin(text: str) -> str:
    """The first 17-character run with a right check digit (position 9)."""
    cleaned = text.upper().replace("O", "0").replace("I", "1").replace("Q", "0")
    for start in range(max(len(cleaned) - 16, 0)):
        candidate = cleaned[start : start + 17]
        if VIN_RE.fullmatch(candidate):
            try:
                return validate_vin(candidate)
            except ValidationError:
                continue
    return ""


def _engine_number(rows: list[str]) -> str:
    m = re.match(r"[A-Z0-9]{5,20}", _value(rows, "发动机号码").upper())
    return m.group(0) if m else ""


def parse_vehicle_licence(rows: list[str]) -> dict:
    fields: dict = {}
    if owner := _name(_value(rows, "所有人")):
        fields["owner"] = owner
    if vin := _vin(_value(rows, "车辆识别代号")):
        fields["vin"] = vin
    if engine := _engine_number(rows):
        fields["engine_number"] = engine
    if m := re.search(r"号牌号码([\u4e00-\u9fa5][A-Z][A-Z0-9]{5,6})", "".join(rows)):
        fields["plate"] = m.group(1)
    if m := re.search(r"注册日期" + _DATE, "".join(rows)):
        fields["register_date"] = _iso(*m.groups())
    return fields


def parse_invoice(rows: list[str]) -> dict:
    fields: dict = {}
    if buyer := _name(_value(rows, "购买方名称", stop="身份证")):
        fields["buyer"] = buyer
    if number := id_number_in(_value(rows, "组织机构代码") or _value(rows, "身份证号码")):
        fields["buyer_id_number"] = number
    if engine := _engine_number(rows):
        fields["engine_number"] = engine
    if vin := _vin(_value(rows, "车架号码") or _value(rows, "车辆识别代号")):
        fields["vin"] = vin
    if m := re.search(r"价税合计[^\d]*([\d,，.]+\.\d{2})", "".join(rows)):
        # thousands separators read as commas, full-width commas or dots: the last dot is decimal
        whole, cents = m.group(1).rsplit(".", 1)
        fields["price"] = re.sub(r"[^\d]", "", whole) + "." + cents
    if seller := _value(rows, "销货单位名称"):
        m = re.match(r"[\u4e00-\u9fa5（）()]+公司", seller)
        fields["seller"] = m.group(0) if m else seller
    return fields


def parse_bank_card(rows: list[str]) -> dict:
    fields: dict = {}
    for row in rows:
        if m := re.search(r"[\u4e00-\u9fa5]{2,8}银行", row):
            fields["bank"] = m.group(0)
            break
    digits = re.sub(
        r"[^0-9]", "", "".join(r.translate(_DIGITS) for r in rows if re.search(r"\d{4}", r))
    )
    for length in (19, 16, 18, 17):
        for start in range(0, max(len(digits) - length + 1, 0)):
            candidate = digits[start : start + length]
            if luhn_ok(candidate):
                fields["card_number"] = candidate
                return fields
    return fields


PARSERS: dict[str, Callable[[list[str]], dict]] = {
    "id_front": parse_id_front,
    "id_back": parse_id_back,
    "driving_licence": parse_driving_licence,
    "vehicle_licence": parse_vehicle_licence,
    "invoice": parse_invoice,
    "bank_card": parse_bank_card,
}
