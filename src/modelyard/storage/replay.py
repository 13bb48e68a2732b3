"""Local commits replayed onto upstream, file by file, never merged textually.

A commit applies on the new base only when every file it changes is, on that base, exactly
what the commit changed it from. Runs and snapshots (one new file each, unique ids) therefore
always apply; a commit whose files upstream changed too is a conflict, left out of the new
history and kept on a branch of its own (`modelyard/conflicts/<time>-<sha>`). The new commits
are written by one `git fast-import` whatever their number, and no working tree or index is
touched until `adopt` moves the branch, so a replay costs the same in a sparse writer clone
as in a full one and nothing is half-done when it stops.
"""

from __future__ import annotations

import os
import random
import tempfile
import time
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from modelyard.errors import DirtyTree, GitError
from modelyard.storage.git import Git, Person
from modelyard.storage.gitraw import ZERO, RawChange, decode, log_format, parse_log

CONFLICT_PREFIX = "refs/heads/modelyard/conflicts/"


@dataclass(frozen=True)
class Side:
    """One side of a conflicting file: its blob (None: no file) and who changed it last."""

    blob: str | None
    commits: tuple[str, ...] = ()  # one line each: `<short sha> <author>: <subject>`


@dataclass(frozen=True)
class ConflictFile:
    path: str  # repository path
    base: str | None  # the blob the local commit changed it from
    ours: Side  # what the local commit made of it
    theirs: Side  # what it is upstream


@dataclass
class Conflicted:
    """A local commit left out of the new history, and why."""

    commit: str  # the local commit as it was (kept on `ref`)
    subject: str
    author: str
    files: list[ConflictFile] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)  # a re-check's refusals (versions, pins)
    ref: str | None = None  # set by adopt(): the branch that keeps it


@dataclass
class Replay:
    """Local commits replayed onto upstream (nothing moved yet: see `adopt`)."""

    old_head: str  # the local branch before
    onto: str  # the upstream commit replayed onto
    base: str | None  # their merge base
    new_head: str  # the upstream commit plus every local commit that applied
    applied: list[tuple[str, str]] = field(default_factory=list)  # (old sha, new sha)
    already: list[str] = field(default_factory=list)  # changes upstream holds already
    conflicts: list[Conflicted] = field(default_factory=list)
    behind: int = 0  # upstream commits the local branch did not have

    @property
    def moved(self) -> bool:
        return self.new_head != self.old_head


@dataclass(frozen=True)
class Replayed:
    """What a re-check of one replayed commit sees."""

    commit: str
    subject: str
    changes: list[RawChange]
    parent: Callable[[str], bytes | None]  # a path's bytes in the commit's own parent
    before: Callable[[str], bytes | None]  # a path's bytes on the new base, before the commit
    after: Callable[[str], bytes | None]  # ... and with it
    history: Callable[[str], list[bytes]]  # every version of a path upstream and so far
    dropped: Callable[[str], list[bytes]]  # what earlier left-out local commits made of a path


Check = Callable[[Replayed], list[str]]


def counts(git: Git, head: str | None, upstream: str | None) -> tuple[int, int]:
    """(ahead, behind): commits `head` has that `upstream` lacks, and the other way round."""
    if head is None or upstream is None:
        if head is None:
            return 0, _count(git, upstream) if upstream else 0
        return _count(git, head), 0
    out = git.out("rev-list", "--left-right", "--count", f"{head}...{upstream}")
    ahead, behind = out.split()
    return int(ahead), int(behind)


def _count(git: Git, ref: str) -> int:
    return int(git.out("rev-list", "--count", ref))


# -- replaying -------------------------------------------------------------------------------
@dataclass
class _Local:
    sha: str
    parents: list[str]
    author: Person
    date: str  # raw: "<epoch> <tz>"
    message: str
    changes: list[RawChange]

    @property
    def subject(self) -> str:
        return self.message.splitlines()[0] if self.message else ""


