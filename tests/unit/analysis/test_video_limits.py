"""Hostile media: a broken timestamp, a picture too big for the memory limit, a track without frames.

Each file is built here, small, with PyAV; the limits are the real ones (child process, RLIMIT_AS).
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest
from fastapi.testclient import TestClient

from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
from reelq.analysis.video.timelines import MAX_BINS, MAX_JUMP_SECONDS, Layout
from reelq.app import create_app
from reelq.errors import PermanentJobError
from reelq.runtime import Runtime

from support import fast_settings, make_user, wait_for


def leaping_clip(path: Path, stamps_ms: tuple[int, ...] = (0, 40, 2_000_000_000)) -> Path:
    """Three 64×64 frames whose timestamps are 0 s, 0.04 s and 2,000,000 s (a 2 KB file)."""
    with av.open(str(path), "w", format="matroska") as out:
        stream = out.add_stream("mjpeg", rate=25)
        stream.width = stream.height = 64
        stream.pix_fmt = "yuvj420p"
        packets = []
        for i, _ in enumerate(stamps_ms):
            image = np.full((64, 64, 3), 60 + 60 * i, np.uint8)
            frame = av.VideoFrame.from_ndarray(image, format="rgb24")
            frame.pts = i
            packets += stream.encode(frame)
        packets += stream.encode(None)
        for packet, ms in zip(packets, stamps_ms, strict=True):
            packet.pts = packet.dts = ms
            packet.time_base = Fraction(1, 1000)
            out.mux(packet)
    return path


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def huge_png(side: int) -> bytes:
    """A black side×side 16-bit RGBA PNG: about 1 MB on disk, side²×8 bytes once decoded.

    The deflate stream is one byte-aligned block of zeros repeated (each ends with a full flush, so it
    refers to nothing before it); the Adler-32 of n zero bytes is (n mod 65521) << 16 | 1.
    """
    row = 1 + side * 8  # filter byte + RGBA, 2 bytes each
    rows_per_piece = 64
    assert side % rows_per_piece == 0
    piece = bytes(row * rows_per_piece)
    z = zlib.compressobj(9)
    first = z.compress(piece) + z.flush(zlib.Z_FULL_FLUSH)
    again = z.compress(piece) + z.flush(zlib.Z_FULL_FLUSH)
    closing = zlib.compressobj(9)
    closing.compress(b"")
    final = closing.flush()[2:-4]  # an empty last block, without that stream's header and checksum
    adler = ((row * side % 65521) << 16) | 1
    body = first + again * (side // rows_per_piece - 1) + final + struct.pack(">I", adler)
    header = struct.pack(">IIBBBBB", side, side, 16, 6, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", body)
        + _png_chunk(b"IEND", b"")
    )


def huge_picture_clip(path: Path, side: int = 12032) -> Path:
    """A QuickTime file with one valid 12032×12032 PNG frame: 1.1 GB to decode, 1 MB to upload."""
    image = huge_png(side)
    with av.open(str(path), "w", format="mov") as out:
        stream = out.add_stream("png", rate=1)
        stream.width = stream.height = side
        stream.pix_fmt = "rgba64be"
        packet = av.Packet(image)
        packet.stream = stream
        packet.pts = packet.dts = 0
        packet.time_base = Fraction(1, 1)
        out.mux(packet)
    return path


def empty_video_track_clip(path: Path) -> Path:
    """A fragmented MP4 whose video track is declared (64×64) and holds no frame; its audio has 10."""
    with av.open(str(path), "w", format="mp4", options={"movflags": "frag_keyframe+empty_moov"}) as out:
        video = out.add_stream("mpeg4", rate=30)
        video.width = video.height = 64
        video.pix_fmt = "yuv420p"
        audio = out.add_stream("aac", rate=48000)
        audio.layout = "mono"
        for i in range(10):
            frame = av.AudioFrame.from_ndarray(np.zeros((1, 1024), np.float32), format="fltp", layout="mono")
            frame.sample_rate = 48000
            frame.pts = i * 1024
            for packet in audio.encode(frame):
                out.mux(packet)
        for packet in audio.encode(None):
            out.mux(packet)
    return path


def _wait_done(client: TestClient, auth: dict[str, str], job_id: str) -> dict[str, Any]:
    def done() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(f"/api/results/job/{job_id}", headers=auth).json()
        return body if body["status"] in ("completed", "failed") else None

    return wait_for(done, 60, 0.1, f"job {job_id} to end")  # type: ignore[no-any-return]


def _upload(client: TestClient, auth: dict[str, str], path: Path) -> str:
    r = client.post("/api/upload", headers=auth, files={"video": (path.name, path.read_bytes())})
    assert r.status_code == 202, r.text
    return str(r.json()["job_id"])


@pytest.fixture
def video_client(tmp_path: Path) -> Iterator[TestClient]:
    settings = fast_settings(tmp_path / "data", analyzer="video", job_memory_limit_mb=1024)
    with TestClient(create_app(settings)) as client:
        yield client


def test_a_timestamp_leap_does_not_make_a_huge_result(video_client: TestClient, tmp_path: Path) -> None:
    clip = leaping_clip(tmp_path / "leap.mkv")
    assert clip.stat().st_size < 5000
    auth = make_user(video_client)
    job_id = _upload(video_client, auth, clip)
    job = _wait_done(video_client, auth, job_id)
    assert job["status"] == "completed", job
    body = video_client.get(f"/api/results/job/{job_id}", headers=auth).content
    assert len(body) < 10_000, len(body)  # was 60 MB: 6,000,000 bins per timeline
    result = job["result"]
    integrity = result["integrity"]
    assert integrity["status"] == "corrupt"
    assert integrity["timestamp_jumps"] == 1 and integrity["jump_times"] == [0.04]
    assert integrity["frames_decoded"] == 3
    assert integrity["decoded_duration"] is not None and integrity["decoded_duration"] < 1.0
    timelines = result["timelines"]
    assert timelines["start"] == 0.0 and timelines["step"] == 0.5
    assert len(timelines["motion"]) == len(timelines["brightness"]) == 1
    assert all(s["end"] < 1.0 for s in result["scenes"])
    assert result["summary"].endswith("damaged")


def test_timelines_never_exceed_the_bin_cap() -> None:
    # bins widen (0.5 s → 1 s → 2 s …) rather than grow past the cap
    for end in (10.0, 3600.0, 3600.5, 7 * 3600.0, MAX_JUMP_SECONDS * 500):
        layout = Layout.over(0.0, end)
        assert layout.count <= MAX_BINS and layout.count * layout.width >= end
    assert Layout.over(0.0, 3600.0) == Layout(0, 1, 7200)
    assert Layout.over(0.0, 3600.5).width == 1.0
    # a clip whose first frame is hours in (a broadcast capture) starts its bins there
    late = Layout.over(36_000.2, 36_010.0)
    assert late.start == 36_000.0 and late.count == 20


def test_out_of_memory_in_the_decoder_is_memory_limit(video_client: TestClient, tmp_path: Path) -> None:
    clip = huge_picture_clip(tmp_path / "huge.mov")
    assert clip.stat().st_size < 2_000_000
    auth = make_user(video_client)
    job_id = _upload(video_client, auth, clip)
    job = _wait_done(video_client, auth, job_id)
    assert job["status"] == "failed", job
    assert job["error"]["code"] == "memory_limit", job["error"]  # was unreadable_media ("damaged")
    assert job["error"]["retryable"] is False and "memory" in job["error"]["message"]
    rt: Runtime = video_client.app.state.runtime  # type: ignore[attr-defined]
    [note] = [e for e in rt.store.events(job_id) if e["event"] == "job.attempt_failed"]
    # ENOMEM from the decoder here; on a machine with many cores a decoder thread may be refused first
    assert note["detail"]["exception"] in ("av.error.MemoryError", "av.error.BlockingIOError", "MemoryError")


def test_a_video_track_without_frames_has_its_own_code(tmp_path: Path) -> None:
    clip = empty_video_track_clip(tmp_path / "empty_track.mp4")
    with av.open(str(clip)) as container:
        assert len(container.streams.video) == 1  # the track is there
    with pytest.raises(PermanentJobError) as caught:
        analyze(clip, LocalContext(artifacts=tmp_path))
    assert caught.value.code == "no_video_frames"
    assert "no video track" not in caught.value.message and "damaged" not in caught.value.message


def test_a_result_over_the_size_cap_fails_the_job(tmp_path: Path, clip: Path) -> None:
    with TestClient(create_app(fast_settings(tmp_path / "data", analyzer="probe"))) as client:
        rt: Runtime = client.app.state.runtime  # type: ignore[attr-defined]
        rt.deps.config.max_result_bytes = 200  # a probe result is about 1 KB
        auth = make_user(client)
        job_id = _upload(client, auth, clip)
        job = _wait_done(client, auth, job_id)
        events = rt.store.events(job_id)
    assert job["status"] == "failed" and job["result"] is None
    assert job["error"]["code"] == "result_too_large" and job["error"]["retryable"] is False
    [note] = [e for e in events if e["event"] == "job.attempt_failed"]
    assert note["detail"]["result_bytes"] > 200 and note["detail"]["limit_bytes"] == 200
    assert json.dumps(job["error"]).isascii()
