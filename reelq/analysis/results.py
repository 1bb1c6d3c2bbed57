"""The builtin analyzers' results as types: ``VideoResult`` (``video``) and ``ProbeResult`` (``probe``).

The analyzers build plain dicts (cheap, and what is stored); these models describe those dicts
exactly, for the OpenAPI document and the clients generated from it. A test validates real results
against them with extra and missing keys refused, so they cannot drift apart. Field meanings are in
docs/analysis.md.
"""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, Field


class ContainerInfo(BaseModel):
    format: str = Field(description="FFmpeg demuxer name, e.g. `mov,mp4,m4a,3gp,3g2,mj2`")
    brand: str | None = Field(description="MP4/QuickTime major brand")
    size_bytes: int
    bit_rate: int | None = Field(description="bit/s")


class VideoTrack(BaseModel):
    codec: str
    profile: str | None
    pix_fmt: str | None
    bit_depth: int | None
    color_transfer: str | None
    color_primaries: str | None
    hdr: Literal["hlg", "pq"] | None
    coded_width: int
    coded_height: int
    rotation: int = Field(description="display rotation in degrees: 0, 90, -90 or 180")
    display_width: int = Field(description="width after rotation")
    display_height: int = Field(description="height after rotation")
    declared_frame_rate: float | None
    frames_declared: int | None
    duration: float | None = Field(description="what the video stream declares, s")
    bit_rate: int | None
    frame_rate: float | None = Field(description="measured from every frame's timestamp; null from `probe`")
    variable_frame_rate: bool | None = Field(description="null from `probe`, which does not read every frame")


class AudioTrack(BaseModel):
    codec: str
    channels: int
    layout: str | None
    sample_rate: int
    bit_rate: int | None


class RecordingDevice(BaseModel):
    make: str | None
    model: str | None
    software: str | None


class MediaMetadata(BaseModel):
    """What the file says about itself; the same object from `video` and `probe`."""

    container: ContainerInfo
    duration: float | None = Field(description="what the container declares (longest stream), s")
    video: VideoTrack
    audio: AudioTrack | None = Field(description="first audio track; null without one")
    creation_time: str | None
    device: RecordingDevice | None


class Integrity(BaseModel):
    status: Literal["ok", "partial", "corrupt"]
    frames_decoded: int
    video_decode_errors: int
    audio_decode_errors: int
    error_times: list[float]
    demux_error: str | None
    timestamp_jumps: int = Field(description="frames left out: their timestamp leapt by over an hour")
    jump_times: list[float]
    declared_duration: float | None
    decoded_duration: float | None
    missing_seconds: float
    truncated: bool


class Timelines(BaseModel):
    start: float = Field(description="time where bin 0 begins, s (0 unless the clip starts over an hour in)")
    step: float = Field(description="bin width, s (0.5, wider for clips over an hour)")
    motion: list[float | None]
    brightness: list[float | None]
    loudness: list[float | None] | None = Field(description="dBFS per bin; null without audio")


class Thumbnail(BaseModel):
    name: str
    url: str
    time: float
    width: int
    height: int


class Scene(BaseModel):
    index: int
    start: float
    end: float
    thumbnail: Thumbnail | None


class Span(BaseModel):
    start: float
    end: float


class SharpFrame(BaseModel):
    time: float
    score: float


class Sharpness(BaseModel):
    median: float
    min: float
    max: float
    samples: int
    sharpest: list[SharpFrame]
    level: Literal["blurry", "soft", "sharp"] = Field(
        description="the median's band: blurry < 1.0, soft < 1.5, sharp from 1.5"
    )
    blurry: bool = Field(description='`level == "blurry"`')


class Shake(BaseModel):
    jitter_percent: float
    level: Literal["steady", "moderate", "shaky"]
    samples: int


class Exposure(BaseModel):
    mean_brightness: float | None
    dark_fraction: float | None
    clipped_fraction: float | None
    too_dark: bool
    clipped_highlights: bool


class Loudness(BaseModel):
    integrated_lufs: float | None
    loudness_range_lu: float | None
    peak_dbfs: float | None


class Compression(BaseModel):
    bits_per_pixel: float | None = Field(description="video packets' bits / (frames × coded pixels)")
    blockiness: float | None = Field(
        description="median edge energy on the 8×8 block grid over that inside blocks (1.0: no grid)"
    )
    level: Literal["ok", "compressed", "heavy"]


class Quality(BaseModel):
    sharpness: Sharpness | None
    shake: Shake | None
    exposure: Exposure
    loudness: Loudness | None
    compression: Compression


class Thumbnails(BaseModel):
    poster: Thumbnail | None
    scenes: list[Thumbnail]


class VideoAnalyzer(BaseModel):
    name: Literal["video"]
    version: str


class ProbeAnalyzer(BaseModel):
    name: Literal["probe"]
    version: str


class Finding(BaseModel):
    """One thing a person should know about the clip, in words, with its numbers."""

    code: str = Field(description="stable identifier, `topic.verdict`, e.g. `compression.heavy`")
    level: Literal["ok", "info", "warn"]
    text: str = Field(description="one sentence to show as it is")


class VideoResult(BaseModel):
    """The result of the builtin `video` analyzer (docs/analysis.md)."""

    analyzer: VideoAnalyzer
    summary: str = Field(description='one line for people, e.g. "6.0 s · 1920×1080 · 3 scenes · steady"')
    findings: list[Finding] = Field(description="what to show below the summary, in order")
    metadata: MediaMetadata
    integrity: Integrity
    timelines: Timelines
    scenes: list[Scene]
    cuts: list[float]
    still_segments: list[Span]
    silent_segments: list[Span]
    quality: Quality
    thumbnails: Thumbnails


class ProbeResult(BaseModel):
    """The result of the builtin `probe` analyzer: the file's metadata only."""

    analyzer: ProbeAnalyzer
    metadata: MediaMetadata
