"""A small, deterministic corpus of test videos whose truths are known by construction.

Each clip is written with PyAV and comes with the facts an analyzer should recover from it (cut
times, silences, rotation, integrity ...). Nothing is downloaded; the same seed gives the same bytes.
Build everything with ``build_corpus(directory)``; each builder can also be called on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np

WIDTH, HEIGHT, FPS, RATE = 320, 240, 30, 48000
MARKER_RGB = (230, 20, 20)  # drawn across the top of the upright picture in rotated clips

Image = np.ndarray


@dataclass(frozen=True)
class CorpusClip:
    name: str
    path: Path
    truth: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------- pictures and sound


def texture(seed: int, width: int, height: int, tint: tuple[float, float, float] = (1.0, 1.0, 1.0)) -> Image:
    """Non-periodic detail (smoothed noise): periodic patterns make motion estimators alias."""
    rng = np.random.default_rng(seed)
    coarse = rng.integers(0, 256, size=(height // 6 + 2, width // 6 + 2, 3), dtype=np.uint8)
    img = cv2.resize(coarse, (width, height), interpolation=cv2.INTER_CUBIC).astype(np.float32)
    img = 0.55 * img + 0.45 * cv2.GaussianBlur(
        rng.integers(0, 256, (height, width, 3)).astype(np.float32), (3, 3), 0
    )
    img *= np.array(tint, dtype=np.float32)
    return np.clip(img, 0, 255).astype(np.uint8)


def _with_subject(
    img: Image, x: int, y: int, size: int = 40, rgb: tuple[int, int, int] = (250, 250, 250)
) -> Image:
    out = img.copy()
    out[max(0, y) : max(0, y + size), max(0, x) : max(0, x + size)] = rgb
    return out


def _noisy(img: Image, rng: np.random.Generator, sigma: float) -> Image:
    if sigma <= 0:
        return img
    noise = rng.normal(0.0, sigma, img.shape).astype(np.float32)
    return np.asarray(np.clip(img.astype(np.float32) + noise, 0, 255), dtype=np.uint8)


def tone(seconds: float, *, freq: float = 440.0, amplitude: float = 0.3, rate: int = RATE) -> np.ndarray:
    t = np.arange(round(seconds * rate)) / rate
    return (amplitude * np.sin(2 * np.pi * freq * t)).astype(np.float32)


# --------------------------------------------------------------------------- the writer


def encode(
    path: Path,
    frames: Sequence[Image] | Callable[[int], Image],
    *,
    count: int | None = None,
    fps: int = FPS,
    times: Sequence[float] | None = None,
    codec: str = "libx264",
    rotation: int = 0,
    audio: np.ndarray | None = None,
    tags: dict[str, str] | None = None,
    faststart: bool = False,
) -> Path:
    """Write upright RGB ``frames`` (a list, or a function of the frame index with ``count``).

    ``rotation`` stores each picture turned so that a player applying the display matrix shows it
    upright (display = rot90(coded, rotation/90)). ``times`` gives explicit timestamps (variable
    frame rate); otherwise frame i is at i/fps.
    """
    get = frames if callable(frames) else frames.__getitem__
    n = count if count is not None else len(frames)  # type: ignore[arg-type]
    fmt = "mov" if path.suffix == ".mov" else "mp4"
    flags = ["+use_metadata_tags"] if tags else []
    if faststart:
        flags.append("+faststart")
    options = {"movflags": "".join(flags)} if flags else {}
    first = get(0)
    coded_h, coded_w = np.rot90(first, k=-rotation // 90).shape[:2]
    with av.open(str(path), mode="w", format=fmt, options=options) as out:
        for key, value in (tags or {}).items():
            out.metadata[key] = value
        vs = out.add_stream(codec, rate=fps)
        assert isinstance(vs, av.video.stream.VideoStream)
        vs.width, vs.height, vs.pix_fmt = coded_w, coded_h, "yuv420p"
        if codec == "libx264":
            vs.options = {"preset": "ultrafast", "g": str(fps), "threads": "1"}
        else:
            vs.codec_tag = "hvc1"  # what iPhones write; QuickTime needs it
            vs.options = {"preset": "ultrafast", "x265-params": f"keyint={fps}:log-level=error:pools=1"}
        time_base = Fraction(1, 1000) if times is not None else Fraction(1, fps)
        vs.time_base = time_base
        if rotation:
            vs.set_display_rotation(rotation)
        aus = None
        if audio is not None:
            aus = out.add_stream("aac", rate=RATE)
            aus.layout = "mono"
        for i in range(n):
            coded = np.ascontiguousarray(np.rot90(get(i), k=-rotation // 90))
            frame = av.VideoFrame.from_ndarray(coded, format="rgb24")
            frame.pts = round(times[i] * 1000) if times is not None else i
            frame.time_base = time_base
            for packet in vs.encode(frame):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if aus is not None and audio is not None:
            for start in range(0, len(audio), 1024):
                chunk = audio[start : start + 1024].reshape(1, -1)
                aframe = av.AudioFrame.from_ndarray(np.ascontiguousarray(chunk), format="fltp", layout="mono")
                aframe.sample_rate, aframe.pts, aframe.time_base = RATE, start, Fraction(1, RATE)
                for packet in aus.encode(aframe):
                    out.mux(packet)
            for packet in aus.encode():
                out.mux(packet)
    return path


# --------------------------------------------------------------------------- clips with known truths


def basic(directory: Path, *, name: str = "basic.mp4", faststart: bool = False) -> CorpusClip:
    """6 s, three scenes cut at 2.0 and 4.0 s (the second cut keeps the brightness and changes the
    hue), the subject stands still from 3.0 to 4.0 s, digital silence from 1.0 to 2.0 s."""
    rng = np.random.default_rng(1)
    scenes = [
        texture(11, WIDTH, HEIGHT, (1.0, 0.55, 0.25)),  # orange
        texture(12, WIDTH, HEIGHT, (0.5, 0.5, 1.0)),  # blue
        texture(13, WIDTH, HEIGHT, (0.3, 0.75, 0.3)),  # green, about as bright as the blue one
    ]

    def frame(i: int) -> Image:
        t = i / FPS
        scene = min(2, int(t // 2))
        if scene == 1:
            moving = min(t, 3.0) - 2.0  # the subject stops at 3.0 s
            x = int(20 + 180 * moving)
        else:
            x = int(20 + 120 * (t - 2 * scene))
        return _noisy(_with_subject(scenes[scene], x, 100), rng, 1.5)

    sound = tone(6.0)
    sound[RATE * 1 : RATE * 2] = 0.0
    tags = {
        "creation_time": "2024-05-01T12:34:56.000000Z",
        "com.apple.quicktime.make": "Apple",
        "com.apple.quicktime.model": "iPhone 15 Pro",
    }
    path = encode(directory / name, frame, count=6 * FPS, audio=sound, tags=tags, faststart=faststart)
    truth = {
        "duration": 6.0,
        "cuts": [2.0, 4.0],
        "still": [(3.0, 4.0)],
        "silent": [(1.0, 2.0)],
        "make": "Apple",
        "model": "iPhone 15 Pro",
        "creation_time": "2024-05-01T12:34:56.000000Z",
    }
    return CorpusClip(name, path, truth)


def rotated(directory: Path, *, rotation: int, codec: str) -> CorpusClip:
    """An upright picture with a red band across its top, stored turned by a display matrix."""
    portrait = rotation % 180 != 0
    width, height = (HEIGHT, WIDTH) if portrait else (WIDTH, HEIGHT)
    upright = texture(21, width, height, (0.4, 0.6, 1.0))
    upright[: height // 6] = MARKER_RGB

    def frame(i: int) -> Image:
        return _with_subject(upright, 20 + 5 * i, height // 2, size=40)

    suffix = ".mov" if codec == "libx265" else ".mp4"
    label = "portrait" if portrait else "upside_down"
    name = f"{label}_{'hevc' if codec == 'libx265' else 'h264'}{suffix}"
    tags = {"com.apple.quicktime.make": "Apple", "com.apple.quicktime.model": "iPhone 13"}
    path = encode(directory / name, frame, count=FPS, codec=codec, rotation=rotation, tags=tags)
    truth = {
        "rotation": rotation,
        "display": (width, height),
        "coded": (height, width) if portrait else (width, height),
    }
    return CorpusClip(name, path, truth)


def hdr_hlg(directory: Path) -> CorpusClip:
    """HEVC Main 10 tagged BT.2020 / HLG, the way iPhones record HDR."""
    path = directory / "hdr_hlg.mov"
    bg = texture(81, WIDTH, HEIGHT)
    with av.open(str(path), mode="w", format="mov") as out:
        vs = out.add_stream("libx265", rate=FPS)
        assert isinstance(vs, av.video.stream.VideoStream)
        vs.width, vs.height, vs.pix_fmt, vs.codec_tag = WIDTH, HEIGHT, "yuv420p10le", "hvc1"
        params = "colorprim=bt2020:transfer=arib-std-b67:colormatrix=bt2020nc:log-level=error:pools=1"
        vs.options = {"preset": "ultrafast", "x265-params": params}
        for i in range(10):
            frame = av.VideoFrame.from_ndarray(_with_subject(bg, 10 * i, 50), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, FPS)
            for packet in vs.encode(frame.reformat(format="yuv420p10le")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
    return CorpusClip("hdr_hlg.mov", path, {"hdr": "hlg", "bit_depth": 10, "codec": "hevc"})


def variable_rate(directory: Path) -> CorpusClip:
    """30 fps for 1.5 s, then 10 fps; a cut at exactly 2.0 s that index/fps would misplace."""
    times = [i / 30 for i in range(45)] + [1.5 + i * 0.1 for i in range(15)]
    scenes = [texture(31, WIDTH, HEIGHT, (1.0, 0.8, 0.6)), texture(32, WIDTH, HEIGHT, (0.5, 0.9, 0.9))]
    frames = [_with_subject(scenes[0 if t < 2.0 - 1e-9 else 1], int(10 + 60 * t), 80) for t in times]
    path = encode(directory / "vfr.mp4", frames, times=times)
    return CorpusClip("vfr.mp4", path, {"cuts": [2.0], "variable": True, "frames": len(times)})


def no_audio(directory: Path) -> CorpusClip:
    """60 fps, two seconds, no audio track at all."""
    bg = texture(41, WIDTH, HEIGHT)
    path = encode(directory / "noaudio_60fps.mp4", lambda i: _with_subject(bg, 2 * i, 60), count=120, fps=60)
    return CorpusClip("noaudio_60fps.mp4", path, {"fps": 60.0, "frames": 120})


def _subject_clip(
    directory: Path, name: str, transform: Callable[[Image], Image], seed: int = 51
) -> CorpusClip:
    bg = texture(seed, WIDTH, HEIGHT)
    frames = [
        transform(_with_subject(bg, 20 + 4 * i, 90, size=50, rgb=(200, 200, 200))) for i in range(2 * FPS)
    ]
    return CorpusClip(name, encode(directory / name, frames))


def exposure_and_focus(directory: Path) -> dict[str, CorpusClip]:
    """The same content sharp, blurred (Gaussian σ=3), dark (gain 0.15) and overexposed (gain 3)."""

    def gain(g: float) -> Callable[[Image], Image]:
        return lambda img: np.clip(img.astype(np.float32) * g, 0, 255).astype(np.uint8)

    return {
        "sharp": _subject_clip(directory, "sharp.mp4", lambda img: img),
        "blurry": _subject_clip(directory, "blurry.mp4", lambda img: cv2.GaussianBlur(img, (0, 0), 3.0)),
        "dark": _subject_clip(directory, "dark.mp4", gain(0.15)),
        "overexposed": _subject_clip(directory, "overexposed.mp4", gain(3.0)),
    }


def camera(directory: Path, name: str, *, pan: float, jitter: float, subject: bool = False) -> CorpusClip:
    """A simulated camera over a large texture: a steady pan of ``pan`` px/frame plus Gaussian
    ``jitter`` (px, per axis, per frame). With ``subject`` a large object crosses a fixed shot."""
    rng = np.random.default_rng(61)
    n = 3 * FPS
    world = texture(62, WIDTH + int(pan * n) + 80, HEIGHT + 80)
    offsets = [(40 + pan * i + rng.normal(0, jitter), 40 + rng.normal(0, jitter)) for i in range(n)]

    def frame(i: int) -> Image:
        ox, oy = offsets[i]
        matrix = np.array([[1, 0, -ox], [0, 1, -oy]], dtype=np.float32)
        view = cv2.warpAffine(world, matrix, (WIDTH, HEIGHT), flags=cv2.INTER_LINEAR)
        if subject:
            view = _with_subject(view, 10 + 4 * i, 60, size=90, rgb=(240, 240, 40))
        return np.asarray(view, dtype=np.uint8)

    path = encode(directory / name, frame, count=n)
    return CorpusClip(name, path, {"pan": pan, "jitter": jitter, "subject": subject})


def audio_only(directory: Path) -> CorpusClip:
    path = directory / "audio_only.m4a"
    with av.open(str(path), mode="w", format="mp4") as out:
        aus = out.add_stream("aac", rate=RATE)
        aus.layout = "mono"
        samples = tone(1.0)
        for start in range(0, len(samples), 1024):
            frame = av.AudioFrame.from_ndarray(
                samples[start : start + 1024].reshape(1, -1), format="fltp", layout="mono"
            )
            frame.sample_rate, frame.pts, frame.time_base = RATE, start, Fraction(1, RATE)
            for packet in aus.encode(frame):
                out.mux(packet)
        for packet in aus.encode():
            out.mux(packet)
    return CorpusClip("audio_only.m4a", path, {"error": "no_video_stream"})


def damaged(directory: Path) -> dict[str, CorpusClip]:
    """Files cut off or overwritten the ways uploads break, plus files that are not video at all."""
    front = basic(directory, name="faststart_source.mp4", faststart=True).path
    back = basic(directory, name="moov_at_end_source.mp4").path
    front_bytes, back_bytes = front.read_bytes(), back.read_bytes()
    clips: dict[str, CorpusClip] = {}

    def put(key: str, name: str, data: bytes, truth: dict[str, Any]) -> None:
        path = directory / name
        path.write_bytes(data)
        clips[key] = CorpusClip(name, path, truth)

    put(
        "truncated_front",
        "trunc_faststart_60.mp4",
        front_bytes[: int(len(front_bytes) * 0.6)],
        {"integrity": "partial", "declared": 6.0},
    )
    put(
        "truncated_end",
        "trunc_moov_end_60.mp4",
        back_bytes[: int(len(back_bytes) * 0.6)],
        {"error": "unreadable_media"},
    )
    rng = np.random.default_rng(71)
    middle = len(front_bytes) // 2
    garbage = rng.integers(0, 256, 4096, dtype=np.uint8).tobytes()
    put(
        "garbled",
        "garbled_middle.mp4",
        front_bytes[:middle] + garbage + front_bytes[middle + 4096 :],
        {"integrity": "corrupt"},
    )
    put("header_only", "header_only.mp4", front_bytes[:2048], {"error": "unreadable_media"})
    put("empty", "empty.mp4", b"", {"error": "unreadable_media"})
    put(
        "text",
        "not_a_video.mp4",
        b"This is a shopping list, not a video.\n" * 50,
        {"error": "unreadable_media"},
    )
    return clips


def long_clip(
    path: Path, *, seconds: float, width: int = 1920, height: int = 1080, fps: int = 30
) -> CorpusClip:
    """A long clip made cheaply (a pan over a texture, a moving box, a scene change every 20 s, a
    tone): for job-path and time-limit tests, where a 5-minute 1080p upload must finish in time."""
    n = round(seconds * fps)
    worlds = [
        texture(90 + k, width + 2 * 20 * fps, height, tint)
        for k, tint in enumerate([(1.0, 0.7, 0.5), (0.5, 0.7, 1.0), (0.6, 1.0, 0.6)])
    ]
    box = height // 6

    def frame(i: int) -> Image:
        scene, within = divmod(i, 20 * fps)
        x = 2 * within
        img = np.array(worlds[scene % len(worlds)][:, x : x + width])
        bx = (7 * i) % (width - box)
        img[height // 3 : height // 3 + box, bx : bx + box] = (240, 240, 240)
        return img

    path = encode(path, frame, count=n, fps=fps, audio=tone(n / fps, amplitude=0.2))
    cuts = [float(t) for t in range(20, int(seconds), 20) if t * fps < n]
    return CorpusClip(path.name, path, {"duration": n / fps, "cuts": cuts})


def build_corpus(directory: Path | str) -> dict[str, CorpusClip]:
    """Write every clip into ``directory`` and return them by key."""
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    clips: dict[str, CorpusClip] = {"basic": basic(directory)}
    for rotation in (-90, 180):
        for codec in ("libx264", "libx265"):
            clip = rotated(directory, rotation=rotation, codec=codec)
            clips[clip.name.split(".")[0]] = clip
    clips["vfr"] = variable_rate(directory)
    clips["hdr"] = hdr_hlg(directory)
    clips["no_audio"] = no_audio(directory)
    clips.update(exposure_and_focus(directory))
    clips["steady_pan"] = camera(directory, "steady_pan.mp4", pan=2.0, jitter=0.0)
    clips["shaky"] = camera(directory, "shaky.mp4", pan=2.0, jitter=4.0)
    clips["tripod_subject"] = camera(directory, "tripod_subject.mp4", pan=0.0, jitter=0.0, subject=True)
    clips["audio_only"] = audio_only(directory)
    clips.update(damaged(directory))
    return clips
