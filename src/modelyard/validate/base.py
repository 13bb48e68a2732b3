"""Checks against a base ref (the pull request's target): versions, fields that never change,
status lifecycles, deletions, and the per-recipe summary of what changed.

The base side is read from git in one pass: `Git.changed_since` (`git diff --raw -z`) lists
what changed with the base's blob ids, one `git cat-file --batch` reads those blobs.
"""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from modelyard.domain.ids import is_valid_id
from modelyard.domain.kinds import KINDS
from modelyard.domain.lifecycle import (
    RECIPE_TRANSITIONS,
    RUN_TRANSITIONS,
    model_table,
    transition_problem,
)
from modelyard.domain.records import ManifestFile, RegistrySettings
from modelyard.domain.resolve import resolve
from modelyard.domain.semver import at_least, bump, bump_between, manifest_diff
from modelyard.domain.semver import parse as parse_semver
from modelyard.errors import InvalidValue, ModelyardError
from modelyard.storage import layout
from modelyard.validate.context import Context
from modelyard.validate.report import RecipeChange
from modelyard.validate.tree import (
    MODEL_FILES,
    MODELS_OF_KIND,
    RECIPE_FILES,
    RUN_FILES,
    Parsed,
    parse_bytes,
)


@dataclass
class Change:
    rel: str  # registry-relative
    status: str  # A, M, D
    old_blob: str | None


def changed_files(ctx: Context, base: str) -> list[Change]:
    """What differs between `base` and the working tree (tracked edits and new files)."""
    git = ctx.reg.git
    if not ctx.reg.in_git:
        raise InvalidValue(f"--base needs a git repository, and {ctx.reg.root} is not in one")
    if git.resolve_commit(base) is None:
        raise InvalidValue(
            f"--base {base!r} is not a commit in this repository",
            action="fetch it first (`git fetch origin main`) and pass e.g. --base origin/main",
        )
    from modelyard.storage.newfiles import new_files

    spec = ctx.reg.prefix or "."
    # git compares every tracked file with the base (a stat of each, in C) while the new files
    # are looked for here: the two cost about the same on a large registry
    with ThreadPoolExecutor(1) as pool:
        diff = pool.submit(git.changed_since, base, spec)
        # new files where records can be, not every folder (storage/newfiles.py)
        new = new_files(git, str(ctx.reg.root), ctx.reg.prefix, ctx.reg.blob_cache)
        out = [Change(_strip(ctx, c.path), c.status[0], c.old_blob) for c in diff.result()]
    out += [Change(_strip(ctx, p), "A", None) for p in new]
    ctx.tree.new_files = [_strip(ctx, p) for p in new]
    return sorted(out, key=lambda c: c.rel)


def _kind(rel: str) -> str | None:
    found = layout.kind_of(rel)
    return found[0] if found else None


def _strip(ctx: Context, repo_path: str) -> str:
    found = ctx.reg.rel_path(repo_path)
    return repo_path if found is None else found


def compare(ctx: Context, base: str) -> list[str]:
    """Every base rule over the change; returns the added and modified files to check in depth."""
    changes = [c for c in changed_files(ctx, base) if not c.rel.startswith(".")]
    if any(_kind(c.rel) in ("recipe", "manifest", "model") for c in changes):
        # who uses a changed recipe or model is asked below: git looks while this parses
        ctx.tree.start_users()
    blobs = ctx.reg.git.cat_blobs(c.old_blob for c in changes if c.old_blob)
    old: dict[str, Parsed[Any]] = {}
    for c in changes:
        found = layout.kind_of(c.rel)
        if c.old_blob and found and found[0] in MODELS_OF_KIND and c.old_blob in blobs:
            old[c.rel] = parse_bytes(
                blobs[c.old_blob], MODELS_OF_KIND[found[0]], c.rel, ctx.display(c.rel)
            )
    settings = old.get(layout.SETTINGS)
    base_settings = settings.record if settings is not None and settings.record else ctx.settings
    rules = _Rules(ctx, base, base_settings)
    deleted_recipes: set[str] = set()
    deleted_models: set[str] = set()
    for c in changes:
        found = layout.kind_of(c.rel)
        if found is None:
            continue
        kind, ids = found
        before = old.get(c.rel)
        if c.status == "D":
            if kind in ("recipe", "manifest"):
                deleted_recipes.add(ids["recipe_id"])
            elif kind == "model":
                deleted_models.add(ids["model_id"])
        elif c.status == "M" and before is not None and before.record is not None:
            rules.modified(c.rel, kind, before.record)
        elif c.status == "A" and kind == "model":
            rules.added_model(c.rel)
        if kind == "manifest":
            rules.recipe_version(ids["recipe_id"], c, before)
    rules.deleted(deleted_recipes, deleted_models)
    rules.promotions()
    from modelyard.validate import impact

    report = ctx.out.report
    report.descendant_impacts = impact.descendant_impacts(ctx, rules.edited, rules.breaking_paths)
    settings_changed = any(c.rel == layout.SETTINGS and c.status == "M" for c in changes)
    report.gate_impacts = impact.gate_impacts(
        ctx, base_settings, settings_changed, rules.base_manifests
    )
    return [c.rel for c in changes if c.status != "D"]


