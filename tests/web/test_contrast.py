"""The console's text colours meet WCAG AA contrast (4.5:1) on white and on the page background."""

from __future__ import annotations

import re
from pathlib import Path

import reelq.web

CSS = (Path(reelq.web.__file__).parent / "static" / "console.css").read_text()


def luminance(hex_colour: str) -> float:
    rgb = [int(hex_colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
    lin = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in rgb]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def contrast(a: str, b: str) -> float:
    hi, lo = sorted((luminance(a), luminance(b)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_text_colours_have_enough_contrast() -> None:
    colours = dict(re.findall(r"--([a-z]+): (#[0-9a-f]{6})", CSS))
    for name in ("fg", "muted", "accent", "danger", "ok", "warn"):
        for background in ("#ffffff", colours["bg"]):
            assert contrast(colours[name], background) >= 4.5, (name, background)
    assert contrast("#ffffff", colours["accent"]) >= 4.5  # button text
    assert contrast("#ffffff", "#102a43") >= 4.5  # the header
    # status badges and the error box
    for fg, bg in ((colours["ok"], "#c4eed0"), (colours["danger"], "#fdecea"), (colours["muted"], "#eeeeee")):
        assert contrast(fg, bg) >= 4.5, (fg, bg)
