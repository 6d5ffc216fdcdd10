"""An issued electronic invoice (数电发票) as the PDF the customer downloads: the fields the tax
platform's layout carries (number, date, buyer and seller with their taxpayer IDs, item, amount,
rate, tax, the total in figures and in capitals), red-letter ones marked with the number they
reverse. WeasyPrint with the Noto Sans CJK SC font, as the other documents."""

from __future__ import annotations

from decimal import Decimal

from django.template.loader import render_to_string

from servicing.models.invoices import Invoice, InvoiceColour

_DIGITS = "零壹贰叁肆伍陆柒捌玖"
_UNITS = ("", "拾", "佰", "仟")


def _four(n: int) -> str:
    """0 < n < 10000 in capitals, zeros inside read once (1005 → 壹仟零伍)."""
    out, zero = "", False
    for i in range(3, -1, -1):
        d = n // 10**i % 10
        if d == 0:
            zero = bool(out)
            continue
        if zero:
            out += "零"
            zero = False
        out += _DIGITS[d] + _UNITS[i]
    return out


def cny_capitals(amount: Decimal) -> str:
    """An amount in the capitals a Chinese invoice prints (陆仟零捌拾肆元叁角玖分); a negative
    amount (a red-letter invoice) is prefixed 负数."""
    fen_total = int(abs(amount).scaleb(2))
    yuan, rest = divmod(fen_total, 100)
    jiao, fen = divmod(rest, 10)
    text, gap = "", False
    for group, unit in ((yuan // 10**8, "亿"), (yuan // 10**4 % 10**4, "万"), (yuan % 10**4, "")):
        if group == 0:
            gap = bool(text)
            continue
        if text and (gap or group < 1000):
            text += "零"
        text += _four(group) + unit
        gap = False
    if text:
        text += "元"
    if jiao:
        text += _DIGITS[jiao] + "角"
    elif text and fen:
        text += "零"
    text += _DIGITS[fen] + "分" if fen else "整"
    if not fen_total:
        text = "零元整"
    return ("负数" if amount < 0 else "") + text


def invoice_html(invoice: Invoice, *, contract_ref: str = "") -> str:
    return render_to_string(
        "servicing/leases/invoice_pdf.html",
        {
            "invoice": invoice,
            "red": invoice.colour == InvoiceColour.RED,
            "capitals": cny_capitals(invoice.total),
            "contract_ref": contract_ref,
        },
    )


def invoice_pdf(invoice: Invoice, *, contract_ref: str = "") -> bytes:
    from weasyprint import HTML  # slow to import: only when a PDF is asked for

    return HTML(string=invoice_html(invoice, contract_ref=contract_ref)).write_pdf()
