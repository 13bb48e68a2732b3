"""The exported JSON Schemas: valid against the meta-schema, and in agreement with the CLI's
own validation on a corpus of good and bad files."""

from __future__ import annotations

import jsonschema
import pytest

from modelyard.domain.schemas import all_schemas, schema_for
from modelyard.storage import layout, yamlio
from modelyard.validate import run
from test_validate_corpus import CASES, Case, ids_of
from validate_fixtures import copy, template  # noqa: F401  (fixtures)

SCHEMA_KIND = {"synthetic": "synthetic-example"}

# rules a JSON Schema cannot state: they compare two fields, or need the recipe's family
NOT_IN_SCHEMA = {"drift warn above alert", "non-finite metric"}
SCHEMA_CASES = [
    c for c in CASES if c.code in ("schema", "manifest-schema") and c.name not in NOT_IN_SCHEMA
]


def validator(kind: str) -> jsonschema.protocols.Validator:
    schema = schema_for(SCHEMA_KIND.get(kind, kind))
    return jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER
    )


@pytest.mark.parametrize("kind", sorted(all_schemas()))
def test_every_schema_is_valid_json_schema(kind: str) -> None:
    schema = schema_for(kind)
    jsonschema.Draft202012Validator.check_schema(schema)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["additionalProperties"] is False


def test_every_good_file_matches_its_schema(copy) -> None:  # noqa: F811
    reg, _ = copy
    checked = 0
    for path in sorted(reg.root.rglob("*.yaml")):
        rel = path.relative_to(reg.root).as_posix()
        kind = layout.kind_of(rel)
        assert kind is not None, rel
        data = yamlio.load(path.read_text()).data
        errors = [e.message for e in validator(kind[0]).iter_errors(data)]
        assert errors == [], rel
        checked += 1
    assert checked == 13


def test_schema_level_cases_cover_the_kinds() -> None:
    assert len(SCHEMA_CASES) >= 10


@pytest.mark.parametrize("case", SCHEMA_CASES, ids=[c.name for c in SCHEMA_CASES])
def test_schema_and_cli_agree_on_bad_files(copy, case: Case) -> None:  # noqa: F811
    reg, raw = copy
    ids = ids_of(reg, raw)
    case.action(reg, ids)
    rel = case.file.format(**ids)
    assert any(p.code == case.code for p in run(reg, [rel]).errors)
    data = yamlio.load(reg.path(rel).read_text()).data
    kind = layout.kind_of(rel)
    assert kind is not None
    errors = list(validator(kind[0]).iter_errors(data))
    assert errors, f"the {kind[0]} schema accepts what the CLI refuses ({case.name})"


def test_a_child_manifest_may_hold_only_overrides_and_removals() -> None:
    check = validator("manifest")
    child = {
        "version": "1.1.0",
        "extends": {"recipe": "recipe_base", "version": "1.0.0"},
        "manifest": {
            "features": {"old": None, "new": {"dtype": "float"}},
            "pricing": {"objective": "margin"},
        },
    }
    assert list(check.iter_errors(child)) == []
    root = {"version": "1.1.0", "manifest": child["manifest"]}
    messages = [e.message for e in check.iter_errors(root)]
    assert "'target' is a required property" in messages
    child["manifest"]["pricing"]["objective"] = "marginal"
    assert list(check.iter_errors(child))


def test_every_files_schema_line_finds_its_schema(copy) -> None:  # noqa: F811
    reg, _ = copy
    kinds = {
        "settings": "settings",
        "recipe": "recipe",
        "manifest": "manifest",
        "synthetic": "synthetic-example",
        "model": "model",
        "snapshot": "snapshot",
        "run": "run",
    }
    for path in sorted(reg.root.rglob("*.yaml")):
        first = path.read_text().splitlines()[0]
        assert first.startswith("# yaml-language-server: $schema="), path
        target = (path.parent / first.split("=", 1)[1]).resolve()
        kind = layout.kind_of(path.relative_to(reg.root).as_posix())
        assert kind is not None
        assert target == reg.root / ".schema" / f"{kinds[kind[0]]}.json", path
        assert target.is_file()
