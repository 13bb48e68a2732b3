"""What a gateway (`modelyard serve --remote`) needs of its clone beyond storage/remote.py's
fetch, replay and push: moving the branch with only the changed files on disk in step (git's
index is left to the server's batched update, storage/indexsync.py), and taking chosen local
commits back out of the branch without a working tree.

A gateway commits every API write on its local branch, on top of the upstream commit it last
saw, and pushes them in groups. `rebase(..., leave_out=...)` replays the others with one
`git fast-import`: each keeps its author, dates and message and changes exactly the files it
changed; a commit whose file is no longer what it changed it from (because a commit left out
had changed it) is left out too, never merged textually.

The branch moves with a compare-and-swap `update-ref`, then the changed files on disk are
brought to the new commit; a journal under `.git/modelyard/` lets a process killed in
between finish the job when it starts again (`finish_checkout`).
"""

from __future__ import annotations

import re
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from modelyard.errors import Conflict, GitError
from modelyard.storage import files, gitraw, safefs
from modelyard.storage.git import ZERO, Git
from modelyard.storage.indexsync import IndexBacklog

_JOURNAL = "modelyard/gateway-checkout"
_SAFE_PATH = re.compile(r'^[^"\n\\]+$')


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


# -- the rebase -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Dropped:
    """A local commit left out of a rebase: what it changed and what upstream did to it."""

    sha: str
    subject: str
    paths: tuple[str, ...]  # its files that no longer were what it changed
    upstream: tuple[tuple[str, str, str], ...]  # (path, upstream commit, its subject)

    def describe(self) -> str:
        parts = []
        for path in self.paths:
            by = [f"{c[:12]} ({s})" for p, c, s in self.upstream if p == path]
            parts.append(f"{path} (changed upstream by {by[0]})" if by else path)
        return ", ".join(parts)


@dataclass
class Rebased:
    head: str  # the new tip: the new base plus every commit kept
    moved: dict[str, str] = field(default_factory=dict)  # old commit -> its new commit
    dropped: list[Dropped] = field(default_factory=list)


def _ident(name: str, email: str) -> str:
    return f"{name} <{email}>" if name else f"<{email}>"


def _quote(path: str) -> str:
    if _SAFE_PATH.match(path):
        return path
    escaped = path.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    return f'"{escaped}"'


def rebase(
    git: Git, base: str, onto: str, head: str, leave_out: frozenset[str] | set[str] = frozenset()
) -> Rebased:
    """The commits base..head replayed onto `onto` without touching any working tree or
    branch; commits whose files changed in between are dropped (see the module's text), and
    so are the commits in `leave_out` (not reported: the caller chose them)."""
    if base == onto and not leave_out:
        return Rebased(head)
    fmt = gitraw.log_format("%H", "%P", "%an", "%ae", "%ad", "%cn", "%ce", "%cd", "%B")
    text = gitraw.decode(
        git.run(
            "log",
            "--reverse",
            "-z",
            "--raw",
            "--no-renames",
            "--no-abbrev",
            "--date=raw",
            f"--format={fmt}",
            f"{base}..{head}",
        ).stdout,
        "surrogateescape",
    )
    commits = gitraw.parse_log(text, 9)
    if not commits:
        return Rebased(onto)
    touched = sorted({c.path for _, raw in commits for c in raw})
    state: dict[str, str | None] = dict.fromkeys(touched)  # path -> blob in the replayed tip
    listed = git.run("ls-tree", "-z", "--full-tree", onto, "--", *touched).stdout
    for entry in gitraw.decode(listed, "surrogateescape").split("\0"):
        meta, _, path = entry.partition("\t")
        if path in state:
            state[path] = meta.split()[2]
    stream: list[bytes] = [b"feature done\n"]
    kept: list[str] = []
    dropped_raw: list[tuple[str, str, list[str]]] = []
    for fields_, raw in commits:
        sha, parents, an, ae, ad, cn, ce, cd, message = fields_
        if len(parents.split()) != 1:
            raise GitError(
                f"commit {sha[:12]} is a merge; the gateway replays single-parent commits only",
                action="keep the gateway's clone free of merges (let it push and fetch alone)",
            )
        if sha in leave_out:
            continue
        stale = [c.path for c in raw if state.get(c.path) != c.old_blob]
        if stale:
            dropped_raw.append((sha, message.split("\n", 1)[0], stale))
            continue
        mark = len(kept) + 1
        kept.append(sha)
        body = message.encode("utf-8", "surrogateescape")
        lines = [
            "commit refs/modelyard/gateway-rebase",
            f"mark :{mark}",
            f"author {_ident(an, ae)} {ad}",
            f"committer {_ident(cn, ce)} {cd}",
            f"data {len(body)}",
        ]
        stream.append("\n".join(lines).encode("utf-8", "surrogateescape") + b"\n" + body + b"\n")
        ops = [f"from {onto}"] if mark == 1 else []
        for c in raw:
            if c.new_blob is None:
                ops.append(f"D {_quote(c.path)}")
            else:
                ops.append(f"M {c.new_mode} {c.new_blob} {_quote(c.path)}")
            state[c.path] = c.new_blob
        stream.append(("\n".join(ops) + "\n\n").encode("utf-8", "surrogateescape"))
    stream.append(b"done\n")
    result = Rebased(onto)
    if kept:
        with tempfile.TemporaryDirectory(prefix="modelyard-rebase-") as tmp:
            marks = Path(tmp) / "marks"
            git.run(
                "fast-import",
                "--quiet",
                "--force",
                "--done",
                f"--export-marks={marks}",
                input=b"".join(stream),
            )
            made: dict[int, str] = {}
            for line in marks.read_text().splitlines():
                num, _, sha = line.partition(" ")
                made[int(num[1:])] = sha
        git.run("update-ref", "-d", "refs/modelyard/gateway-rebase", check=False)
        result.moved = {old: made[i + 1] for i, old in enumerate(kept)}
        result.head = made[len(kept)]
    for sha, subject, stale in dropped_raw:
        result.dropped.append(
            Dropped(sha, subject, tuple(stale), _who_changed(git, base, onto, stale))
        )
    return result


def _who_changed(
    git: Git, base: str, onto: str, paths: list[str]
) -> tuple[tuple[str, str, str], ...]:
    out = []
    for path in paths:
        line = git.out("log", "-1", "--format=%H %s", f"{base}..{onto}", "--", f":(literal){path}")
        if line:
            out.append((path, line[:40], line[41:]))
    return tuple(out)


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
