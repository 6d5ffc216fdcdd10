from django import template

from autofin.money import format_cny

register = template.Library()


@register.filter
def cny(value) -> str:
    """{{ amount|cny }} → ¥1,234.56"""
    return format_cny(value)


@register.filter
def percent(value, places: int = 2) -> str:
    """{{ 0.0948|percent }} → 9.48%"""
    if value in (None, ""):
        return ""
    from decimal import Decimal

    return f"{(Decimal(str(value)) * 100):.{int(places)}f}%"
