"""How hard the picture was squeezed: bits per pixel per frame and 8×8 blockiness of decoded frames.

Two measures, because neither is enough alone. The bit budget (``bits_per_pixel``: the video
packets' bits over frames × pixels) says how little data each pixel got, scaled by how efficient the
codec is; blockiness says whether the damage shows as block edges. H.264 and MPEG-4 at a low bit
rate leave visible edges on their 8×8 block grid; HEVC, VP9 and AV1 smear instead of blocking,
so for them the bit budget is what tells. Thresholds are documented in docs/analysis.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import av
import numpy as np

BLOCKINESS_INTERVAL = 0.5  # seconds between two measured frames
BLOCK = 8
ROW_STEP = 4  # every 4th row (and column) is enough to see a grid that runs through the whole picture
MIN_DETAIL = 0.5  # mean |Δ| inside blocks; a flat frame (black, sky) says nothing about blocks

# Bits an H.264 picture needs for the same quality, per bit of each codec (older codecs need more bits,
# newer ones fewer). Conservative: phones encode in hardware, well short of the best encoders' savings.
# An unknown codec counts as H.264.
CODEC_EFFICIENCY = {
    "h264": 1.0,
    "hevc": 1.4,
    "vp9": 1.2,
    "av1": 1.6,
    "vp8": 0.9,
    "mpeg4": 0.6,
    "mpeg2video": 0.5,
    "mpeg1video": 0.5,
    "h263": 0.5,
}
# H.264-equivalent bits per pixel per frame under which a clip is compressed / heavily compressed ...
COMPRESSED_BPP = 0.05
HEAVY_BPP = 0.02
# ... or block-edge energy (edges on the 8×8 grid over edges inside blocks) at or over which it is.
COMPRESSED_BLOCKINESS = 1.3
HEAVY_BLOCKINESS = 1.6
# A picture that barely changes needs a fraction of the bits: for a clip that is still most of the
# time the bit-rate thresholds are divided by this.
STILL_FRACTION = 0.5
STILL_BPP_DIVISOR = 4.0

_PLANAR_LUMA = {"yuv", "yuvj", "nv12", "nv21", "gray", "p010", "p016"}


def luma(frame: av.VideoFrame) -> np.ndarray:
    """The coded luma plane at full size, without conversion when the frame is planar YUV."""
    name = frame.format.name
    if any(name.startswith(prefix) for prefix in _PLANAR_LUMA):
        plane = frame.planes[0]
        bits = frame.format.components[0].bits
        dtype = np.uint8 if bits <= 8 else np.dtype("<u2")
        itemsize = np.dtype(dtype).itemsize
        rows = np.frombuffer(memoryview(plane), dtype=dtype)
        stride = plane.line_size // itemsize
        picture = rows[: plane.height * stride].reshape(plane.height, stride)[:, : plane.width]
        return picture if bits <= 8 else np.right_shift(picture, bits - 8).astype(np.uint8)
    return frame.to_ndarray(format="gray")


def blockiness(y: np.ndarray) -> float | None:
    """Mean |Δ| across the 8×8 block boundaries over mean |Δ| inside blocks (1.0: no visible grid)."""
    height, width = (y.shape[0] // BLOCK) * BLOCK, (y.shape[1] // BLOCK) * BLOCK
    if height < 2 * BLOCK or width < 2 * BLOCK:
        return None
    y = y[:height, :width]
    across = np.abs(np.diff(y[::ROW_STEP].astype(np.int16), axis=1))  # horizontal neighbours
    down = np.abs(np.diff(y[:, ::ROW_STEP].astype(np.int16), axis=0))  # vertical neighbours
    edge = float(across[:, BLOCK - 1 :: BLOCK].sum()) + float(down[BLOCK - 1 :: BLOCK].sum())
    edge_count = across[:, BLOCK - 1 :: BLOCK].size + down[BLOCK - 1 :: BLOCK].size
    inside = float(across.sum()) + float(down.sum()) - edge
    inside_count = across.size + down.size - edge_count
    inside_mean = inside / inside_count
    if inside_mean < MIN_DETAIL:
        return None
    return (edge / edge_count) / inside_mean


def level(bits_per_pixel: float | None, block_ratio: float | None, codec: str, still: float) -> str:
    """``ok``, ``compressed`` or ``heavy`` from the bit budget, the codec and the block edges."""
    severity = 0
    if bits_per_pixel is not None:
        equivalent = bits_per_pixel * CODEC_EFFICIENCY.get(codec, 1.0)
        divisor = STILL_BPP_DIVISOR if still >= STILL_FRACTION else 1.0
        if equivalent < HEAVY_BPP / divisor:
            severity = 2
        elif equivalent < COMPRESSED_BPP / divisor:
            severity = 1
    if block_ratio is not None:
        if block_ratio >= HEAVY_BLOCKINESS:
            severity = max(severity, 2)
        elif block_ratio >= COMPRESSED_BLOCKINESS:
            severity = max(severity, 1)
    return ("ok", "compressed", "heavy")[severity]


@dataclass
class CompressionMeter:
    """Fed sampled decoded frames; knows the packet bytes and frame count from the decode log."""

    samples: list[float] = field(default_factory=list)
    _next: float | None = None

    def due(self, time: float) -> bool:
        return self._next is None or time >= self._next

    def feed(self, time: float, frame: av.VideoFrame) -> None:
        self._next = time + BLOCKINESS_INTERVAL * 0.95
        ratio = blockiness(luma(frame))
        if ratio is not None:
            self.samples.append(ratio)

    def summary(
        self, *, video_bytes: int, frames: int, width: int, height: int, codec: str, still: float
    ) -> dict[str, float | str | None]:
        bpp = video_bytes * 8 / (frames * width * height) if frames and width and height else None
        block_ratio = float(np.median(self.samples)) if self.samples else None
        return {
            "bits_per_pixel": None if bpp is None else round(bpp, 4),
            "blockiness": None if block_ratio is None else round(block_ratio, 3),
            "level": level(bpp, block_ratio, codec, still),
        }
