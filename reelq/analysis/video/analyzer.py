"""``analyze(path, ctx)``: the builtin one-pass video analyzer (see docs/analysis.md for the result)."""

from __future__ import annotations

import time as clock
from pathlib import Path
from typing import Any

import av
import cv2
import numpy as np
from av.video.reformatter import Interpolation, VideoReformatter

from reelq.analysis.base import AnalysisContext
from reelq.analysis.video import media
from reelq.analysis.video.audio import AudioMeter
from reelq.analysis.video.compression import CompressionMeter
from reelq.analysis.video.decode import MAX_ERROR_TIMES, DecodeLog, decode_all, verdict
from reelq.analysis.video.motion import MotionMeter
from reelq.analysis.video.quality import (
    SHARPNESS_INTERVAL,
    SHARPNESS_LONG_SIDE,
    Exposure,
    SharpnessLog,
    sample_size,
    sharpness,
)
from reelq.analysis.video.scenes import CutDetector, scene_spans
from reelq.analysis.video.shake import ShakeMeter
from reelq.analysis.video.thumbnails import ThumbnailPicker, candidate_score
from reelq.analysis.video.timelines import MAX_JUMP_SECONDS, Layout, Timeline
from reelq_client.findings import build_findings, summary

NAME = "video"
VERSION = "1.2"
ANALYSIS_LONG_SIDE = 256  # every frame is reduced to this for motion, brightness and cuts
PROGRESS_EVERY = 0.25  # seconds of wall time
VFR_TOLERANCE = 0.1  # an interval more than 10% off the typical one ...
VFR_FRACTION = 0.05  # ... in more than 5% of frames makes the clip variable frame rate


