"""The dominant colours of a video: a palette of four, with each colour's share of the picture."""

from pathlib import Path

import av
import cv2
import numpy as np

from reelq.errors import PermanentJobError

SAMPLES = 24  # frames looked at, spread over the clip
COLOURS = 4


def analyze(path: Path, ctx) -> dict:
    try:
        container = av.open(str(path))
    except av.error.FFmpegError as exc:
        raise PermanentJobError("unreadable_media", "This file could not be read as a video.") from exc
    with container:
        if not container.streams.video:
            raise PermanentJobError("no_video", "This file has no picture to take colours from.")
        stream = container.streams.video[0]
        total = stream.frames or SAMPLES
        step = max(1, total // SAMPLES)
        pixels = []
        for i, frame in enumerate(container.decode(stream)):
            if i % step == 0:
                small = frame.reformat(width=64, height=36, format="rgb24").to_ndarray()
                pixels.append(small.reshape(-1, 3))
                ctx.progress(min(0.9, i / total))
    if not pixels:
        raise PermanentJobError("no_frames", "No picture in this file could be decoded.")
    data = np.concatenate(pixels).astype(np.float32)
    criteria = (cv2.TERM_CRITERIA_EPS + cv2.TERM_CRITERIA_MAX_ITER, 20, 1.0)
    cv2.setRNGSeed(1)  # the same file gives the same palette
    _, labels, centers = cv2.kmeans(data, COLOURS, None, criteria, 3, cv2.KMEANS_PP_CENTERS)
    shares = np.bincount(labels.ravel(), minlength=COLOURS) / len(labels)
    order = np.argsort(-shares)
    palette = [
        {"hex": "#{:02x}{:02x}{:02x}".format(*(int(round(c)) for c in centers[k])), "share": round(float(shares[k]), 3)}
        for k in order
    ]
    _swatch(ctx.artifacts / "palette.png", [centers[k] for k in order], [shares[k] for k in order])
    ctx.progress(1.0)
    return {"analyzer": {"name": "colors", "version": "1.0"}, "frames_sampled": len(pixels), "palette": palette}


def _swatch(target: Path, colours: list, shares: list) -> None:
    """A 400×60 strip, each colour as wide as its share."""
    strip = np.zeros((60, 400, 3), np.uint8)
    left = 0
    for colour, share in zip(colours, shares):
        right = min(400, left + round(400 * float(share)))
        strip[:, left:right] = np.clip(colour[::-1], 0, 255)  # OpenCV writes BGR
        left = right
    strip[:, left:] = np.clip(colours[-1][::-1], 0, 255)
    cv2.imwrite(str(target), strip)
