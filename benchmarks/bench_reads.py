"""A registry file read through `storage.safefs` (never following a link) against a plain
`Path.read_bytes()`, side by side in one process: the ratio is what the guard costs.

    python benchmarks/bench_reads.py [--files 5000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "src"))

from modelyard.storage import safefs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp).resolve()
        rels = []
        for i in range(args.files):
            folder = root / "runs" / "2026-01" / f"run_20260101000000_{i:06d}"
            folder.mkdir(parents=True)
            (folder / "run.yaml").write_text("id: run_x\nstatus: succeeded\n" * 20)
            rels.append(f"runs/2026-01/{folder.name}/run.yaml")
        plain, guarded = [], []
        for _ in range(args.repeat):  # interleaved, so that machine noise hits both alike
            started = time.perf_counter()
            for rel in rels:
                (root / rel).read_bytes()
            plain.append((time.perf_counter() - started) / len(rels))
            started = time.perf_counter()
            for rel in rels:
                safefs.read_file(root, rel)
            guarded.append((time.perf_counter() - started) / len(rels))
    p, g = statistics.median(plain) * 1e6, statistics.median(guarded) * 1e6
    print(
        f"{args.files} files, median of {args.repeat}: plain read {p:.1f} us, "
        f"safefs.read_file {g:.1f} us, ratio {g / p:.2f}"
    )


if __name__ == "__main__":
    main()
