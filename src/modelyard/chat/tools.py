"""The tools a model backend answers through (OpenAI-style function calling): the same
reads as the MCP server's read tools, over ops, plus the offline assistant's own answer.

Each tool has a pydantic model of its arguments (its JSON Schema is what the model is
shown, and what its call is validated against) and returns JSON-able data."""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from typing import Any, Literal

from pydantic import BaseModel, Field, ValidationError

from modelyard.chat import reads
from modelyard.errors import ModelyardError
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.storage.registry import Registry

MAX_RESULT_CHARS = 20_000  # a tool result the model reads; longer ones are cut, and say so


class Args(BaseModel):
    model_config = {"extra": "forbid"}


class Search(Args):
    query: str = Field(min_length=1, max_length=500, description="Free text.")
    kind: Literal["recipe", "model"] | None = None
    limit: int = Field(10, ge=1, le=50)


class ListRecipes(Args):
    model_family: str | None = None
    level: str | None = Field(None, description="baseline, industry or client")
    status: str | None = Field(None, description="draft, approved or archived")
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ListModels(Args):
    model_family: str | None = None
    status: str | None = Field(None, description="draft, staging, production or retired")
    recipe_id: str | None = None
    owner: str | None = None
    limit: int = Field(100, ge=1, le=500)
    offset: int = Field(0, ge=0)


class ListRuns(Args):
    model_id: str | None = None
    recipe_id: str | None = None
    status: str | None = Field(None, description="queued, running, succeeded or failed")
    run_type: str | None = Field(None, description="train, eval or backtest")
    limit: int = Field(50, ge=1, le=500)
    offset: int = Field(0, ge=0)


class RecipeArg(Args):
    recipe_id: str


class ModelArg(Args):
    model_id: str


class RunArg(Args):
    run_id: str


class VersionArg(Args):
    recipe_id: str
    version: str = Field(description="1.2.0, v1.2.0 or ver_<recipe>_v1.2.0")


class Resolve(Args):
    recipe_id: str
    version: str | None = None


class Diff(Args):
    recipe_id: str
    from_version: str
    to_version: str | None = None


class History(Args):
    kind: Literal["recipe", "model", "run"]
    id: str


class AsOf(Args):
    as_of: str = Field(description="A date (2026-11-01) or ISO 8601 time")


class NoArgs(Args):
    pass


def _dump(value: Any) -> Any:
    return value.model_dump(mode="json") if isinstance(value, BaseModel) else value


Tool = tuple[str, type[Args], Callable[[Registry, Any], Any]]
TOOLS: list[Tool] = [
    (
        "Rank recipes and models by relevance to free text (names, tags, manifests).",
        Search,
        lambda reg, a: reads.search(reg, a.query, a.kind, a.limit),
    ),
    (
        "Recipes matching every filter; total counts all matches.",
        ListRecipes,
        lambda reg, a: recipes.list_recipes(
            reg, a.model_family, a.level, a.status, a.limit, a.offset
        ),
    ),
    (
        "Models matching every filter; total counts all matches.",
        ListModels,
        lambda reg, a: models.list_models(
            reg, a.model_family, a.status, a.limit, a.offset, a.recipe_id, a.owner
        ),
    ),
    (
        "Runs matching every filter, newest first, with their logs.",
        ListRuns,
        lambda reg, a: runs.list_runs(
            reg, a.model_id, a.recipe_id, a.status, a.limit, a.offset, a.run_type
        ),
    ),
    (
        "One recipe with its current version.",
        RecipeArg,
        lambda reg, a: recipes.get_recipe(reg, a.recipe_id),
    ),
    ("One model.", ModelArg, lambda reg, a: models.get_model(reg, a.model_id)),
    ("One run with metrics and logs.", RunArg, lambda reg, a: runs.get_run(reg, a.run_id)),
    (
        "A recipe's committed versions with diffs, authors and change notes.",
        RecipeArg,
        lambda reg, a: versions.list_versions(reg, a.recipe_id),
    ),
    (
        "One committed version of a recipe.",
        VersionArg,
        lambda reg, a: versions.get_version(reg, a.recipe_id, a.version),
    ),
    (
        "A model's monitoring snapshots, newest first.",
        ModelArg,
        lambda reg, a: monitoring.list_snapshots(reg, a.model_id, 50),
    ),
    (
        "A recipe's manifest after inheritance, with the recipe that set each value.",
        Resolve,
        lambda reg, a: reads.resolve(reg, a.recipe_id, a.version),
    ),
    (
        "What changed between two committed versions of a recipe.",
        Diff,
        lambda reg, a: reads.diff_versions(reg, a.recipe_id, a.from_version, a.to_version),
    ),
    (
        "Who changed a record and when (git); a model's status changes.",
        History,
        lambda reg, a: reads.record_history(reg, a.kind, a.id),
    ),
    (
        "Every model's status at a past date, from git history.",
        AsOf,
        lambda reg, a: reads.models_as_of(reg, a.as_of),
    ),
]
NAMES = [
    "search",
    "list_recipes",
    "list_models",
    "list_runs",
    "get_recipe",
    "get_model",
    "get_run",
    "list_versions",
    "get_version",
    "list_snapshots",
    "resolve_manifest",
    "diff_versions",
    "history",
    "models_as_of",
]
BY_NAME = dict(zip(NAMES, TOOLS, strict=True))
OFFLINE = "offline_answer"


@functools.cache
def _definitions() -> str:
    return json.dumps(_build())


def definitions() -> list[dict[str, Any]]:
    """The tools in the chat-completions `tools` format (built once: the schemas do not
    change, and a slow first build must not eat into a short time limit)."""
    out: list[dict[str, Any]] = json.loads(_definitions())
    return out


def _build() -> list[dict[str, Any]]:
    out = []
    for name, (description, args, _) in BY_NAME.items():
        schema = args.model_json_schema()
        schema.pop("title", None)
        out.append(
            {
                "type": "function",
                "function": {"name": name, "description": description, "parameters": schema},
            }
        )
    out.append(
        {
            "type": "function",
            "function": {
                "name": OFFLINE,
                "description": "The registry assistant's own answer to the question, with "
                "the commands it suggests.",
                "parameters": {"type": "object", "properties": {}},
            },
        }
    )
    return out


def call(reg: Registry, name: str, arguments: str, offline: dict[str, Any]) -> str:
    """Run one tool call; its result (or the error, for the model to read) as JSON text."""
    if name == OFFLINE:
        return json.dumps(offline, ensure_ascii=False)
    found = BY_NAME.get(name)
    if found is None:
        return json.dumps({"error": f"no tool named {name!r}; tools: {', '.join(BY_NAME)}"})
    _, model, run = found
    try:
        args = model.model_validate(json.loads(arguments or "{}"))
        result = _dump(run(reg, args))
    except json.JSONDecodeError:
        return json.dumps({"error": "the arguments are not JSON"})
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        return json.dumps({"error": f"invalid arguments: {problems}"})
    except ModelyardError as exc:
        return json.dumps({"error": str(exc)})
    text = json.dumps(result, ensure_ascii=False)
    if len(text) > MAX_RESULT_CHARS:
        return json.dumps(
            {"truncated": True, "first_chars": text[:MAX_RESULT_CHARS]}, ensure_ascii=False
        )
    return text
