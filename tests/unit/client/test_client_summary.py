"""The human lines the CLI prints for a job or a local result."""

from __future__ import annotations

from typing import Any

from reelq_client.models import Job, JobStatus, artifact_names
from reelq_client.summary import job_lines, quality_flags

RESULT: dict[str, Any] = {
    "metadata": {
        "duration": 12.345,
        "video": {"codec": "h264", "display_width": 1080, "display_height": 1920, "frame_rate": 29.97},
    },
    "integrity": {"status": "damaged", "truncated": True},
    "scenes": [{"thumbnail": {"name": "scene-000.jpg", "url": "/api/jobs/j/artifacts/scene-000.jpg"}}],
    "cuts": [{"time": 3.0}, {"time": 7.5}],
    "quality": {
        "sharpness": {"blurry": True},
        "exposure": {"too_dark": False, "clipped_highlights": True},
        "shake": None,
    },
    "thumbnails": {"poster": {"name": "poster.jpg", "url": "/api/jobs/j/artifacts/poster.jpg"}},
}


def job(**fields: Any) -> dict[str, Any]:
    base = {
        "job_id": "j1",
        "status": "completed",
        "analyzer": "video",
        "progress": 1.0,
        "attempts": 1,
        "created_at": "2026-01-01T00:00:00Z",
        "started_at": None,
        "finished_at": None,
        "file": {"name": "swing.mov", "size": 9, "sha256": "x", "content_type": "video/quicktime"},
        "metadata": {},
        "result": RESULT,
        "error": None,
        "a_future_field": 1,
    }
    return {**base, **fields}


def test_completed_job_summary() -> None:
    text = "\n".join(job_lines(job()))
    assert "swing.mov  completed  job j1" in text
    assert "12.3 s · 1080x1920 · 29.97 fps · h264" in text
    assert "cuts       2 (1 scene)" in text
    assert "blurry, clipped_highlights, integrity damaged, truncated" in text
    assert "scene-000.jpg, poster.jpg" in text


def test_a_video_result_prints_the_analyzers_summary_and_findings() -> None:
    findings = [
        {"code": "compression.heavy", "level": "warn", "text": "Heavily compressed: 0.012 bits per pixel."},
        {"code": "shake.steady", "level": "ok", "text": "Steady camera: jitter 0.10 % of the frame."},
    ]
    result = {**RESULT, "analyzer": {"name": "video"}, "summary": "4.0 s · 1 scene", "findings": findings}
    lines = job_lines(job(result=result))
    assert lines[1:4] == [
        "  summary    4.0 s · 1 scene",
        "  warn       Heavily compressed: 0.012 bits per pixel.",
        "  ok         Steady camera: jitter 0.10 % of the frame.",
    ]
    assert not any(line.startswith(("  cuts", "  quality", "  video")) for line in lines)


def test_failed_and_running_jobs() -> None:
    failed = job(
        status="failed",
        result=None,
        error={"code": "unreadable_media", "message": "Bad.", "retryable": False},
    )
    assert job_lines(failed)[1] == "  error      unreadable_media: Bad."
    running = job(status="processing", progress=0.42, result=None)
    assert "42% (reelq watch j1)" in job_lines(running)[1]


def test_flags_and_artifacts() -> None:
    assert quality_flags({"quality": {}, "integrity": {"status": "ok"}}) == []
    assert artifact_names(RESULT) == ["scene-000.jpg", "poster.jpg"]
    assert artifact_names({"name": "x", "url": "https://elsewhere/x"}) == []


def test_job_model_keeps_what_the_server_sent() -> None:
    model = Job.from_dict(job())
    assert model.status is JobStatus.COMPLETED and model.terminal
    assert model.file.name == "swing.mov" and model.created_at is not None and model.created_at.year == 2026
    assert model.to_dict()["a_future_field"] == 1
    assert not Job.from_dict(job(status="queued")).terminal
