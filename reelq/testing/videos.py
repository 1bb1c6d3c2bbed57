"""Deterministic small test videos generated with PyAV: nothing is ever downloaded."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import av
import numpy as np

_CONTAINER_FOR_SUFFIX = {".mp4": "mp4", ".mov": "mov", ".mkv": "matroska", ".webm": "webm", ".ts": "mpegts"}


def _frame_image(index: int, width: int, height: int) -> np.ndarray:
    """A moving gradient with a bright bar: deterministic, with real motion for an encoder to code."""
    ys, xs = np.mgrid[0:height, 0:width]
    base = ((xs + ys + index * 4) % 256).astype(np.uint8)
    img = np.stack([base, np.roll(base, index, axis=1), 255 - base], axis=-1)
    bar = (index * 7) % max(1, width - 16)
    img[:, bar : bar + 16, :] = 240
    return img


def make_clip(
    path: Path | str,
    *,
    seconds: float = 2.0,
    width: int = 320,
    height: int = 240,
    fps: int = 30,
    codec: str | None = None,
    audio: bool = True,
    sample_rate: int = 48000,
) -> Path:
    """Write a clip of exactly ``seconds`` (rounded to whole frames) and return its path.

    The container follows the suffix (.mp4, .mov, .mkv, .webm, .ts); the codec defaults to H.264
    (VP9 for WebM). Audio is a 440 Hz tone.
    """
    path = Path(path)
    fmt = _CONTAINER_FOR_SUFFIX.get(path.suffix.lower(), "mp4")
    n_frames = max(1, round(seconds * fps))
    if codec is None:
        codec = "libvpx-vp9" if fmt == "webm" else "h264"
    with av.open(str(path), mode="w", format=fmt) as out:
        vstream = out.add_stream(codec, rate=fps)
        assert isinstance(vstream, av.VideoStream)
        vstream.width = width
        vstream.height = height
        vstream.pix_fmt = "yuv420p"
        if codec in ("h264", "libx264"):
            vstream.options = {"preset": "ultrafast", "g": str(fps)}
        elif codec == "libvpx-vp9":
            vstream.options = {"deadline": "realtime", "cpu-used": "8"}
        astream: av.AudioStream | None = None
        if audio:
            acodec = "libopus" if fmt == "webm" else "aac"
            added = out.add_stream(acodec, rate=sample_rate)
            assert isinstance(added, av.AudioStream)
            astream = added
            astream.layout = "mono"
        for i in range(n_frames):
            frame = av.VideoFrame.from_ndarray(_frame_image(i, width, height), format="rgb24")
            frame.pts = i
            frame.time_base = Fraction(1, fps)
            for packet in vstream.encode(frame):
                out.mux(packet)
        for packet in vstream.encode():
            out.mux(packet)
        if astream is not None:
            total = round(n_frames / fps * sample_rate)
            chunk = 1024
            for start in range(0, total, chunk):
                n = min(chunk, total - start)
                t = (np.arange(start, start + n) / sample_rate).astype(np.float32)
                samples = (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32).reshape(1, -1)
                aframe = av.AudioFrame.from_ndarray(samples, format="fltp", layout="mono")
                aframe.sample_rate = sample_rate
                aframe.pts = start
                aframe.time_base = Fraction(1, sample_rate)
                for packet in astream.encode(aframe):
                    out.mux(packet)
            for packet in astream.encode():
                out.mux(packet)
    return path
