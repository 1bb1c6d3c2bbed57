"""The one decode pass, packet by packet, and the integrity verdict it yields.

A plain ``for frame in container.decode()`` stops at the first bad packet; decoding each packet
under its own ``try`` keeps going, counts the damage and remembers where it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import av

MAX_ERROR_TIMES = 20
PARTIAL_MIN_MISSING = 0.5  # seconds; a few frames short of the declared duration is normal
PARTIAL_MIN_FRACTION = 0.02
# Out of memory (ENOMEM: av.MemoryError is a MemoryError) or no thread stack (EAGAIN) is the server's
# limit, not damage in the file: it ends the analysis instead of being counted as a bad packet.
_RESOURCE_ERRORS = (MemoryError, av.BlockingIOError)


@dataclass
class DecodeLog:
    video_errors: int = 0
    audio_errors: int = 0
    demux_error: str | None = None
    error_times: list[float] = field(default_factory=list)
    video_frames: int = 0
    video_packets: int = 0  # with data: a track can be declared and hold no frame at all
    video_bytes: int = 0  # the video track's compressed size, for its bits per pixel
    other_packets: int = 0
    _last_time: float | None = None

    def error(self, kind: str, time: float | None) -> None:
        if kind == "video":
            self.video_errors += 1
        else:
            self.audio_errors += 1
        where = time if time is not None else self._last_time
        if where is not None and len(self.error_times) < MAX_ERROR_TIMES:
            self.error_times.append(round(where, 3))

    def empty_video_track(self, declared_frames: int) -> bool:
        """The file was read to its end without trouble, its other tracks have data, its video has none.

        (A file cut off after its header also yields no video packet, but it declares frames, or it
        yields no packet at all.)
        """
        return (
            not self.video_packets
            and not declared_frames
            and self.other_packets > 0
            and not (self.video_errors or self.audio_errors or self.demux_error)
        )

    def saw(self, time: float | None) -> None:
        if time is not None:
            self._last_time = time


def decode_all(
    container: av.container.InputContainer,
    video: av.video.stream.VideoStream,
    audio: av.audio.stream.AudioStream | None,
    log: DecodeLog,
) -> Iterator[av.VideoFrame | av.AudioFrame]:
    """Every decodable frame of ``video`` and ``audio`` in file order; damage goes to ``log``."""
    video.thread_type = "AUTO"
    streams: list[Any] = [video] if audio is None else [video, audio]
    packets = container.demux(*streams)
    while True:
        try:
            packet = next(packets)
        except StopIteration:
            break
        except _RESOURCE_ERRORS:
            raise
        except av.FFmpegError as exc:  # the demuxer itself gave up: the rest of the file is lost
            # FFmpeg's sentence only: the exception's text would carry the server's path of the upload
            log.demux_error = exc.strerror or "unreadable container"
            log.error("video", None)
            break
        kind = "video" if packet.stream is video else "audio"
        if packet.size:
            if kind == "video":
                log.video_packets += 1
                log.video_bytes += packet.size
            else:
                log.other_packets += 1
        time = float(packet.pts * packet.time_base) if packet.pts is not None and packet.time_base else None
        log.saw(time)
        try:
            frames = packet.decode()
        except _RESOURCE_ERRORS:
            raise
        except (av.InvalidDataError, av.FFmpegError):
            log.error(kind, time)
            continue
        for frame in frames:
            if kind == "video":
                log.video_frames += 1
            yield frame


def verdict(
    log: DecodeLog,
    decoded_end: float | None,
    declared: float | None,
    first_time: float | None,
    *,
    jumps: int = 0,
    jump_times: list[float] | None = None,
) -> dict[str, Any]:
    """ok / partial / corrupt, with how much is missing and where the errors and timestamp jumps were."""
    start = first_time or 0.0
    missing: float | None = None
    if declared is not None and decoded_end is not None:
        missing = max(0.0, declared - (decoded_end - min(0.0, start)))
    partial = missing is not None and missing > max(
        PARTIAL_MIN_MISSING, PARTIAL_MIN_FRACTION * (declared or 0.0)
    )
    errors = log.video_errors + log.audio_errors
    status = "corrupt" if errors or jumps else "partial" if partial else "ok"
    return {
        "status": status,
        "frames_decoded": log.video_frames,
        "video_decode_errors": log.video_errors,
        "audio_decode_errors": log.audio_errors,
        "error_times": log.error_times,
        "demux_error": log.demux_error,
        "timestamp_jumps": jumps,
        "jump_times": jump_times or [],
        "declared_duration": None if declared is None else round(declared, 3),
        "decoded_duration": None if decoded_end is None else round(decoded_end - min(0.0, start), 3),
        "missing_seconds": round(missing, 3) if partial and missing is not None else 0.0,
        "truncated": partial,
    }