def _local_commits(git: Git, base: str | None, head: str) -> list[_Local]:
    fmt = log_format("%H", "%P", "%an", "%ae", "%ad", "%B")
    rng = [head, f"^{base}"] if base else [head]
    proc = git.run(
        "log", "-z", "--raw", "--no-renames", "--no-abbrev", "--reverse", "--topo-order",
        "--date=raw", f"--format={fmt}", *rng,
    )  # fmt: skip
    out = []
    for (sha, parents, name, email, date, message), changes in parse_log(
        decode(proc.stdout, "surrogateescape"), 6
    ):
        parent_list = parents.split()
        if len(parent_list) > 1:
            raise GitError(
                f"local commit {sha[:12]} is a merge, and modelyard sync replays only a "
                "straight line of commits",
                action="turn it into a straight line yourself (`git rebase`), "
                "then run `modelyard sync` again",
            )
        for change in changes:
            if change.new_mode not in ("100644", "000000") and not change.gone:
                raise GitError(
                    f"local commit {sha[:12]} changes {change.path}, which is no plain file "
                    f"(mode {change.new_mode}), and modelyard sync replays registry files only",
                    action="replay it yourself (`git pull --rebase`), then run modelyard "
                    "sync again",
                )
        out.append(_Local(sha, parent_list, Person(name, email), date, message, changes))
    return out


class _Tree:
    """Blob ids on the new base for the paths the local commits touch, as they are replayed."""

    def __init__(self, git: Git, onto: str, paths: Iterable[str]) -> None:
        self.git = git
        self.onto = onto
        self.blobs: dict[str, str | None] = {}
        wanted = sorted(set(paths))
        for i in range(0, len(wanted), 500):  # command lines stay short
            chunk = wanted[i : i + 500]
            self.blobs.update(dict.fromkeys(chunk))
            out = git.run("ls-tree", "-z", "--full-tree", onto, "--", *chunk).stdout
            for entry in decode(out, "surrogateescape").split("\0"):
                meta, _, path = entry.partition("\t")
                if path:
                    self.blobs[path] = meta.split()[2]
        self._texts: dict[str, bytes] = {}

    def blob(self, path: str, blobs: Mapping[str, str | None]) -> str | None:
        """`path`'s blob in `blobs`, else on the new base (a path no local commit touches)."""
        if path in blobs:
            return blobs[path]
        if path not in self.blobs:
            proc = self.git.run("rev-parse", "--verify", "-q", f"{self.onto}:{path}", check=False)
            self.blobs[path] = proc.stdout.decode().strip() or None
        return self.blobs[path]

    def text(self, blob: str | None) -> bytes | None:
        if blob is None:
            return None
        if blob not in self._texts:
            self._texts.update(self.git.cat_blobs([blob]))
        return self._texts.get(blob)


def _upstream_log(git: Git, base: str | None, onto: str, path: str) -> tuple[str, ...]:
    rng = [onto, f"^{base}"] if base else [onto]
    out = git.out("log", "-n", "3", "--format=%h %an: %s", *rng, "--", path)
    return tuple(out.splitlines())


