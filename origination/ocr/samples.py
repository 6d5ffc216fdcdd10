"""Sample documents drawn with Pillow and the Noto Sans CJK font: ID card (both sides), driving
licence, vehicle licence (行驶证), the car purchase invoice (机动车销售统一发票) and a bank card,
plus photographed-style variants (rotation, blur, JPEG noise). Used by the tests and by
``bench/ocr.py``; each sample carries the fields it shows, so accuracy can be measured.

The layouts are simplified: the labels and the order of the real documents, not their art."""

from __future__ import annotations

import datetime as dt
import io
import random
from dataclasses import dataclass, field
from decimal import Decimal
from functools import cache

from PIL import Image, ImageDraw, ImageFilter, ImageFont

from origination.validators import id_number_check_char, vin_check_digit

FONT_PATHS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Medium.ttc",
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国志红"
PLACES = (
    ("110105", "北京市朝阳区", "建国路"),
    ("310115", "上海市浦东新区", "世纪大道"),
    ("440106", "广东省广州市天河区", "天河路"),
    ("330106", "浙江省杭州市西湖区", "文三路"),
    ("510107", "四川省成都市武侯区", "人民南路"),
    ("420106", "湖北省武汉市武昌区", "中南路"),
)
BRANDS = (
    ("大众", "帕萨特", "LSVAU2180N2"),
    ("丰田", "凯美瑞", "LVGBE40K8N"),
    ("比亚迪", "汉", "LGXCE4CB5N"),
)
VIN_CHARS = "0123456789ABCDEFGHJKLMNPRSTUVWXYZ"
BANKS = (("中国工商银行", "622202"), ("中国建设银行", "621700"), ("招商银行", "622588"))


@cache
def font(size: int) -> ImageFont.FreeTypeFont:
    for path in FONT_PATHS:
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    raise OSError("Noto Sans CJK is not installed (apt-get install fonts-noto-cjk)")


def id_number(region: str, birth: dt.date, serial: int) -> str:
    """An 18-digit resident ID number with a valid GB 11643 check character."""
    body = f"{region}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + id_number_check_char(body)


def luhn_complete(body: str) -> str:
    total = 0
    for i, ch in enumerate(reversed(body)):
        d = int(ch)
        if i % 2 == 0:
            d *= 2
            d -= 9 if d > 9 else 0
        total += d
    return body + str((10 - total % 10) % 10)


@dataclass(frozen=True)
class Person:
    name: str
    sex: str
    birth: dt.date
    address: str
    id_number: str
    id_valid_from: dt.date
    id_valid_to: dt.date
    authority: str


@dataclass(frozen=True)
class Deal:
    vin: str
    engine_number: str
    brand: str
    model: str
    plate: str
    price: Decimal
    seller: str
    register_date: dt.date
    card_number: str
    bank: str


@dataclass
class Sample:
    kind: str  # origination DocumentKind value, or "bank_card"
    image: Image.Image
    fields: dict = field(default_factory=dict)  # what the document shows, as parsers return it

    def jpeg(self, quality: int = 90) -> bytes:
        out = io.BytesIO()
        self.image.convert("RGB").save(out, "JPEG", quality=quality)
        return out.getvalue()


def person(rng: random.Random, *, today: dt.date | None = None, expired: bool = False) -> Person:
    today = today or dt.date(2026, 12, 1)
    region, city, road = rng.choice(PLACES)
    birth = dt.date(rng.randint(1965, 2000), rng.randint(1, 12), rng.randint(1, 28))
    male = rng.random() < 0.5
    serial = rng.randint(0, 499) * 2 + (1 if male else 0)
    name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))
    valid_from = dt.date(
        today.year - (12 if expired else rng.randint(1, 9)), birth.month, birth.day
    )
    return Person(
        name=name,
        sex="男" if male else "女",
        birth=birth,
        address=f"{city}{road}{rng.randint(1, 399)}号{rng.randint(1, 30)}栋{rng.randint(101, 2806)}室",
        id_number=id_number(region, birth, serial),
        id_valid_from=valid_from,
        id_valid_to=valid_from.replace(year=valid_from.year + 10),
        authority=f"{city[-3:]}公安局" if len(city) <= 6 else f"{city[3:]}公安分局",
    )


