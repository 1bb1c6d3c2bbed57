"""The ``probe`` analyzer: real container metadata read with PyAV, without decoding the whole file."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

from reelq.analysis.base import AnalysisContext
from reelq.errors import PermanentJobError

NAME = "probe"
VERSION = "1.0"


def _fraction(value: Any) -> float | None:
    return round(float(value), 3) if value else None


def analyze(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, OSError) as exc:
        raise PermanentJobError(
            "unreadable_media", f"The file could not be read as a video ({exc.__class__.__name__})."
        ) from exc
    with container:
        ctx.progress(0.2)
        video = container.streams.video[0] if container.streams.video else None
        if video is None:
            raise PermanentJobError("no_video_stream", "The file has no video track.")
        audio = container.streams.audio[0] if container.streams.audio else None
        duration = container.duration / 1_000_000 if container.duration else None
        if duration is None and video.duration is not None and video.time_base is not None:
            duration = float(video.duration * video.time_base)
        cc = video.codec_context
        result: dict[str, Any] = {
            "analyzer": {"name": NAME, "version": VERSION},
            "container": container.format.name,
            "duration": round(duration, 3) if duration is not None else None,
            "bit_rate": container.bit_rate or None,
            "video": {
                "codec": cc.name,
                "profile": video.profile,
                "width": cc.width,
                "height": cc.height,
                "pix_fmt": cc.format.name if cc.format else None,
                "fps": _fraction(video.average_rate),
                "frames": video.frames or None,
            },
            "audio": None,
            "tags": {k: v for k, v in container.metadata.items() if isinstance(v, str)},
        }
        if audio is not None:
            acc = audio.codec_context
            result["audio"] = {
                "codec": acc.name,
                "channels": acc.channels,
                "sample_rate": acc.sample_rate,
            }
        ctx.progress(1.0)
        return result
