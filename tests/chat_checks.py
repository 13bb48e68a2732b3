"""Checks every chat test applies: nothing cited that the registry does not hold, and every
suggested command accepted by the real CLI."""

from __future__ import annotations

import json
import re
import shlex
import warnings
from typing import Any

import click

from modelyard.chat.response import ChatResponse
from modelyard.cli.main import cli
from modelyard.domain.records import Model, MonitoringSnapshot, Recipe, RecipeVersion, Run
from modelyard.errors import NotFound
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.storage.registry import Registry

ID_LIKE = re.compile(r"\b(?:recipe|model|run|snap|ver)_[a-z0-9_]*[a-z0-9](?:\.\d+\.\d+)?\b")


_SEEN: dict[tuple[str, str, str], bool] = {}


def exists(reg: Registry, ident: str) -> bool:
    """Whether `ident` names a record, asked of ops (not of the assistant's own code).
    Memoised per registry state (its HEAD), as a registry only gains records by commits."""
    key = (str(reg.root), reg.git.run("rev-parse", "HEAD").stdout.decode().strip(), ident)
    if key not in _SEEN:
        _SEEN[key] = _exists(reg, ident)
    return _SEEN[key]


def _exists(reg: Registry, ident: str) -> bool:
    try:
        if ident.startswith("recipe_"):
            recipes.get_recipe(reg, ident)
        elif ident.startswith("model_"):
            models.get_model(reg, ident)
        elif ident.startswith("run_"):
            runs.get_run(reg, ident)
        elif ident.startswith("ver_"):
            stem = ident.removeprefix("ver_").rsplit("_v", 1)[0]
            versions.get_version(reg, f"recipe_{stem}", ident)
        elif ident.startswith("snap_"):
            model_id = next(m for m in reg.ids_in("models") if ident in reg.snapshot_ids(m))
            assert any(
                s.id == ident for s in monitoring.list_snapshots(reg, model_id, limit=500).snapshots
            )
        else:
            return False
    except (NotFound, StopIteration):
        return False
    return True


FIELDS = {
    name
    for model in (Recipe, Model, Run, MonitoringSnapshot, RecipeVersion)
    for name in model.model_fields
}


def ids_in(resp: ChatResponse) -> set[str]:
    """Every id the response mentions anywhere: text, references, steps (field names are not
    ids)."""
    text = json.dumps(resp.model_dump(mode="json", exclude={"context"}), ensure_ascii=False)
    return set(ID_LIKE.findall(text)) - FIELDS


def parse_cli(line: str) -> click.Context:
    """Parse a suggested command line with the real CLI, down to its leaf command (nothing runs)."""
    args = shlex.split(line)
    assert args[0] == "modelyard", line
    command: click.Command | None = cli
    name: str | None = "modelyard"
    parent: click.Context | None = None
    args = args[1:]
    try:
        while True:
            assert command is not None, line
            ctx = command.make_context(name or "", args, parent=parent)
            if not isinstance(command, click.Group):
                return ctx
            name, command, args = command.resolve_command(ctx, _rest(ctx))
            parent = ctx
    finally:
        forget_help_options()


def forget_help_options(command: click.Command = cli) -> None:
    """Click caches each command's help option the first time a context is made; parsing in
    this process must not decide how docs/cli.md (rendered later in the session) spells it."""
    command._help_option = None  # type: ignore[attr-defined]
    if isinstance(command, click.Group):
        for name in command.list_commands(click.Context(command)):
            sub = command.get_command(click.Context(command), name)
            if sub is not None:
                forget_help_options(sub)


def _rest(ctx: click.Context) -> list[str]:
    """The arguments a group left for its subcommand (click moved them between versions)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        protected = list(
            getattr(ctx, "_protected_args", None) or getattr(ctx, "protected_args", []) or []
        )
    return [*protected, *ctx.args]


_KEYS: dict[tuple[str, str], frozenset[str]] = {}


def record_keys(reg: Registry) -> frozenset[str]:
    """The keys of the registry's runs' and snapshots' JSON mappings (`model_path` is an
    artifact's name, not a model id), read through ops; memoised per HEAD."""
    key = (str(reg.root), reg.git.run("rev-parse", "HEAD").stdout.decode().strip())
    if key not in _KEYS:
        keys: set[str] = set()
        for run in runs.list_runs(reg, limit=500).runs:
            keys |= set(run.metrics_json) | set(run.artifacts_json)
        for model_id in reg.ids_in("models"):
            for snap in monitoring.list_snapshots(reg, model_id, limit=500).snapshots:
                for data in (snap.performance_metrics_json, snap.drift_metrics_json):
                    keys |= set(data)
                keys |= set(snap.data_freshness_json) | set(snap.alerts_json)
        _KEYS[key] = frozenset(keys)
    return _KEYS[key]


def check_grounded(reg: Registry, resp: ChatResponse, message: str = "") -> None:
    """Every id the response names exists; the one exception is an id the question itself
    named, which the reply may only repeat to say that it does not exist. A key of a run's or
    snapshot's JSON (an artifact's or a metric's name) is not an id."""
    keys = record_keys(reg)
    unknown = sorted(i for i in ids_in(resp) if not exists(reg, i) and i not in keys)
    for ident in unknown:
        assert ident in message.lower() and re.search(
            rf"There is no \w+ {ident} in this registry", resp.reply
        ), f"cites an id not in the registry: {ident}\n{resp.reply}"
        assert all(r.id != ident for r in resp.references) and ident not in str(resp.next_steps)
    for ref in resp.references:
        assert ref.link.startswith("/model-development/") and ref.link.endswith(("/", ref.id))
        assert ref.api.startswith("/api/ml-development/")
    for step in resp.next_steps:
        parse_cli(step.cli)
        assert step.api.path.startswith("/api/ml-development/")
    assert resp.answered == (resp.intent != "decline")


def cited(resp: ChatResponse, kind: str | None = None) -> list[str]:
    return [r.id for r in resp.references if kind is None or r.type == kind]


def body(resp: ChatResponse) -> dict[str, Any]:
    return resp.model_dump(mode="json")
