"""The records stored in the registry and the seed's response formats.

File models forbid unknown fields, so a typo such as `stauts` is an error, never
silently dropped. Response models extend them with fields that are derived, not
stored (a recipe's current version, a run's logs). Serialised with
`model_dump(mode="json")` they give the seed's response formats field for field.
"""

from __future__ import annotations

import math
import re
from enum import StrEnum
from typing import Annotated, Any, Literal

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    WithJsonSchema,
    model_validator,
)

from modelyard.domain.enums import (
    ModelFamily,
    ModelStatus,
    RecipeLevel,
    RecipeStatus,
    RunStatus,
    RunType,
)
from modelyard.domain.gates import Gate, Promotion
from modelyard.domain.ids import ID_PATTERN, ID_RULE, check_id
from modelyard.domain.limits import MAX_METRICS, MAX_NESTING, nesting_message, too_deep
from modelyard.domain.timefmt import UtcDatetime

# the JSON Schema states the same rule as the validator, so editors flag a bad id while typing
Id = Annotated[
    str,
    AfterValidator(check_id),
    WithJsonSchema({"type": "string", "pattern": ID_PATTERN.pattern, "description": ID_RULE}),
]
Name = Annotated[str, Field(min_length=1, max_length=200)]

# characters a name may not hold: C0/C1 controls, and the bidirectional overrides and isolates
# that make a name display as something else (U+202E turns "exe.txt" into "txt.exe")
HIDDEN_CHARS = r"\x00-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069"
_HIDDEN = re.compile(f"[{HIDDEN_CHARS}]")
NAME_RULE = "at least one visible character; no control or bidirectional-override characters"


def check_new_name(value: str) -> str:
    """A name given in a request: refused when blank or when it hides what it says."""
    if not value.strip():
        raise ValueError("a name must have at least one visible character, not only spaces")
    if hidden := _HIDDEN.search(value):
        raise ValueError(
            f"a name must not contain the invisible character U+{ord(hidden.group()):04X} "
            f"(at position {hidden.start()}): control and bidirectional-override characters "
            "make a name display as something it is not"
        )
    return value


# the schema states the rule too (one visible character, no hidden ones), for clients and fuzzers
NewName = Annotated[
    str,
    Field(min_length=1, max_length=200),
    AfterValidator(check_new_name),
    WithJsonSchema(
        {
            "type": "string",
            "minLength": 1,
            "maxLength": 200,
            "pattern": f"^[^{HIDDEN_CHARS}]*[^\\s{HIDDEN_CHARS}][^{HIDDEN_CHARS}]*$",
            "description": NAME_RULE,
        }
    ),
]
Tag = Annotated[str, Field(min_length=1, max_length=64)]


def _unique(tags: list[str]) -> list[str]:
    seen = set()
    for tag in tags:
        if tag in seen:
            raise ValueError(f"tag {tag!r} is listed twice")
        seen.add(tag)
    return tags


# one type for files and request bodies, so a body is refused before any record is built
Tags = Annotated[list[Tag], AfterValidator(_unique)]

SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")


def check_semver(value: str) -> str:
    if not isinstance(value, str) or not SEMVER.fullmatch(value):
        raise ValueError(f"{value!r} is not a version of the form MAJOR.MINOR.PATCH, e.g. '1.2.0'")
    return value


Semver = Annotated[
    str, AfterValidator(check_semver), WithJsonSchema({"type": "string", "pattern": SEMVER.pattern})
]


def _finite(values: dict[str, float]) -> dict[str, float]:
    for key, value in values.items():
        if not math.isfinite(value):
            raise ValueError(f"metric {key!r} is {value}, not a finite number")
    return values


def _few_metrics(values: Any) -> Any:
    # counted before the entries are validated one by one: 2 million metrics must be refused
    # in the time it takes to count them, not after building a float for each
    if isinstance(values, dict) and len(values) > MAX_METRICS:
        raise ValueError(f"{len(values):,} metrics; at most {MAX_METRICS:,} are allowed")
    if isinstance(values, dict):
        for key, value in values.items():
            if isinstance(value, bool):  # pydantic would store `true` as 1.0
                raise ValueError(f"metric {key!r} is {str(value).lower()}, not a number")
    return values


