"""A rebuild finds what changed from git and the id folders' times (storage/since.py), not
from a stamp of every file: edits git reports, files git does not track (written by hand,
edited again in place), commits that delete, a branch switched to and back. Each rebuild
equals, byte for byte, a full build of the same registry; each case runs twice, with the
folders' times trusted (as in a registry left alone for two seconds) and with every folder
just changed (compared by listing)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import git, manifest
from modelyard.ops import runs, versions
from modelyard.site.build import BuildReport, build_site
from modelyard.storage import layout, since, stamps
from modelyard.storage.registry import Registry
from site_registry import clock_at
from test_site_build import tree
from test_site_incremental import Setup, _setup


@pytest.fixture(params=["times-trusted", "all-racy"])
def s(request, reg, monkeypatch) -> Setup:
    if request.param == "times-trusted":
        for module in (stamps, since):  # file stamps and folder marks alike
            monkeypatch.setattr(module, "RACY_NS", 0)
    return _setup(reg)


@dataclass
class Rebuild:
    report: BuildReport
    written: str  # the text of the files it wrote, as it wrote them

    @property
    def changes_only(self) -> bool:
        return self.report.changes_only


def _rebuilds(s: Setup, tmp_path: Path, *changes: Callable[[Setup], None]) -> list[Rebuild]:
    """A build, then after each change a rebuild, each compared with a fresh full build."""
    out = tmp_path / "site"
    build_site(s.reg, out, run_pages=False)
    done = []
    for n, change in enumerate(changes):
        change(s)
        report = build_site(s.reg, out, run_pages=False)
        done.append(Rebuild(report, "".join((out / rel).read_text() for rel in report.written)))
        fresh = tmp_path / f"fresh{n}"
        build_site(s.reg, fresh, incremental=False, run_pages=False)
        assert tree(out) == tree(fresh), f"after change {n + 1}"
    return done


def _run_file(s: Setup, n: int) -> Path:
    return s.reg.path(layout.run_file(s.runs[n]))


def _edit_run(n: int, old: str, new: str) -> Callable[[Setup], None]:
    def change(s: Setup) -> None:
        path = _run_file(s, n)
        text = path.read_text()
        assert old in text
        path.write_text(text.replace(old, new))

    return change


def test_an_uncommitted_edit_and_its_undoing_are_read(s, tmp_path):
    # git status reports the edit; `git checkout` puts the committed file back
    reports = _rebuilds(
        s,
        tmp_path,
        _edit_run(3, "status: succeeded", "status: failed"),
        lambda s: git(s.reg.worktree, "checkout", "--", str(_run_file(s, 3))),
    )
    assert all(r.changes_only for r in reports)
    assert "failed" in reports[0].written
    assert "failed" not in reports[1].written  # back as committed: the pages change back


def test_a_file_git_does_not_track_is_read_again_when_edited_in_place(s, tmp_path):
    """A run written by hand, then edited in place with the same size: neither git (it
    does not track it) nor its folder's time (no entry added) tells; its stamp does."""
    made = "run_20240315090000_handmade"

    def write(status: str) -> Callable[[Setup], None]:
        def change(s: Setup) -> None:
            text = _run_file(s, 0).read_text().replace(s.runs[0], made)
            text = text.replace("status: succeeded", f"status: {status}")
            path = s.reg.path(layout.run_file(made))
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text)

        return change

    logs = lambda text: lambda s: s.reg.path(layout.logs_file(made)).write_text(text)  # noqa: E731
    reports = _rebuilds(
        s,
        tmp_path,
        write("succeeded"),
        write("running"),
        logs("epoch 1 loss 0.50\n"),
        logs("epoch 1 loss 0.25\n"),  # the same size, in place
    )
    assert all(r.changes_only for r in reports)
    assert made in reports[0].written
    assert "running" in reports[1].written
    assert "loss 0.25" in reports[3].written


def test_a_committed_deletion_and_a_snapshot_edited_by_hand(s, tmp_path):
    def delete(s: Setup) -> None:
        git(s.reg.worktree, "rm", "-r", "-q", str(s.reg.path(layout.run_dir(s.runs[4]))))
        with clock_at(25):
            git(s.reg.worktree, "commit", "-q", "-m", "Drop a run")

    def snapshot(s: Setup) -> None:
        folder = s.reg.path(layout.model_dir(s.model) / layout.MONITORING)
        path = sorted(folder.iterdir())[-1]
        path.write_text(path.read_text().replace("MAPE: 0.", "MAPE: 9."))

    reports = _rebuilds(s, tmp_path, delete, snapshot)
    assert all(r.changes_only for r in reports)
    assert reports[0].report.written and s.runs[4] not in reports[0].written
    assert "9.16" in reports[1].written  # the latest snapshot, MAPE 0.16 made 9.16


def test_a_branch_switched_to_and_back(s, tmp_path):
    top = s.reg.worktree
    start = git(top, "rev-parse", "--abbrev-ref", "HEAD")

    def on_a_branch_with_a_version(s: Setup) -> None:
        git(top, "checkout", "-q", "-b", "sitefast-side")
        changed = manifest("pricing")
        changed["model"]["hyperparameters"]["num_leaves"] = 63
        with clock_at(26):
            versions.create_version(
                s.reg, s.recipe, {"manifest_json": changed, "change_note": "Side branch"}
            )

    def back(s: Setup) -> None:
        git(top, "checkout", "-q", start)

    def run_edit_committed_on_a_branch(s: Setup) -> None:
        git(top, "checkout", "-q", "-b", "sitefast-runs")
        _edit_run(2, "status: succeeded", "status: failed")(s)
        with clock_at(27):
            git(top, "commit", "-q", "-am", "A run failed after all")

    reports = _rebuilds(
        s, tmp_path, on_a_branch_with_a_version, back, run_edit_committed_on_a_branch, back
    )
    # a recipe's history changed: read whole; only a run's file: patched, both ways
    assert [r.changes_only for r in reports] == [False, False, True, True]
    assert "Side branch" in reports[0].written


def _memo_files(reg: Registry) -> dict[str, int]:
    folder = reg.git.git_dir / "modelyard" / "memo"
    return {p.name: p.stat().st_mtime_ns for p in folder.iterdir()}


def test_a_rebuild_writes_only_the_memo_parts_that_changed(reg, tmp_path):
    """The memo is a head listing its parts (catalog, snapshots, each month's runs): after a
    new run, only its month's runs and the head are written; a snapshot adds the snapshots."""
    s = _setup(reg)
    out = tmp_path / "site"
    build_site(s.reg, out, run_pages=False)
    before = _memo_files(s.reg)
    parts = {name.split(".")[1] for name in before if name.count(".") == 3}
    assert {"catalog", "snapshots", "runs-2024-03"} <= parts

    with clock_at(28):
        runs.create_run(
            s.reg, {"recipe_id": s.recipe, "recipe_version_id": "1.0.0", "run_type": "eval"}
        )
    assert build_site(s.reg, out, run_pages=False).changes_only
    after = _memo_files(s.reg)
    kept = {name.split(".")[1] for name in before.keys() & after.keys() if name.count(".") == 3}
    assert kept == parts - {"runs-2024-03"}  # the catalog and snapshots files stay as they were
    assert all(
        after[name] == before[name] for name in before.keys() & after.keys() if name.count(".") == 3
    )
    new = {name.split(".")[1] for name in after.keys() - before.keys()}
    assert new == {"runs-2024-03"}
    assert len(after) == len(before)  # the month's old part is gone, nothing left behind
