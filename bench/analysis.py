"""Benchmark: the builtin ``video`` analyzer against a pure threaded PyAV decode of the same file.

Usage::

    .venv/bin/python bench/analysis.py [--runs 3] [--seconds 10] [--only 1080p_h264,4k_h264,1080p_hevc]

Clips are generated once (noisy, realistic bitrates) and cached under ``bench/out/``. For each clip the
pure decode and the analyzer are run alternately ``--runs`` times in fresh subprocesses, and the medians
are compared in the same run (the machine is shared, so absolute numbers are noisy; ratios much less).
The analyzer's peak RSS is its subprocess's own high-water mark (``VmHWM``; ``ru_maxrss`` would
include the benchmark's own peak, which a child inherits across fork and exec). CPU seconds (user +
system) are reported too: on a busy machine their ratio is steadier than the wall-time ratio. Prints a table,
then one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np

OUT = Path(__file__).resolve().parent / "out"

CLIPS: dict[str, dict[str, object]] = {
    "1080p_h264": {"width": 1920, "height": 1080, "codec": "libx264", "bitrate": 16_000_000},
    "4k_h264": {"width": 3840, "height": 2160, "codec": "libx264", "bitrate": 45_000_000},
    "1080p_hevc": {"width": 1920, "height": 1080, "codec": "libx265", "bitrate": 8_000_000},
}
TARGET_RATIO = 1.25
TARGET_RSS_MIB_4K = 400


def _texture(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """A non-periodic colour texture (upsampled noise) the camera pans over without wrapping."""
    small = rng.integers(0, 256, size=(height // 16 + 2, width // 16 + 2, 3), dtype=np.uint8)
    big = cv2.resize(small, (width, height), interpolation=cv2.INTER_CUBIC)
    return np.asarray(big, dtype=np.uint8)


def generate(name: str, seconds: float, fps: int = 30) -> Path:
    spec = CLIPS[name]
    width, height = int(str(spec["width"])), int(str(spec["height"]))
    path = OUT / f"{name}_{int(seconds)}s.mp4"
    if path.exists() and path.stat().st_size > 0:
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(7)
    n_frames = round(seconds * fps)
    scenes = [_texture(rng, width + 2 * n_frames, height + n_frames) for _ in range(3)]
    noise = [rng.integers(-12, 13, size=(height, width, 3), dtype=np.int16) for _ in range(4)]
    tmp = path.with_suffix(".part.mp4")
    with av.open(str(tmp), mode="w", format="mp4") as out:
        vs = out.add_stream(str(spec["codec"]), rate=fps)
        vs.width, vs.height, vs.pix_fmt = width, height, "yuv420p"
        vs.bit_rate = int(str(spec["bitrate"]))
        if spec["codec"] == "libx264":
            vs.options = {"preset": "veryfast", "g": str(fps)}
        else:
            vs.options = {"preset": "ultrafast", "x265-params": f"keyint={fps}:log-level=error"}
        aus = out.add_stream("aac", rate=48000)
        aus.layout = "stereo"
        box = max(32, width // 12)
        for i in range(n_frames):
            scene = scenes[(i // (fps * 4)) % len(scenes)]
            ox, oy = 2 * i, i  # a steady diagonal pan
            img = scene[oy : oy + height, ox : ox + width].astype(np.int16) + noise[i % len(noise)]
            img = np.clip(img, 0, 255).astype(np.uint8)
            x = (i * width // (fps * 3)) % (width - box)
            img[height // 3 : height // 3 + box, x : x + box] = (240, 200, 40)
            frame = av.VideoFrame.from_ndarray(img, format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, fps)
            for pkt in vs.encode(frame):
                out.mux(pkt)
        for pkt in vs.encode():
            out.mux(pkt)
        sr, total, chunk = 48000, round(n_frames / fps * 48000), 1024
        for start in range(0, total, chunk):
            n = min(chunk, total - start)
            t = np.arange(start, start + n) / sr
            mono = 0.2 * np.sin(2 * np.pi * 330 * t) + 0.02 * rng.standard_normal(n)
            samples = np.stack([mono, mono]).astype(np.float32)
            af = av.AudioFrame.from_ndarray(samples, format="fltp", layout="stereo")
            af.sample_rate, af.pts, af.time_base = sr, start, Fraction(1, sr)
            for pkt in aus.encode(af):
                out.mux(pkt)
        for pkt in aus.encode():
            out.mux(pkt)
    tmp.rename(path)
    return path


_DECODE = """
import sys, time, resource, av
def hwm_kib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
u0 = resource.getrusage(resource.RUSAGE_SELF)
cpu0 = u0.ru_utime + u0.ru_stime
t0 = time.perf_counter()
with av.open(sys.argv[1]) as c:
    s = c.streams.video[0]
    s.thread_type = "AUTO"
    n = sum(1 for _ in c.decode(s))
