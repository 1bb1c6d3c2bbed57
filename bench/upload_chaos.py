"""Zero-loss upload chaos: the TypeScript client (Node) against a real `reelq serve`.

    ./dev bench upload_chaos [--files 50] [--min-mib 8] [--max-mib 64] [--chunk-mib 4]
                             [--client-kills 5] [--server-kills 2] [--cut-rate 0.3]

Every file goes through a local TCP proxy on 127.0.0.1 that cuts a share of its connections at random
points, while the uploading Node process is killed (-9) and restarted over the same store several times
and `reelq serve` is killed (-9) and restarted on its port and data dir. The harness
(clients/ts/packages/client/test/chaos/harness.mjs, also run small by the TS suite) then checks: every
file has exactly one job, its stored bytes have the same sha256, no upload started over from 0 after its
first committed chunk, and the bytes re-sent per interruption stay under one chunk. The baseline in the
same run is a calm pass (no cuts, no kills) of a few files of the same sizes: its throughput next to the
chaos run's (both from the first upload to the last job, kills and restarts included).
Needs `npm ci` and `npm run build` in clients/ts.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
from pathlib import Path

from _common import emit

ROOT = Path(__file__).resolve().parent.parent
HARNESS = ROOT / "clients/ts/packages/client/test/chaos/harness.mjs"


def run(**options: float) -> dict[str, object]:
    node = shutil.which("node")
    if node is None:
        raise SystemExit("node is not on PATH")
    args = [node, str(HARNESS)]
    for name, value in options.items():
        args += [f"--{name.replace('_', '-')}", f"{value:g}"]
    proc = subprocess.run(args, cwd=HARNESS.parent, capture_output=True, text=True, check=False)
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if not lines:
        raise SystemExit(f"the chaos harness failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}")
    result: dict[str, object] = json.loads(lines[-1])
    return result


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--files", type=int, default=50)
    p.add_argument("--min-mib", type=float, default=8)
    p.add_argument("--max-mib", type=float, default=64)
    p.add_argument("--chunk-mib", type=float, default=4)
    p.add_argument("--client-kills", type=int, default=5)
    p.add_argument("--server-kills", type=int, default=2)
    p.add_argument("--cut-rate", type=float, default=0.3)
    p.add_argument("--baseline-files", type=int, default=4)
    p.add_argument("--seed", type=int, default=1)
    a = p.parse_args()
    sizes = {"min_mib": a.min_mib, "max_mib": a.max_mib, "chunk_mib": a.chunk_mib}
    calm = run(files=a.baseline_files, client_kills=0, server_kills=0, cut_rate=0, seed=a.seed, **sizes)
    chaos = run(
        files=a.files,
        client_kills=a.client_kills,
        server_kills=a.server_kills,
        cut_rate=a.cut_rate,
        seed=a.seed,
        **sizes,
    )

    def mib_s(r: dict[str, object]) -> float:
        return float(r["totalBytes"]) / 1024**2 / float(r["uploadSeconds"])  # type: ignore[arg-type]

    rows = [
        [
            "run",
            "files",
            "MiB",
            "client kills",
            "server kills",
            "cuts",
            "interruptions",
            "re-sent",
            "per interr.",
            "jobs",
            "dupl.",
            "from 0",
            "s",
            "MiB/s",
        ]
    ]
    for name, r in (("calm (baseline)", calm), ("chaos", chaos)):
        rows.append(
            [
                name,
                str(r["files"]),
                f"{float(r['totalBytes']) / 1024**2:.0f}",  # type: ignore[arg-type]
                str(r["clientKills"]),
                str(r["serverKills"]),
                str(r["proxyCuts"]),
                str(r["interruptions"]),
                f"{float(r['resentBytes']) / 1024:.0f} KiB",  # type: ignore[arg-type]
                f"{float(r['resentPerInterruption']) / 1024:.0f} KiB",  # type: ignore[arg-type]
                str(r["jobs"]),
                str(r["duplicates"]),
                str(r["restartsFromZero"]),
                f"{float(r['uploadSeconds']):.0f}",  # type: ignore[arg-type]
                f"{mib_s(r):.1f}",
            ]
        )
    chunk = float(chaos["chunkSize"])  # type: ignore[arg-type]
    emit(
        rows,
        {
            "bench": "upload_chaos",
            "files": chaos["files"],
            "total_mib": round(float(chaos["totalBytes"]) / 1024**2),  # type: ignore[arg-type]
            "chunk_mib": a.chunk_mib,
            "client_kills": chaos["clientKills"],
            "server_kills": chaos["serverKills"],
            "proxy_cuts": chaos["proxyCuts"],
            "interruptions": chaos["interruptions"],
            "resent_bytes": chaos["resentBytes"],
            "resent_per_interruption_bytes": chaos["resentPerInterruption"],
            "resent_per_interruption_chunks": round(float(chaos["resentPerInterruption"]) / chunk, 4),  # type: ignore[arg-type]
            "duplicates": chaos["duplicates"],
            "restarts_from_zero": chaos["restartsFromZero"],
            "problems": chaos["problems"],
            "chaos_mib_per_s": round(mib_s(chaos), 1),
            "calm_mib_per_s": round(mib_s(calm), 1),
            "pass": not chaos["problems"] and not calm["problems"],
        },
    )


if __name__ == "__main__":
    main()
