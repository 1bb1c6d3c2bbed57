"""A few human lines about a job or a result: what the CLI prints when ``--json`` is not given.

A result's own ``summary`` and ``findings`` are printed as the analyzer wrote them (the console shows
the same ones, from the same ``reelq_client.findings.findings_of``); only a result without a summary
gets a line made here from its metadata.
"""

from __future__ import annotations

from typing import Any

from reelq_client.findings import findings_of, summary_of
from reelq_client.models import artifact_names


def _get(node: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(node, dict):
            return None
        node = node.get(key)
    return node


def quality_flags(result: dict[str, Any]) -> list[str]:
    """Every true boolean under ``quality`` (blurry, too_dark, shaky …) and a damaged ``integrity``."""
    flags: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for key, value in node.items():
                if value is True:
                    flags.append(key)
                else:
                    walk(value)

    walk(result.get("quality"))
    integrity = _get(result, "integrity", "status")
    if isinstance(integrity, str) and integrity != "ok":
        flags.append(f"integrity {integrity}")
    if _get(result, "integrity", "truncated") is True:
        flags.append("truncated")
    return flags


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _metadata_lines(result: dict[str, Any]) -> list[str]:
    video = _get(result, "metadata", "video") or result.get("video") or {}
    duration = _get(result, "metadata", "duration") or result.get("duration")
    width = video.get("display_width") or video.get("width")
    height = video.get("display_height") or video.get("height")
    fps = video.get("frame_rate") or video.get("fps")
    parts = []
    if isinstance(duration, int | float):
        parts.append(f"{duration:.1f} s")
    if width and height:
        parts.append(f"{width}x{height}")
    if fps:
        parts.append(f"{fps:g} fps")
    if video.get("codec"):
        parts.append(str(video["codec"]))
    lines = [f"  video      {' · '.join(parts) or 'n/a'}"]
    if isinstance(result.get("cuts"), list):
        scenes = result.get("scenes")
        extra = f" ({_plural(len(scenes), 'scene')})" if isinstance(scenes, list) else ""
        lines.append(f"  cuts       {len(result['cuts'])}{extra}")
    return lines


def result_lines(result: dict[str, Any]) -> list[str]:
    text = summary_of(result)
    lines = [f"  summary    {text}"] if text else _metadata_lines(result)
    found = findings_of(result)
    if found:
        lines += [f"  {f['level']:<10} {f['text']}" for f in found]
    elif "quality" in result or "integrity" in result:
        lines.append(f"  quality    {', '.join(quality_flags(result)) or 'no flags'}")
    names = artifact_names(result)
    if names:
        shown = ", ".join(names[:4]) + (f" and {len(names) - 4} more" if len(names) > 4 else "")
        lines.append(f"  thumbnails {shown}")
    return lines


def job_lines(job: dict[str, Any]) -> list[str]:
    name = _get(job, "file", "name") or ""
    lines = [f"{name}  {job.get('status')}  job {job.get('job_id')}"]
    if job.get("status") == "completed" and isinstance(job.get("result"), dict):
        lines += result_lines(job["result"])
        if artifact_names(job["result"]):
            lines.append(f"  (reelq artifacts {job.get('job_id')} --out DIR downloads them)")
    elif job.get("status") == "failed" and isinstance(job.get("error"), dict):
        lines.append(f"  error      {job['error'].get('code')}: {job['error'].get('message')}")
    elif job.get("status") in ("queued", "processing"):
        lines.append(f"  progress   {float(job.get('progress') or 0):.0%} (reelq watch {job.get('job_id')})")
    return lines
