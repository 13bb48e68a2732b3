"""Schemathesis against the server's own /openapi.json: every operation with generated
valid and invalid input, then stateful sequences that follow the document's links (create a
recipe, then read, change, clone, version and delete it). No 5xx, no status code or body
that the document does not describe, invalid input always refused.

Valid-by-schema bodies may still be refused with 409 or 422 (a manifest that misses what
its family needs, a status change the lifecycle forbids), so `positive_data_acceptance` is
not among the checks."""

from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.checks import (
    content_type_conformance,
    negative_data_rejection,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
    use_after_free,
)

from conftest import git, manifest
from modelyard.ops import models, runs
from modelyard.server.app import create_app
from modelyard.storage.registry import Registry

pytestmark = [pytest.mark.slow, pytest.mark.filterwarnings("ignore::DeprecationWarning")]

CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


@pytest.fixture
def api_schema(reg: Registry, base_recipe: str) -> schemathesis.BaseSchema:
    model = models.register_model(
        reg,
        {
            "name": "Fuzzed",
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "owner": "team",
        },
    )
    runs.create_run(
        reg,
        {
            "recipe_id": base_recipe,
            "recipe_version_id": "ver_pricing_base_v1.0.0",
            "run_type": "train",
            "model_id": model.id,
        },
    )
    return schemathesis.openapi.from_asgi("/openapi.json", create_app(reg))


schema = schemathesis.pytest.from_fixture("api_schema")


# operations whose schema-valid bodies may still be refused by a rule that spans fields or the
# path, which JSON Schema cannot state: a body id that must equal the path's, a recipe without
# a parent that needs a whole manifest of its family
CROSS_FIELD = {
    "POST /api/ml-development/recipes",
    "POST /api/ml-development/recipes/{recipe_id}/versions",
    "POST /api/ml-development/models/{model_id}/monitoring",
    "POST /api/ml-development/recipes/{recipe_id}/synthetic-example",
}


# values read beyond what their schema states (docs/api.md says so): `as_of`, a date or a
# time in text, and a rebase's `resolutions`, a mapping of paths to ours | theirs | {value}
UNSTATED = ("Invalid as_of value", '"resolutions"')


@schemathesis.check
def schema_valid_input_is_accepted(ctx, response, case) -> None:  # type: ignore[no-untyped-def]
    """A request the document calls valid is not refused as malformed (400/422): every rule
    the server enforces on one field is in the document (patterns, lengths, no NUL). A 404
    or 409 (no such record, a state that forbids the change) is an answer, not a refusal."""
    positive = case.meta is not None and case.meta.generation.mode.is_positive
    if positive and any(word in response.text for word in UNSTATED):
        return
    if positive and response.status_code in (400, 422) and case.operation.label not in CROSS_FIELD:
        raise AssertionError(
            f"schema-valid request refused with {response.status_code}: {response.text[:300]}"
        )


@schema.parametrize()
@settings(max_examples=6, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
def test_every_operation(case: schemathesis.Case) -> None:
    case.call_and_validate(checks=[*CHECKS, schema_valid_input_is_accepted])


def test_stateful_links(reg: Registry, base_recipe: str) -> None:
    loaded = schemathesis.openapi.from_asgi("/openapi.json", create_app(reg))
    machine = loaded.as_state_machine()
    body = manifest("pricing")
    seen: list[tuple[str, int]] = []

    start = git(reg.worktree, "rev-parse", "HEAD")

    class Machine(machine):  # type: ignore[misc,valid-type]
        def setup(self) -> None:
            # every scenario starts from the same registry, so that replaying a scenario
            # (hypothesis does, to shrink one) gets the same answers
            # under the registry's write lock, which the server's batched index update holds
            # too: git cannot reset an index that update holds locked
            lock = reg.write_lock()
            try:
                git(reg.worktree, "reset", "-q", "--hard", start)
                git(reg.worktree, "clean", "-qfd")
            finally:
                lock.release()  # type: ignore[attr-defined]

        def before_call(self, case: schemathesis.Case) -> None:
            if case.meta is not None and case.meta.generation.mode.is_negative:
                # a case made to be refused stays as generated: filling in its fields could
                # repair the very part that makes it invalid
                return
            # a whole valid manifest, so that a created recipe leads somewhere
            if case.operation.label == "POST /api/ml-development/recipes" and isinstance(
                case.body, dict
            ):
                case.body.update(
                    {
                        "model_family": "pricing",
                        "level": "baseline",
                        "manifest": body,
                        "parent_id": None,
                    }
                )
                case.body.pop("id", None)
            # and a new version that is valid too, so that following the link can succeed
            if (
                case.operation.label == "POST /api/ml-development/recipes/{recipe_id}/versions"
                and isinstance(case.body, dict)
            ):
                changed = manifest("pricing")
                changed["model"]["hyperparameters"]["learning_rate"] = 0.01
                case.body.update({"manifest_json": changed, "change_note": "Tune"})
                for key in ("recipe_id", "version", "parent_version"):
                    case.body.pop(key, None)

        def after_call(self, response, case):  # type: ignore[no-untyped-def]
            seen.append((case.operation.label, response.status_code))

        def validate_response(self, response, case, **kwargs):  # type: ignore[no-untyped-def]
            case.validate_response(response, checks=[*CHECKS, use_after_free])

    Machine.run(
        settings=settings(
            max_examples=30,
            stateful_step_count=8,
            deadline=None,
            derandomize=True,
            suppress_health_check=list(HealthCheck),
        )
    )
    created = [s for label, s in seen if label == "POST /api/ml-development/recipes" and s == 201]
    # a generated id almost never exists: a success on a recipe's own path followed a link
    followed = [s for label, s in seen if "/recipes/{recipe_id}" in label and s < 300]
    assert created and followed, seen


def _strings(schema: dict, where: str):  # type: ignore[no-untyped-def,type-arg]
    if schema.get("type") == "string":
        yield where, schema
    for n, option in enumerate(schema.get("anyOf", [])):
        yield from _strings(option, f"{where}|{n}")
    if isinstance(schema.get("items"), dict):
        yield from _strings(schema["items"], f"{where}[]")


def test_the_document_states_that_no_body_text_holds_a_nul(reg: Registry) -> None:
    """Every text of every request body says in its schema what the server enforces: a NUL
    (which no commit message or identity can hold) does not match its pattern."""
    import re

    doc = create_app(reg).openapi()
    schemas = doc["components"]["schemas"]
    bodies = [
        "RecipeCreate", "RecipeUpdate", "VersionCreate", "ModelCreate", "ModelUpdate",
        "RunCreate", "RunUpdate", "SnapshotCreate", "SyntheticCreate", "ChatRequest",
    ]  # fmt: skip
    checked = 0
    for name in bodies:
        for field, prop in schemas[name]["properties"].items():
            for where, text in _strings(prop, f"{name}.{field}"):
                if "enum" in text or "format" in text:
                    continue
                checked += 1
                assert "pattern" in text, where
                assert not re.search(text["pattern"], "a\x00b"), where
    assert checked >= 20
