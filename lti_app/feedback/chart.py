"""A competency's growth as a small line chart in SVG, drawn on the server: no script, no CDN,
legible at 390 px (a viewBox scaled to the width). Each point is a link to its form with a
<title> saying what it is; the page adds the same points as a table for screen readers.

Pure: it takes the line, the axis and functions for links and wording, and returns markup.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from markupsafe import Markup, escape

from lti_app.feedback.blocks import Level
from lti_app.feedback.growth import Line, Point

WIDTH, HEIGHT = 340, 150
LEFT, RIGHT, TOP, BOTTOM = 100, 14, 12, 30  # room for the level labels and the dates
NUDGE = 6  # points of one day side by side, so each stays one click away


def _x(day: date, first: date, last: date) -> float:
    inner = WIDTH - LEFT - RIGHT
    if last <= first:
        return LEFT + inner / 2
    return LEFT + inner * (day - first).days / (last - first).days


def _y(value: int, levels: list[Level]) -> float:
    values = [level.value for level in levels] or [value]
    high, low = max(values), min(values)
    inner = HEIGHT - TOP - BOTTOM
    if high == low:
        return TOP + inner / 2
    return TOP + inner * (high - value) / (high - low)


def _f(number: float) -> str:
    return f"{number:.1f}"


def chart(
    line: Line,
    levels: list[Level],
    first: date,
    last: date,
    *,
    chart_id: str,
    title: str,
    href: Callable[[int], str],
    describe: Callable[[Point], str],
    day_label: Callable[[date], str],
) -> Markup:
    """``line``'s points between ``first`` and ``last`` (the same for every chart of a page,
    so charts compare), levels on the y axis (highest at the top)."""
    cid = escape(chart_id)  # a framework's key, which a coordinator writes
    parts = [
        f'<svg class="growth-chart" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" '
        f'preserveAspectRatio="xMidYMid meet" role="group" aria-labelledby="{cid}-title" '
        f'xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{cid}-title">{escape(title)}</title>',
    ]
    for level in levels:
        at = _f(_y(level.value, levels))
        parts.append(
            f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{at}" y2="{at}"/>'
            f'<text class="axis lv-{level.value}" x="{LEFT - 8}" y="{at}" text-anchor="end" '
            f'dominant-baseline="middle">{escape(level.label)}</text>'
        )
    base = HEIGHT - BOTTOM + 18
    parts.append(
        f'<text class="axis" x="{LEFT}" y="{base}" text-anchor="start">'
        f"{escape(day_label(first))}</text>"
    )
    if last > first:
        parts.append(
            f'<text class="axis" x="{WIDTH - RIGHT}" y="{base}" text-anchor="end">'
            f"{escape(day_label(last))}</text>"
        )
    placed: list[tuple[float, float, Point]] = []
    same_day: dict[date, int] = {}
    for point in line.points:
        nth = same_day[point.day] = same_day.get(point.day, -1) + 1
        placed.append((_x(point.day, first, last) + nth * NUDGE, _y(point.value, levels), point))
    if len(placed) > 1:
        path = " ".join(f"{_f(x)},{_f(y)}" for x, y, _p in placed)
        parts.append(f'<polyline class="trend" points="{path}"/>')
    for x, y, point in placed:
        parts.append(
            f'<a href="{escape(href(point.form_id))}" class="point">'
            f"<title>{escape(describe(point))}</title>"
            f'<circle class="hit" cx="{_f(x)}" cy="{_f(y)}" r="12"/>'
            f'<circle class="dot lv-{point.value}" cx="{_f(x)}" cy="{_f(y)}" r="6"/></a>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))  # noqa: S704  # every piece above is escaped
