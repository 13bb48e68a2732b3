"""New files of a registry's working tree, found without reading every folder.

git's untracked scan (`git ls-files --others`) reads every folder of the working tree, and a
registry has one folder per run: 100,000 runs are 100,000 folders read for a review that
touches seven files. A new record can only be a new file in a folder that holds records or
record folders (the registry's top, `recipes/` and each recipe, `models/`, each model and
its `monitoring/`, `runs/` and each shard), or anything inside a folder git does not track
at all (a new run, a new recipe). So those folders are listed, and compared with the paths
git tracks (read from its index, no stat and no folder read); files inside an existing run
folder that git does not track are not looked for. What git ignores stays ignored
(`git check-ignore`, on the candidates only).
"""

from __future__ import annotations

import os

from modelyard.storage import layout
from modelyard.storage.git import Git

_TOPS = (layout.RECIPES, layout.MODELS, layout.RUNS)
_WHOLE = "templates"  # a small folder, read whole


def _listed(parts: tuple[str, ...]) -> bool:
    """Whether a tracked folder's own entries are listed: `recipes/`, `models/`, `runs/`, one
    level below each, and `models/<id>/monitoring/`."""
    n = len(parts)
    if n <= 2:
        return parts[0] in _TOPS or parts[0] == _WHOLE
    if parts[0] == _WHOLE:
        return True
    return n == 3 and parts[0] == layout.MODELS and parts[2] == layout.MONITORING


def new_files(git: Git, root: str, prefix: str) -> list[str]:
    """Repository paths of files under the registry that git does not track and does not
    ignore, as `git ls-files --others --exclude-standard` would list them, except files
    added inside a run folder that git already tracks."""
    tracked = git.tracked(prefix or ".")
    # every folder that holds a tracked file: parents taken level by level, as set operations
    folders: set[str] = set()
    level = {p.rpartition("/")[0] for p in tracked}
    while level:
        level.discard("")
        folders |= level
        level = {f.rpartition("/")[0] for f in level} - folders
    lead = f"{prefix.rstrip('/')}/" if prefix else ""
    found: list[str] = []
    stack: list[tuple[str, ...]] = [()]
    while stack:
        rel_parts = stack.pop()
        rel = "/".join(rel_parts)
        here = f"{lead}{rel}/" if rel else lead
        try:
            with os.scandir(os.path.join(root, rel) if rel else root) as it:
                names = [e.name for e in it]
        except (FileNotFoundError, NotADirectoryError):
            continue
        for name in names:
            path = here + name
            if path in folders:
                if _listed((*rel_parts, name)):
                    stack.append((*rel_parts, name))
            elif path not in tracked:
                inside = f"{rel}/{name}" if rel else name
                if name == ".git" and not rel_parts:
                    continue
                full = os.path.join(root, inside)
                if os.path.isdir(full) and not os.path.islink(full):
                    found.extend(_everything(root, inside, lead))
                else:  # a file, a link (never followed) or a special file
                    found.append(path)
    return git.not_ignored(sorted(found))


def _everything(root: str, rel: str, lead: str) -> list[str]:
    """Every file (or link, or special file) under a folder git does not track."""
    out = []
    for top, dirs, names in os.walk(os.path.join(root, rel)):
        inside = os.path.relpath(top, root).replace(os.sep, "/")
        for name in names:
            out.append(f"{lead}{inside}/{name}")
        # a link to a folder is listed as a file (validate reports it), never followed
        for name in [d for d in dirs if os.path.islink(os.path.join(top, d))]:
            out.append(f"{lead}{inside}/{name}")
            dirs.remove(name)
    return out
