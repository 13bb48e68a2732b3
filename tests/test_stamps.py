"""Stat stamps (storage/stamps.py): a stamp taken right after a change holds the content and
is compared by it; an older one by its stat alone; new, removed and linked files all show."""

from __future__ import annotations

import os
from collections.abc import Iterator

from modelyard.storage import layout, stamps
from modelyard.storage.registry import Registry


def _run_folder(reg: Registry, run_id: str = "run_20240301090000_abcdefgh") -> str:
    folder = reg.path(layout.run_dir(run_id))
    folder.mkdir(parents=True)
    (folder / layout.RUN_FILE).write_text("id: x\n")
    return run_id


def test_a_fresh_stamp_is_compared_by_content(reg):
    run_id = _run_folder(reg)
    before = stamps.run_stamps(reg)
    key = (layout.run_shard(run_id), run_id)
    assert "#" in before[key]  # written a moment ago: racy, so its content is kept
    run_file = reg.path(layout.run_file(run_id))
    os.utime(run_file)  # a new time, the same bytes: not a change
    assert stamps.changed(before, stamps.run_stamps(reg, before)) == set()
    run_file.write_text("id: y\n")  # the same size, in the same instant: a change
    assert stamps.changed(before, stamps.run_stamps(reg, before)) == {key}


def test_an_old_stamp_is_compared_by_stat(reg, monkeypatch):
    run_id = _run_folder(reg)
    monkeypatch.setattr(stamps, "RACY_NS", 0)  # as if written long ago
    before = stamps.run_stamps(reg)
    key = (layout.run_shard(run_id), run_id)
    assert "#" not in before[key]
    assert stamps.changed(before, stamps.run_stamps(reg, before)) == set()
    os.utime(reg.path(layout.run_file(run_id)))  # only its times: a stat cannot tell, so yes
    assert stamps.changed(before, stamps.run_stamps(reg, before)) == {key}


def test_new_removed_and_linked_files_change_the_stamps(reg, tmp_path):
    run_id = _run_folder(reg)
    key = (layout.run_shard(run_id), run_id)
    before = stamps.run_stamps(reg)
    logs = reg.path(layout.logs_file(run_id))
    logs.write_text("epoch 1\n")  # beside a run: git may not track it, the stamp shows it
    after = stamps.run_stamps(reg, before)
    assert stamps.changed(before, after) == {key}
    logs.unlink()
    outside = tmp_path / "elsewhere.txt"
    outside.write_text("epoch 1\n")
    logs.symlink_to(outside)  # the same bytes through a link: a different file
    assert stamps.changed(after, stamps.run_stamps(reg, after)) == {key}
    other = _run_folder(reg, "run_20240302090000_bcdefghj")
    now = stamps.run_stamps(reg)
    assert (layout.run_shard(other), other) in stamps.changed(after, now)


def test_snapshot_stamps_name_the_model_whose_monitoring_changed(reg):
    folder = reg.path(layout.model_dir("model_a") / layout.MONITORING)
    folder.mkdir(parents=True)
    (folder / "snap_1.yaml").write_text("id: snap_1\n")
    reg.path(layout.model_dir("model_b") / layout.MONITORING).mkdir(parents=True)
    before = stamps.snapshot_stamps(reg, ["model_a", "model_b"])
    (reg.path(layout.model_dir("model_b") / layout.MONITORING) / "snap_2.yaml").write_text("x\n")
    after = stamps.snapshot_stamps(reg, ["model_a", "model_b"], before)
    assert {model for model, _ in stamps.changed(before, after)} == {"model_b"}


def test_the_memo_store_round_trips_and_survives_a_broken_file(reg):
    stamps.save_memo(reg, "test", {"runs": [1, 2, 3]})
    assert stamps.load_memo(reg, "test") == {"runs": [1, 2, 3]}
    path = reg.git.git_dir / "modelyard" / stamps.MEMO_FOLDER / "test.pickle"
    path.write_bytes(b"not a pickle")
    assert stamps.load_memo(reg, "test") is None  # derived data: a broken memo is no memo
    stamps.drop_memo(reg, "test")
    assert not path.exists()


def test_a_memo_saved_in_parts_comes_back_in_order(reg: Registry) -> None:
    parts = [{"head": 1}, ("2024-01", b"x" * 100), ("2024-02", b"")]
    handed: list[object] = []

    def given() -> Iterator[object]:
        for part in parts:
            handed.append(part)
            yield part

    stamps.save_memo_parts(reg, "parts", given())
    assert handed == parts
    assert stamps.load_memo_parts(reg, "parts") == parts
    assert stamps.load_memo_parts(reg, "none") is None
    stamps.save_memo(reg, "whole", {"runs": [1]})  # a memo saved whole is not one in parts
    assert stamps.load_memo_parts(reg, "whole") is None
    path = reg.git.git_dir / "modelyard" / stamps.MEMO_FOLDER / "parts.pickle"
    path.write_bytes(path.read_bytes()[:-3])  # cut short: no memo, not an error
    assert stamps.load_memo_parts(reg, "parts") is None