# max_length states the bound in the JSON Schema (maxProperties) for editors
Metrics = Annotated[
    dict[str, float],
    Field(max_length=MAX_METRICS),
    BeforeValidator(_few_metrics),
    AfterValidator(_finite),
]


def _finite_deep(value: Any) -> Any:
    # the field's value sits one level below its file's (or body's) top mapping
    deep = too_deep(value, MAX_NESTING - 1)
    if deep is not None:
        raise ValueError(nesting_message(deep))
    # iterative for the same reason as too_deep; depth is bounded now, but breadth is not
    stack: list[tuple[Any, tuple[str, ...]]] = [(value, ())]
    while stack:
        node, path = stack.pop()
        if isinstance(node, float) and not math.isfinite(node):
            where = ".".join(path) or "the value"
            raise ValueError(
                f"{where} is {node}, not a finite number (JSON and YAML files could not keep it)"
            )
        if isinstance(node, dict):
            # reversed: the first bad value in the file's order is the one reported
            stack.extend(reversed([(item, (*path, str(key))) for key, item in node.items()]))
        elif isinstance(node, list):
            stack.extend(reversed([(item, (*path, str(i))) for i, item in enumerate(node)]))
    return value


# free-form data: any JSON value but inf and nan, which serialising as JSON would turn into
# null (and a null in a child's manifest removes the key), nested at most MAX_NESTING deep
Data = Annotated[dict[str, Any], AfterValidator(_finite_deep)]
Rows = Annotated[list[dict[str, Any]], AfterValidator(_finite_deep)]


class Record(BaseModel):
    # deferred: a model's validator is built when it is first used, so a command pays only for
    # the records it reads
    model_config = ConfigDict(extra="forbid", validate_default=True, defer_build=True)


# a remote's or branch's name, by git's rules kept simple: no spaces, no leading `-` (git would
# read it as an option), no `..`, `//` or trailing `/`, `.` or `.lock`
GIT_NAME = r"^[A-Za-z0-9_][A-Za-z0-9._/-]*$"


def _git_name(value: str | None) -> str | None:
    if value is not None and (
        ".." in value or "//" in value or value.endswith(("/", ".", ".lock"))
    ):
        raise ValueError(f"{value!r} is not a name git accepts for a remote or a branch")
    return value


class PushPolicy(StrEnum):
    never = "never"
    always = "always"


class AckMode(StrEnum):
    """When a gateway (`modelyard serve --remote`) answers a write: once the push holding it
    succeeded, or once it is committed in the gateway's clone."""

    remote = "remote"
    local = "local"


class RemoteSettings(Record):
    """`remote:` in `registry/modelyard.yaml`: how this registry shares its commits through \
a git remote (`modelyard sync`, `--push`, `modelyard serve --remote`)."""

    name: Annotated[str, AfterValidator(_git_name)] = Field(
        "origin",
        pattern=GIT_NAME,
        description="The git remote to fetch from and push to. "
        "Overridden by --remote or $MODELYARD_REMOTE.",
    )
    branch: Annotated[str | None, AfterValidator(_git_name)] = Field(
        None,
        pattern=GIT_NAME,
        description="The branch on the remote. Default: the current branch's upstream "
        "(`git branch --set-upstream-to`), else the branch of the same name. "
        "Overridden by --branch or $MODELYARD_REMOTE_BRANCH.",
    )
    push: PushPolicy = Field(
        PushPolicy.never,
        description="`always`: every mutating command pushes as if given --push "
        "(--no-push skips it once); `never`: only with --push. Overridden by $MODELYARD_PUSH.",
    )
    batch_interval: float = Field(
        10.0,
        gt=0,
        le=3600,
        description="Seconds a gateway (`modelyard serve --remote`) gathers writes before it "
        "pushes them together. Overridden by $MODELYARD_BATCH_INTERVAL.",
    )
    push_budget: int = Field(
        6,
        ge=1,
        le=600,
        description="At most this many pushes a minute from a gateway, whatever the write rate "
        "(GitHub recommends no more than 6 a minute per repository). "
        "Overridden by $MODELYARD_PUSH_BUDGET.",
    )
    retry_tries: int = Field(
        30,
        ge=1,
        le=100,
        description="A push the remote refuses because others pushed first is fetched, "
        "rebased and pushed again, at most this many times in all. "
        "Overridden by --tries or $MODELYARD_SYNC_TRIES.",
    )
    retry_seconds: float = Field(
        180.0,
        gt=0,
        le=3600,
        description="... and for at most this many seconds, waiting a jittered, growing "
        "pause between tries. Overridden by --timeout or $MODELYARD_SYNC_SECONDS.",
    )


