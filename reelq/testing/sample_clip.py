"""The clip of the quick start (``reelq dev sample-clip``): short, but with something in it for each
part of the analysis to find, so that a first job shows cuts, timelines and findings.

Three scenes (cuts at 1/3 and 2/3 of its length): a shaky hand-held pan over an orange texture; a blue
shot where a subject moves and then everything stands still; a green shot that pans steadily while a
subject crosses it. The sound is a tone per scene with a silent gap in the last one. Deterministic: the
same length gives the same bytes.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np

from reelq.testing.corpus import FPS, HEIGHT, RATE, WIDTH, encode, texture, tone


def _subject(img: np.ndarray, x: int, y: int, size: int = 44) -> np.ndarray:
    out = img.copy()
    out[max(0, y) : max(0, y + size), max(0, x) : max(0, x + size)] = (245, 245, 235)
    return out


def make_sample_clip(path: Path | str, *, seconds: float = 6.0) -> Path:
    """Write the sample clip (H.264 and AAC in MP4, 320x240, 30 fps) and return its path."""
    path = Path(path)
    n = max(3 * FPS, round(seconds * FPS))
    third = n // 3
    rng = np.random.default_rng(7)
    margin = 40
    shaky = texture(21, WIDTH + 2 * margin + third * 2, HEIGHT + 2 * margin, (1.0, 0.6, 0.3))
    blue = texture(22, WIDTH, HEIGHT, (0.45, 0.55, 1.0))
    green = texture(23, WIDTH + third * 3 + 2 * margin, HEIGHT, (0.35, 0.8, 0.35))
    jitter = [(rng.normal(0, 3.0), rng.normal(0, 3.0)) for _ in range(third)]
    noise = rng.normal(0.0, 1.0, (HEIGHT, WIDTH, 3)).astype(np.float32)  # fixed grain: still stays still

    def view(world: np.ndarray, x: float, y: float) -> np.ndarray:
        matrix = np.array([[1, 0, -x], [0, 1, -y]], dtype=np.float32)
        return np.asarray(cv2.warpAffine(world, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR))

    def frame(i: int) -> np.ndarray:
        if i < third:  # hand-held: a slow pan with shake
            dx, dy = jitter[i]
            img = view(shaky, margin + 2 * i + dx, margin + dy)
        elif i < 2 * third:  # the subject walks for half the scene, then nothing moves
            k = min(i - third, third // 2)
            img = _subject(blue, 20 + int(200 * k / max(1, third // 2)), 110)
        else:  # a steady pan while the subject crosses
            k = i - 2 * third
            img = _subject(view(green, margin + 3 * k, 0), 10 + int(250 * k / max(1, n - 2 * third)), 60)
        return np.asarray(np.clip(img.astype(np.float32) + noise, 0, 255), dtype=np.uint8)

    length = n / FPS
    cut = third / FPS
    sound = np.concatenate(
        [tone(cut, freq=330.0), tone(cut, freq=440.0), tone(length - 2 * cut, freq=550.0)]
    )[: round(length * RATE)]
    gap_start, gap_end = 2 * cut + (length - 2 * cut) * 0.25, 2 * cut + (length - 2 * cut) * 0.75
    sound[round(gap_start * RATE) : round(gap_end * RATE)] = 0.0
    return encode(path, frame, count=n, audio=sound)
