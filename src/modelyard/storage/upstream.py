"""What a gateway (`modelyard serve --remote`) needs of its clone beyond storage/remote.py's
fetch, replay and push: moving the branch with only the changed files on disk in step (git's
index is left to the server's batched update, storage/indexsync.py).

A gateway commits every API write on its local branch, on top of the upstream commit it last
saw, and pushes them in groups; it replays them onto what it fetches, and takes chosen ones
back out (`remote.replay(..., leave_out=...)`), through the one replay sync uses too.

The branch moves with a compare-and-swap `update-ref`, then the changed files on disk are
brought to the new commit; a journal under `.git/modelyard/` lets a process killed in
between finish the job when it starts again (`finish_checkout`).
"""

from __future__ import annotations

from modelyard.errors import Conflict, GitError
from modelyard.storage import files, safefs
from modelyard.storage.git import ZERO, Git
from modelyard.storage.indexsync import IndexBacklog

_JOURNAL = "modelyard/gateway-checkout"


class UpstreamConflict(Conflict):
    """A write's commit changed files that were changed upstream too: the server's 409."""


def merge_base(git: Git, a: str, b: str) -> str | None:
    proc = git.run("merge-base", a, b, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def subjects(git: Git, base: str | None, head: str) -> list[tuple[str, str]]:
    """(sha, subject) of the commits in base..head, oldest first."""
    span = f"{base}..{head}" if base else head
    out = git.out("log", "--reverse", "--format=%H %s", span)
    return [(ln[:40], ln[41:]) for ln in out.splitlines() if ln]


# -- moving the branch, files on disk in step ------------------------------------------------
def move_branch(git: Git, old: str, new: str) -> list[str]:
    """Move the checked-out branch from `old` to `new` (compare-and-swap) and bring the files
    that differ between them on disk to `new`; the repository paths changed. The caller holds
    the registry's write lock. Raises GitError, moving nothing, when the branch is not at
    `old`."""
    if old == new:
        return []
    branch = git.branch_ref()
    if branch is None:
        raise GitError("HEAD is detached, so the gateway has no branch to move")
    journal = git.git_dir / _JOURNAL
    journal.parent.mkdir(parents=True, exist_ok=True)
    files.atomic_write(journal, f"{old} {new}\n".encode())
    moved = git.run(
        "update-ref", "-m", "modelyard gateway: upstream", branch, new, old, check=False
    )
    if moved.returncode != 0:
        journal.unlink(missing_ok=True)
        raise GitError(
            "the branch moved while the gateway was bringing it up to date: "
            + moved.stderr.decode(errors="replace").strip()
        )
    paths = _checkout(git, old, new)
    journal.unlink(missing_ok=True)
    return paths


def finish_checkout(git: Git) -> list[str] | None:
    """After a crash between moving the branch and the files: the files a journal names,
    brought to HEAD; None when there was nothing to finish."""
    journal = git.git_dir / _JOURNAL
    try:
        old, _new = journal.read_text().split()
    except (FileNotFoundError, ValueError):
        journal.unlink(missing_ok=True)
        return None
    head = git.current_head()
    paths: list[str] = []
    if head is not None and head != old:
        paths = _checkout(git, old, head)
    journal.unlink(missing_ok=True)
    return paths


def _checkout(git: Git, old: str, new: str) -> list[str]:
    changes = git.diff_tree(old, new)
    if changes is None:
        raise GitError(f"cannot compare {old[:12]} with {new[:12]}")
    blobs = git.cat_blobs(c.new_blob for c in changes if c.new_blob and not c.gone)
    root = git.worktree
    done: list[str] = []
    for c in changes:
        if not safefs.is_link_free(root, c.path):
            continue  # never write through a symbolic link; `modelyard validate` reports it
        target = root / c.path
        if c.gone:
            if target.is_file() or target.is_symlink():
                target.unlink()
                files.prune_empty(target.parent, root)
        else:
            mode = 0o777 & ~files.umask() if c.new_mode == "100755" else None
            files.atomic_write(target, blobs[c.new_blob or ""], mode)
        done.append(c.path)
    IndexBacklog.of(git).add(done)
    return done


def keep_ref(git: Git, kind: str, commit: str, stamp: str) -> str:
    """`refs/modelyard/<kind>/<stamp>` at `commit`, so that a commit left out stays
    recoverable; the ref's name."""
    ref = f"refs/modelyard/{kind}/{stamp}"
    git.run("update-ref", ref, commit, ZERO)
    return ref
