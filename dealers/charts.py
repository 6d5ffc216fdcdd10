"""Server-rendered inline SVG bar charts (no JavaScript, no CDN)."""

from __future__ import annotations

from decimal import Decimal
from html import escape

from django.utils.safestring import SafeString, mark_safe


def bar_chart_svg(
    *,
    title: str,
    labels: list[str],
    values: list[Decimal | int | None],
    value_format=str,
    width: int = 560,
    height: int = 220,
) -> SafeString:
    """A bar per label; each bar carries a <title> with its exact value for screen readers."""
    pad_left, pad_bottom, pad_top = 8, 28, 22
    n = max(len(values), 1)
    nums = [Decimal(str(v)) if v is not None else Decimal(0) for v in values]
    top = max(nums + [Decimal(0)]) or Decimal(1)
    plot_h = height - pad_bottom - pad_top
    slot = (width - pad_left * 2) / n
    bar_w = max(slot * 0.6, 4)
    parts = [
        f'<svg class="chart" role="img" aria-label="{escape(title)}" viewBox="0 0 {width} {height}"'
        f' width="100%" preserveAspectRatio="xMidYMid meet" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{pad_left}" y1="{height - pad_bottom}" x2="{width - pad_left}"'
        f' y2="{height - pad_bottom}" stroke="#dfe3ea"/>',
    ]
    for i, (label, num, raw) in enumerate(zip(labels, nums, values, strict=False)):
        h = float(num / top) * plot_h if top else 0
        x = pad_left + i * slot + (slot - bar_w) / 2
        y = height - pad_bottom - h
        shown = "—" if raw is None else value_format(raw)
        parts.append(
            f'<g class="bar"><rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}"'
            f' rx="3" fill="#c8102e"><title>{escape(label)}: {escape(shown)}</title></rect>'
            f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" font-size="11" text-anchor="middle"'
            f' fill="#1d2433">{escape(shown)}</text>'
            f'<text x="{x + bar_w / 2:.1f}" y="{height - 10}" font-size="11" text-anchor="middle"'
            f' fill="#5b6475">{escape(label)}</text></g>'
        )
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every interpolated text is escaped above
