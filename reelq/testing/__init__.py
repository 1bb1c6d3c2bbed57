"""Helpers that ship with reelq for testing apps against it: test videos, a fake Expo push service."""

from reelq.testing.run import AnalyzerRun, run_analyzer
from reelq.testing.videos import make_clip

__all__ = ["AnalyzerRun", "make_clip", "run_analyzer"]
