"""A job as the console shows it: findings in words with their numbers, charts, thumbnails, metadata."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import Any

from markupsafe import Markup

from reelq.jobs.models import Job
from reelq.web.charts import Series, Span, chart
from reelq_client.findings import findings_of

STATUS_WORDS = {
    "queued": "Waiting for a worker",
    "processing": "Being analysed",
    "completed": "Done",
    "failed": "Failed",
    "cancelled": "Cancelled",
}


@dataclass
class Finding:
    """One of the result's findings (``reelq_client.findings``, shared by the analyzer and every client),
    shown as the analyzer wrote it."""

    code: str
    level: str  # ok | info | warn
    text: str


@dataclass
class Picture:
    url: str
    alt: str
    width: int
    height: int


@dataclass
class JobView:
    job: Job
    summary: str | None = None
    poster: Picture | None = None
    scenes: list[Picture] = field(default_factory=list)
    charts: list[tuple[str, Markup]] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    facts: list[tuple[str, str]] = field(default_factory=list)
    has_result: bool = False
    source: str | None = None
    markers: list[Marker] = field(default_factory=list)
    scene_starts: list[float] = field(default_factory=list)


def artifact_url(job_id: str, name: str) -> str:
    return f"/console/jobs/{job_id}/artifacts/{name}"


def source_url(job: Job, storage_kind: str) -> str | None:
    """Where the job page's player gets the original: the console streams it from the data dir only
    (a bucket's originals are not sent through the console)."""
    if storage_kind != "local" or not job.source_path:
        return None
    return f"/console/jobs/{job.id}/source"


@dataclass
class Marker:
    """A moment the player can jump to: a cut, or the start of a still or silent stretch."""

    kind: str  # cut | still | silent
    start: float
    words: str


def _picture(job_id: str, thumb: dict[str, Any] | None, alt: str) -> Picture | None:
    if not isinstance(thumb, dict) or not isinstance(thumb.get("name"), str):
        return None
    return Picture(
        artifact_url(job_id, thumb["name"]), alt, int(thumb.get("width") or 0), int(thumb.get("height") or 0)
    )


def error_words(job: Job) -> str | None:
    if job.error is None or job.status.value != "failed":
        return None
    return job.error.message or f"The analysis failed ({job.error.code})."


@dataclass
class ListEntry:
    """What the job list shows of a job beside its name and status: a poster, the length, the summary."""

    poster: str | None
    duration: str | None
    summary: str | None


def list_entry(job: Job) -> ListEntry:
    r = job.result if isinstance(job.result, dict) else {}
    thumbs = r.get("thumbnails") if isinstance(r.get("thumbnails"), dict) else {}
    poster = _picture(job.id, thumbs.get("poster") if thumbs else None, "")
    meta = r.get("metadata") if isinstance(r.get("metadata"), dict) else {}
    seconds = meta.get("duration") if meta else None
    duration = f"{seconds:.1f} s" if isinstance(seconds, (int, float)) and math.isfinite(seconds) else None
    summary = r.get("summary") if isinstance(r.get("summary"), str) else None
    return ListEntry(poster.url if poster else None, duration, summary[:300] if summary else None)


def size_words(n: int) -> str:
    value = float(n)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1000 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1000
    return f"{n} bytes"


def view(job: Job, storage_kind: str = "local") -> JobView:
    out = JobView(job, source=source_url(job, storage_kind))
    r = job.result
    out.has_result = r is not None
    if not isinstance(r, dict):
        return out
    if isinstance(r.get("summary"), str):
        out.summary = r["summary"]
    thumbs: dict[str, Any] = r["thumbnails"] if isinstance(r.get("thumbnails"), dict) else {}
    out.poster = _picture(job.id, thumbs.get("poster"), f"Poster frame of {job.file_name}")
    # a scene is named by its span, not by its thumbnail's time; a result without scenes has its pictures
    scenes = [s for s in r.get("scenes") or [] if isinstance(s, dict)]
    labelled = [
        (
            s.get("thumbnail"),
            f"Scene {i + 1}: {float(s.get('start') or 0):.1f}–{float(s.get('end') or 0):.1f} s",
            float(s.get("start") or 0),
        )
        for i, s in enumerate(scenes)
    ] or [(t, f"Scene {i + 1}", 0.0) for i, t in enumerate(thumbs.get("scenes") or [])]
    for thumb, label, start in labelled:
        pic = _picture(job.id, thumb, label)
        if pic is not None:
            out.scenes.append(pic)
            out.scene_starts.append(start)
    out.markers = _markers(r)
    out.charts = _charts(r)
    out.findings = findings(r)
    out.facts = _facts(r.get("metadata"))
    return out


def _spans(items: Any, label: str) -> list[Span]:
    return [Span(float(s["start"]), float(s["end"]), label) for s in items or [] if isinstance(s, dict)]


def _charts(r: dict[str, Any]) -> list[tuple[str, Markup]]:
    tl = r.get("timelines")
    if not isinstance(tl, dict):
        return []
    start, step = float(tl.get("start") or 0.0), float(tl.get("step") or 0.5)
    cuts = [float(c) for c in r.get("cuts") or []]
    still = _spans(r.get("still_segments"), "still")
    silent = _spans(r.get("silent_segments"), "silent")
    out = []
    specs = [
        ("motion", Series("Motion", "0–255", tl.get("motion") or [], 0.0, 0.0, "motion"), still),
        ("brightness", Series("Brightness", "0–1", tl.get("brightness") or [], 0.0, 1.0, "brightness"), []),
        ("loudness", Series("Loudness", "dBFS", tl.get("loudness") or [], -80.0, 0.0, "loudness"), silent),
    ]
    for key, series, spans in specs:
        if not series.values:
            continue
        if key == "motion":
            top = max((v for v in series.values if v is not None), default=1.0)
            series = Series(series.title, series.unit, series.values, 0.0, max(top, 1.0), series.css)
        svg = chart(series, start=start, step=step, cuts=cuts, spans=spans)
        out.append((f"{series.title} ({series.unit})", svg))
    return out


MAX_MARKERS = 200  # the same bound as a chart's marks


def _markers(r: dict[str, Any]) -> list[Marker]:
    out: list[Marker] = []
    for c in r.get("cuts") or []:
        if isinstance(c, (int, float)) and math.isfinite(c):
            out.append(Marker("cut", float(c), f"Cut at {c:.1f} s"))
    for key, kind in (("still_segments", "still"), ("silent_segments", "silent")):
        for sp in _spans(r.get(key), kind):
            if math.isfinite(sp.start) and math.isfinite(sp.end):
                out.append(Marker(kind, sp.start, f"{kind.capitalize()} {sp.start:.1f}–{sp.end:.1f} s"))
    out.sort(key=lambda m: m.start)
    return out[:MAX_MARKERS]


def findings(r: dict[str, Any]) -> list[Finding]:
    """The result's own findings; the words are the analyzer's, never recomputed here."""
    return [Finding(f["code"], f["level"], f["text"]) for f in findings_of(r)]


def _facts(meta: Any) -> list[tuple[str, str]]:
    if not isinstance(meta, dict):
        return []
    facts: list[tuple[str, str]] = []
    if isinstance(meta.get("duration"), (int, float)):
        facts.append(("Duration", f"{meta['duration']:.1f} s"))
    v = meta.get("video")
    if isinstance(v, dict):
        facts.append(("Picture", f"{v.get('display_width')}×{v.get('display_height')} {v.get('codec')}"))
        fps = v.get("frame_rate") or v.get("declared_frame_rate")
        if isinstance(fps, (int, float)):
            facts.append(
                ("Frame rate", f"{fps:.2f} fps" + (" (variable)" if v.get("variable_frame_rate") else ""))
            )
    a = meta.get("audio")
    if isinstance(a, dict):
        facts.append(("Sound", f"{a.get('codec')} {a.get('channels')} ch {a.get('sample_rate')} Hz"))
    c = meta.get("container")
    if isinstance(c, dict):
        facts.append(("Container", str(c.get("format"))))
    d = meta.get("device")
    if isinstance(d, dict) and (d.get("make") or d.get("model")):
        facts.append(("Device", " ".join(str(x) for x in (d.get("make"), d.get("model")) if x)))
    if meta.get("creation_time"):
        facts.append(("Recorded", str(meta["creation_time"])))
    return facts
