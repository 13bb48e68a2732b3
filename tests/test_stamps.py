"""Stat stamps and the memo store (storage/stamps.py), and what a look at the registry
finds changed since an earlier one (storage/since.py): a stamp taken right after a change
holds the content and is compared by it, an older one by its stat alone; a folder that
gains or loses an entry shows, by its time or, just changed, by its listing."""

from __future__ import annotations

import os
import time

from modelyard.storage import layout, since, stamps
from modelyard.storage.registry import Registry


def _run_folder(reg: Registry, run_id: str = "run_20240301090000_abcdefgh") -> str:
    folder = reg.path(layout.run_dir(run_id))
    folder.mkdir(parents=True)
    (folder / layout.RUN_FILE).write_text("id: x\n")
    return run_id


def _stamp(reg: Registry, run_id: str, before: str | None = None) -> str:
    path = str(reg.path(layout.run_file(run_id)))
    return stamps.file_stamp(path, time.time_ns(), before is not None and "#" in before)


def test_a_fresh_stamp_is_compared_by_content(reg):
    run_id = _run_folder(reg)
    before = _stamp(reg, run_id)
    assert "#" in before  # written a moment ago: racy, so its content is kept
    run_file = reg.path(layout.run_file(run_id))
    os.utime(run_file)  # a new time, the same bytes: not a change
    assert stamps.same(before, _stamp(reg, run_id, before))
    run_file.write_text("id: y\n")  # the same size, in the same instant: a change
    assert not stamps.same(before, _stamp(reg, run_id, before))


def test_an_old_stamp_is_compared_by_stat(reg, monkeypatch):
    run_id = _run_folder(reg)
    monkeypatch.setattr(stamps, "RACY_NS", 0)  # as if written long ago
    before = _stamp(reg, run_id)
    assert "#" not in before
    assert stamps.same(before, _stamp(reg, run_id, before))
    os.utime(reg.path(layout.run_file(run_id)))  # only its times: a stat cannot tell, so yes
    assert not stamps.same(before, _stamp(reg, run_id, before))


def _look(reg: Registry, old: since.Mark) -> since.Since:
    look = since.Look(reg)
    try:
        return look.since(old)
    finally:
        look.close()


def _mark(reg: Registry) -> since.Mark:
    look = since.Look(reg)
    try:
        return look.full()
    finally:
        look.close()


def test_a_folder_that_gains_or_loses_a_file_shows(reg, tmp_path, monkeypatch):
    """By its time when it is old enough to trust, else by what it lists: a `logs.txt` put
    beside a run shows either way, a file only touched does not."""
    run_id = _run_folder(reg)
    key = (layout.run_shard(run_id), run_id)
    for trusted in (False, True):
        if trusted:
            for module in (stamps, since):
                monkeypatch.setattr(module, "RACY_NS", 0)
        before = _mark(reg)
        assert (before.runs.marks(key[0])[key[1]][0] == since.RACY) is not trusted
        assert _look(reg, before).runs == set()
        logs = reg.path(layout.logs_file(run_id))
        os.utime(reg.path(layout.run_file(run_id)))  # its folder lists the same
        time.sleep(0.01)
        logs.write_text("epoch 1\n")  # git does not track it: the folder shows it
        assert _look(reg, before).runs == {key}
        assert run_id in _mark(reg).logs
        logs.unlink()
        outside = tmp_path / "elsewhere.txt"
        outside.write_text("epoch 1\n")
        logs.symlink_to(outside)  # a link where the logs were: a change too
        assert _look(reg, before).runs == {key}
        logs.unlink()


def test_a_new_snapshot_names_its_models_monitoring_folder(reg):
    for model_id in ("model_a", "model_b"):
        folder = reg.path(layout.model_dir(model_id) / layout.MONITORING)
        folder.mkdir(parents=True)
        (folder / "snap_1.yaml").write_text("id: snap_1\n")
    before = _mark(reg)
    (reg.path(layout.model_dir("model_b") / layout.MONITORING) / "snap_2.yaml").write_text("x\n")
    found = _look(reg, before)
    assert found.folders == {f"{layout.MODELS}/model_b/{layout.MONITORING}"}
    assert found.runs == set() and not found.whole


def test_files_git_does_not_track_are_stamped_and_an_edit_in_place_shows(reg):
    run_id = _run_folder(reg)
    rel = layout.run_file(run_id).as_posix()
    before = _mark(reg)
    assert rel in before.files  # HEAD does not have it: stamped
    assert layout.SETTINGS in before.files
    assert not any(p.startswith(f"{layout.RECIPES}/") for p in before.files)  # all committed
    assert _look(reg, before).paths == set()
    reg.path(rel).write_text("id: z\n")  # the same size, in place: only the stamp can tell
    assert _look(reg, before).paths == {rel}


def test_the_memo_store_round_trips_and_survives_a_broken_file(reg):
    stamps.save_memo(reg, "test", {"runs": [1, 2, 3]})
    assert stamps.load_memo(reg, "test") == {"runs": [1, 2, 3]}
    path = reg.git.git_dir / "modelyard" / stamps.MEMO_FOLDER / "test.pickle"
    path.write_bytes(b"not a pickle")
    assert stamps.load_memo(reg, "test") is None  # derived data: a broken memo is no memo
    stamps.drop_memo(reg, "test")
    assert not path.exists()


def test_memo_parts_are_files_of_their_own_and_unlisted_ones_are_removed(reg):
    first = stamps.write_memo_part(reg, "site-x", "runs-2024-01", b"one")
    second = stamps.write_memo_part(reg, "site-x", "runs-2024-02", b"two")
    other = stamps.write_memo_part(reg, "site-y", "runs-2024-01", b"three")
    assert first and second and other and len({first, second, other}) == 3
    assert stamps.read_memo_part(reg, first) == b"one"
    assert stamps.read_memo_part(reg, "../../config") is None  # only a part's own name
    stamps.save_memo(reg, "site-x", {"files": [second]})
    stamps.prune_memo_parts(reg, "site-x", [second])
    assert stamps.read_memo_part(reg, first) is None  # no longer listed: gone
    assert stamps.read_memo_part(reg, second) == b"two"
    assert stamps.read_memo_part(reg, other) == b"three"  # another memo's part stays
    assert stamps.load_memo(reg, "site-x") == {"files": [second]}  # and so does the head


def test_folders_are_marked_alike_where_stat_takes_no_folder(reg, monkeypatch):
    """Where `os.stat` cannot stat relative to an open folder, every path is stat-ed whole:
    the same marks."""
    for n in range(3):
        _run_folder(reg, f"run_2024030{n + 1}090000_abcdefgh")
    monkeypatch.setattr(stamps, "RACY_NS", 0)
    relative = _mark(reg)
    monkeypatch.setattr(os, "supports_dir_fd", set())
    whole = _mark(reg)
    assert len(whole.runs) == 3
    assert whole.runs.shards == relative.runs.shards
    assert whole.folders == relative.folders
