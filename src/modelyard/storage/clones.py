"""Clones of a team registry, and reading in a sparse one (a writer clone)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from modelyard.errors import GitError
from modelyard.storage.git import Git
from modelyard.storage.remote import Upstream, _config, _is_unreachable, _talk, _unreachable

WRITER_CONFIG = "modelyard.writer"


def sparse_patterns(prefix: str) -> list[str]:
    """What a writer clone checks out: everything but the runs and the monitoring snapshots
    (gitignore-style patterns, git's non-cone mode: cone mode cannot leave out a folder
    inside each model's folder)."""
    root = f"/{prefix}/" if prefix else "/"
    return ["/*", f"!{root}{'runs'}/", f"!{root}models/*/monitoring/"]


def clone(
    url: str,
    target: Path,
    writer: bool = False,
    branch: str | None = None,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> str:
    """Clone `url` into `target` (which must not exist or be empty); the registry folder's
    path inside it ("registry", or "" at the top). A writer clone is partial (no file
    contents are fetched until checked out: `--filter=blob:none`) and sparse
    (`sparse_patterns`), so its size and time do not grow with the number of runs."""
    args = ["clone", "--progress", "--no-tags"]
    if branch:
        args += ["--branch", branch]
    if writer:
        args += ["--filter=blob:none", "--no-checkout"]
    parent = Git(target.parent)
    up = Upstream(url, branch or "", "")
    code, _, said = _talk(parent, [*args, "--", url, str(target)], up, progress, interactive)
    if code != 0:
        if _is_unreachable(said):
            raise _unreachable("clone", up, url, said)
        raise GitError(f"git clone {url} failed: {said.strip()}")
    git = Git(target)
    head = git.resolve_commit("HEAD")
    if head is None:
        raise GitError(
            f"{url} has no commits yet, so no registry to clone",
            action="push a registry to it first (`modelyard init`, then `git push`)",
        )
    if git.out("ls-tree", "--name-only", head, "--", "registry/modelyard.yaml"):
        prefix = "registry"
    elif git.out("ls-tree", "--name-only", head, "--", "modelyard.yaml"):
        prefix = ""
    else:
        raise GitError(
            f"{url} holds no modelyard registry (no registry/modelyard.yaml or modelyard.yaml)",
            action=f"check the URL; the clone is left in {target}",
        )
    if writer:
        git.run("config", WRITER_CONFIG, "true")
        git.run("sparse-checkout", "init", "--no-cone")
        git.run("sparse-checkout", "set", "--no-cone", "--stdin",
                input=("\n".join(sparse_patterns(prefix)) + "\n").encode())  # fmt: skip
        code, _, said = _talk(git, ["checkout", "--progress"], up, progress, interactive)
        if code != 0:
            raise GitError(f"git checkout in {target} failed: {said.strip()}")
    return prefix


def is_writer_clone(git: Git) -> bool:
    return _config(git, WRITER_CONFIG) == "true"


def skipped_file(git: Git, path: str) -> bytes | None:
    """HEAD's bytes of repository path `path` when a sparse checkout leaves it out of the
    working tree (git's skip-worktree bit), else None: a writer clone reads a record it did
    not check out from the commit (fetched on demand in a partial clone)."""
    listed = git.run("ls-files", "-t", "-z", "--", f":(literal){path}").stdout
    if not listed.startswith(b"S "):
        return None
    proc = git.run("cat-file", "blob", f"HEAD:{path}", check=False)
    return proc.stdout if proc.returncode == 0 else None