wall = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_SELF)
print(wall, n, hwm_kib(), u.ru_utime + u.ru_stime - cpu0)
"""

_ANALYZE = """
import sys, time, resource, tempfile, pathlib
def hwm_kib():
    with open("/proc/self/status") as f:
        return next(int(l.split()[1]) for l in f if l.startswith("VmHWM:"))
from reelq.analysis.base import LocalContext
from reelq.analysis.video import analyze
with tempfile.TemporaryDirectory() as d:
    u0 = resource.getrusage(resource.RUSAGE_SELF)
    cpu0 = u0.ru_utime + u0.ru_stime
    t0 = time.perf_counter()
    result = analyze(pathlib.Path(sys.argv[1]), LocalContext(artifacts=pathlib.Path(d)))
    wall = time.perf_counter() - t0
u = resource.getrusage(resource.RUSAGE_SELF)
print(wall, result["integrity"]["frames_decoded"], hwm_kib(), u.ru_utime + u.ru_stime - cpu0)
"""


def _run(code: str, path: Path) -> tuple[float, int, float, float]:
    """(wall s, frames, peak RSS MiB, CPU s) of one run in a fresh interpreter."""
    proc = subprocess.run([sys.executable, "-c", code, str(path)], check=True, capture_output=True, text=True)
    wall, frames, rss_kib, cpu = proc.stdout.split()
    return float(wall), int(frames), int(rss_kib) / 1024, float(cpu)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--only", default=",".join(CLIPS))
    parser.add_argument("--generate-only", action="store_true")
    args = parser.parse_args()
    names = [n for n in args.only.split(",") if n]
    paths = {}
    for name in names:
        print(f"preparing {name} ...", file=sys.stderr, flush=True)
        paths[name] = generate(name, args.seconds)
    if args.generate_only:
        return
    rows = []
    load_before = os.getloadavg()[0]
    for name in names:
        walls: dict[str, list[float]] = {"decode": [], "analyze": []}
        cpus: dict[str, list[float]] = {"decode": [], "analyze": []}
        rss: list[float] = []
        frames = 0
        for _ in range(args.runs):  # interleaved, so both see the same background load
            wall, frames, _rss, cpu = _run(_DECODE, paths[name])
            walls["decode"].append(wall)
            cpus["decode"].append(cpu)
            wall, analyzed_frames, peak, cpu = _run(_ANALYZE, paths[name])
            walls["analyze"].append(wall)
            cpus["analyze"].append(cpu)
            rss.append(peak)
            if analyzed_frames != frames:
                raise SystemExit(f"{name}: analyzer saw {analyzed_frames} frames, decoder {frames}")
        dec, ana = statistics.median(walls["decode"]), statistics.median(walls["analyze"])
        dec_cpu, ana_cpu = statistics.median(cpus["decode"]), statistics.median(cpus["analyze"])
        rows.append(
            {
                "clip": name,
                "frames": frames,
                "decode_s": round(dec, 3),
                "analyze_s": round(ana, 3),
                "decode_fps": round(frames / dec, 1),
                "analyze_fps": round(frames / ana, 1),
                "ratio": round(ana / dec, 3),
                "cpu_ratio": round(ana_cpu / dec_cpu, 3),
                "peak_rss_mib": round(max(rss), 1),
                "runs": {k: [round(x, 3) for x in v] for k, v in walls.items()},
                "cpu_s": {k: [round(x, 3) for x in v] for k, v in cpus.items()},
            }
        )
    header = (
        f"{'clip':<12} {'frames':>6} {'decode s':>9} {'analyze s':>10} {'dec fps':>8} "
        f"{'ana fps':>8} {'ratio':>6} {'cpu ratio':>9} {'RSS MiB':>8}"
    )
    print(header)
    print("-" * len(header))
    for r in rows:
        print(
            f"{r['clip']:<12} {r['frames']:>6} {r['decode_s']:>9.3f} {r['analyze_s']:>10.3f} "
            f"{r['decode_fps']:>8.1f} {r['analyze_fps']:>8.1f} {r['ratio']:>6.3f} "
            f"{r['cpu_ratio']:>9.3f} {r['peak_rss_mib']:>8.1f}"
        )
    load = (round(load_before, 2), round(os.getloadavg()[0], 2))
    print(f"load average before/after: {load[0]} / {load[1]} on {os.cpu_count()} CPUs", file=sys.stderr)
    print(
        json.dumps(
            {
                "bench": "analysis",
                "runs": args.runs,
                "target_ratio": TARGET_RATIO,
                "target_rss_mib": TARGET_RSS_MIB_4K,
                "ratio_ok": all(float(str(r["ratio"])) <= TARGET_RATIO for r in rows),
                "rss_ok": all(float(str(r["peak_rss_mib"])) < TARGET_RSS_MIB_4K for r in rows),
                "load_average": load,
                "clips": rows,
            }
        )
    )


if __name__ == "__main__":
    main()
