"""The catalog holds 100,000 runs and snapshots compacted (site/data.py: interned ids and
metric names, one shared set of fields set): the same values and dumps as records read the
ordinary way, and the sharing really happens."""

from __future__ import annotations

from pathlib import Path

from modelyard.ops import load
from modelyard.site.data import load_catalog
from modelyard.storage.registry import Registry
from test_bench_generate import load_generator


def test_compacted_records_equal_the_ordinary_ones(tmp_path: Path) -> None:
    load_generator().generate(tmp_path / "tiny", "tiny", seed=9)
    reg = Registry(tmp_path / "tiny" / "registry")
    cat = load_catalog(reg)
    ordinary = {r.id: load.run_out(reg, r) for r in load.runs(reg)}
    assert [r.id for r in cat.runs] == list(ordinary)
    for run in cat.runs:
        assert run.model_dump(mode="json") == ordinary[run.id].model_dump(mode="json")
        assert run.model_dump_json() == ordinary[run.id].model_dump_json()
    assert len({id(r.__pydantic_fields_set__) for r in cat.runs}) == 1
    same_recipe = [r for r in cat.runs if r.recipe_id == cat.runs[0].recipe_id]
    assert len(same_recipe) > 1 and len({id(r.recipe_id) for r in same_recipe}) == 1
    snaps = [s for m in cat.models for s in cat.snapshots.get(m.id, [])]
    assert len(snaps) == 30
    for snap in snaps:
        fresh = load.snapshots(reg, snap.model_id)
        (same,) = [s for s in fresh if s.id == snap.id]
        assert snap.model_dump_json() == same.model_dump_json()
        assert snap.model_fields_set == same.model_fields_set
    assert len({id(s.__pydantic_fields_set__) for s in snaps}) < len(snaps)


def test_a_full_read_keeps_each_models_snapshots_pickled(tmp_path: Path) -> None:
    load_generator().generate(tmp_path / "tiny", "tiny", seed=9)
    reg = Registry(tmp_path / "tiny" / "registry")
    cat = load_catalog(reg)
    model = next(m.id for m in cat.models if cat.snapshots.get(m.id))
    first, again = cat.snapshots.get(model), cat.snapshots.get(model)
    assert first == again and first is not again  # unpickled for each page, kept by none
    assert [s.id for s in first] == [s.id for s in load.snapshots(reg, model)][::-1]
    assert cat.snapshots.latest(model) == first[0]
    assert cat.snapshots.get("model_not_there", []) == []


def test_a_runs_month_is_the_start_of_its_creation_time_as_shown(tmp_path: Path) -> None:
    from datetime import UTC, datetime

    from modelyard.site.rows import iso_text
    from modelyard.site.shards import month_of

    load_generator().generate(tmp_path / "tiny", "tiny", seed=9)
    runs = load_catalog(Registry(tmp_path / "tiny" / "registry")).runs
    for run in runs:
        assert month_of(run) == iso_text(run.created_at)[:7]
    early = runs[0].model_copy(update={"created_at": datetime(987, 3, 4, 5, 6, 7, tzinfo=UTC)})
    assert month_of(early) == iso_text(early.created_at)[:7] == "0987-03"
