"""`snapshots_by_model` (through the derived index) reads what `snapshots` (file by file)
reads, for every model, with the working tree changed: a snapshot edited, one deleted, one
new and not committed, and one whose file name does not match its id."""

from __future__ import annotations

from conftest import manifest
from modelyard.ops import models, monitoring, recipes
from modelyard.storage import layout
from modelyard.storage.records import snapshots, snapshots_by_model
from site_registry import clock_at


def test_snapshots_by_model_reads_what_the_file_reader_reads(reg):
    with clock_at(1):
        recipe = recipes.create_recipe(
            reg,
            {
                "name": "Pricing base",
                "model_family": "pricing",
                "level": "baseline",
                "manifest": manifest("pricing"),
            },
        )
        ids = [
            models.register_model(
                reg,
                {
                    "name": f"Model {n}",
                    "recipe_id": recipe.id,
                    "recipe_version_id": "1.0.0",
                    "owner": "team",
                },
            ).id
            for n in (1, 2, 3)
        ]
    made = {}
    for day in (2, 3, 4):
        for model_id in ids[:2]:
            with clock_at(day):
                snap = monitoring.create_snapshot(
                    reg, model_id, {"performance_metrics_json": {"MAPE": day / 10}}
                )
            made.setdefault(model_id, []).append(snap.id)
    assert snapshots_by_model(reg, ids) == {m: snapshots(reg, m) for m in ids}

    first, second = ids[0], ids[1]
    edited = reg.path(layout.snapshot_file(first, made[first][0]))
    edited.write_text(edited.read_text().replace("MAPE: 0.2", "MAPE: 0.9"))
    reg.path(layout.snapshot_file(first, made[first][1])).unlink()
    source = reg.path(layout.snapshot_file(second, made[second][2]))
    new_id = made[second][2][:-1] + ("a" if made[second][2][-1] != "a" else "b")
    reg.path(layout.snapshot_file(second, new_id)).write_text(
        source.read_text().replace(made[second][2], new_id)
    )
    by_model = snapshots_by_model(reg, ids)
    assert by_model == {m: snapshots(reg, m) for m in ids}
    assert [s.performance_metrics_json["MAPE"] for s in by_model[first]] == [0.9, 0.4]
    assert new_id in {s.id for s in by_model[second]}
    assert by_model[ids[2]] == []
