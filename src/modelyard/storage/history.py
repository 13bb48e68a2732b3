"""The history of recipe manifests and other registry files, read from git.

One `git log --raw -z` over all `recipes/*/manifest.yaml` paths gives every commit that
touched a manifest with the blob id it wrote; one `git cat-file --batch` reads the
blobs. A version is the first commit in which `version` takes a new value.

`VersionReader` answers for the recipes asked about only: with the cache, their rows of
the cached log (kept per HEAD, indexed by recipe) and their blobs; without it, the log
is read once and only those recipes' blobs are read and parsed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage import gitraw, layout
from modelyard.storage.git import Git

if TYPE_CHECKING:
    from modelyard.storage.cache import Cache

Parse = Callable[[bytes, str], "dict[str, Any] | None"]


@dataclass(frozen=True)
class ManifestChange:
    commit: str
    author_name: str
    author_email: str
    author_date: str
    message: str
    recipe_id: str
    blob: str | None  # None: the manifest was deleted


@dataclass
class VersionSource:
    """One version of one recipe as committed: its manifest file and the commit that introduced
    it."""

    recipe_id: str
    version: str
    file: dict[str, Any]
    commit: str
    author_name: str
    author_email: str
    author_date: str
    message: str
    later_commits: list[str] = field(default_factory=list)


def _log(git: Git, fmt: str, rev: str, spec: str, *extra: str) -> str:
    """`git log` of `rev`, oldest first, with each commit's raw changes to `spec` (-z: paths
    exactly as they are, never C-quoted)."""
    proc = git.run(
        "log",
        "-z",
        "--reverse",
        "--topo-order",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        *extra,
        f"--format={fmt}",
        rev,
        "--",
        spec,
    )
    return gitraw.decode(proc.stdout)


def manifest_log(
    git: Git, prefix: str, since: str | None = None, tip: str | None = None
) -> list[ManifestChange]:
    """Every commit up to `tip` (default HEAD) that touched a manifest, oldest first; only
    those after `since` when given."""
    tip = tip or git.head()
    if tip is None:
        return []
    text = _log(
        git,
        gitraw.log_format("%H", "%an", "%ae", "%aI", "%B"),
        f"{since}..{tip}" if since else tip,
        f":(glob){layout.to_repo(prefix, 'recipes/*/manifest.yaml')}",
        # a merge that resolves a conflict into a new version is shown against its first parent
        "--diff-merges=first-parent",
    )
    changes: list[ManifestChange] = []
    for (sha, name, email, date, message), raw in gitraw.parse_log(text, 5):
        for change in raw:
            rel = layout.from_repo(prefix, change.path) or change.path
            recipe_id = rel.split("/")[1]
            if not is_valid_id(recipe_id):
                continue  # a folder no recipe can have; the validator reports it
            changes.append(
                ManifestChange(sha, name, email, date, message.strip(), recipe_id, change.new_blob)
            )
    return changes


class VersionReader:
    """Committed versions at one HEAD, read for the recipes asked about.

    `parse(blob, recipe_id)` turns a manifest blob into its data (None to skip an unreadable
    one; the validator reports those). With a `cache`, the log and the parsed blobs come from
    it and only what is new since it last looked is read from git; without one, the log is
    read once per reader. Either way, a recipe's versions are built from that recipe's own
    rows of the one whole-registry log, so every way of asking gives the same answer.
    """

    def __init__(self, git: Git, prefix: str, parse: Parse, cache: Cache | None = None) -> None:
        if git.is_shallow():
            raise GitError(
                "this is a shallow clone, so the version history is incomplete",
                action="fetch the whole history: `git fetch --unshallow` "
                "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)",
            )
        self.git = git
        self.prefix = prefix
        self.parse = parse
        self.cache = cache
        self.head = git.current_head()
        self._log: list[ManifestChange] | None = None

    def read(self, recipe_ids: Iterable[str] | None = None) -> dict[str, list[VersionSource]]:
        """Every committed version of `recipe_ids` (of every recipe when None), oldest first."""
        if self.head is None:
            return {}
        wanted = None if recipe_ids is None else sorted(set(recipe_ids))
        changes = self._changes(wanted)
        return _versions(changes, self._data(changes))

    def _changes(self, wanted: list[str] | None) -> list[ManifestChange]:
        head = self.head
        assert head is not None
        if self.cache is not None:
            rows = self.cache.changes(
                head,
                lambda since: [_row(c) for c in self._log_since(since, head)],
                wanted,
            )
            return [ManifestChange(*row) for row in rows]
        if self._log is None:
            self._log = manifest_log(self.git, self.prefix, None, head)
        if wanted is None:
            return self._log
        keep = set(wanted)
        return [c for c in self._log if c.recipe_id in keep]

    def _log_since(self, since: str | None, head: str) -> list[ManifestChange]:
        # a run's or a model's commit leaves the recipes folder's tree as it was: then it
        # touched no manifest, and no `git log` is needed to know
        recipes = layout.to_repo(self.prefix, layout.RECIPES)
        if since is not None and self.git.folder_untouched(since, head, recipes):
            return []
        return manifest_log(self.git, self.prefix, since, head)

    def _data(self, changes: list[ManifestChange]) -> Callable[[str, str], dict[str, Any] | None]:
        blobs = [c.blob for c in changes if c.blob]
        if self.cache is None:
            texts = self.git.cat_blobs(blobs)
            return lambda blob, recipe_id: self.parse(texts.get(blob, b""), recipe_id)
        from modelyard.domain.records import ManifestFile

        dumped = self.cache.manifest_data(blobs, ManifestFile)

        def data_of(blob: str, recipe_id: str) -> dict[str, Any] | None:
            found = dumped.get(blob)
            if found is not None:
                return found
            # not cached as valid: the ordinary reader decides (and reports) it
            return self.parse(self.git.cat_blobs([blob]).get(blob, b""), recipe_id)

        return data_of


def _row(c: ManifestChange) -> tuple[Any, ...]:
    """A change as a row of the cache's `changes` table."""
    return (c.commit, c.author_name, c.author_email, c.author_date, c.message, c.recipe_id, c.blob)