class _Pass:
    """State of one decode pass over a file."""

    def __init__(
        self, ctx: AnalysisContext, width: int, height: int, rotation: int, duration: float | None
    ) -> None:
        self.ctx = ctx
        self.duration = duration
        self.small_size = sample_size(width, height, ANALYSIS_LONG_SIDE)
        self.sharp_size = sample_size(width, height, SHARPNESS_LONG_SIDE)
        self.small = VideoReformatter()
        self.sharp = VideoReformatter()
        self.cuts = CutDetector()
        self.motion = MotionMeter()
        self.exposure = Exposure()
        self.sharpness = SharpnessLog()
        self.shake = ShakeMeter(long_side=max(self.small_size))
        self.compression = CompressionMeter()
        self.coded_size = (width, height)
        self.thumbs = ThumbnailPicker(ctx.artifacts, ctx.job_id, rotation)
        self.motion_timeline = Timeline()
        self.brightness_timeline = Timeline()
        self.times: list[float] = []
        self.jump_times: list[float] = []  # where a frame's timestamp leapt by over MAX_JUMP_SECONDS
        self.jumps = 0
        self._next_sharp: float | None = None
        self._last_progress = clock.monotonic()

    def video_frame(self, frame: av.VideoFrame) -> None:
        t = float(frame.time) if frame.time is not None else (self.times[-1] if self.times else 0.0)
        if self.times and abs(t - self.times[-1]) > MAX_JUMP_SECONDS:
            # not a moment of this recording: a broken timestamp would stretch every timeline to it
            self.jumps += 1
            if len(self.jump_times) < MAX_ERROR_TIMES:
                self.jump_times.append(round(self.times[-1], 3))
            return
        self.times.append(t)
        w, h = self.small_size
        yuv = self.small.reformat(
            frame, width=w, height=h, format="yuv420p", interpolation=Interpolation.FAST_BILINEAR, threads=1
        ).to_ndarray()
        y = yuv[:h]
        chroma = yuv[h:].reshape(2, h // 2, w // 2)
        new_scene = self.cuts.feed(t, y, chroma[0], chroma[1])
        if new_scene:
            self.thumbs.close_scene()
            self.shake.break_track()
        value = self.motion.feed(t, y, new_scene)
        if value is not None:
            self.motion_timeline.add(t, value)
        bright = self.exposure.feed(y)
        self.brightness_timeline.add(t, bright)
        if self.shake.due(t):
            self.shake.feed(t, y)
        if self.compression.due(t):
            self.compression.feed(t, frame)
        if new_scene or self._next_sharp is None or t >= self._next_sharp:
            self._next_sharp = t + SHARPNESS_INTERVAL * 0.95
            sw, sh = self.sharp_size
            gray = self.sharp.reformat(
                frame,
                width=sw,
                height=sh,
                format="gray",
                interpolation=Interpolation.FAST_BILINEAR,
                threads=1,
            ).to_ndarray()
            score = sharpness(gray)
            self.sharpness.add(t, score)
            self.thumbs.offer(frame, t, candidate_score(score, bright))
        self._report(t)

    def _report(self, t: float) -> None:
        now = clock.monotonic()
        if now - self._last_progress >= PROGRESS_EVERY:
            self._last_progress = now
            if self.duration:
                self.ctx.progress(min(0.99, max(0.0, t / self.duration)))


def _frame_rate(times: list[float]) -> tuple[float | None, bool, float | None]:
    """(average fps from timestamps, variable?, typical frame interval)."""
    if len(times) < 2:
        return None, False, None
    stamps = np.unique(np.array(times, dtype=np.float64))
    intervals = np.diff(stamps)
    if not len(intervals):
        return None, False, None
    typical = float(np.median(intervals))
    fps = (len(stamps) - 1) / float(stamps[-1] - stamps[0]) if stamps[-1] > stamps[0] else None
    off = np.abs(intervals - typical) > VFR_TOLERANCE * typical + 1e-4
    variable = bool(len(intervals) >= 5 and off.mean() > VFR_FRACTION)
    return (round(fps, 3) if fps else None), variable, typical


def _spans(pairs: list[tuple[float, float]]) -> list[dict[str, float]]:
    return [{"start": round(a, 3), "end": round(b, 3)} for a, b in pairs]


def analyze(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    """Analyse one video file in a single decode pass; see docs/analysis.md for every field."""
    path = Path(path)
    # the decoder already keeps every core busy; OpenCV's own thread pool would only add contention
    opencv_threads = cv2.getNumThreads()
    cv2.setNumThreads(1)
    try:
        return _analyze(path, ctx)
    finally:
        cv2.setNumThreads(opencv_threads)


def _analyze(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    with media.open_media(path) as container:
        video, audio = media.pick_streams(container)
        declared = media.declared_video_duration(container, video)
        log = DecodeLog()
        frames = decode_all(container, video, audio, log)
        audio_meter = AudioMeter(audio) if audio is not None else None
        state: _Pass | None = None
        first: media.FirstFrame | None = None
        for frame in frames:
            if isinstance(frame, av.AudioFrame):
                if audio_meter is not None:
                    audio_meter.feed(frame)
                continue
            if state is None:
                first = media.FirstFrame.of(frame)
                state = _Pass(ctx, frame.width, frame.height, first.rotation, declared)
            state.video_frame(frame)
        if state is None or first is None:
            raise media.no_picture(log, video)
        metadata = media.describe(path, container, video, audio, first)
    return _result(metadata, state, log, audio_meter, declared, ctx)


def _result(
    metadata: dict[str, Any],
    state: _Pass,
    log: DecodeLog,
    audio_meter: AudioMeter | None,
    declared: float | None,
    ctx: AnalysisContext,
) -> dict[str, Any]:
    fps, variable, interval = _frame_rate(state.times)
    metadata["video"]["frame_rate"] = fps
    metadata["video"]["variable_frame_rate"] = variable
    start = min(state.times)
    end = max(state.times) + (interval or 0.0)
    integrity = verdict(log, end, declared, start, jumps=state.jumps, jump_times=state.jump_times)

    state.thumbs.close_scene()
    cut_times = [round(c.time, 3) for c in state.cuts.cuts]
    scenes = []
    for index, (a, b) in enumerate(scene_spans(cut_times, start, end)):
        thumb = state.thumbs.scene_thumbnails[index] if index < len(state.thumbs.scene_thumbnails) else None
        scenes.append(
            {"index": index, "start": round(max(0.0, a), 3), "end": round(b, 3), "thumbnail": thumb}
        )
    poster = state.thumbs.poster()

    layout = Layout.over(start, end)
    audio_summary = audio_meter.summary() if audio_meter is not None else None
    still = state.motion.finish(end)
    still_seconds = sum(b - a for a, b in still)
    compression = state.compression.summary(
        video_bytes=log.video_bytes,
        frames=len(state.times),
        width=state.coded_size[0],
        height=state.coded_size[1],
        codec=metadata["video"]["codec"],
        still=still_seconds / (end - start) if end > start else 0.0,
    )
    result: dict[str, Any] = {
        "analyzer": {"name": NAME, "version": VERSION},
        "summary": "",
        "findings": [],
        "metadata": metadata,
        "integrity": integrity,
        "timelines": {
            "start": layout.start,
            "step": layout.width,
            "motion": state.motion_timeline.values(layout),
            "brightness": state.brightness_timeline.values(layout),
            "loudness": audio_meter.loudness_timeline(layout) if audio_meter is not None else None,
        },
        "scenes": scenes,
        "cuts": cut_times,
        "still_segments": _spans(still),
        "silent_segments": _spans(audio_meter.silent_segments()) if audio_meter is not None else [],
        "quality": {
            "sharpness": state.sharpness.summary(),
            "shake": state.shake.summary(),
            "exposure": state.exposure.summary(),
            "loudness": audio_summary,
            "compression": compression,
        },
        "thumbnails": {"poster": poster, "scenes": [s["thumbnail"] for s in scenes if s["thumbnail"]]},
    }
    result["summary"] = summary(result)
    result["findings"] = build_findings(result)
    ctx.progress(1.0)
    return result