def replay(
    git: Git,
    head: str,
    onto: str,
    check: Check | None = None,
    leave_out: Collection[str] = frozenset(),
) -> Replay:
    """Replay the commits of `head` that `onto` lacks onto `onto`, one new commit for each
    that applies (same author, date and message). Writes objects only: no ref, index or file
    changes (`adopt` makes them). The commits in `leave_out` are left out as the caller
    chose (not reported), and so is a later commit that changed a file one of them made:
    that one is reported as a conflict, as it no longer applies."""
    base_out = git.run("merge-base", head, onto, check=False)
    base = base_out.stdout.decode().strip() or None if base_out.returncode == 0 else None
    if base is None and git.is_shallow():
        raise GitError(
            "this clone is shallow, so git cannot tell what upstream and local commits share",
            action="deepen it (`git fetch --unshallow`), then run modelyard sync again",
        )
    _, behind = counts(git, head, onto)
    if base == onto and not leave_out:
        return Replay(head, onto, base, head)  # nothing new upstream: push as it is
    local = _local_commits(git, base, head)
    if base == head or not local:
        return Replay(head, onto, base, onto, behind=behind)  # only behind: fast-forward
    tree = _Tree(git, onto, (c.path for commit in local for c in commit.changes))
    result = Replay(head, onto, base, onto, behind=behind)
    keep: list[_Local] = []
    left_out: list[_Local] = []
    for commit in local:
        if commit.sha in leave_out:
            continue
        # a file the commit changed from what the new base holds, into something else
        problem_files = [
            c for c in commit.changes if tree.blobs.get(c.path) not in (c.old_blob, c.new_blob)
        ]
        if all(tree.blobs.get(c.path) == c.new_blob for c in commit.changes):
            result.already.append(commit.sha)
            continue
        conflict = Conflicted(commit.sha, commit.subject, commit.author.name)
        for c in problem_files:
            conflict.files.append(
                ConflictFile(
                    c.path,
                    c.old_blob,
                    Side(
                        c.new_blob, (f"{commit.sha[:12]} {commit.author.name}: {commit.subject}",)
                    ),
                    Side(tree.blobs.get(c.path), _upstream_log(git, base, onto, c.path)),
                )
            )
        if check is not None:  # also for a conflict: a refused version says why plainly
            conflict.problems = check(_replayed(git, tree, commit, onto, keep, left_out))
        if conflict.files or conflict.problems:
            result.conflicts.append(conflict)
            left_out.append(commit)
            continue
        for c in commit.changes:
            tree.blobs[c.path] = c.new_blob
        keep.append(commit)
    if keep:
        made = _write_commits(git, onto, keep)
        result.applied = list(zip((c.sha for c in keep), made, strict=True))
        result.new_head = made[-1]
    return result


def _made(commits: list[_Local], path: str) -> list[str]:
    return [c.new_blob for k in commits for c in k.changes if c.path == path and c.new_blob]


def _replayed(
    git: Git, tree: _Tree, commit: _Local, onto: str, kept: list[_Local], left: list[_Local]
) -> Replayed:
    before = dict(tree.blobs)
    after = {**before, **{c.path: c.new_blob for c in commit.changes}}
    olds = {c.path: c.old_blob for c in commit.changes}

    def history(path: str) -> list[bytes]:
        rng = [onto]
        shas = git.out("log", "--format=%H", *rng, "--", path).split()
        blobs = [f"{sha}:{path}" for sha in shas]
        found = (
            git.run(
                "cat-file", "--batch-check=%(objectname)", input=("\n".join(blobs) + "\n").encode()
            )
            .stdout.decode()
            .split("\n")
            if blobs
            else []
        )
        ids = [b for b in found if b and not b.endswith("missing")]
        ids += _made(kept, path)
        texts = git.cat_blobs(ids)
        return [texts[i] for i in ids if i in texts]

    def dropped(path: str) -> list[bytes]:
        ids = _made(left, path)
        texts = git.cat_blobs(ids)
        return [texts[i] for i in ids if i in texts]

    return Replayed(
        commit.sha,
        commit.subject,
        commit.changes,
        lambda p: tree.text(olds.get(p)),
        lambda p: tree.text(tree.blob(p, before)),
        lambda p: tree.text(tree.blob(p, after)),
        history,
        dropped,
    )


def _quote(path: str) -> bytes:
    raw = path.encode("utf-8", "surrogateescape")
    if raw.startswith(b'"') or b"\n" in raw:
        escaped = raw.replace(b"\\", b"\\\\").replace(b'"', b'\\"').replace(b"\n", b"\\n")
        return b'"' + escaped + b'"'
    return raw