class PromotionSettings(Record):
    """`promotion` in `modelyard.yaml`: the default gates and the override policy."""

    gates: dict[str, Gate | None] = Field(
        default_factory=dict, description="Gates by target status (staging, production)."
    )
    allow_override: bool = Field(
        True,
        description="Whether a promotion that fails its gate may go ahead with "
        "--override-gate and a reason (recorded in the commit).",
    )

    @model_validator(mode="after")
    def _statuses(self) -> PromotionSettings:
        Promotion(gates=self.gates)  # the same statuses as a recipe may gate
        return self


class MergeByKey(Record):
    """A list of mappings merged item by item, items matched by this field."""

    merge_by_key: str = Field(min_length=1)


ListMerge = Literal["replace", "append"] | MergeByKey


class RegistrySettings(Record):
    """`registry/modelyard.yaml`: the registry's own settings and policies."""

    modelyard: int = Field(1, description="Registry format version.")
    name: str = "modelyard registry"
    description: str | None = None
    breaking_paths: list[str] = Field(
        default_factory=lambda: ["target", "features"],
        description="Manifest paths (dotted for nested ones, e.g. `pricing.price_bounds`) "
        "whose change always needs a major version.",
    )
    model_transitions: dict[ModelStatus, list[ModelStatus]] | None = Field(
        None,
        description="Allowed model status changes; when absent the built-in lifecycle applies.",
    )
    require_approved_recipe_for_production: bool = Field(
        True, description="A model may enter production only when its recipe is approved."
    )
    catalog_url: str | None = Field(None, description="Where the static catalog is published.")
    remote: RemoteSettings | None = Field(
        None,
        description="Sharing the registry through a git remote; when absent, commands never "
        "push and `modelyard sync` uses the defaults (remote `origin`, the upstream branch).",
    )
    promotion: PromotionSettings | None = Field(
        None,
        description="Promotion gates every recipe starts from, and whether a gate may be "
        "overridden (docs/promotion.md). Absent: no gates.",
    )
    list_merge: dict[str, ListMerge] = Field(
        default_factory=dict,
        description="How `recipes rebase` merges the list at a dotted manifest path when both "
        "the parent and the child changed it: `replace` (the default: a conflict), `append`, "
        "or `{merge_by_key: FIELD}` for a list of mappings.",
    )
    catalog_edit_url: str | None = Field(
        None,
        description="The catalog's 'Edit this file' link: a URL on the forge with `{path}` for "
        "the file's path from the repository's top, e.g. "
        "https://github.com/org/repo/edit/main/{path}.",
        pattern=r"^https?://[^\s]*\{path\}[^\s]*$",
    )


class Recipe(Record):
    """`recipes/<id>/recipe.yaml`."""

    id: Id
    name: Name
    model_family: ModelFamily
    level: RecipeLevel
    status: RecipeStatus = RecipeStatus.draft
    parent_id: Id | None = None
    tags: Tags = Field(default_factory=list)
    description: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Extends(Record):
    recipe: Id
    version: Semver


