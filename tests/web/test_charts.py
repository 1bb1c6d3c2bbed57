"""The server-drawn timeline charts and the findings in words."""

from __future__ import annotations

import re

from reelq.web.charts import MAX_POINTS, Series, Span, chart, reduce
from reelq.web.present import findings


def points_of(svg: str) -> list[list[tuple[float, float]]]:
    runs = re.findall(r'<polyline class="line [a-z]+" points="([^"]+)"', svg)
    return [[tuple(map(float, p.split(","))) for p in run.split()] for run in runs]  # type: ignore[misc]


def test_a_chart_draws_every_point_marks_cuts_and_segments_and_breaks_at_nulls() -> None:
    values = [0.1, 0.5, None, 0.9, 0.3]
    svg = str(
        chart(
            Series("Brightness", "0–1", values, 0.0, 1.0, "brightness"),
            start=0.0,
            step=0.5,
            cuts=[1.0],
            spans=[Span(1.5, 2.5, "still")],
        )
    )
    runs = points_of(svg)
    assert [len(r) for r in runs] == [2, 2]  # the null splits the line
    assert 'data-points="4"' in svg
    (x0, y0), (x1, y1) = runs[0]
    assert x0 < x1 and y1 < y0  # later is right, brighter is higher
    assert svg.count('class="cut"') == 1 and 'x1="320.0"' in svg  # 1.0 s of 2.5 s across 800
    assert 'class="span span-still"' in svg and "still 1.5–2.5 s" in svg


def test_a_long_timeline_is_averaged_down() -> None:
    values: list[float | None] = [float(i % 10) for i in range(1200)]
    reduced, group = reduce(values)
    assert group == 3 and len(reduced) == 400 <= MAX_POINTS
    assert reduced[0] == 1.0
    assert reduce([None, None, 1.0, 3.0], limit=2) == ([None, 2.0], 2)


def test_titles_are_escaped() -> None:
    svg = str(chart(Series("<b>", "<i>", [1.0], 0.0, 1.0, "motion"), start=0, step=1, cuts=[], spans=[]))
    assert "<b>" not in svg and "&lt;b&gt;" in svg


def test_findings_are_the_results_own_words() -> None:
    stored = [{"code": "sharpness.soft", "level": "warn", "text": "Soft: median detail 1.20 (…)."}]
    shown = findings({"analyzer": {"name": "video"}, "findings": stored, "quality": {}})
    assert [(f.code, f.level, f.text) for f in shown] == [
        ("sharpness.soft", "warn", "Soft: median detail 1.20 (…).")
    ]
    # a video result stored before findings existed gets them from its fields, in the analyzer's words
    quality = {
        "sharpness": {"median": 0.62, "blurry": True},
        "shake": {"jitter_percent": 1.4, "level": "shaky"},
        "exposure": {"mean_brightness": 0.1, "too_dark": True, "clipped_highlights": False},
        "loudness": {"integrated_lufs": -14.2, "peak_dbfs": -1.0, "loudness_range_lu": 3.0},
    }
    old = findings({"analyzer": {"name": "video", "version": "1.1"}, "quality": quality})
    assert [(f.code, f.level) for f in old] == [
        ("sharpness.blurry", "warn"),
        ("shake.shaky", "warn"),
        ("exposure.dark", "warn"),
        ("audio.normal", "ok"),
    ]
    assert old[-1].text == "Normal loudness: -14.2 LUFS, peak -1.0 dBFS."
    assert findings({"quality": quality}) == []  # not a video result, and no findings of its own


def test_chart_text_is_outside_the_stretched_plot() -> None:
    """Only the plot is stretched to the page's width; labels are in pixels, so they keep their shape."""
    svg = str(
        chart(
            Series("Motion", "0–255", [1.0, 2.0, 3.0, None], 0.0, 4.0, "motion"),
            start=0.0,
            step=0.5,
            cuts=[1.0],
            spans=[],
        )
    )
    outer, _, rest = svg.partition('<svg class="plot"')
    plot, _, after = rest.partition("</svg>")
    assert "preserveAspectRatio" not in outer and "viewBox" not in outer
    assert 'preserveAspectRatio="none"' in plot and "<text" not in plot
    ticks = re.findall(r'<text class="tick" x="([0-9.]+%?)"', after)
    assert ticks[:2] == ["0.00%", "12.50%"]  # time ticks placed in percent of the width
    assert 'data-values="[1.0,2.0,3.0,null]"' in svg and 'data-start="0" data-step="0.5" data-end="2"' in svg
    assert 'class="cut" data-t="1.000"' in plot  # a cut knows its time, for seeking