def version_sources(
    git: Git, prefix: str, parse: Parse, cache: Cache | None = None
) -> dict[str, list[VersionSource]]:
    """Every committed version of every recipe, oldest first (see `VersionReader`)."""
    return VersionReader(git, prefix, parse, cache).read()


def _versions(
    changes: list[ManifestChange], data_of: Callable[[str, str], dict[str, Any] | None]
) -> dict[str, list[VersionSource]]:
    """Versions from a log, oldest first: a version is the first commit with a new number."""
    out: dict[str, list[VersionSource]] = {}
    seen: dict[str, set[str]] = {}
    for change in changes:
        if change.blob is None:  # deleted: a recipe made again later starts a new history
            out.pop(change.recipe_id, None)
            seen.pop(change.recipe_id, None)
            continue
        data = data_of(change.blob, change.recipe_id)
        if data is None or not isinstance(data.get("version"), str):
            continue
        version = data["version"]
        versions = seen.setdefault(change.recipe_id, set())
        history = out.setdefault(change.recipe_id, [])
        if version in versions:
            history_for = next((v for v in history if v.version == version), None)
            if history_for is not None:
                history_for.later_commits.append(change.commit)
            continue
        versions.add(version)
        history.append(
            VersionSource(
                change.recipe_id,
                version,
                data,
                change.commit,
                change.author_name,
                change.author_email,
                change.author_date,
                change.message,
            )
        )
    return out


@dataclass(frozen=True)
class FileChange:
    """One commit's change to one file: who, when, why, and the blob it wrote (None: deleted)."""

    commit: str
    author_name: str
    author_date: str
    message: str
    path: str  # registry-relative
    blob: str | None


def file_log(git: Git, prefix: str, pattern: str) -> list[FileChange]:
    """Every commit that touched a registry file matching the glob `pattern`
    (registry-relative, e.g. `models/*/model.yaml`, or one file's path), oldest first, in
    one `git log`."""
    if git.head() is None:
        return []
    text = _log(
        git,
        gitraw.log_format("%H", "%an", "%aI", "%B"),
        "HEAD",
        f":(glob){layout.to_repo(prefix, pattern)}",
    )
    out: list[FileChange] = []
    for (sha, name, date, message), raw in gitraw.parse_log(text, 4):
        for change in raw:
            rel = layout.from_repo(prefix, change.path) or change.path
            out.append(FileChange(sha, name, date, message.strip(), rel, change.new_blob))
    return out
