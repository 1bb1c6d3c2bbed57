"""Moved to :mod:`reelq.files`; kept so that older imports of ``Layout`` keep working."""

from reelq.files import Layout, display_name, fsync_dir

__all__ = ["Layout", "display_name", "fsync_dir"]
