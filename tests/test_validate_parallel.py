"""Runs and snapshots checked in worker processes give the same report as one process."""

from __future__ import annotations

import pytest

from modelyard.validate import parallel, run
from test_validate_corpus import CASES, Case, ids_of
from validate_fixtures import copy, template  # noqa: F401  (fixtures)

# the mistakes in runs and snapshots, and a few elsewhere that runs refer to
AFFECTED = [
    c
    for c in CASES
    if "runs/" in c.file
    or "monitoring" in c.file
    or c.code in ("unknown-version", "bad-name", "unknown-model")
]


def test_there_are_cases_to_compare() -> None:
    assert len(AFFECTED) >= 12


@pytest.mark.parametrize("case", AFFECTED, ids=[c.name for c in AFFECTED])
def test_workers_report_what_one_process_does(
    copy,  # noqa: F811
    case: Case,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reg, raw = copy
    case.action(reg, ids_of(reg, raw))
    serial = run(reg, workers=1)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr(parallel, "CHUNK", 1)
    pooled = run(reg, workers=2)
    assert pooled.sorted_problems() == serial.sorted_problems()
    assert pooled.checked_files == serial.checked_files
    assert any(p.code == case.code for p in pooled.problems)


def test_small_registries_use_no_pool() -> None:
    assert parallel.worker_count(100, 4) == 1
    assert parallel.worker_count(parallel.PARALLEL_MIN, 4) == 4
    assert parallel.worker_count(parallel.PARALLEL_MIN, 1) == 1
