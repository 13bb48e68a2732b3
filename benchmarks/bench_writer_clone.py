"""Writer clones against a full clone of the same registry, through a local bare remote.

    python benchmarks/bench_writer_clone.py --registry /tmp/reg-large --repeat 5
    python benchmarks/bench_writer_clone.py --size small --no-write     # print only

The registry's repository is cloned bare into a work folder (the "team remote", served over
`file://` so that git's partial-clone filter applies, as it does over ssh or https). Then,
in the same run and in turn: `git clone` of it (the full clone, the anchor) and
`modelyard clone --writer` (partial and sparse); for each, the time, the size on disk (the
working tree and `.git`) and the number of files checked out; then `modelyard runs create
--push` in each clone, `--repeat` times after a warm-up, interleaved (one in each clone,
then again), each a whole process that commits one run and pushes it to the remote. The
table gives the writer clone's figures as ratios of the full clone's, measured in the same
run on the same machine, so the machine's load weighs on both.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
SRC = HERE.parent / "src"
sys.path.insert(0, str(HERE))

from run import describe_machine, describe_registry, env, write_section  # noqa: E402


def git(cwd: Path, *args: str) -> str:
    return subprocess.run(
        ["git", *args], cwd=cwd, check=True, capture_output=True, text=True
    ).stdout.strip()


def timed(cmd: list[str], cwd: Path) -> float:
    started = time.perf_counter()
    done = subprocess.run(cmd, cwd=cwd, env=env(), capture_output=True, text=True)
    took = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{done.stderr}")
    return took


def size(folder: Path) -> tuple[int, int]:
    """(bytes of the whole folder, files checked out outside .git)."""
    total, files = 0, 0
    for dirpath, _dirs, filenames in os.walk(folder):
        inside_git = ".git" in Path(dirpath).relative_to(folder).parts
        for name in filenames:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_blocks * 512
            except OSError:
                continue
            files += 0 if inside_git else 1
    return total, files


def a_recipe_version(clone: Path) -> tuple[str, str]:
    folder = clone / "registry" / "recipes"
    recipe = sorted(p.name for p in folder.iterdir())[0]
    text = (folder / recipe / "manifest.yaml").read_text()
    version = next(line.split(":", 1)[1].strip() for line in text.splitlines()
                   if line.startswith("version:"))  # fmt: skip
    return recipe, version.strip("'\"")


def creates(clones: list[Path], repeat: int) -> list[list[float]]:
    """`runs create --push` in each clone, interleaved (one in each, then again), so that a
    change in the machine's load weighs on all of them alike."""
    recipe, version = a_recipe_version(clones[0])
    cmd = [sys.executable, "-m", "modelyard", "runs", "create", "--recipe-id", recipe,
           "--recipe-version-id", version, "--run-type", "train", "--json", "--push"]  # fmt: skip
    for clone in clones:
        timed(cmd, clone)  # warm-up
    out: list[list[float]] = [[] for _ in clones]
    for _ in range(repeat):
        for i, clone in enumerate(clones):
            out[i].append(timed(cmd, clone))
    return out


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--registry", type=Path, help="A generated registry's repository.")
    parser.add_argument("--size", choices=["tiny", "small", "large"], default="large")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--workdir", type=Path, help="Where the remote and clones go.")
    parser.add_argument("--no-write", action="store_true", help="Print; leave RESULTS.md.")
    parser.add_argument("--out", type=Path, default=HERE / "RESULTS.md")
    args = parser.parse_args(argv)

    repo = args.registry or Path(f"/tmp/modelyard-bench-{args.size}")
    if not (repo / ".git").is_dir():
        subprocess.run([sys.executable, str(HERE / "generate.py"), "--size", args.size,
                        str(repo)], check=True)  # fmt: skip
    work = Path(tempfile.mkdtemp(prefix="modelyard-writer-", dir=args.workdir))
    try:
        bare = work / "remote.git"
        git(work, "clone", "-q", "--bare", str(repo), str(bare))
        git(bare, "config", "uploadpack.allowFilter", "true")
        git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
        url = f"file://{bare}"
        load_before = os.getloadavg()[0]
        full, writer = work / "full", work / "writer"
        full_s = timed(["git", "clone", "-q", url, str(full)], work)
        writer_s = timed([sys.executable, "-m", "modelyard", "clone", url, str(writer),
                          "--writer"], work)  # fmt: skip
        full_bytes, full_files = size(full)
        writer_bytes, writer_files = size(writer)
        full_push, writer_push = creates([full, writer], args.repeat)
        load_after = os.getloadavg()[0]
        on_remote = int(git(bare, "rev-list", "--count", "main"))
        mb = 1024 * 1024

        def med(xs: list[float]) -> float:
            return statistics.median(xs)

        rows = [
            ("clone", f"{full_s:.1f} s", f"{writer_s:.1f} s", writer_s / full_s),
            ("size on disk", f"{full_bytes / mb:,.0f} MB", f"{writer_bytes / mb:,.0f} MB",
             writer_bytes / full_bytes),
            ("files checked out", f"{full_files:,}", f"{writer_files:,}",
             writer_files / full_files),
            (f"`runs create --push` (median of {args.repeat})", f"{med(full_push):.2f} s",
             f"{med(writer_push):.2f} s", med(writer_push) / med(full_push)),
            ("... fastest – slowest", f"{min(full_push):.2f} – {max(full_push):.2f} s",
             f"{min(writer_push):.2f} – {max(writer_push):.2f} s", None),
        ]  # fmt: skip
        stamp = time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())
        lines = [
            f"### writer clone: {describe_registry(repo)}",
            "",
            f"Measured {stamp} by `benchmarks/bench_writer_clone.py`: a bare remote on this "
            "machine over `file://`; the full clone is the anchor, measured in the same run.",
            *describe_machine(),
            f"- load average (1 min) {load_before:.2f} before, {load_after:.2f} after; "
            f"{on_remote:,} commits on the remote afterwards",
            "",
            "| | full clone | writer clone | writer / full |",
            "|---|---|---|---|",
            *(
                f"| {name} | {a} | {b} | {'' if r is None else f'{r:.3f}'} |"
                for name, a, b, r in rows
            ),
        ]
        table = "\n".join(lines)
        print(table)
        print(json.dumps({"full_push": full_push, "writer_push": writer_push}))
        if not args.no_write:
            write_section(args.out, "writer-clone", table)
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
