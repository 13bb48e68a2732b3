"""`modelyard versions ...`"""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli.common import (
    body_option,
    build_body,
    emit,
    fields_text,
    json_option,
    open_registry,
    read_data,
    read_manifest,
    table,
)
from modelyard.cli.options import recipe_id_argument, version_argument
from modelyard.cli.sync import push_option


def version_text(v: Any) -> str:
    data = v.model_dump(mode="json")
    out = fields_text(
        [
            ("version_id", v.version_id),
            ("recipe_id", v.recipe_id),
            ("version_number", v.version_number),
            ("created_by", v.created_by),
            ("created_at", data["created_at"]),
            ("commit", v.commit),
            ("change_note", v.change_note),
            ("bump", v.bump),
            ("extends", f"{v.extends.recipe} {v.extends.version}" if v.extends else None),
        ]
    )
    if v.diff_from_prev:
        out += f"\n\nchanges from {v.diff_from_prev['from_version']}:\n" + diff_text(
            v.diff_from_prev
        )
    return out


def diff_text(diff: dict[str, Any]) -> str:
    lines = []
    for c in diff["changes"]:
        if c["op"] == "add":
            lines.append(f"  + {c['path_text']} = {json.dumps(c['new'])}  ({c['bump']})")
        elif c["op"] == "remove":
            lines.append(f"  - {c['path_text']} (was {json.dumps(c['old'])})  ({c['bump']})")
        else:
            lines.append(
                f"  ~ {c['path_text']}: "
                f"{json.dumps(c['old'])} -> {json.dumps(c['new'])}  ({c['bump']})"
            )
    return "\n".join(lines) or "  (no change to the resolved manifest)"


def versions_table(result: Any) -> str:
    rows = [
        [
            v.version_number,
            v.version_id,
            v.bump or "",
            v.model_dump(mode="json")["created_at"],
            v.created_by,
            v.change_note.splitlines()[0] if v.change_note else "",
        ]
        for v in result.versions
    ]
    return table(rows, ["version", "version_id", "bump", "created_at", "created_by", "change_note"])


@click.group()
def versions() -> None:
    """Recipe versions: each is the git commit where the manifest's version changed."""


@versions.command("list")
@recipe_id_argument()
@click.option(
    "--as-of",
    metavar="DATE",
    help="As the registry was then: a date (2026-11-01: the end of that day, UTC) or a time.",
)
@json_option
@click.pass_context
def list_(ctx: click.Context, recipe_id: str, as_of: str | None, as_json: bool) -> None:
    """List every version of a recipe, oldest first (GET /recipes/{recipe_id}/versions);
    with --as-of, those committed by then."""
    from modelyard.ops import versions as ops

    emit(ops.list_versions(open_registry(ctx), recipe_id, as_of=as_of), as_json, versions_table)


@versions.command("get")
@recipe_id_argument()
@version_argument()
@click.option("--manifest", "show_manifest", is_flag=True, help="Also print the resolved manifest.")
@json_option
@click.pass_context
def get(
    ctx: click.Context, recipe_id: str, version_id: str, show_manifest: bool, as_json: bool
) -> None:
    """Show one version: VERSION_ID may be ver_<recipe>_v1.2.0, v1.2.0 or 1.2.0
    (GET /recipes/{recipe_id}/versions/{version_id})."""
    from modelyard.ops import versions as ops

    result = ops.get_version(open_registry(ctx), recipe_id, version_id)

    def text(v: Any) -> str:
        out = version_text(v)
        if show_manifest:
            from modelyard.storage import yamlio

            out += "\n\nmanifest:\n" + yamlio.dump(v.manifest_json)
        return out

    emit(result, as_json, text)


@versions.command("create")
@recipe_id_argument()
@body_option
@click.option(
    "--manifest",
    "manifest_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The whole new manifest (JSON or YAML): the mapping itself, or a manifest file's "
    "`version:` and `manifest:` (its version is not used: see --version).",
)
@click.option(
    "--patch",
    "patch_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="Deep-merge this onto the current manifest instead (null removes a key).",
)
@click.option(
    "--set",
    "sets",
    multiple=True,
    metavar="PATH=VALUE",
    help="Set one value of the current manifest, e.g. model.hyperparameters.learning_rate=0.03 "
    "(repeatable; the value is read as YAML, 'null' removes).",
)
@click.option("--change-note", help="What changed and why: the commit message.")
@click.option("--created-by", help="Author, e.g. 'Ada <ada@example.com>' (default: git's user).")
@click.option("--version", "version", help="Explicit version; by default bumped from the change.")
@click.option("--parent-version", help="Re-pin a child recipe to this version of its parent.")
@json_option
@push_option
@click.pass_context
def create(
    ctx: click.Context,
    recipe_id: str,
    body_file: str | None,
    manifest_file: str | None,
    patch_file: str | None,
    sets: tuple[str, ...],
    change_note: str | None,
    created_by: str | None,
    version: str | None,
    parent_version: str | None,
    as_json: bool,
) -> None:
    """Commit a new version of a recipe (POST /recipes/{recipe_id}/versions).

    The version number is bumped from the semantic change (removed key or changed
    type: major; added key: minor; changed value: patch; breaking paths such as
    target and features: major) unless --version is given.
    """
    from modelyard.cli.options import key_values
    from modelyard.domain.resolve import merge, set_value
    from modelyard.ops import recipes as recipe_ops
    from modelyard.ops import versions as ops

    reg = open_registry(ctx)
    manifest = read_manifest(manifest_file) if manifest_file else None
    if patch_file or sets:
        if manifest is None:
            manifest, _ = recipe_ops.resolved_manifest(reg, recipe_id)
        if patch_file:
            patch = read_data(patch_file, "patch")
            if not isinstance(patch, dict):
                raise click.BadParameter("the patch must be a mapping", param_hint="--patch")
            manifest = merge(manifest, patch)
        for path, value in (key_values(sets, "--set") or {}).items():
            manifest = set_value(manifest, path, value)
    body = build_body(
        body_file,
        recipe_id=None,
        manifest_json=manifest,
        change_note=change_note,
        created_by=created_by,
        version=version,
        parent_version=parent_version,
    )
    emit(ops.create_version(reg, recipe_id, body), as_json, version_text)
