"""The ``probe`` analyzer: the container's metadata, read with PyAV after decoding one picture.

It returns the same ``metadata`` object as the ``video`` analyzer (docs/analysis.md), so a client
reads both with one type. Only what needs every frame is left out: the measured frame rate and the
variable-frame-rate verdict are ``null``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import av

from reelq.analysis.base import AnalysisContext
from reelq.analysis.video import media
from reelq.analysis.video.decode import DecodeLog, decode_all

NAME = "probe"
VERSION = "2.0"


def analyze(path: Path, ctx: AnalysisContext) -> dict[str, Any]:
    with media.open_media(Path(path)) as container:
        ctx.progress(0.2)
        video, audio = media.pick_streams(container)
        log = DecodeLog()
        first: media.FirstFrame | None = None
        # the rotation and the colour description of some files are known only from a decoded picture
        for frame in decode_all(container, video, None, log):
            if isinstance(frame, av.VideoFrame):
                first = media.FirstFrame.of(frame)
                break
        if first is None:
            raise media.no_picture(log, video)
        metadata = media.describe(Path(path), container, video, audio, first)
    metadata["video"]["frame_rate"] = None
    metadata["video"]["variable_frame_rate"] = None
    ctx.progress(1.0)
    return {"analyzer": {"name": NAME, "version": VERSION}, "metadata": metadata}
