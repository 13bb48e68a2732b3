"""Properties over the domain and storage, with generated values (hypothesis): whatever the
API accepts is stored so that it reads back as the same record, from the working tree and
from git's committed state, with the committed bytes the file's bytes; and a registry made
only through the API passes `validate`.

Each example is a real mutation of a real git repository, so the example counts are small;
`derandomize` keeps CI repeatable, and HYPOTHESIS_PROFILE=deep runs many more."""

from __future__ import annotations

import math
import os
import subprocess
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from conftest import git
from modelyard import validate
from modelyard.domain.timefmt import iso
from modelyard.errors import ValidationFailed
from modelyard.ops import models, monitoring, recipes, runs
from modelyard.storage.registry import Registry

pytestmark = pytest.mark.slow

settings.register_profile(
    "ci",
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
)
settings.register_profile(
    "deep", max_examples=300, deadline=None, suppress_health_check=list(HealthCheck)
)
PROFILE = os.environ.get("HYPOTHESIS_PROFILE", "ci")
VERSION = "ver_pricing_base_v1.0.0"

# text as JSON carries it: any character but the lone surrogates UTF-8 cannot hold
text = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
keys = st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=20)
numbers = st.floats(allow_nan=False, allow_infinity=False) | st.integers(-(2**53), 2**53)
scalars = st.none() | st.booleans() | numbers | text
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(keys, inner, max_size=4),
    max_leaves=12,
)
metrics = st.dictionaries(keys, st.floats(allow_nan=False, allow_infinity=False), max_size=6)
instants = st.datetimes(
    min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.just(UTC)
).map(lambda d: d.replace(microsecond=0))