class _Rules:
    def __init__(self, ctx: Context, base: str, base_settings: RegistrySettings) -> None:
        self.ctx = ctx
        self.base = base
        # the base's policies judge the change, so a change cannot loosen its own rules
        self.model_table = model_table(base_settings.model_transitions)
        self.breaking_paths = tuple(base_settings.breaking_paths)
        self.base_settings = base_settings
        self._in_change: set[str] | None = None
        # (file, model, old status, new status) of every status change, judged by its gate
        self.status_changes: list[tuple[str, Any, str, str]] = []
        # recipe id -> its resolved manifest on the base, for those the change edits
        self.base_manifests: dict[str, dict[str, Any]] = {}
        self.edited: list[str] = []  # recipes whose resolved manifest the change edits

    def on_base(self, commit: str) -> bool:
        """Whether a commit of HEAD's history is on the base (not one of the change's own)."""
        if self._in_change is None:
            self._in_change = self.ctx.reg.git.commits_since(self.base)
        return commit not in self._in_change

    # -- a record edited -------------------------------------------------------------
    def modified(self, rel: str, kind: str, before: BaseModel) -> None:
        after = self.ctx.tree.parse_kind(rel, kind)
        if after is None or after.record is None:
            return  # its own problems are reported by the tree checks
        shown = self.ctx.display(rel)
        old_raw, new_raw = before.model_dump(mode="json"), after.record.model_dump(mode="json")
        for field in KINDS[kind].immutable if kind in KINDS else ():
            if old_raw.get(field) != new_raw.get(field):
                self.ctx.out.error(
                    "immutable-field",
                    shown,
                    f"{field} never changes once written (base: {old_raw.get(field)!r}, "
                    f"now: {new_raw.get(field)!r}); make a new record instead",
                    after.where(field),
                    field,
                )
        table = {
            "recipe": RECIPE_TRANSITIONS,
            "model": self.model_table,
            "run": RUN_TRANSITIONS,
        }.get(kind)
        if table is not None and old_raw.get("status") != new_raw.get("status"):
            problem = transition_problem(kind, old_raw["status"], new_raw["status"], table)  # type: ignore[arg-type]
            if problem:
                self.ctx.out.error(
                    "status-transition", shown, problem, after.where("status"), "status"
                )
            elif kind == "model":
                self.status_changes.append(
                    (rel, after.record, old_raw["status"], new_raw["status"])
                )

    def added_model(self, rel: str) -> None:
        """A new model file starts in its status as if promoted from draft."""
        after = self.ctx.tree.parse_kind(rel, "model")
        if after is not None and after.record is not None and after.record.status != "draft":
            self.status_changes.append((rel, after.record, "draft", str(after.record.status)))

    # -- promotions judged by their gates ---------------------------------------------
    def promotions(self) -> None:
        """A model moved up (draft -> staging -> production) must pass the gate the base
        declares (its settings, and its recipe's manifest as the base has it), so a change
        cannot loosen the gate it is judged by; each unmet condition is an error on the
        `status` line."""
        from modelyard.ops.gates import Checker, is_promotion

        moves = [c for c in self.status_changes if is_promotion(c[2], c[3])]
        if not moves:
            return
        checker = Checker(self.ctx.reg, self.base_settings, resolver=self.ctx.resolver)
        checker.policy_manifests.update(self.base_manifests)
        for rel, model, old, new in moves:
            shown = self.ctx.display(rel)
            parsed = self.ctx.tree.parse_kind(rel, "model")
            where = parsed.where("status") if parsed is not None else None
            try:
                verdict = checker.verdict(model, new, self._models_of(model.recipe_id))
            except ModelyardError as exc:
                self.ctx.out.error("gate", shown, f"{old} -> {new}: {exc.message}", where, "status")
                continue
            if verdict.passed:
                continue
            overridden = self._overridden(rel, new)
            for c in verdict.unmet:
                text = (
                    f"{model.id} cannot go {old} -> {new}: the {new} gate ({verdict.source}) "
                    f"is not met: {c.name}: {c.message}"
                )
                if overridden is None:
                    self.ctx.out.error("gate", shown, text, where, "status")
                else:
                    self.ctx.out.warning(
                        "gate-overridden",
                        shown,
                        f"{text}; overridden in {overridden[:10]} with a reason",
                        where,
                        "status",
                    )

    def _models_of(self, recipe_id: str) -> list[Any]:
        """The readable models of a recipe in the tree (a broken file is reported by itself)."""
        users = self.ctx.tree.users("recipe_id", {recipe_id}, MODEL_FILES).get(recipe_id, [])
        out = []
        for rel in users:
            parsed = self.ctx.tree.model(rel.split("/")[1])
            if parsed is not None and parsed.record is not None:
                out.append(parsed.record)
        return out

    def _overridden(self, rel: str, status: str) -> str | None:
        """The commit of this change that moved the model with `--override-gate` and a reason
        (its `Gate: <status> overridden` and `Reason:` trailers), where the base allows it."""
        from modelyard.storage.history import file_log

        allowed = self.base_settings.promotion
        if allowed is not None and not allowed.allow_override:
            return None
        reg = self.ctx.reg
        for change in reversed(file_log(reg.git, reg.prefix, rel)):
            if self.on_base(change.commit):
                return None
            lines = change.message.splitlines()
            if any(line.startswith(f"Gate: {status} overridden") for line in lines) and any(
                line.startswith("Reason: ") for line in lines
            ):
                return change.commit
        return None

    # -- records deleted -------------------------------------------------------------
    def deleted(self, recipe_ids: set[str], model_ids: set[str]) -> None:
        """Recipes and models gone from the tree that children, models or runs still use."""
        tree = self.ctx.tree
        gone_recipes = {
            r
            for r in recipe_ids
            if is_valid_id(r)
            and not tree.exists(str(layout.recipe_file(r)))
            and not tree.exists(str(layout.manifest_file(r)))
        }
        gone_models = {
            m for m in model_ids if is_valid_id(m) and not tree.exists(str(layout.model_file(m)))
        }
        children = tree.users("parent_id", gone_recipes, RECIPE_FILES)
        models = tree.users("recipe_id", gone_recipes, MODEL_FILES)
        runs_of_recipe = tree.users("recipe_id", gone_recipes, RUN_FILES)
        runs_of_model = tree.users("model_id", gone_models, RUN_FILES)
        for rid in sorted(gone_recipes):
            self._in_use(
                str(layout.recipe_file(rid)),
                f"recipe {rid}",
                "archive it instead (status: archived)",
                {
                    "child recipes": _ids(children[rid], 1),
                    "models": _ids(models[rid], 1),
                    "runs": _ids(runs_of_recipe[rid], 2),
                },
            )
        for mid in sorted(gone_models):
            self._in_use(
                str(layout.model_file(mid)),
                f"model {mid}",
                "retire it instead (status: retired)",
                {"runs": _ids(runs_of_model[mid], 2)},
            )

    def _in_use(self, rel: str, what: str, action: str, users: dict[str, list[str]]) -> None:
        if any(users.values()):
            named = "; ".join(
                f"{k}: {', '.join(v[:5])}{f' and {len(v) - 5} more' if len(v) > 5 else ''}"
                for k, v in users.items()
                if v
            )
            self.ctx.out.error(
                "deleted-in-use",
                self.ctx.display(rel),
                f"{what} was deleted but is still used ({named}); {action}",
            )

    # -- a manifest's version --------------------------------------------------------
    def recipe_version(self, recipe_id: str, change: Change, before: Parsed[Any] | None) -> None:
        ctx = self.ctx
        rel = change.rel
        shown = ctx.display(rel)
        old_mf: ManifestFile | None = before.record if before is not None else None
        if change.status == "D":
            if old_mf is not None and not ctx.tree.exists(str(layout.recipe_file(recipe_id))):
                ctx.out.report.recipe_changes.append(
                    RecipeChange(recipe_id, "deleted", old_mf.version, None, None, None)
                )
            return
        after = ctx.tree.manifest(recipe_id)
        new_mf = after.record if after is not None else None
        if new_mf is None or after is None:
            return
        if change.status != "A" and old_mf is None:
            ctx.out.warning(
                "unresolved",
                shown,
                f"the base's {rel} cannot be read, so the version cannot be compared with it",
                after.where("version"),
                "version",
            )
            return
        if old_mf is None:
            ctx.out.report.recipe_changes.append(
                RecipeChange(recipe_id, "added", None, new_mf.version, None, None)
            )
            return
        try:
            old_full = resolve(ctx.history.layers(recipe_id, old_mf.model_dump(mode="json")))[0]
            self.base_manifests[recipe_id] = old_full
            new_full = ctx.resolver.current(recipe_id)[0]
        except ModelyardError as exc:
            ctx.out.warning("unresolved", shown, f"cannot compare with the base: {exc.message}")
            return
        diff = manifest_diff(old_full, new_full, old_mf.version, self.breaking_paths) or {}
        edits = diff.get("changes", [])
        pin_moved = old_mf.extends != new_mf.extends
        required = diff.get("bump") or ("patch" if pin_moved else None)
        given = bump_between(old_mf.version, new_mf.version)
        ctx.out.report.recipe_changes.append(
            RecipeChange(
                recipe_id, "changed", old_mf.version, new_mf.version, given, required, edits
            )
        )
        where = after.where("version")
        if edits:
            self.edited.append(recipe_id)
        if new_mf.version != old_mf.version and self._goes_back(
            recipe_id, old_mf, new_mf, required, shown, where
        ):
            return
        if not edits and not pin_moved:
            if new_mf.version != old_mf.version:
                ctx.out.warning(
                    "version-without-change",
                    shown,
                    f"version went from {old_mf.version} to {new_mf.version}, but the resolved "
                    "manifest did not change",
                    where,
                    "version",
                )
            return
        what = _describe(edits, pin_moved, old_mf, new_mf)
        if new_mf.version == old_mf.version:
            ctx.out.error(
                "version-not-bumped",
                shown,
                f"the manifest changed ({what}) but version is still {old_mf.version}; this needs "
                f"a {required} bump: set version to {bump(old_mf.version, required or 'patch')}",
                where,
                "version",
            )
        elif not at_least(given, required):
            ctx.out.error(
                "version-bump-too-small",
                shown,
                f"{old_mf.version} -> {new_mf.version} is a {given} bump, but the change ({what}) "
                f"needs a {required} bump: "
                f"set version to at least {bump(old_mf.version, required or 'patch')}",
                where,
                "version",
            )
        else:
            self._reused(recipe_id, new_mf, shown, where)

    def _goes_back(
        self,
        recipe_id: str,
        old_mf: ManifestFile,
        new_mf: ManifestFile,
        required: str | None,
        shown: str,
        where: tuple[int, int] | None,
    ) -> bool:
        """A version that goes down, or takes a number committed before (on the base's
        history), is an error whatever else changed: a version only ever goes up. True when
        it was reported."""
        earlier = [v for v in self.ctx.history.versions_of(recipe_id) if self.on_base(v.commit)]
        numbers = [old_mf.version, *(v.version for v in earlier)]
        highest = max(numbers, key=parse_semver)
        fix = f"set version to {bump(highest, required or 'patch')}"
        if bump_between(old_mf.version, new_mf.version) is None:
            self.ctx.out.error(
                "version-not-greater",
                shown,
                f"version {new_mf.version} is not greater than the base's {old_mf.version}; "
                f"a version only ever goes up: {fix}",
                where,
                "version",
            )
            return True
        reused = next((v for v in earlier if v.version == new_mf.version), None)
        if reused is not None:
            self.ctx.out.error(
                "version-reused",
                shown,
                f"version {new_mf.version} was already committed ({reused.commit[:10]}); "
                f"a number names one version for ever, and the highest so far is {highest}: "
                f"{fix}",
                where,
                "version",
            )
            return True
        return False

    def _reused(
        self, recipe_id: str, new_mf: ManifestFile, shown: str, where: tuple[int, int] | None
    ) -> None:
        earlier = self.ctx.history.find(recipe_id, new_mf.version)
        if earlier is None or earlier.file == new_mf.model_dump(mode="json"):
            return
        if self.on_base(earlier.commit):
            self.ctx.out.error(
                "version-reused",
                shown,
                f"version {new_mf.version} was already committed ({earlier.commit[:10]}) with "
                "different content; a version names one manifest for ever: choose a new one",
                where,
                "version",
            )
        else:
            self.ctx.out.warning(
                "version-reused",
                shown,
                f"version {new_mf.version} was first committed in this change "
                f"({earlier.commit[:10]}) with other content, and a version is its first "
                "commit: squash the change when merging, or bump again",
                where,
                "version",
            )


def _ids(rels: list[str], index: int) -> list[str]:
    return [rel.split("/")[index] for rel in rels]


def _describe(
    edits: list[dict[str, Any]], pin_moved: bool, old: ManifestFile, new: ManifestFile
) -> str:
    parts = [f"{e['op']} {e['path_text']} ({e['bump']})" for e in edits[:3]]
    if len(edits) > 3:
        parts.append(f"{len(edits) - 3} more")
    if pin_moved and old.extends and new.extends:
        parts.append(f"parent pin {old.extends.version} -> {new.extends.version}")
    return ", ".join(parts)
