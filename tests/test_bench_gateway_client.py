"""The gateway benchmark's load generator (benchmarks/bench_gateway.py `drive`, its plain
keep-alive connections) against a real `modelyard serve` on 127.0.0.1: every write it
counts as acknowledged is a run in the registry, once, and a refused write is counted as
an error, not as a write."""

from __future__ import annotations

import asyncio
import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from conftest import git
from server_support import running_server

ROOT = Path(__file__).resolve().parent.parent


def bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "bench_gateway", ROOT / "benchmarks/bench_gateway.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules.setdefault("bench_gateway", module)  # its dataclasses look themselves up
    spec.loader.exec_module(module)
    return module


def served_clone(tmp_path: Path, module: ModuleType) -> Path:
    remote = module.make_remote(tmp_path)
    clone = tmp_path / "clone"
    git(tmp_path, "clone", "-q", str(remote), str(clone))
    return clone


def committed_runs(clone: Path) -> set[str]:
    """The ids of the runs HEAD holds."""
    files = git(clone, "ls-tree", "-r", "--name-only", "HEAD", "registry/runs").split()
    return {p.split("/")[-2] for p in files if p.endswith("/run.yaml")}


@pytest.mark.parametrize("client", ["raw", "httpx"])
def test_every_write_the_generator_counts_is_in_the_registry(tmp_path: Path, client: str) -> None:
    module = bench()
    clone = served_clone(tmp_path, module)
    with running_server(clone / "registry", log_dir=tmp_path) as server:
        latencies, errors, made = asyncio.run(module.drive(server.base, 8, 1.5, client))
    assert errors == 0
    assert made and len(latencies) == len(made)
    assert len(set(made)) == len(made)
    assert committed_runs(clone) == set(made)


def test_a_refused_write_is_an_error_not_a_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    module = bench()
    clone = served_clone(tmp_path, module)
    monkeypatch.setattr(module, "BODY", {**module.BODY, "recipe_id": "recipe_not_there"})
    with running_server(clone / "registry", log_dir=tmp_path) as server:
        latencies, errors, made = asyncio.run(module.drive(server.base, 2, 0.5))
    assert errors > 0 and made == [] and latencies == []
    assert "404" in capsys.readouterr().err


def test_the_fixed_rate_loop_sends_at_its_rate_and_waits_for_every_answer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`drive_rate` starts its writes on schedule whatever the answers, reuses no connection
    the server may have ended for idling, and waits for every write it started: 40 a second
    for 1.5 s is 60 runs in the registry, each once, none refused."""
    module = bench()
    monkeypatch.setattr(module, "KEEP_ALIVE", 1.2)  # connections idle 0.2 s are not reused
    clone = served_clone(tmp_path, module)
    with running_server(clone / "registry", log_dir=tmp_path) as server:
        latencies, errors, made, most = asyncio.run(module.drive_rate(server.base, 40, 1.5))
    assert errors == 0
    assert len(made) == len(set(made)) == len(latencies) == 60
    assert 1 <= most <= 60
    assert committed_runs(clone) == set(made)
