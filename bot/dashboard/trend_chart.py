"""The overview's trend chart: overdue debt week by week against the baseline and target.

Drawn here as inline SVG, so the page needs no script and nothing from a CDN; colours come
from dashboard.css (classes, not style attributes, which the pages' CSP would refuse).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from markupsafe import Markup, escape

from bot.i18n import _, format_date, format_money

WIDTH, HEIGHT = 720, 280
LEFT, RIGHT, TOP, BOTTOM = 96, 16, 34, 44
MAX_DATE_LABELS = 8


def trend_svg(points: list[tuple[date, Decimal]], baseline: Decimal, target: Decimal) -> Markup:
    """The chart of `points` (date, overdue), with the baseline and the target as lines."""
    if not points:
        return Markup()
    first, last = points[0][0], points[-1][0]
    span_days = max((last - first).days, 1)
    top = _nice_ceiling(max(max(v for _d, v in points), baseline, Decimal(1)))
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM

    def x(day: date) -> float:
        return LEFT + plot_w * (day - first).days / span_days

    def y(value: Decimal) -> float:
        return TOP + plot_h * (1 - float(value / top))

    title = _("Overdue debt by week since the baseline")
    parts = [
        f'<svg class="trend" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
        f'aria-label="{escape(title)}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>{escape(title)}</title>",
    ]
    for step in range(5):
        value = top * step / 4
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"/>'
            f'<text class="axis" x="{LEFT - 6}" y="{y(value) + 4:.1f}" text-anchor="end">'
            f"{value:,.0f}</text>"
        )
    every = max(1, -(-len(points) // MAX_DATE_LABELS))
    for index, (day, _value) in enumerate(points):
        if index % every == 0 or index == len(points) - 1:
            parts.append(
                f'<text class="axis" x="{x(day):.1f}" y="{HEIGHT - BOTTOM + 18}" '
                f'text-anchor="middle">{escape(format_date(day, "short"))}</text>'
            )
    for css, value, label in (
        ("baseline", baseline, _("Baseline, 1 October")),
        ("target", target, _("Target (-10%)")),
    ):
        parts.append(
            f'<line class="{css}" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y(value):.1f}" '
            f'y2="{y(value):.1f}"><title>{escape(label)}: {escape(format_money(value))}</title>'
            "</line>"
        )
    line = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in points)
    parts.append(f'<polyline class="overdue" points="{line}"/>')
    for day, value in points:
        parts.append(
            f'<circle class="overdue" cx="{x(day):.1f}" cy="{y(value):.1f}" r="3">'
            f"<title>{escape(format_date(day))}: {escape(format_money(value))}</title></circle>"
        )
    legend = (
        ("overdue", _("Overdue debt")),
        ("baseline", _("Baseline, 1 October")),
        ("target", _("Target (-10%)")),
    )
    for index, (css, label) in enumerate(legend):
        left = LEFT + index * 200
        parts.append(
            f'<line class="{css}" x1="{left}" x2="{left + 24}" y1="14" y2="14"/>'
            f'<text class="legend" x="{left + 30}" y="18">{escape(label)}</text>'
        )
    unit = _("Baht")
    parts.append(f'<text class="axis" x="12" y="{TOP - 8}">{escape(unit)}</text></svg>')
    return Markup("".join(parts))  # noqa: S704 - every text above went through escape()


def _nice_ceiling(value: Decimal) -> Decimal:
    """A round number at or above `value` (1, 2, 2.5 or 5 times a power of ten), for the axis."""
    magnitude = Decimal(10) ** (len(str(int(value))) - 1)
    for step in (1, 2, Decimal("2.5"), 5, 10):
        if magnitude * step >= value:
            return magnitude * step
    return magnitude * 10
