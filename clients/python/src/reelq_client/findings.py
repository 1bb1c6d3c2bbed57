"""The words a `video` result is shown with: one summary line and a list of findings.

The analyzer builds both once and stores them in the result (``summary``, ``findings``); the console,
the CLI and the clients show them as they are, so every page says the same thing. A finding is
``{"code", "level", "text"}``: a stable code for programs (``sharpness.soft``), a level (``ok``,
``info`` or ``warn``) and one sentence with its numbers. ``findings_of`` is what a page calls: the
stored findings, or, for a `video` result stored before findings existed, the same findings built from
its fields here. This module imports nothing heavy: the CLI uses it too.
"""

from __future__ import annotations

from typing import Any

SEPARATOR = " · "
LEVELS = ("ok", "info", "warn")

# Sharpness bands (median contrast-normalised detail; docs/analysis.md "Sharpness bands"): a median
# below the first bound is blurry, below the second soft, else sharp.
BLURRY_BELOW = 1.0
SOFT_BELOW = 1.5

_SHAKE = {
    "steady": ("steady", "ok", "Steady camera"),
    "moderate": ("slightly shaky", "warn", "Some camera shake"),
    "shaky": ("shaky", "warn", "Shaky camera"),
}
_INTEGRITY_WORDS = {"corrupt": "damaged", "partial": "incomplete"}
_COMPRESSION_WORDS = {"compressed": "noticeably compressed", "heavy": "heavily compressed"}
QUIET_LUFS = -30.0
LOUD_LUFS = -8.0


def sharpness_level(median: float) -> str:
    """``blurry``, ``soft`` or ``sharp``: the one place the sharpness bands are applied."""
    if median < BLURRY_BELOW:
        return "blurry"
    return "soft" if median < SOFT_BELOW else "sharp"


def duration_text(seconds: float) -> str:
    """6.0 s, 59.9 s, 2 min 5 s, 1 h 2 min."""
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _sharpness(result: dict[str, Any]) -> str | None:
    sharp = _get(result, "quality", "sharpness")
    median = _number(_get(sharp, "median"))
    if median is None:
        return None
    level = _get(sharp, "level")
    return level if level in ("blurry", "soft", "sharp") else sharpness_level(median)


def _lufs_text(lufs: float) -> str:
    return f"{round(lufs):d} LUFS".replace("-", "\u2212")


def summary(result: dict[str, Any]) -> str:
    """The clip in one line: length, size, scenes, shake, sharpness, compression, loudness, damage."""
    video = _dict(_get(result, "metadata", "video"))
    quality = _dict(result.get("quality"))
    integrity = _dict(result.get("integrity"))
    parts = [
        duration_text(_number(integrity.get("decoded_duration")) or 0.0),
        f"{video.get('display_width')}×{video.get('display_height')}",
    ]
    scenes = len(result.get("scenes") or [])
    parts.append(f"{scenes} scene" if scenes == 1 else f"{scenes} scenes")
    shake = _get(quality, "shake", "level")
    if shake in _SHAKE:
        parts.append(_SHAKE[shake][0])
    sharpness = _sharpness(result)
    if sharpness is not None:
        parts.append(sharpness)
    compression = _get(quality, "compression", "level")
    if compression in _COMPRESSION_WORDS:
        parts.append(_COMPRESSION_WORDS[compression])
    if _get(quality, "exposure", "too_dark"):
        parts.append("dark")
    loudness = quality.get("loudness")
    lufs = _number(_get(loudness, "integrated_lufs"))
    if not isinstance(loudness, dict):
        parts.append("no sound")
    elif lufs is None:
        parts.append("silent")
    else:
        parts.append(_lufs_text(lufs))
    if integrity.get("status") in _INTEGRITY_WORDS:
        parts.append(_INTEGRITY_WORDS[integrity["status"]])
    return SEPARATOR.join(parts)


def _finding(code: str, level: str, text: str) -> dict[str, str]:
    return {"code": code, "level": level, "text": text}


