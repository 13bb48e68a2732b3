"""The history of every recipe manifest, read in one pass over git.

One `git log` over all `recipes/*/manifest.yaml` paths gives every commit that
touched a manifest with the blob id it wrote; one `git cat-file --batch` reads the
blobs. A version is the first commit in which `version` takes a new value.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from modelyard.domain.ids import is_valid_id
from modelyard.errors import GitError
from modelyard.storage.git import ZERO, Git

if TYPE_CHECKING:
    from modelyard.storage.cache import Cache

_REC = "\x1e"
_END = "\x1d"
_SEP = "\x1f"


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
    """One version of one recipe as committed: its manifest file and the commit that introduced it."""

    recipe_id: str
    version: str
    file: dict[str, Any]
    commit: str
    author_name: str
    author_email: str
    author_date: str
    message: str
    later_commits: list[str] = field(default_factory=list)


def manifest_log(
    git: Git, prefix: str, since: str | None = None, tip: str | None = None
) -> list[ManifestChange]:
    """Every commit up to `tip` (default HEAD) that touched a manifest, oldest first; only
    those after `since` when given."""
    base = f"{prefix}/" if prefix else ""
    spec = f":(glob){base}recipes/*/manifest.yaml"
    fmt = f"{_REC}%H{_SEP}%an{_SEP}%ae{_SEP}%aI{_SEP}%B{_END}"
    tip = tip or git.head()
    if tip is None:
        return []
    proc = git.run(
        # paths as they are (a registry folder may be named `modèles`), not C-quoted
        "-c",
        "core.quotePath=false",
        # a merge that resolves a conflict into a new version is shown against its first parent
        "log",
        "--reverse",
        "--topo-order",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        "--diff-merges=first-parent",
        f"--format={fmt}",
        f"{since}..{tip}" if since else tip,
        "--",
        spec,
    )
    text = proc.stdout.decode(errors="replace")
    changes: list[ManifestChange] = []
    for record in text.split(_REC)[1:]:
        head, _, raw = record.partition(_END)
        sha, name, email, date, message = head.split(_SEP, 4)
        for line in raw.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            path = _unquote(path)
            fields = meta.split()
            new_blob, status = fields[3], fields[4]
            rel = path[len(base) :] if base else path
            recipe_id = rel.split("/")[1]
            if not is_valid_id(recipe_id):
                continue  # a folder no recipe can have; the validator reports it
            changes.append(
                ManifestChange(
                    sha,
                    name,
                    email,
                    date,
                    message.strip(),
                    recipe_id,
                    None if status.startswith("D") or new_blob == ZERO else new_blob,
                )
            )
    return changes


_ESCAPES = {"a": 7, "b": 8, "t": 9, "n": 10, "v": 11, "f": 12, "r": 13, '"': 34, "\\": 92}


def _unquote(path: str) -> str:
    """A path as git prints it: C-quoted ("...\\303\\251...") when it holds a quote, a
    backslash or a control character, even with core.quotePath off."""
    if not (len(path) >= 2 and path[0] == path[-1] == '"'):
        return path
    body, out, i = path[1:-1], bytearray(), 0
    while i < len(body):
        if body[i] == "\\" and i + 1 < len(body):
            if body[i + 1] in "01234567":
                out.append(int(body[i + 1 : i + 4], 8))
                i += 4
                continue
            out.append(_ESCAPES.get(body[i + 1], ord(body[i + 1])))
            i += 2
            continue
        out.extend(body[i].encode())
        i += 1
    return out.decode(errors="replace")


def version_sources(
    git: Git,
    prefix: str,
    parse: Callable[[bytes, str], dict[str, Any] | None],
    cache: Cache | None = None,
) -> dict[str, list[VersionSource]]:
    """Every committed version of every recipe, oldest first.

    `parse(blob, recipe_id)` turns a manifest blob into its data (None to skip an
    unreadable one; the validator reports those). With a `cache` the log and the
    parsed blobs come from it, and only what is new since it last looked is read.
    """
    if git.is_shallow():
        raise GitError(
            "this is a shallow clone, so the version history is incomplete",
            action="fetch the whole history: `git fetch --unshallow` "
            "(in GitHub Actions: actions/checkout with `fetch-depth: 0`)",
        )
    if cache is not None:
        changes, data_of = _cached(git, prefix, parse, cache)
    else:
        changes = manifest_log(git, prefix)
        blobs = git.cat_blobs(c.blob for c in changes if c.blob)

        def data_of(blob: str, recipe_id: str) -> dict[str, Any] | None:
            return parse(blobs.get(blob, b""), recipe_id)

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


def _cached(
    git: Git, prefix: str, parse: Callable[[bytes, str], dict[str, Any] | None], cache: Cache
) -> tuple[list[ManifestChange], Callable[[str, str], dict[str, Any] | None]]:
    from modelyard.domain.records import ManifestFile

    head = git.head()
    if head is None:
        return [], lambda _b, _r: None
    rows = cache.changes(
        head,
        lambda since: [
            (c.commit, c.author_name, c.author_email, c.author_date, c.message, c.recipe_id, c.blob)
            for c in manifest_log(git, prefix, since, head)
        ],
    )
    changes = [ManifestChange(*row) for row in rows]
    dumped = cache.manifest_data((c.blob for c in changes if c.blob), ManifestFile)

    def data_of(blob: str, recipe_id: str) -> dict[str, Any] | None:
        found = dumped.get(blob)
        if found is not None:
            return found
        # not cached as valid: the ordinary reader decides (and reports) it
        return parse(git.cat_blobs([blob]).get(blob, b""), recipe_id)

    return changes, data_of


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
    (registry-relative, e.g. `models/*/model.yaml`), oldest first, in one `git log`."""
    base = f"{prefix}/" if prefix else ""
    if git.head() is None:
        return []
    fmt = f"{_REC}%H{_SEP}%an{_SEP}%aI{_SEP}%B{_END}"
    proc = git.run(
        "log",
        "--reverse",
        "--topo-order",
        "--raw",
        "--no-abbrev",
        "--no-renames",
        f"--format={fmt}",
        "HEAD",
        "--",
        f":(glob){base}{pattern}",
    )
    out: list[FileChange] = []
    for record in proc.stdout.decode(errors="replace").split(_REC)[1:]:
        head, _, raw = record.partition(_END)
        sha, name, date, message = head.split(_SEP, 3)
        for line in raw.splitlines():
            if not line.startswith(":"):
                continue
            meta, _, path = line.partition("\t")
            fields = meta.split()
            deleted = fields[4].startswith("D") or fields[3] == ZERO
            rel = path[len(base) :] if base else path
            out.append(
                FileChange(sha, name, date, message.strip(), rel, None if deleted else fields[3])
            )
    return out
