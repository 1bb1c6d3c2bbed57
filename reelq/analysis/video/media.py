"""Opening an upload safely and describing its streams (container, codecs, rotation, HDR, tags)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from fractions import Fraction
from pathlib import Path
from typing import Any

import av

from reelq.analysis.video.decode import DecodeLog
from reelq.errors import PermanentJobError

NO_VIDEO_FRAMES = (
    "The file has a video track, but the track holds no pictures (the recording may have stopped "
    "before its first frame was saved)."
)
NO_PICTURE = "Not a single picture in this video could be decoded; the file is damaged or incomplete."

# FFmpeg's AVColorTransferCharacteristic values that phones produce.
_TRANSFER_NAMES = {
    1: "bt709",
    4: "gamma22",
    5: "gamma28",
    6: "smpte170m",
    8: "linear",
    13: "srgb",
    14: "bt2020-10",
    15: "bt2020-12",
    16: "smpte2084",
    18: "arib-std-b67",
}
_HDR_TRANSFERS = {16: "pq", 18: "hlg"}
_PRIMARIES_NAMES = {1: "bt709", 5: "bt470bg", 6: "smpte170m", 9: "bt2020", 12: "display-p3"}

# Apple writes com.apple.quicktime.*; Android writes com.android.*; some cameras write plain make/model.
_MAKE_TAGS = ("com.apple.quicktime.make", "com.android.manufacturer", "make", "manufacturer")
_MODEL_TAGS = ("com.apple.quicktime.model", "com.android.model", "model")
_SOFTWARE_TAGS = ("com.apple.quicktime.software", "com.android.version", "software")
# The Apple tag carries the local time zone, so it is preferred over the UTC creation_time.
_CREATION_TAGS = ("com.apple.quicktime.creationdate", "creation_time", "date")
# A recording date before this, or later than the analysis (plus a day of time zones), is a camera
# whose clock was never set or a muxer's placeholder (the Unix epoch, 1904 for QuickTime): not a fact.
EARLIEST_RECORDING = datetime(1990, 1, 1, tzinfo=UTC)
FUTURE_MARGIN = timedelta(days=1)
_YEAR_ONLY = re.compile(r"^(\d{4})(?:-(\d{2}))?$")


def open_media(path: Path) -> av.container.InputContainer:
    """Open ``path`` for reading, turning every way it can fail into an ``unreadable_media`` error."""
    try:
        size = path.stat().st_size
    except OSError as exc:
        raise PermanentJobError(
            "unreadable_media", f"The uploaded file could not be read ({exc.strerror})."
        ) from exc
    if size == 0:
        raise PermanentJobError("unreadable_media", "The uploaded file is empty.")
    try:
        return av.open(str(path), mode="r", metadata_errors="ignore")
    except MemoryError:  # the server's memory limit, not a fault of the file
        raise
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as exc:
        raise PermanentJobError(
            "unreadable_media",
            "The file is not a video we can read: it may be incomplete (for example an upload cut off "
            "before the end of a recording whose index is stored last) or not a video at all.",
        ) from exc


def pick_streams(
    container: av.container.InputContainer,
) -> tuple[av.video.stream.VideoStream, av.audio.stream.AudioStream | None]:
    """The main video stream (cover-art pictures are skipped) and the first audio stream, if any."""
    videos = [s for s in container.streams.video if not _is_attached_picture(s)]
    if not videos:
        raise PermanentJobError(
            "no_video_stream", "The file contains no video track, so there is nothing to analyse."
        )
    audios = list(container.streams.audio)
    return videos[0], audios[0] if audios else None


def no_picture(log: DecodeLog, video: av.video.stream.VideoStream) -> PermanentJobError:
    """The error for a pass that decoded no picture: an empty track, or a damaged file."""
    if log.empty_video_track(int(video.frames or 0)):
        return PermanentJobError("no_video_frames", NO_VIDEO_FRAMES)
    return PermanentJobError("unreadable_media", NO_PICTURE)


def _is_attached_picture(stream: Any) -> bool:
    disposition = getattr(stream, "disposition", None)
    try:
        return bool(disposition is not None and disposition & av.stream.Disposition.attached_pic)
    except (AttributeError, TypeError):
        return False


def _first_tag(tags: dict[str, str], keys: tuple[str, ...]) -> str | None:
    lowered = {k.lower(): v for k, v in tags.items()}
    for key in keys:
        value = lowered.get(key)
        if value and value.strip():
            return value.strip()
    return None


def plausible_date(text: str, now: datetime | None = None) -> bool:
    """True when ``text`` is a date that can be a real recording time: from 1990 up to now.

    ISO 8601 dates and times (with ``Z``, an offset or none), or a bare year (``2019``, ``2019-05``).
    Anything unreadable is not a fact either.
    """
    now = now or datetime.now(UTC)
    year_only = _YEAR_ONLY.match(text.strip())
    if year_only:
        year, month = int(year_only.group(1)), int(year_only.group(2) or 1)
        if not 1 <= month <= 12:
            return False
        return EARLIEST_RECORDING.year <= year and (year, month) <= (now.year, now.month)
    try:
        when = datetime.fromisoformat(text.strip())
    except ValueError:
        return False
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return EARLIEST_RECORDING <= when <= now + FUTURE_MARGIN


def recording_time(tags: dict[str, str], now: datetime | None = None) -> str | None:
    """The first creation tag that holds a plausible date, as written in the file."""
    lowered = {k.lower(): v for k, v in tags.items()}
    for key in _CREATION_TAGS:
        value = (lowered.get(key) or "").strip()
        if value and plausible_date(value, now):
            return value
    return None


def _seconds(value: int | None, time_base: Fraction | None) -> float | None:
    if value is None or time_base is None:
        return None
    return float(value * time_base)


def declared_video_duration(
    container: av.container.InputContainer, video: av.video.stream.VideoStream
) -> float | None:
    """How long the file says its video is: the stream's own duration, else the container's."""
    stream_seconds = _seconds(video.duration, video.time_base)
    if stream_seconds is not None and stream_seconds > 0:
        return stream_seconds
    if container.duration is not None and container.duration > 0:
        return float(container.duration) / 1_000_000
    return None


def bit_depth(pix_fmt: str | None) -> int | None:
    if not pix_fmt:
        return None
    try:
        return int(av.VideoFormat(pix_fmt).components[0].bits)
    except (ValueError, IndexError):
        return None


@dataclass(frozen=True)
class FirstFrame:
    """What only a decoded frame tells (kept instead of the frame, which can weigh 12 MB at 4K)."""

    rotation: int
    color_trc: int
    color_primaries: int

    @classmethod
    def of(cls, frame: av.VideoFrame) -> FirstFrame:
        return cls(normalize_rotation(frame.rotation), int(frame.color_trc), int(frame.color_primaries))


_UNSPECIFIED = 2  # AVCOL_TRC_UNSPECIFIED / AVCOL_PRI_UNSPECIFIED


def describe(
    path: Path,
    container: av.container.InputContainer,
    video: av.video.stream.VideoStream,
    audio: av.audio.stream.AudioStream | None,
    first: FirstFrame,
) -> dict[str, Any]:
    """Static metadata; the caller adds what only decoding can tell (measured frame rate, VFR)."""
    tags = {**dict(video.metadata), **dict(container.metadata)}
    cc = video.codec_context
    rotation = first.rotation
    width, height = int(cc.width), int(cc.height)
    display_w, display_h = (height, width) if rotation % 180 else (width, height)
    # the frame knows when only the bitstream (not the container) carries the colour description
    trc = first.color_trc if first.color_trc != _UNSPECIFIED else int(cc.color_trc)
    primaries = first.color_primaries if first.color_primaries != _UNSPECIFIED else int(cc.color_primaries)
    declared_rate = video.average_rate or video.guessed_rate
    make, model = _first_tag(tags, _MAKE_TAGS), _first_tag(tags, _MODEL_TAGS)
    software = _first_tag(tags, _SOFTWARE_TAGS)
    audio_meta: dict[str, Any] | None = None
    if audio is not None:
        acc = audio.codec_context
        audio_meta = {
            "codec": acc.name,
            "channels": int(acc.channels),
            "layout": acc.layout.name if acc.layout is not None else None,
            "sample_rate": int(acc.sample_rate),
            "bit_rate": int(acc.bit_rate) if acc.bit_rate else None,
        }
    container_seconds = float(container.duration) / 1_000_000 if container.duration else None
    return {
        "container": {
            "format": container.format.name,
            "brand": tags.get("major_brand"),
            "size_bytes": path.stat().st_size,
            "bit_rate": int(container.bit_rate) if container.bit_rate else None,
        },
        "duration": _rounded(container_seconds),
        "video": {
            "codec": cc.name,
            "profile": video.profile,
            "pix_fmt": cc.pix_fmt,
            "bit_depth": bit_depth(cc.pix_fmt),
            "color_transfer": _TRANSFER_NAMES.get(trc),
            "color_primaries": _PRIMARIES_NAMES.get(primaries),
            "hdr": _HDR_TRANSFERS.get(trc),
            "coded_width": width,
            "coded_height": height,
            "rotation": rotation,
            "display_width": display_w,
            "display_height": display_h,
            "declared_frame_rate": round(float(declared_rate), 3) if declared_rate else None,
            "frames_declared": int(video.frames) if video.frames else None,
            "duration": _rounded(declared_video_duration(container, video)),
            "bit_rate": int(cc.bit_rate) if cc.bit_rate else None,
        },
        "audio": audio_meta,
        "creation_time": recording_time(tags),
        "device": {"make": make, "model": model, "software": software} if (make or model) else None,
    }


def _rounded(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds, 3)


def normalize_rotation(degrees: float | int) -> int:
    """Snap the display-matrix angle to a right angle in (-180, 180]; e.g. 270 -> -90, -180 -> 180."""
    quarter = round(float(degrees) / 90.0) % 4
    return {0: 0, 1: 90, 2: 180, 3: -90}[quarter]