def build_findings(result: dict[str, Any]) -> list[dict[str, str]]:
    """What a person should know about the clip, worst first within each topic, with the numbers."""
    out: list[dict[str, str]] = []
    quality = _dict(result.get("quality"))
    integrity = _dict(result.get("integrity"))
    status = integrity.get("status")
    if status == "corrupt":
        errors = int(_number(integrity.get("video_decode_errors")) or 0) + int(
            _number(integrity.get("audio_decode_errors")) or 0
        )
        jumps = int(_number(integrity.get("timestamp_jumps")) or 0)
        what = f"{errors} damaged packet{'s' if errors != 1 else ''}" if errors else "broken timestamps"
        if errors and jumps:
            what += " and broken timestamps"
        out.append(_finding("integrity.corrupt", "warn", f"Damaged file: {what}; the rest was analysed."))
    elif status == "partial":
        missing = _number(integrity.get("missing_seconds")) or 0.0
        out.append(
            _finding(
                "integrity.partial",
                "warn",
                f"Incomplete file: the video stops {missing:.1f} s before the length it declares.",
            )
        )
    compression = quality.get("compression")
    if isinstance(compression, dict) and compression.get("level") in ("ok", "compressed", "heavy"):
        bpp = _number(compression.get("bits_per_pixel"))
        blocks = _number(compression.get("blockiness"))
        numbers = [f"{bpp:.3f} bits per pixel per frame"] if bpp is not None else []
        if blocks is not None:
            numbers.append(f"block edges {blocks:.2f}× the detail inside blocks")
        detail = f": {', '.join(numbers)}." if numbers else "."
        level = compression["level"]
        if level == "heavy":
            out.append(_finding("compression.heavy", "warn", f"Heavily compressed{detail}"))
        elif level == "compressed":
            out.append(_finding("compression.compressed", "warn", f"Noticeably compressed{detail}"))
        else:
            out.append(_finding("compression.ok", "ok", f"Enough bit rate for the picture{detail}"))
    sharpness = _sharpness(result)
    median = _number(_get(quality, "sharpness", "median"))
    if sharpness is not None and median is not None:
        bands = f"blurry below {BLURRY_BELOW:.1f}, soft below {SOFT_BELOW:.1f}, sharp from {SOFT_BELOW:.1f}"
        words = {"blurry": ("Blurry", "warn"), "soft": ("Soft", "warn"), "sharp": ("Sharp", "ok")}
        title, level = words[sharpness]
        out.append(
            _finding(f"sharpness.{sharpness}", level, f"{title}: median detail {median:.2f} ({bands}).")
        )
    shake = quality.get("shake")
    if isinstance(shake, dict) and shake.get("level") in _SHAKE:
        _, level, title = _SHAKE[shake["level"]]
        pct = _number(shake.get("jitter_percent")) or 0.0
        out.append(_finding(f"shake.{shake['level']}", level, f"{title}: jitter {pct:.2f} % of the frame."))
    exposure = quality.get("exposure")
    if isinstance(exposure, dict):
        mean = _number(exposure.get("mean_brightness"))
        mean_words = f"mean brightness {mean:.2f}" if mean is not None else "brightness unknown"
        if exposure.get("too_dark"):
            out.append(_finding("exposure.dark", "warn", f"Too dark: {mean_words} (0 is black, 1 white)."))
        elif exposure.get("clipped_highlights"):
            clipped = (_number(exposure.get("clipped_fraction")) or 0.0) * 100
            out.append(
                _finding(
                    "exposure.clipped", "warn", f"Blown-out highlights: {clipped:.1f} % of pixels near white."
                )
            )
        elif mean is not None:
            out.append(_finding("exposure.ok", "ok", f"Well exposed: {mean_words}."))
    if "loudness" in quality:
        out += _sound(result, quality.get("loudness"))
    return out


def _sound(result: dict[str, Any], loudness: Any) -> list[dict[str, str]]:
    if not isinstance(loudness, dict):
        return [_finding("audio.none", "info", "No audio track.")]
    lufs = _number(loudness.get("integrated_lufs"))
    if lufs is None:
        return [_finding("audio.silent", "warn", "Silent: no sound above the loudness gate.")]
    peak = _number(loudness.get("peak_dbfs"))
    peak_words = f", peak {peak:.1f} dBFS" if peak is not None else ""
    if lufs < QUIET_LUFS:
        code, level, title = "audio.quiet", "warn", "Quiet"
    elif lufs > LOUD_LUFS:
        code, level, title = "audio.loud", "warn", "Very loud"
    else:
        code, level, title = "audio.normal", "ok", "Normal loudness"
    out = [_finding(code, level, f"{title}: {lufs:.1f} LUFS{peak_words}.")]
    silent = [s for s in result.get("silent_segments") or [] if isinstance(s, dict)]
    if silent:
        total = sum((_number(s.get("end")) or 0.0) - (_number(s.get("start")) or 0.0) for s in silent)
        first = silent[0]
        where = f"{_number(first.get('start')) or 0.0:.1f}–{_number(first.get('end')) or 0.0:.1f} s"
        more = f" and {len(silent) - 1} more" if len(silent) > 1 else ""
        out.append(
            _finding(
                "audio.silent_stretches",
                "info",
                f"Silent stretches: {total:.1f} s in all ({where}{more}).",
            )
        )
    return out


def _is_finding(item: Any) -> bool:
    return (
        isinstance(item, dict)
        and all(isinstance(item.get(k), str) for k in ("code", "level", "text"))
        and item["level"] in LEVELS
    )


def findings_of(result: Any) -> list[dict[str, str]]:
    """The findings to show for a result: its own, or, for an older `video` result, built from it.

    Any analyzer may return ``findings`` in this shape and have them shown; malformed entries are
    skipped. A result without findings that is not from `video` has none.
    """
    if not isinstance(result, dict):
        return []
    stored = result.get("findings")
    if isinstance(stored, list):
        return [{k: item[k] for k in ("code", "level", "text")} for item in stored if _is_finding(item)]
    if _get(result, "analyzer", "name") == "video":
        return build_findings(result)
    return []


def summary_of(result: Any) -> str | None:
    """The result's own summary line, if it has one."""
    text = result.get("summary") if isinstance(result, dict) else None
    return text if isinstance(text, str) and text else None