def deal(rng: random.Random) -> Deal:
    brand, model, wmi = rng.choice(BRANDS)
    vin = wmi + "".join(rng.choice(VIN_CHARS) for _ in range(17 - len(wmi)))
    vin = vin[:8] + vin_check_digit(vin[:8] + "0" + vin[9:]) + vin[9:]
    bank, bin_ = rng.choice(BANKS)
    return Deal(
        vin=vin,
        engine_number=f"{rng.choice('CDEK')}{rng.choice('ABHX')}{rng.randint(100000, 999999)}",
        brand=brand,
        model=model,
        plate=f"京{rng.choice('ABCEFGHJKLNPQ')}{rng.randint(10000, 99999)}",
        price=Decimal(rng.randrange(8_000_000, 35_000_000, 100)) / 100,
        seller=f"{rng.choice(('北京', '上海', '广州'))}{rng.choice(('宏达', '远航', '锦程'))}汽车销售服务有限公司",
        register_date=dt.date(2026, rng.randint(1, 11), rng.randint(1, 28)),
        card_number=luhn_complete(bin_ + "".join(str(rng.randint(0, 9)) for _ in range(12))),
        bank=bank,
    )


def _canvas(
    width: int, height: int, tint: tuple[int, int, int]
) -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", (width, height), tint)
    draw = ImageDraw.Draw(image)
    draw.rounded_rectangle(
        (6, 6, width - 7, height - 7), radius=24, outline=(150, 160, 170), width=3
    )
    return image, draw


def _lines(
    draw: ImageDraw.ImageDraw, x: int, y: int, lines: list[str], size: int = 30, gap: int = 22
) -> None:
    for line in lines:
        draw.text((x, y), line, font=font(size), fill=(25, 25, 30))
        y += size + gap


def _wrap(text: str, width: int) -> list[str]:
    return [text[i : i + width] for i in range(0, len(text), width)]


def id_front(p: Person) -> Sample:
    image, draw = _canvas(1000, 630, (232, 238, 246))
    address = _wrap(p.address, 15)
    _lines(
        draw,
        50,
        50,
        [
            f"姓名  {p.name}",
            f"性别  {p.sex}    民族  汉",
            f"出生  {p.birth.year}年{p.birth.month}月{p.birth.day}日",
        ],
    )
    _lines(draw, 50, 50 + 3 * 52, [f"住址  {address[0]}", *[f"      {a}" for a in address[1:]]])
    draw.text((50, 540), f"公民身份号码  {p.id_number}", font=font(32), fill=(25, 25, 30))
    draw.rectangle((720, 80, 940, 360), fill=(205, 212, 222))
    fields = {
        "name": p.name,
        "sex": p.sex,
        "birth_date": p.birth.isoformat(),
        "address": p.address,
        "id_number": p.id_number,
    }
    return Sample("id_front", image, fields)


def id_back(p: Person) -> Sample:
    image, draw = _canvas(1000, 630, (236, 240, 236))
    draw.text((300, 90), "中华人民共和国", font=font(48), fill=(25, 25, 30))
    draw.text((330, 180), "居民身份证", font=font(56), fill=(25, 25, 30))
    _lines(
        draw,
        160,
        430,
        [
            f"签发机关  {p.authority}",
            f"有效期限  {p.id_valid_from:%Y.%m.%d}-{p.id_valid_to:%Y.%m.%d}",
        ],
    )
    fields = {
        "authority": p.authority,
        "valid_from": p.id_valid_from.isoformat(),
        "valid_to": p.id_valid_to.isoformat(),
    }
    return Sample("id_back", image, fields)


def driving_licence(p: Person, rng: random.Random) -> Sample:
    image, draw = _canvas(1000, 660, (240, 236, 226))
    first = dt.date(p.birth.year + 20, rng.randint(1, 12), rng.randint(1, 28))
    valid_from = dt.date(2020, first.month, first.day)
    valid_to = valid_from.replace(year=2030)
    draw.text((200, 30), "中华人民共和国机动车驾驶证", font=font(40), fill=(25, 25, 30))
    _lines(
        draw,
        50,
        110,
        [
            f"证号  {p.id_number}",
            f"姓名  {p.name}    性别  {p.sex}",
            f"住址  {_wrap(p.address, 20)[0]}",
            *[f"      {a}" for a in _wrap(p.address, 20)[1:]],
            f"初次领证日期  {first.isoformat()}",
            "准驾车型  C1",
            f"有效期限  {valid_from.isoformat()}至{valid_to.isoformat()}",
        ],
        size=28,
        gap=20,
    )
    fields = {
        "name": p.name,
        "id_number": p.id_number,
        "address": p.address,
        "valid_to": valid_to.isoformat(),
    }
    return Sample("driving_licence", image, fields)