class ManifestFile(Record):
    # the backslash keeps the docstring one line: it is the description in manifest.json
    """`recipes/<id>/manifest.yaml`: the current version, the parent pin and the manifest \
(or overrides)."""

    version: Semver
    extends: Extends | None = None
    manifest: Data = Field(default_factory=dict)


class Model(Record):
    """`models/<id>/model.yaml`."""

    id: Id
    name: Name
    model_family: ModelFamily
    recipe_id: Id
    recipe_version_id: str
    status: ModelStatus = ModelStatus.draft
    owner: str = Field(min_length=1)
    description: str | None = None
    created_at: UtcDatetime
    updated_at: UtcDatetime


class Run(Record):
    """`runs/<shard>/<id>/run.yaml`; the logs live beside it in `logs.txt`."""

    id: Id
    model_id: Id | None = None
    recipe_id: Id
    recipe_version_id: str
    run_type: RunType
    status: RunStatus = RunStatus.queued
    created_at: UtcDatetime
    started_at: UtcDatetime | None = None
    finished_at: UtcDatetime | None = None
    metrics_json: Metrics = Field(default_factory=dict)
    artifacts_json: Data = Field(default_factory=dict)


class MonitoringSnapshot(Record):
    """`models/<model_id>/monitoring/<id>.yaml`."""

    id: Id
    model_id: Id
    captured_at: UtcDatetime
    performance_metrics_json: Metrics = Field(default_factory=dict)
    drift_metrics_json: Metrics = Field(default_factory=dict)
    data_freshness_json: Data = Field(default_factory=dict)
    alerts_json: Data = Field(default_factory=dict)
    computed_alerts_json: Data = Field(
        default_factory=dict,
        description="What the recipe version's monitoring thresholds said when the snapshot was "
        "recorded: name -> {severity (warn or alert), value, rule}. `alerts_json` stays as sent.",
    )


class SyntheticExample(Record):
    """`recipes/<id>/synthetic-example.yaml`."""

    recipe_id: Id
    dataset_schema_json: Data = Field(default_factory=dict)
    sample_rows_json: Rows = Field(default_factory=list)
    example_run_json: Data = Field(default_factory=dict)
    created_at: UtcDatetime
    updated_at: UtcDatetime


def unknown_columns(
    dataset_schema: dict[str, Any], rows: list[dict[str, Any]]
) -> list[tuple[int, str]]:
    """(row index, column) of every sample-row column that a schema listing `columns` lacks."""
    columns = dataset_schema.get("columns")
    if not isinstance(columns, dict):
        return []
    return [
        (i, key)
        for i, row in enumerate(rows)
        if isinstance(row, dict)
        for key in row
        if key not in columns
    ]


# ---- responses: stored fields plus derived ones ---------------------------------------


class RecipeOut(Recipe):
    version: str | None = Field(None, description="The recipe's current version number.")
    version_id: str | None = None


class RunOut(Run):
    logs_text: str = ""


class Response(BaseModel):
    """A response shape that is not a file. Built on first use, like every model here: building
    all of them when the module loads cost every command tens of milliseconds."""

    model_config = ConfigDict(defer_build=True)


class RecipeVersion(Response):
    """One version of a recipe, read from git history."""

    version_id: str
    recipe_id: str
    version_number: str
    manifest_json: dict[str, Any]
    diff_from_prev: dict[str, Any] | None
    created_by: str
    created_at: UtcDatetime
    change_note: str
    commit: str | None = Field(None, description="The commit that introduced the version.")
    extends: Extends | None = None
    overrides: dict[str, Any] | None = Field(
        None, description="What a child recipe sets itself, on top of its parent (null for a root)."
    )
    bump: str | None = Field(
        None, description="major, minor or patch: the change from the previous version."
    )


class RecipeList(Response):
    recipes: list[RecipeOut]
    total: int


class VersionList(Response):
    versions: list[RecipeVersion]
    total: int


class ModelList(Response):
    models: list[Model]
    total: int


class RunList(Response):
    runs: list[RunOut]
    total: int


class SnapshotList(Response):
    snapshots: list[MonitoringSnapshot]
    total: int
