"""Charts as inline SVG: horizontal bars and lines over time, with no library and no network.

The report is one self-contained HTML file, so it opens anywhere, offline, and can be mailed.
Every text that reaches the SVG is escaped.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from html import escape

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1",
           "#ff9da7", "#9c755f", "#bab0ac"]
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def bar_chart(bars: Sequence[tuple[str, float]], *, width: int = 560, label_width: int = 170,
              max_value: float | None = None, value_text: Callable[[float], str] = _number,
              marker: tuple[float, str] | None = None) -> str:
    """Horizontal bars, one per (label, value), in the order given. `marker` draws a vertical
    line at a value, with its caption (a threshold such as a quality gate)."""
    bar_height, gap, top = 20, 6, 18 if marker else 4
    height = top + len(bars) * (bar_height + gap) + 4
    scale_max = max_value or max((value for _, value in bars), default=0) or 1
    # Room after the longest bar for its value's text (12 px font: about 7 px a character).
    value_room = 8 + 7 * max((len(value_text(value)) for _, value in bars), default=0)
    room = width - label_width - max(70, value_room)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" {FONT}>']
    for i, (label, value) in enumerate(bars):
        y = top + i * (bar_height + gap)
        length = max(room * value / scale_max, 1)
        parts.append(
            f'<text x="{label_width - 6}" y="{y + 14}" text-anchor="end">{escape(label)}</text>'
            f'<rect x="{label_width}" y="{y}" width="{length:.1f}" height="{bar_height}" '
            f'fill="{PALETTE[0]}"><title>{escape(label)}: {escape(value_text(value))}</title>'
            f'</rect><text x="{label_width + length + 4:.1f}" y="{y + 14}">'
            f'{escape(value_text(value))}</text>')
    if marker:
        x = label_width + room * marker[0] / scale_max
        parts.append(f'<line x1="{x:.1f}" y1="12" x2="{x:.1f}" y2="{height}" stroke="#c00" '
                     f'stroke-dasharray="4 3"/><text x="{x:.1f}" y="10" text-anchor="middle" '
                     f'fill="#c00">{escape(marker[1])}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(series: dict[str, Sequence[tuple[dt.datetime, float]]], *, width: int = 760,
               height: int = 300) -> str:
    """One line per series over a shared time axis, with a legend. Points are (time, value)."""
    left, right, top, bottom = 50, 200, 10, 40
    points = [p for line in series.values() for p in line]
    if not points:
        return "<p>No points to draw.</p>"
    start, end = min(t for t, _ in points), max(t for t, _ in points)
    span = (end - start).total_seconds() or 1
    top_value = max(v for _, v in points) or 1
    plot_w, plot_h = width - left - right, height - top - bottom

    def x_of(t: dt.datetime) -> float:
        return left + plot_w * (t - start).total_seconds() / span

    def y_of(v: float) -> float:
        return top + plot_h * (1 - v / top_value)

    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
             f'role="img" {FONT}>',
             f'<line x1="{left}" y1="{top + plot_h}" x2="{left + plot_w}" y2="{top + plot_h}" '
             f'stroke="#888"/><line x1="{left}" y1="{top}" x2="{left}" y2="{top + plot_h}" '
             f'stroke="#888"/>']
    for fraction in (0, 0.5, 1):
        value = top_value * fraction
        parts.append(f'<text x="{left - 6}" y="{y_of(value) + 4:.1f}" text-anchor="end">'
                     f'{_number(round(value))}</text>')
    for fraction in (0, 0.25, 0.5, 0.75, 1):
        moment = start + dt.timedelta(seconds=span * fraction)
        parts.append(f'<text x="{x_of(moment):.1f}" y="{top + plot_h + 16}" '
                     f'text-anchor="middle">{moment:%m-%d %H:%M}</text>')
    for i, (name, line) in enumerate(sorted(series.items())):
        color = PALETTE[i % len(PALETTE)]
        path = " ".join(f"{x_of(t):.1f},{y_of(v):.1f}" for t, v in sorted(line))
        parts.append(f'<polyline fill="none" stroke="{color}" stroke-width="2" points="{path}">'
                     f'<title>{escape(name)}</title></polyline>'
                     f'<rect x="{width - right + 12}" y="{top + i * 20}" width="12" height="12" '
                     f'fill="{color}"/><text x="{width - right + 30}" y="{top + i * 20 + 11}">'
                     f'{escape(name)}</text>')
    parts.append("</svg>")
    return "".join(parts)
