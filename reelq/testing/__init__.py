"""Helpers that ship with reelq for testing apps against it: test videos, a fake Expo push service."""

from reelq.testing.videos import make_clip

__all__ = ["make_clip"]
