"""`modelyard mcp`: the registry as an MCP server (the official `mcp` SDK's MCPServer).

Read tools call ops and return its records; each publishes JSON Schemas of its input and
output. Write tools make the same changes as the CLI but commit each to a new branch
(annotated destructive, so clients ask before calling them) and return the branch and
commit; the checked-out branch, git's index and the working tree stay as they were.
"""

# no `from __future__ import annotations`: the SDK reads the tools' annotations at runtime

import ipaddress
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any, Literal

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp_types import ToolAnnotations
from pydantic import Field

from modelyard import __version__
from modelyard.chat import reads
from modelyard.chat.readmodels import (
    ModelsAsOf,
    RecordHistory,
    ResolvedManifest,
    SearchResult,
    VersionDiff,
)
from modelyard.chat.response import ChatResponse
from modelyard.domain.enums import (
    ModelFamily,
    ModelStatus,
    RecipeLevel,
    RecipeStatus,
    RunStatus,
    RunType,
)
from modelyard.domain.records import (
    Model,
    ModelList,
    RecipeList,
    RecipeOut,
    RecipeVersion,
    RunList,
    RunOut,
    SnapshotList,
    VersionList,
)
from modelyard.errors import InvalidValue, ModelyardError
from modelyard.mcp import writes
from modelyard.mcp.schemas import GateVerdict, ValidationReport, WriteResult
from modelyard.ops import models, monitoring, recipes, runs, versions
from modelyard.storage import plumbing
from modelyard.storage.registry import Registry

INSTRUCTIONS = (
    "A git-backed registry of ML model recipes (with inherited manifests and versions), "
    "models, runs and monitoring snapshots. Read tools answer from the checked-out registry. "
    "Write tools never change the checked-out branch: each commits its change to a new "
    "branch and returns the branch and commit for a person to review and merge."
)
READ = ToolAnnotations(read_only_hint=True, open_world_hint=False)
WRITE = ToolAnnotations(
    read_only_hint=False, destructive_hint=True, idempotent_hint=False, open_world_hint=False
)

Limit = Annotated[int, Field(ge=1, le=500, description="Page size (at most 500).")]
Offset = Annotated[int, Field(ge=0, description="Matches to skip before the page.")]
RecipeId = Annotated[str, Field(description="A recipe id, e.g. recipe_pricing_base.")]
ModelId = Annotated[str, Field(description="A model id, e.g. model_retail_pricing.")]
Version = Annotated[
    str, Field(description="A committed version: `1.2.0`, `v1.2.0` or `ver_<recipe>_v1.2.0`.")
]
Branch = Annotated[
    str | None,
    Field(
        description="The new branch to commit to (must not exist). "
        "Default: modelyard/<action>-<time>-<pid>."
    ),
]


@contextmanager
def _errors() -> Iterator[None]:
    """A registry error is the tool's error result, its message and suggested action intact."""
    try:
        yield
    except ModelyardError as exc:
        raise ToolError(str(exc)) from None


def _value(enum_value: Any) -> Any:
    return None if enum_value is None else str(enum_value)


