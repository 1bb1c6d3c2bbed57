"""The builtin ``video`` analyzer: one threaded decode pass that describes a phone clip."""

from __future__ import annotations

from reelq.analysis.video.analyzer import NAME, VERSION, analyze

__all__ = ["NAME", "VERSION", "analyze"]
