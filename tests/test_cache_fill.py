"""A first fill of the derived index parsed in forked workers (storage/cache_fill.py) stores
the very rows a fill in one process stores, and listings read the same records from it;
a file that does not parse is stored as broken either way and still reported by name
and line."""

from __future__ import annotations

import re
import sqlite3
import subprocess
from pathlib import Path

import pytest

from modelyard.errors import RegistryFileError
from modelyard.ops import load
from modelyard.storage import cache_fill, records
from modelyard.storage.cache import FILE
from modelyard.storage.registry import Registry
from test_bench_generate import load_generator


@pytest.fixture(scope="module")
def generated(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("fastbuild-fill") / "small"
    load_generator().generate(path, "small", seed=5)
    # one run file that will not parse, committed, so the fill meets it
    run_file = sorted((path / "registry" / "runs").glob("*/*/run.yaml"))[3]
    run_file.write_text("id: [unclosed\n", encoding="utf-8")
    (path / "broken.txt").write_text(run_file.relative_to(path).as_posix(), encoding="utf-8")
    subprocess.run(["git", "-C", str(path), "commit", "-qam", "a broken run"], check=True)
    return path


def _filled(source: Path, target: Path, workers: int) -> tuple[list[tuple[object, ...]], dict]:
    subprocess.run(["git", "clone", "-q", str(source), str(target)], check=True)
    # a file edited on disk: the workers cannot take HEAD's bytes from it, git gives them
    edited = sorted((target / "registry" / "models").glob("*/monitoring/*.yaml"))[0]
    edited.write_text(edited.read_text(encoding="utf-8") + "# edited\n", encoding="utf-8")
    reg = Registry(target / "registry")
    with cache_fill.parallel(workers):
        broken = (source / "broken.txt").read_text(encoding="utf-8")
        with pytest.raises(RegistryFileError, match=re.escape(f"{broken}:2:1: not valid YAML")):
            records.runs_where(reg).all()
        models = [m.id for m in load.models(reg)]
        snaps = records.snapshots_by_model(reg, models)
    db = sqlite3.connect(target / ".git" / "modelyard" / FILE)
    try:
        rows = db.execute("SELECT * FROM records ORDER BY kind, blob").fetchall()
    finally:
        db.close()
    answers = {
        "models": models,
        "snapshots": {m: [s.model_dump(mode="json") for s in v] for m, v in snaps.items()},
    }
    return rows, answers


def test_parallel_fill_stores_what_one_process_stores(
    generated: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # the small registry has 1,000 runs and 500 snapshots: let them be worth the workers
    monkeypatch.setattr(cache_fill, "PARALLEL_FROM", 100)
    monkeypatch.setattr(cache_fill, "CHUNK", 64)
    forked: list[int] = []
    submit = cache_fill.ProcessPoolExecutor.submit

    def counting(self: object, *args: object, **kwargs: object) -> object:
        forked.append(1)
        return submit(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(cache_fill.ProcessPoolExecutor, "submit", counting)
    serial_rows, serial = _filled(generated, tmp_path / "one", 1)
    assert not forked
    parallel_rows, parallel = _filled(generated, tmp_path / "two", 2)
    assert len(forked) > 10  # the runs and the snapshots went to the workers, in chunks
    assert parallel_rows == serial_rows
    assert parallel == serial
    kinds = {row[1] for row in parallel_rows}
    assert {"run", "snapshot"} <= kinds
    broken = [row for row in parallel_rows if row[1] == "run" and row[2] == 0]
    assert len(broken) == 1 and broken[0][3] is None
    assert sum(len(v) for v in serial["snapshots"].values()) == 500
    stored = [row for row in parallel_rows if row[1] == "snapshot"]
    assert len(stored) == 500 and all(row[2] == 1 for row in stored)  # the edited one too


def test_chunks_give_what_all_gives_and_let_go_of_the_data(tmp_path: Path) -> None:
    load_generator().generate(tmp_path / "tiny", "tiny", seed=3)
    reg = Registry(tmp_path / "tiny" / "registry")
    everything = [r.model_dump(mode="json") for r in records.runs_where(reg).all()]
    hits = records.runs_where(reg)
    chunked = [r.model_dump(mode="json") for chunk in hits.chunks(7) for r in chunk]
    assert chunked == everything and len(everything) == 60
    assert not any(isinstance(item.data, dict) for item in hits.items)  # type: ignore[union-attr]
    assert [r.model_dump(mode="json") for r in hits.page(7, 7)] == everything[7:14]
