"""Audio levels: 50 ms RMS windows (silences, loudness timeline) and EBU R128 loudness via FFmpeg.

A window's level is that of its loudest channel, the LFE (subwoofer) channel left out: a 5.1 track
with sound on its front channels and an empty LFE is not silent, and averaging all six channels
would pull birdsong on two of them under the silence threshold.
"""

from __future__ import annotations

import math
from typing import Any

import av
import numpy as np

from reelq.analysis.video.timelines import Layout, Timeline

WINDOW_SECONDS = 0.05
SILENCE_DBFS = -50.0  # room tone and distant ambience stay above it; a pause in a phone recording is below
SILENCE_MIN_SECONDS = 0.5
FLOOR_DBFS = -100.0


def _dbfs(power: float) -> float:
    return max(FLOOR_DBFS, 10.0 * math.log10(power)) if power > 0 else FLOOR_DBFS


class AudioMeter:
    """Fed decoded audio frames of one stream, in order."""

    def __init__(self, stream: av.audio.stream.AudioStream) -> None:
        self.rate = int(stream.codec_context.sample_rate) or 48000
        self._window = max(1, round(self.rate * WINDOW_SECONDS))
        self._resampler = av.AudioResampler(format="fltp", layout=None, rate=None)
        self._carry = np.zeros((1, 0), dtype=np.float64)  # (channels, samples) not yet in a window
        self._judged: tuple[str, list[int]] = ("", [])  # layout name -> indices of the channels judged
        self._origin: float | None = None  # time of the first sample
        self._samples_done = 0  # samples already folded into windows
        self.window_powers: list[float] = []
        self.power_timeline = Timeline()
        self.peak = 0.0
        self._loudness: _LoudnessGraph | None
        try:
            self._loudness = _LoudnessGraph(stream)
        except (av.FFmpegError, ValueError):  # e.g. a track without a known channel layout
            self._loudness = None

    def feed(self, frame: av.AudioFrame) -> None:
        if self._origin is None:
            self._origin = float(frame.time) if frame.time is not None else 0.0
        if self._loudness is not None:
            self._loudness.push(frame)
        for out in self._resampler.resample(frame):
            planes = out.to_ndarray().astype(np.float64)
            if planes.size:
                self.peak = max(self.peak, float(np.abs(planes).max()))
                planes = planes.reshape(len(out.layout.channels), -1)
                self._add_power(planes[self._channels(out.layout)] ** 2)

    def _channels(self, layout: av.AudioLayout) -> list[int]:
        """Indices of the channels whose level counts: all but LFE (all, if that is all there is)."""
        if layout.name != self._judged[0]:
            names = [channel.name for channel in layout.channels]
            kept = [i for i, name in enumerate(names) if not name.startswith("LFE")]
            self._judged = (layout.name, kept or list(range(len(names))))
        return self._judged[1]

    def _add_power(self, power: np.ndarray) -> None:
        """``power``: (channels, samples) squared samples; windows take the loudest channel's mean."""
        if self._carry.shape[1] and self._carry.shape[0] == power.shape[0]:
            data = np.concatenate([self._carry, power], axis=1)
        else:  # the first samples, or the channel layout changed mid-stream
            data = power
        whole = data.shape[1] // self._window
        if whole:
            per_channel = data[:, : whole * self._window].reshape(len(data), whole, self._window).mean(axis=2)
            means = per_channel.max(axis=0)
            origin = self._origin or 0.0
            for i, p in enumerate(means.tolist()):
                start = origin + (self._samples_done + i * self._window) / self.rate
                self.window_powers.append(p)
                self.power_timeline.add(start, p)
            self._samples_done += whole * self._window
        self._carry = data[:, whole * self._window :]

    def silent_segments(self) -> list[tuple[float, float]]:
        origin = self._origin or 0.0
        segments: list[tuple[float, float]] = []
        run_start: int | None = None
        for i, p in enumerate([*self.window_powers, 1.0]):  # a loud sentinel closes a trailing run
            if _dbfs(p) < SILENCE_DBFS:
                if run_start is None:
                    run_start = i
            elif run_start is not None:
                start = origin + run_start * WINDOW_SECONDS
                end = origin + i * WINDOW_SECONDS
                if end - start >= SILENCE_MIN_SECONDS - 1e-9:
                    segments.append((round(start, 3), round(end, 3)))
                run_start = None
        return segments

    def loudness_timeline(self, layout: Layout) -> list[float | None]:
        return [
            None if p is None else round(_dbfs(p), 1) for p in self.power_timeline.values(layout, digits=12)
        ]

    def summary(self) -> dict[str, Any]:
        integrated, lra = self._loudness.finish() if self._loudness is not None else (None, None)
        return {
            "integrated_lufs": integrated,
            "loudness_range_lu": lra,
            "peak_dbfs": round(_dbfs(self.peak * self.peak), 1) if self.window_powers else None,
        }


class _LoudnessGraph:
    """abuffer -> ebur128 -> abuffersink; the integrated value is read from the last frame's metadata."""

    def __init__(self, stream: av.audio.stream.AudioStream) -> None:
        self._graph = av.filter.Graph()
        self._src = self._graph.add_abuffer(template=stream)
        meter = self._graph.add("ebur128", "metadata=1")
        self._sink = self._graph.add("abuffersink")
        self._src.link_to(meter)
        meter.link_to(self._sink)
        self._graph.configure()
        self._last: dict[str, str] = {}
        self._broken = False

    def push(self, frame: av.AudioFrame | None) -> None:
        if self._broken:
            return
        try:
            self._src.push(frame)
            self._drain()
        except (av.FFmpegError, ValueError):
            # a frame whose format changed mid-stream (seen after decode errors) ends the measurement
            self._broken = True

    def _drain(self) -> None:
        while True:
            try:
                out = self._sink.pull()
            except (av.BlockingIOError, av.EOFError):
                return
            meta = dict(out.metadata)
            if "lavfi.r128.I" in meta:
                self._last = meta

    def finish(self) -> tuple[float | None, float | None]:
        self.push(None)
        integrated = _number(self._last.get("lavfi.r128.I"))
        lra = _number(self._last.get("lavfi.r128.LRA"))
        # ebur128 reports -70 LUFS (its gate) for silence: that is "no measurable loudness"
        if integrated is not None and integrated <= -70.0:
            integrated = None
        return integrated, lra


def _number(text: str | None) -> float | None:
    if text is None:
        return None
    try:
        value = float(text)
    except ValueError:
        return None
    return round(value, 2) if math.isfinite(value) else None
