"""The table of record kinds is the one every layer reads: its path patterns agree with where
storage puts each record, its filter fields with what the cache indexes, its schema names
with the exported schemas."""

from __future__ import annotations

import pytest

from modelyard.domain.kinds import KINDS
from modelyard.domain.schemas import all_schemas
from modelyard.storage import layout
from modelyard.storage.cache_rows import FIELDS
from modelyard.validate.tree import MODELS_OF_KIND

IDS = {
    "recipe_id": "recipe_a",
    "model_id": "model_a",
    "snapshot_id": "snap_a",
    "run_id": "run_20260101000000_abcdef",
    "shard": "2026-01",
}


@pytest.mark.parametrize("kind", sorted(KINDS))
def test_each_path_pattern_is_where_storage_puts_the_record(kind: str) -> None:
    entry = KINDS[kind]
    path = entry.path.format(**IDS)
    found = layout.kind_of(path)
    assert found is not None and found[0] == kind
    assert all(found[1][k] == IDS[k] for k in found[1])


def test_every_layer_reads_the_same_table() -> None:
    assert {k: v.model for k, v in KINDS.items()} == MODELS_OF_KIND
    assert {k: v.filters for k, v in KINDS.items() if v.filters} == FIELDS
    assert sorted(all_schemas()) == sorted(v.schema for v in KINDS.values())
    assert all(len(v.filters) <= 4 for v in KINDS.values())  # the cache has four columns
    for kind in KINDS.values():
        fields = kind.model.model_fields
        assert all(f in fields for f in (*kind.filters, *kind.immutable)), kind.name
