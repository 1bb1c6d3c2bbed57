"""One line a person reads first: "6.0 s · 1920×1080 · 3 scenes · steady · sharp · −14 LUFS".

Built from the result's own fields, so it never says more than the result does.
"""

from __future__ import annotations

from typing import Any

SEPARATOR = " · "
_SHAKE_WORDS = {"steady": "steady", "moderate": "slightly shaky", "shaky": "shaky"}
_INTEGRITY_WORDS = {"corrupt": "damaged", "partial": "incomplete"}


def duration_text(seconds: float) -> str:
    """6.0 s, 59.9 s, 2 min 5 s, 1 h 2 min."""
    if seconds < 59.95:
        return f"{seconds:.1f} s"
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours} h {minutes} min" if hours else f"{minutes} min {secs} s"


def summary(result: dict[str, Any]) -> str:
    """The clip in one line: length, picture size, scenes, shake, sharpness, loudness, damage."""
    video = result["metadata"]["video"]
    quality = result["quality"]
    integrity = result["integrity"]
    parts = [
        duration_text(integrity["decoded_duration"] or 0.0),
        f"{video['display_width']}×{video['display_height']}",
    ]
    scenes = len(result["scenes"])
    parts.append(f"{scenes} scene" if scenes == 1 else f"{scenes} scenes")
    if quality["shake"] is not None:
        parts.append(_SHAKE_WORDS[quality["shake"]["level"]])
    if quality["sharpness"] is not None:
        parts.append("blurry" if quality["sharpness"]["blurry"] else "sharp")
    if quality["exposure"]["too_dark"]:
        parts.append("dark")
    loudness = quality["loudness"]
    if loudness is None:
        parts.append("no sound")
    elif loudness["integrated_lufs"] is None:
        parts.append("silent")
    else:
        parts.append(f"{round(loudness['integrated_lufs']):d} LUFS".replace("-", "\u2212"))
    if integrity["status"] in _INTEGRITY_WORDS:
        parts.append(_INTEGRITY_WORDS[integrity["status"]])
    return SEPARATOR.join(parts)
