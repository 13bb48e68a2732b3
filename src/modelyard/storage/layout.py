"""Where each record lives (docs/registry.md, "Layout"). Paths are built only from validated ids."""

from __future__ import annotations

from pathlib import PurePosixPath

from modelyard.domain.ids import check_id, shard_of

SETTINGS = "modelyard.yaml"
RECIPES = "recipes"
MODELS = "models"
RUNS = "runs"
UNSHARDED = "other"

RECIPE_FILE = "recipe.yaml"
MANIFEST_FILE = "manifest.yaml"
SYNTHETIC_FILE = "synthetic-example.yaml"
MODEL_FILE = "model.yaml"
RUN_FILE = "run.yaml"
LOGS_FILE = "logs.txt"
MONITORING = "monitoring"

# registry-relative paths (POSIX), so they read the same in git and on every OS
P = PurePosixPath


def recipe_dir(recipe_id: str) -> P:
    return P(RECIPES) / check_id(recipe_id)


def recipe_file(recipe_id: str) -> P:
    return recipe_dir(recipe_id) / RECIPE_FILE


def manifest_file(recipe_id: str) -> P:
    return recipe_dir(recipe_id) / MANIFEST_FILE


def synthetic_file(recipe_id: str) -> P:
    return recipe_dir(recipe_id) / SYNTHETIC_FILE


def model_dir(model_id: str) -> P:
    return P(MODELS) / check_id(model_id)


def model_file(model_id: str) -> P:
    return model_dir(model_id) / MODEL_FILE


def snapshot_file(model_id: str, snapshot_id: str) -> P:
    return model_dir(model_id) / MONITORING / f"{check_id(snapshot_id)}.yaml"


def run_shard(run_id: str) -> str:
    return shard_of(check_id(run_id)) or UNSHARDED


def run_dir(run_id: str) -> P:
    return P(RUNS) / run_shard(run_id) / run_id


# one path made from one string: a server makes both for every run it answers with
def run_file(run_id: str) -> P:
    return P(f"{RUNS}/{run_shard(run_id)}/{run_id}/{RUN_FILE}")


def logs_file(run_id: str) -> P:
    return P(f"{RUNS}/{run_shard(run_id)}/{run_id}/{LOGS_FILE}")


def kind_of(path: str) -> tuple[str, dict[str, str]] | None:
    """What record a registry-relative path holds: ("recipe", {"recipe_id": ...}) and so on."""
    parts = P(path).parts
    if parts == (SETTINGS,):
        return "settings", {}
    if len(parts) == 3 and parts[0] == RECIPES:
        name = {RECIPE_FILE: "recipe", MANIFEST_FILE: "manifest", SYNTHETIC_FILE: "synthetic"}.get(
            parts[2]
        )
        if name:
            return name, {"recipe_id": parts[1]}
    if len(parts) == 3 and parts[0] == MODELS and parts[2] == MODEL_FILE:
        return "model", {"model_id": parts[1]}
    if (
        len(parts) == 4
        and parts[0] == MODELS
        and parts[2] == MONITORING
        and parts[3].endswith(".yaml")
    ):
        return "snapshot", {"model_id": parts[1], "snapshot_id": parts[3][: -len(".yaml")]}
    if len(parts) == 4 and parts[0] == RUNS and parts[3] in (RUN_FILE, LOGS_FILE):
        return ("run" if parts[3] == RUN_FILE else "logs"), {"run_id": parts[2], "shard": parts[1]}
    return None


# -- the registry folder inside its repository ----------------------------------------------
# git speaks of repository paths (`registry/runs/...`), everything else of registry paths
# (`runs/...`); these two are the one mapping between them. `prefix` is the registry
# folder's path in the repository, "" when the registry is the repository's top.


def to_repo(prefix: str, rel: str) -> str:
    """The repository path of a registry path."""
    return f"{prefix}/{rel}" if prefix else rel


def from_repo(prefix: str, repo_path: str) -> str | None:
    """The registry path of a repository path; None when it lies outside the registry."""
    if not prefix:
        return repo_path
    base = prefix + "/"
    return repo_path[len(base) :] if repo_path.startswith(base) else None
