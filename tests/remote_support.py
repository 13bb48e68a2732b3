"""Team registries for tests: a real bare remote, clones of it, and `git daemon` on 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from conftest import git
from modelyard.ops import recipes, runs, setup
from modelyard.storage.registry import Registry


def bare_remote(tmp_path: Path, name: str = "remote.git") -> tuple[Path, Path]:
    """A bare repository holding a new registry with one approved recipe; (bare, seed clone)."""
    seed = tmp_path / "seed"
    seed.mkdir()
    reg = setup.init_registry(seed)
    from conftest import manifest

    recipes.create_recipe(
        reg,
        {
            "name": "Pricing Baseline",
            "model_family": "pricing",
            "level": "baseline",
            "id": "recipe_pricing_base",
            "manifest": manifest("pricing"),
        },
    )
    bare = tmp_path / name
    git(tmp_path, "init", "-q", "--bare", "-b", "main", str(bare))
    # as a git host does: partial clones (writer clones) get only what they ask for
    git(bare, "config", "uploadpack.allowFilter", "true")
    git(bare, "config", "uploadpack.allowAnySHA1InWant", "true")
    git(seed, "remote", "add", "origin", str(bare))
    git(seed, "push", "-q", "-u", "origin", "main")
    return bare, seed


def clone(url: str | Path, target: Path) -> Registry:
    git(target.parent, "clone", "-q", str(url), str(target))
    return Registry(target / "registry")


def new_run(reg: Registry) -> str:
    return runs.create_run(
        reg,
        {
            "recipe_id": "recipe_pricing_base",
            "recipe_version_id": "1.0.0",
            "run_type": "train",
        },
    ).id


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def git_daemon(base: Path) -> Iterator[str]:
    """`git daemon` serving every repository under `base` (push enabled) on 127.0.0.1;
    yields its base URL, `git://127.0.0.1:<port>/`."""
    port = free_port()
    proc = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={base}",
            "--export-all",
            "--enable=receive-pack",
            "--informative-errors",
            str(base),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        env=os.environ.copy(),
    )
    try:
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    break
            time.sleep(0.05)
        else:
            raise RuntimeError("git daemon did not start")
        yield f"git://127.0.0.1:{port}/"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
