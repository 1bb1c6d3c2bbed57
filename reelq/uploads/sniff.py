"""Recognise a video container from its first bytes, never from the file name."""

from __future__ import annotations

from dataclasses import dataclass

from reelq.errors import UnsupportedMedia

# Enough for every check below (MPEG-TS needs three 188-byte packets).
SNIFF_BYTES = 188 * 3 + 1


@dataclass(frozen=True)
class Container:
    name: str
    extension: str
    content_type: str


MP4 = Container("mp4", "mp4", "video/mp4")
MOV = Container("mov", "mov", "video/quicktime")
GP3 = Container("3gp", "3gp", "video/3gpp")
MATROSKA = Container("matroska", "mkv", "video/x-matroska")
WEBM = Container("webm", "webm", "video/webm")
AVI = Container("avi", "avi", "video/x-msvideo")
MPEGTS = Container("mpegts", "ts", "video/mp2t")

_BMFF_BOXES = {b"ftyp", b"moov", b"mdat", b"free", b"wide", b"skip", b"pnot"}


def sniff(head: bytes) -> Container | None:
    """The container of a file starting with ``head``, or None when it is not a video we accept."""
    if len(head) >= 12 and head[4:8] in _BMFF_BOXES:
        if head[4:8] != b"ftyp":
            return MOV  # old QuickTime files may start with moov/mdat/wide
        brand = head[8:12]
        if brand == b"qt  ":
            return MOV
        if brand.startswith(b"3g"):
            return GP3
        return MP4
    if head[:4] == b"\x1a\x45\xdf\xa3":
        return WEBM if b"webm" in head[:64] else MATROSKA
    if len(head) >= 12 and head[:4] == b"RIFF" and head[8:12] == b"AVI ":
        return AVI
    if len(head) >= 377 and head[0] == 0x47 and head[188] == 0x47 and head[376] == 0x47:
        return MPEGTS
    return None


def require_video(head: bytes) -> Container:
    """The container of ``head``; 415 with the one message every transport shows for a non-video."""
    container = sniff(head)
    if container is None:
        raise UnsupportedMedia(
            "the file is not a video container reelq accepts (MP4/MOV/3GP, MKV/WebM, AVI, MPEG-TS)"
        )
    return container
