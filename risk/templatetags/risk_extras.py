from django import template

register = template.Library()


@register.filter
def pct(value, places: int = 1):
    """0.1234 -> "12.3%"."""
    if value is None or value == "":
        return ""
    return f"{float(value) * 100:.{int(places)}f}%"


@register.filter
def get(mapping, key):
    return (mapping or {}).get(key)