def vehicle_licence(p: Person, d: Deal) -> Sample:
    image, draw = _canvas(1000, 660, (236, 236, 240))
    draw.text((220, 30), "中华人民共和国机动车行驶证", font=font(40), fill=(25, 25, 30))
    _lines(
        draw,
        50,
        110,
        [
            f"号牌号码  {d.plate}    车辆类型  小型轿车",
            f"所有人  {p.name}",
            f"住址  {_wrap(p.address, 20)[0]}",
            f"品牌型号  {d.brand}{d.model}",
            f"车辆识别代号  {d.vin}",
            f"发动机号码  {d.engine_number}",
            f"注册日期  {d.register_date.isoformat()}",
        ],
        size=28,
        gap=22,
    )
    fields = {
        "owner": p.name,
        "vin": d.vin,
        "engine_number": d.engine_number,
        "plate": d.plate,
        "register_date": d.register_date.isoformat(),
    }
    return Sample("vehicle_licence", image, fields)


def invoice(p: Person, d: Deal) -> Sample:
    image, draw = _canvas(1200, 720, (246, 244, 236))
    draw.text((380, 30), "机动车销售统一发票", font=font(44), fill=(120, 40, 30))
    _lines(
        draw,
        50,
        120,
        [
            f"购买方名称  {p.name}",
            f"身份证号码/组织机构代码  {p.id_number}",
            f"车辆类型  轿车    厂牌型号  {d.brand}{d.model}",
            f"发动机号码  {d.engine_number}",
            f"车辆识别代号/车架号码  {d.vin}",
            f"价税合计（小写）  ¥{d.price:,.2f}",
            f"销货单位名称  {d.seller}",
        ],
        size=28,
        gap=24,
    )
    fields = {
        "buyer": p.name,
        "buyer_id_number": p.id_number,
        "engine_number": d.engine_number,
        "vin": d.vin,
        "price": f"{d.price:.2f}",
        "seller": d.seller,
    }
    return Sample("invoice", image, fields)


def bank_card(d: Deal) -> Sample:
    image, draw = _canvas(856, 540, (40, 70, 120))
    draw.text((50, 40), d.bank, font=font(40), fill=(250, 250, 250))
    groups = " ".join(d.card_number[i : i + 4] for i in range(0, len(d.card_number), 4))
    draw.text((50, 300), groups, font=font(46), fill=(250, 250, 250))
    return Sample("bank_card", image, {"bank": d.bank, "card_number": d.card_number})


def document_set(seed: int, *, expired_id: bool = False) -> list[Sample]:
    """One applicant's documents: ID both sides, driving licence, 行驶证, invoice, bank card."""
    rng = random.Random(seed)
    p = person(rng, expired=expired_id)
    d = deal(rng)
    return [
        id_front(p),
        id_back(p),
        driving_licence(p, rng),
        vehicle_licence(p, d),
        invoice(p, d),
        bank_card(d),
    ]


def photographed(sample: Sample, rng: random.Random) -> Sample:
    """A phone-photo look: the document placed off-centre on a table (its own colour), turned a
    few degrees, under uneven light, slightly blurred, JPEG-noisy. Two photos differ as two
    real photos do (framing, background, light); the fields stay what they were."""
    table = tuple(rng.randint(40, 170) for _ in range(3))
    alpha = Image.new("L", sample.image.size, 255)
    angle = rng.uniform(-5, 5)
    doc = sample.image.rotate(angle, expand=True, resample=Image.BICUBIC)
    alpha = alpha.rotate(angle, expand=True)
    margin_x = int(doc.width * rng.uniform(0.08, 0.3))
    margin_y = int(doc.height * rng.uniform(0.08, 0.3))
    canvas = Image.new("RGB", (doc.width + margin_x, doc.height + margin_y), table)
    canvas.paste(doc, (rng.randint(0, margin_x), rng.randint(0, margin_y)), alpha)
    light = Image.linear_gradient("L").rotate(rng.uniform(0, 360)).resize(canvas.size)
    shade = Image.new("RGB", canvas.size, (0, 0, 0))
    canvas = Image.composite(canvas, shade, light.point(lambda v: 150 + v * 105 // 255))
    canvas = canvas.filter(ImageFilter.GaussianBlur(rng.uniform(0.4, 1.0)))
    out = io.BytesIO()
    canvas.save(out, "JPEG", quality=rng.randint(55, 75))
    return Sample(
        sample.kind, Image.open(io.BytesIO(out.getvalue())).convert("RGB"), dict(sample.fields)
    )


def near_duplicate(data: bytes) -> bytes:
    """The same photo cropped by a few per cent, scaled and re-encoded: a new file (other
    sha256), the same document."""
    with Image.open(io.BytesIO(data)) as image:
        w, h = image.size
        cropped = image.convert("RGB").crop(
            (int(w * 0.02), int(h * 0.02), int(w * 0.98), int(h * 0.98))
        )
        cropped = cropped.resize((int(cropped.width * 0.9), int(cropped.height * 0.9)))
        out = io.BytesIO()
        cropped.save(out, "JPEG", quality=70)
        return out.getvalue()
