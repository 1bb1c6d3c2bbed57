"""Timeline charts drawn as SVG on the server: no chart library, nothing for the browser to compute.

Each chart is one ``<svg>`` with a polyline per run of known values (a ``null`` bin breaks the line),
shaded bands for still or silent segments and vertical lines at the cuts. Long timelines are reduced to
at most ``MAX_POINTS`` points by averaging neighbouring bins, so a 10-minute clip's page stays small.

A chart spans its own bins (``start + step * len(values)``), never a duration the file declares, and has
at most ``MAX_TICKS`` ticks, ``MAX_MARKS`` cuts and ``MAX_MARKS`` shaded spans: whatever a result says,
a chart is a few kilobytes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence
from dataclasses import dataclass

from markupsafe import Markup, escape

WIDTH = 800.0
HEIGHT = 140.0
PAD_TOP = 8.0
PAD_BOTTOM = 20.0
MAX_POINTS = 400  # about two per pixel of the chart's width
MAX_TICKS = 12
MAX_MARKS = 200  # cuts, and shaded spans, drawn per chart
NICE_STEPS = (1.0, 2.0, 2.5, 5.0)


@dataclass(frozen=True)
class Series:
    title: str  # "Motion"
    unit: str  # "0–255", "dBFS"
    values: Sequence[float | None]
    low: float
    high: float
    css: str  # stroke colour class


@dataclass(frozen=True)
class Span:
    start: float
    end: float
    label: str  # "still", "silent"


def reduce(values: Sequence[float | None], limit: int = MAX_POINTS) -> tuple[list[float | None], int]:
    """Average groups of neighbouring bins so at most ``limit`` remain; returns (values, group size)."""
    group = max(1, -(-len(values) // limit))
    if group == 1:
        return list(values), 1
    out: list[float | None] = []
    for i in range(0, len(values), group):
        known = [v for v in values[i : i + group] if v is not None]
        out.append(sum(known) / len(known) if known else None)
    return out, group


def _fmt(x: float) -> str:
    return f"{x:.1f}"


def chart(
    series: Series,
    *,
    start: float,
    step: float,
    cuts: Sequence[float],
    spans: Sequence[Span],
    axis_unit: str = "s",
) -> Markup:
    values, group = reduce(series.values)
    if not (math.isfinite(start) and math.isfinite(step) and step > 0):
        start, step = 0.0, 0.5
    step *= group
    duration = max(start + step * len(values), start + 1e-6)
    cuts = [c for c in cuts if math.isfinite(c) and start <= c <= duration][:MAX_MARKS]
    spans = [s for s in spans if s.end >= start and s.start <= duration][:MAX_MARKS]
    span_y = max(series.high - series.low, 1e-9)
    inner = HEIGHT - PAD_TOP - PAD_BOTTOM

    def x(t: float) -> float:
        return (t - start) / max(duration - start, 1e-6) * WIDTH

    def y(v: float) -> float:
        v = min(max(v, series.low), series.high)
        return PAD_TOP + inner - (v - series.low) / span_y * inner

    parts: list[str] = []
    for s in spans:
        parts.append(
            f'<rect class="span span-{escape(s.label)}" data-t="{s.start:.3f}" '
            f'x="{_fmt(x(s.start))}" y="{PAD_TOP}" '
            f'width="{_fmt(max(x(s.end) - x(s.start), 1.0))}" height="{_fmt(inner)}">'
            f"<title>{escape(s.label)} {s.start:.1f}–{s.end:.1f} s</title></rect>"
        )
    for c in cuts:
        parts.append(
            f'<line class="cut" data-t="{c:.3f}" x1="{_fmt(x(c))}" x2="{_fmt(x(c))}" '
            f'y1="{PAD_TOP}" y2="{_fmt(PAD_TOP + inner)}">'
            f"<title>cut at {c:.1f} s</title></line>"
        )
    runs: list[list[str]] = [[]]
    x_step = step / max(duration - start, 1e-6) * WIDTH
    low, high, scale = series.low, series.high, inner / span_y
    bottom = PAD_TOP + inner
    for i, v in enumerate(values):
        if v is None:
            if runs[-1]:
                runs.append([])
            continue
        v = low if v < low else high if v > high else v
        runs[-1].append(f"{(i + 0.5) * x_step:.1f},{bottom - (v - low) * scale:.1f}")
    points = 0
    for run in runs:
        if run:
            points += len(run)
            parts.append(f'<polyline class="line {series.css}" points="{" ".join(run)}"/>')
    ticks = _ticks(start, duration)
    # Text lives in the outer <svg>, which has no viewBox (1 unit = 1 px): only the plot inside is
    # stretched to the width, so labels keep their shape and size on a phone and on a wide screen.
    text: list[str] = []
    for t in ticks:
        pct = x(t) / WIDTH * 100
        anchor = "start" if pct < 3 else "end" if pct > 97 else "middle"
        text.append(
            f'<text class="tick" x="{pct:.2f}%" y="{HEIGHT - 5}" text-anchor="{anchor}">'
            f"{_fmt(t)} {escape(axis_unit)}</text>"
        )
    for v, ty in ((series.high, PAD_TOP + 12), (series.low, PAD_TOP + inner - 3)):
        text.append(f'<text class="tick" x="4" y="{_fmt(ty)}">{v:g}</text>')
    label = f"{series.title} ({series.unit}) over {duration - start:.1f} {axis_unit}; {len(cuts)} cuts"
    shown = json.dumps([None if v is None else float(f"{v:.4g}") for v in values], separators=(",", ":"))
    return Markup(
        f'<svg class="chart" width="100%" height="{HEIGHT:.0f}" role="img" tabindex="0" '
        f'data-points="{points}" data-start="{start:g}" data-step="{step:g}" data-end="{duration:g}" '
        f'data-unit="{escape(series.unit)}" data-values="{escape(shown)}" aria-label="{escape(label)}">'
        f"<title>{escape(label)}</title>"
        f'<svg class="plot" width="100%" height="{HEIGHT:.0f}" viewBox="0 0 {WIDTH:.0f} {HEIGHT:.0f}" '
        f'preserveAspectRatio="none">'
        f'<rect class="frame" x="0" y="{PAD_TOP}" width="{WIDTH:.0f}" height="{_fmt(inner)}"/>'
        + "".join(parts)
        + f'<line class="cursor" x1="-10" x2="-10" y1="{PAD_TOP}" y2="{_fmt(PAD_TOP + inner)}"/>'
        + "</svg>"
        + "".join(text)
        + "</svg>"
    )


def nice_step(length: float, most: int = 8) -> float:
    """The smallest step of 1, 2, 2.5 or 5 times a power of ten that cuts ``length`` into at most
    ``most`` parts (no upper cap: a long span gets a long step)."""
    if not (math.isfinite(length) and length > 0):
        return 1.0
    power = 10.0 ** math.floor(math.log10(length / most))
    for m in (*NICE_STEPS, 10.0):
        if length / (m * power) <= most:
            return m * power
    return 10.0 * power


def _ticks(start: float, end: float) -> list[float]:
    step = nice_step(end - start)
    first = math.ceil(start / step) * step
    return [t for t in (first + i * step for i in range(MAX_TICKS)) if t < end]