def _write_commits(git: Git, onto: str, commits: list[_Local]) -> list[str]:
    """Each commit's changes as a new commit on top of the last, the first on `onto`: one
    `git fast-import` for all of them. The committer is this clone's git user, as in a rebase."""
    committer = _committer(git)
    ref = f"refs/modelyard/replay/{os.getpid()}-{random.getrandbits(32):08x}"
    stream: list[bytes] = []
    for i, commit in enumerate(commits, 1):
        msg = commit.message.encode("utf-8", "surrogateescape")
        author = f"{commit.author.name} <{commit.author.email}> {commit.date}".encode()
        stream += [
            f"commit {ref}\nmark :{i}\n".encode(),
            b"author " + author + b"\n",
            b"committer " + committer + b"\n",
            b"data %d\n" % len(msg) + msg + b"\n",
        ]
        if i == 1:
            stream.append(f"from {onto}\n".encode())
        for c in commit.changes:
            if c.new_blob is None:
                stream.append(b"D " + _quote(c.path) + b"\n")
            else:
                stream.append(f"M 100644 {c.new_blob} ".encode() + _quote(c.path) + b"\n")
        stream.append(b"\n")
    stream.append(b"done\n")
    with tempfile.TemporaryDirectory(prefix="modelyard-replay-") as tmp:
        marks = Path(tmp) / "marks"
        proc = git.run(
            "fast-import", "--quiet", "--done", f"--export-marks={marks}",
            input=b"".join(stream), check=False,
        )  # fmt: skip
        git.run("update-ref", "-d", ref, check=False)
        if proc.returncode != 0:
            raise GitError(f"git fast-import failed: {proc.stderr.decode(errors='replace')}")
        by_mark = dict(line.split() for line in marks.read_text().splitlines() if line)
    return [by_mark[f":{i}"] for i in range(1, len(commits) + 1)]


def _committer(git: Git) -> bytes:
    name, email = git.user()
    name = os.environ.get("GIT_COMMITTER_NAME") or name or "modelyard"
    email = os.environ.get("GIT_COMMITTER_EMAIL") or email or "modelyard@localhost"
    forced = os.environ.get("GIT_COMMITTER_DATE")
    when = forced if forced and forced[0].isdigit() and " " in forced else None
    when = when or f"{int(time.time())} +0000"
    return f"{name} <{email}> {when}".encode()


# -- adopting ------------------------------------------------------------------------------
def adopt(git: Git, result: Replay) -> None:
    """Make the replay the local branch: the conflicting commits kept on branches of their
    own, then git's index and the working tree moved from the old commit to the new one (as
    `git checkout` does: files changed since are refused, other edits stay), then the branch.
    The caller holds the registry's write lock."""
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    for conflict in result.conflicts:
        ref = f"{CONFLICT_PREFIX}{stamp}-{conflict.commit[:12]}"
        git.run("update-ref", "-m", "modelyard: kept a conflicting commit", ref, conflict.commit)
        conflict.ref = ref
    if not result.moved:
        return
    branch = git.branch_ref()
    if branch is None:
        raise GitError("HEAD is detached, so there is no branch to move")
    from modelyard.storage.indexsync import IndexBacklog

    IndexBacklog.of(git).flush(git)  # a server's index must be in step before it moves
    # modelyard's commits set index entries without stat data: refresh it, or git would take
    # every such file for a modified one (a sparse checkout's skipped files are not stat'ed)
    git.run("update-index", "-q", "--refresh", check=False)
    proc = git.run("read-tree", "-m", "-u", result.old_head, result.new_head, check=False)
    if proc.returncode != 0:
        said = proc.stderr.decode(errors="replace").strip()
        raise DirtyTree(
            f"the working tree has uncommitted changes to files upstream changed ({said})",
            action="commit or stash them (`git stash`), then run modelyard sync again",
        )
    moved = git.run(
        "update-ref", "-m", f"modelyard: sync onto {result.onto[:12]}",
        branch, result.new_head, result.old_head, check=False,
    )  # fmt: skip
    if moved.returncode != 0:  # only if something moved the branch without the write lock
        git.run("read-tree", "-m", "-u", result.new_head, result.old_head, check=False)
        raise GitError(
            "the branch moved while modelyard sync was replaying it",
            action="run modelyard sync again",
        )


def conflict_refs(git: Git) -> list[tuple[str, str]]:
    """(ref, commit) of every conflicting commit kept so far, oldest first."""
    out = git.out("for-each-ref", "--format=%(refname) %(objectname)", CONFLICT_PREFIX)
    return [tuple(line.split()) for line in out.splitlines() if line]  # type: ignore[misc]


def is_zero(sha: str | None) -> bool:
    return not sha or sha == ZERO
