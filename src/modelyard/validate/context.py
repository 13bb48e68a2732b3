"""What every check shares: the registry, the tree reader, the report, and git history on demand."""

from __future__ import annotations

from typing import Any

from modelyard.domain.records import RegistrySettings
from modelyard.ops.history import History
from modelyard.ops.manifests import Resolver
from modelyard.storage import layout
from modelyard.storage.registry import Registry
from modelyard.validate.report import Collector, did_you_mean
from modelyard.validate.tree import Parsed, Tree


class Context:
    def __init__(self, reg: Registry, out: Collector, lazy: bool = False) -> None:
        self.reg = reg
        self.tree = Tree(reg)
        self.out = out
        # the resolver reads the working tree and falls back to history for older pins; a
        # check of every file goes through every recipe, so history is read in one pass; a
        # check of a few files (`lazy`) reads only the recipes they lead to
        self.resolver = Resolver(reg, lazy=lazy, memo=True)
        self._settings: RegistrySettings | None = None
        self._warned_no_git = False

    @property
    def history(self) -> History:
        """Every committed version, read in one git pass the first time it is needed."""
        return self.resolver.history

    @property
    def settings(self) -> RegistrySettings:
        if self._settings is None:
            parsed = self.tree.parse(layout.SETTINGS, RegistrySettings)
            self._settings = parsed.record if parsed and parsed.record else RegistrySettings()
        return self._settings

    def display(self, rel: str) -> str:
        return self.tree.display(rel)

    def report_parse(self, parsed: Parsed[Any]) -> None:
        """A file's own problems: `yaml` when it cannot be read, `schema` when a field is wrong."""
        code = parsed.code or ("yaml" if parsed.loaded is None else "schema")
        for problem in parsed.problems:
            self.out.file_problem(code, problem)

    # -- versions --------------------------------------------------------------------
    def known_versions(self, recipe_id: str) -> list[str]:
        """Committed versions, plus the working tree's current one (about to be committed)."""
        versions = (
            [v.version for v in self.history.versions_of(recipe_id)] if self.reg.in_git else []
        )
        current = self.tree.manifest(recipe_id)
        if (
            current is not None
            and current.record is not None
            and current.record.version not in versions
        ):
            versions.append(current.record.version)
        return versions

    def version_exists(self, recipe_id: str, number: str) -> bool:
        """True when `number` is committed, or is the working tree's current version. Outside
        git only current versions can be known: others pass, and one warning says so."""
        current = self.tree.manifest(recipe_id)
        if current is not None and current.record is not None and current.record.version == number:
            return True
        if not self.reg.in_git:
            if not self._warned_no_git:
                self._warned_no_git = True
                self.out.warning(
                    "no-history",
                    self.display(layout.SETTINGS),
                    "the registry is not in a git repository, so versions other than the "
                    "current ones cannot be checked; run `git init` and commit it",
                )
            return True
        return self.history.find(recipe_id, number) is not None

    def unknown_recipe(self, recipe_id: str) -> str:
        return (
            f"recipe {recipe_id!r} does not exist{did_you_mean(recipe_id, self.tree.recipe_ids())}"
        )

    def unknown_model(self, model_id: str) -> str:
        return f"model {model_id!r} does not exist{did_you_mean(model_id, self.tree.model_ids())}"