def build(root: Path) -> MCPServer:
    """The MCP server over the registry at `root` (opened afresh for every call)."""
    server = MCPServer(
        name="modelyard", version=__version__, instructions=INSTRUCTIONS, log_level="WARNING"
    )

    def reg() -> Registry:
        return Registry(root)

    def read(fn: Any) -> Any:
        return server.tool(annotations=READ)(fn)

    def write(fn: Any) -> Any:
        return server.tool(annotations=WRITE)(fn)

    @read
    def search(
        query: Annotated[str, Field(min_length=1, max_length=500, description="Free text.")],
        kind: Annotated[
            Literal["recipe", "model"] | None, Field(description="Only this kind.")
        ] = None,
        limit: Annotated[int, Field(ge=1, le=50)] = 10,
    ) -> SearchResult:
        """Rank recipes and models by relevance to free text: names, tags, descriptions and
        manifest contents (features, data sources, algorithms)."""
        with _errors():
            return reads.search(reg(), query, kind, limit)

    @read
    def list_recipes(
        model_family: ModelFamily | None = None,
        level: RecipeLevel | None = None,
        status: RecipeStatus | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> RecipeList:
        """Recipes matching every given filter, by id; `total` counts all matches."""
        with _errors():
            return recipes.list_recipes(
                reg(), _value(model_family), _value(level), _value(status), limit, offset
            )

    @read
    def list_models(
        model_family: ModelFamily | None = None,
        status: ModelStatus | None = None,
        recipe_id: Annotated[str | None, Field(description="Built from this recipe.")] = None,
        owner: str | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> ModelList:
        """Models matching every given filter, by id; `total` counts all matches."""
        with _errors():
            return models.list_models(
                reg(), _value(model_family), _value(status), limit, offset, recipe_id, owner
            )

    @read
    def list_runs(
        model_id: str | None = None,
        recipe_id: str | None = None,
        status: RunStatus | None = None,
        run_type: RunType | None = None,
        limit: Limit = 100,
        offset: Offset = 0,
    ) -> RunList:
        """Runs matching every given filter, newest first, with their logs."""
        with _errors():
            return runs.list_runs(
                reg(), model_id, recipe_id, _value(status), limit, offset, _value(run_type)
            )

    @read
    def list_versions(recipe_id: RecipeId) -> VersionList:
        """Every committed version of a recipe, oldest first: resolved manifest, diff from the
        previous version, author, date, change note and commit."""
        with _errors():
            return versions.list_versions(reg(), recipe_id)

    @read
    def list_snapshots(model_id: ModelId, limit: Limit = 100, offset: Offset = 0) -> SnapshotList:
        """A model's monitoring snapshots, newest first."""
        with _errors():
            return monitoring.list_snapshots(reg(), model_id, limit, offset)

    @read
    def get_recipe(recipe_id: RecipeId) -> RecipeOut:
        """One recipe with its current version."""
        with _errors():
            return recipes.get_recipe(reg(), recipe_id)

    @read
    def get_model(model_id: ModelId) -> Model:
        """One model."""
        with _errors():
            return models.get_model(reg(), model_id)

    @read
    def get_run(run_id: Annotated[str, Field(description="A run id.")]) -> RunOut:
        """One run with its metrics, artifacts and logs (where failures are told)."""
        with _errors():
            return runs.get_run(reg(), run_id)

    @read
    def get_version(recipe_id: RecipeId, version: Version) -> RecipeVersion:
        """One committed version of a recipe."""
        with _errors():
            return versions.get_version(reg(), recipe_id, version)

    @read
    def resolve_manifest(
        recipe_id: RecipeId,
        version: Annotated[str | None, Field(description="Default: the current version.")] = None,
    ) -> ResolvedManifest:
        """A recipe's manifest after inheritance (baseline -> industry -> client), with the
        recipe that set each value (provenance)."""
        with _errors():
            return reads.resolve(reg(), recipe_id, version)

    @read
    def diff_versions(
        recipe_id: RecipeId,
        from_version: Version,
        to_version: Annotated[str | None, Field(description="Default: the current one.")] = None,
    ) -> VersionDiff:
        """What changed between two committed versions of a recipe, and the bump it needs."""
        with _errors():
            return reads.diff_versions(reg(), recipe_id, from_version, to_version)

    @read
    def history(
        kind: Literal["recipe", "model", "run"],
        id: Annotated[str, Field(description="The record's id.")],
    ) -> RecordHistory:
        """Who changed a record, when and why (its git history); a model's status changes; a
        recipe's versions."""
        with _errors():
            return reads.record_history(reg(), kind, id)

    @read
    def models_as_of(
        as_of: Annotated[
            str, Field(description="A date (2026-11-01: the end of that day, UTC) or ISO time.")
        ],
    ) -> ModelsAsOf:
        """Every model's status at a past instant, from git history ("what was in production
        on 1 November?")."""
        with _errors():
            return reads.models_as_of(reg(), as_of)

    @read
    def check_gate(
        model_id: ModelId,
        status: Annotated[
            Literal["staging", "production"], Field(description="The status to enter.")
        ] = "production",
    ) -> GateVerdict:
        """Whether a model may be promoted to `status` by its promotion gate: every condition
        (evidence runs, acceptance thresholds, champion comparison, monitoring alerts) with
        its values and the runs looked at. Changes nothing."""
        from modelyard.ops import gates

        with _errors():
            return GateVerdict.model_validate(gates.check(reg(), model_id, status).as_json())

    @read
    def validate() -> ValidationReport:
        """Check every file of the registry, as `modelyard validate` does."""
        from modelyard.validate import run

        with _errors():
            report = run(reg(), workers=1)
            return ValidationReport(
                ok=report.ok(),
                errors=len(report.errors),
                warnings=len(report.warnings),
                problems=[p.as_json() for p in report.sorted_problems()],
            )

    @read
    def chat(
        message: Annotated[str, Field(min_length=1, max_length=4000)],
        context: Annotated[
            dict[str, Any] | None,
            Field(description="The `context` of the previous answer, to continue."),
        ] = None,
        recipe_id: Annotated[str | None, Field(description="Focus on this recipe.")] = None,
    ) -> ChatResponse:
        """Ask the registry's assistant a question in words; the answer cites the records it
        rests on and gives exact commands."""
        from modelyard.chat.assistant import answer

        with _errors():
            body = {"message": message, "context": context or {}, "recipe_id": recipe_id}
            return answer(reg(), body)

    @write
    def create_run(
        recipe_id: RecipeId,
        recipe_version_id: Version,
        run_type: RunType,
        model_id: Annotated[str | None, Field(description="For this model.")] = None,
        created_by: str | None = None,
        branch: Branch = None,
    ) -> WriteResult:
        """Queue a train, eval or backtest run, committed to a new branch."""
        body = {
            "recipe_id": recipe_id,
            "recipe_version_id": recipe_version_id,
            "run_type": str(run_type),
            "model_id": model_id,
            "created_by": created_by,
        }
        with _errors():
            return writes.create_run(root, body, branch)

    @write
    def update_run(
        run_id: str,
        status: RunStatus | None = None,
        metrics_json: Annotated[
            dict[str, float] | None, Field(description="Metric name -> number.")
        ] = None,
        artifacts_json: dict[str, Any] | None = None,
        logs_text: str | None = None,
        updated_by: str | None = None,
        branch: Branch = None,
    ) -> WriteResult:
        """Report a run's status, metrics, artifacts or logs, committed to a new branch."""
        body: dict[str, Any] = {
            "status": _value(status),
            "metrics_json": metrics_json,
            "artifacts_json": artifacts_json,
            "logs_text": logs_text,
            "updated_by": updated_by,
        }
        with _errors():
            return writes.update_run(root, run_id, _given(body), branch)

    @write
    def create_version(
        recipe_id: RecipeId,
        manifest_json: Annotated[
            dict[str, Any], Field(description="The full manifest (a child's is diffed).")
        ],
        change_note: Annotated[str, Field(min_length=1)],
        version: Annotated[
            str | None, Field(description="Default: bumped from the change.")
        ] = None,
        parent_version: Annotated[str | None, Field(description="Re-pin a child.")] = None,
        created_by: str | None = None,
        branch: Branch = None,
    ) -> WriteResult:
        """Commit a new version of a recipe, on a new branch; the number is bumped from the
        semantic difference unless given."""
        body = {
            "manifest_json": manifest_json,
            "change_note": change_note,
            "version": version,
            "parent_version": parent_version,
            "created_by": created_by,
        }
        with _errors():
            return writes.create_version(root, recipe_id, _given(body), branch)

    @write
    def register_model(
        name: str,
        recipe_id: RecipeId,
        recipe_version_id: Version,
        owner: str,
        id: Annotated[str | None, Field(description="Default: from the name.")] = None,
        status: ModelStatus | None = None,
        description: str | None = None,
        branch: Branch = None,
    ) -> WriteResult:
        """Register a model built from a committed recipe version, on a new branch."""
        body = {
            "name": name,
            "recipe_id": recipe_id,
            "recipe_version_id": recipe_version_id,
            "owner": owner,
            "id": id,
            "status": _value(status),
            "description": description,
        }
        with _errors():
            return writes.register_model(root, _given(body), branch)

    @write
    def set_model_status(
        model_id: ModelId,
        status: ModelStatus,
        updated_by: str | None = None,
        branch: Branch = None,
    ) -> WriteResult:
        """Move a model along its lifecycle (draft -> staging -> production -> retired), on a
        new branch; the registry's production gate applies."""
        body = {"status": str(status), "updated_by": updated_by}
        with _errors():
            return writes.set_model_status(root, model_id, _given(body), branch)

    return server


def _given(body: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in body.items() if v is not None}


def check_loopback(host: str) -> None:
    """The HTTP transport has no authentication, so it listens on loopback only."""
    try:
        loopback = host == "localhost" or ipaddress.ip_address(host).is_loopback
    except ValueError:
        loopback = False
    if not loopback:
        raise InvalidValue(
            f"--host {host} is not a loopback address; the MCP server has no authentication",
            action="use 127.0.0.1 (or ::1) and reach it through an SSH tunnel if need be",
        )


def run(root: Path, transport: str = "stdio", host: str = "127.0.0.1", port: int = 8765) -> None:
    """Serve until stopped: over stdin/stdout, or streamable HTTP at http://host:port/mcp."""
    plumbing.use_in_process()  # long-running: libgit2 in process rather than git per step
    server = build(root)
    if transport == "stdio":
        server.run("stdio")
        return
    check_loopback(host)
    server.run("streamable-http", host=host, port=port)