def same(a: Any, b: Any) -> bool:
    """Equal as JSON would say, with -0.0 equal to 0.0 and an int equal to its float."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    if isinstance(a, int | float) and isinstance(b, int | float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return bool(a == b)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """One registry for every example of the module (a new repository per example would
    make each of them cost a second)."""
    from conftest import manifest
    from modelyard.ops import setup

    root = tmp_path_factory.mktemp("props") / "repo"
    root.mkdir()
    git(root, "init", "-q", "-b", "main")
    git(root, "config", "user.name", "Prop")
    git(root, "config", "user.email", "prop@example.com")
    reg = setup.init_registry(root)
    recipe = recipes.create_recipe(
        reg,
        {
            "name": "Pricing Base",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest("pricing"),
        },
    )
    model = models.register_model(
        reg,
        {"name": "Prop", "recipe_id": recipe.id, "recipe_version_id": VERSION, "owner": "t"},
    )
    return {"reg": reg, "recipe": recipe.id, "model": model.id}


def committed_equals_disk(reg: Registry, rel: str) -> None:
    on_disk = reg.path(rel).read_bytes()
    in_head = subprocess.run(
        ["git", "cat-file", "blob", f"HEAD:{reg.repo_path(rel)}"],
        cwd=reg.worktree,
        capture_output=True,
        check=True,
    ).stdout
    assert in_head == on_disk
    assert git(reg.worktree, "status", "--porcelain", "--", reg.repo_path(rel)) == ""


@settings(settings.get_profile(PROFILE))
@given(
    metrics_json=metrics,
    artifacts_json=st.dictionaries(keys, json_values, max_size=5),
    logs=text,
    who=text,
)
def test_a_run_reads_back_as_it_was_written(world, metrics_json, artifacts_json, logs, who):
    reg: Registry = world["reg"]
    made = runs.create_run(
        reg,
        {
            "recipe_id": world["recipe"],
            "recipe_version_id": VERSION,
            "run_type": "train",
            "model_id": world["model"],
        },
    )
    body = {
        "status": "succeeded",
        "metrics_json": metrics_json,
        "artifacts_json": artifacts_json,
        "logs_text": logs,
        "updated_by": who,
    }
    try:
        updated = runs.update_run(reg, made.id, body)
    except ValidationFailed as refused:
        # refused only for a reason the docs name, on the field it names
        assert all(e["loc"][0] == "body" for e in refused.detail), refused.detail
        return
    for reader in (reg, Registry(reg.root, committed=True), Registry(reg.root)):
        back = runs.get_run(reader, made.id)
        assert same(back.metrics_json, updated.metrics_json)
        assert same(back.metrics_json, {k: float(v) for k, v in metrics_json.items()})
        assert same(back.artifacts_json, artifacts_json)
        assert back.status == "succeeded"
    assert runs.get_run(reg, made.id).logs_text == logs
    files = [p for p in reg.git.out("show", "--name-only", "--format=", "HEAD").splitlines()]
    assert files, "the update made a commit"
    for repo_path in files:
        rel = reg.rel_path(repo_path)
        assert rel is not None
        committed_equals_disk(reg, rel)


def find_snapshot(reg: Registry, model_id: str, snapshot_id: str) -> Any:
    offset = 0
    while True:
        page = monitoring.list_snapshots(reg, model_id, limit=500, offset=offset)
        for snapshot in page.snapshots:
            if snapshot.id == snapshot_id:
                return snapshot
        offset += 500
        assert offset < page.total, f"{snapshot_id} is not listed"


@settings(settings.get_profile(PROFILE))
@given(
    performance=metrics,
    drift=metrics,
    freshness=st.dictionaries(keys, json_values, max_size=4),
    alerts=st.dictionaries(keys, json_values, max_size=4),
    when=instants,
)
def test_a_snapshot_reads_back_as_it_was_written(
    world, performance, drift, freshness, alerts, when
):
    reg: Registry = world["reg"]
    made = monitoring.create_snapshot(
        reg,
        world["model"],
        {
            "performance_metrics_json": performance,
            "drift_metrics_json": drift,
            "data_freshness_json": freshness,
            "alerts_json": alerts,
            "captured_at": iso(when),
        },
    )
    assert made.captured_at == when
    back = find_snapshot(Registry(reg.root, committed=True), world["model"], made.id)
    assert back.captured_at == when
    assert same(back.performance_metrics_json, made.performance_metrics_json)
    assert same(back.drift_metrics_json, made.drift_metrics_json)
    assert same(back.data_freshness_json, freshness)
    assert same(back.alerts_json, alerts)


@settings(settings.get_profile(PROFILE))
@given(
    name=text.filter(lambda t: t.strip()),
    description=st.none() | text,
    tags=st.lists(st.text(st.characters(exclude_categories=("Cs",)), min_size=1, max_size=12),
                  unique=True, max_size=4),
    owner=text,
)  # fmt: skip
def test_records_with_any_accepted_text_read_back_and_validate(
    world, name, description, tags, owner
):
    reg: Registry = world["reg"]
    try:
        clone = recipes.clone_recipe(reg, world["recipe"], name)
    except ValidationFailed as refused:
        # a name with an invisible control character is refused, naming the field
        assert [e["loc"] for e in refused.detail] in ([["body", "name"]], [["query", "name"]])
        return
    recipes.update_recipe(reg, clone.id, {"tags": tags, "description": description})
    model = models.register_model(
        reg,
        {
            "name": name,
            "recipe_id": clone.id,
            "recipe_version_id": clone.version_id,
            "owner": owner or "t",
            "description": description,
        },
    )
    for reader in (Registry(reg.root, committed=True), Registry(reg.root)):
        back = recipes.get_recipe(reader, clone.id)
        assert (back.name, back.tags, back.description) == (name, tags, description)
        again = models.get_model(reader, model.id)
        assert (again.name, again.owner, again.description) == (name, owner or "t", description)
    report = validate.run(reg, paths=[f"recipes/{clone.id}", f"models/{model.id}"])
    assert not report.errors, [p.message for p in report.errors]


def test_the_whole_registry_the_examples_made_passes_validate(world) -> None:
    """Run after the properties above (file order): everything they stored is valid."""
    reg: Registry = world["reg"]
    report = validate.run(reg)
    assert not report.errors, [f"{p.file}: {p.message}" for p in report.errors][:10]
    assert git(reg.worktree, "status", "--porcelain") == ""
    assert int(git(reg.worktree, "rev-list", "--count", "HEAD")) > 10
