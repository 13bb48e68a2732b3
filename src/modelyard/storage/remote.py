"""The git remote as the team's shared store: fetch, replay local commits onto upstream, push.

Local commits are replayed file by file, never merged textually: a commit applies on the new
base only when every file it changes is, on that base, exactly what the commit changed it
from. Runs and snapshots (one new file each, unique ids) therefore always apply; a commit
whose files upstream changed too is a conflict, left out of the new history and kept on a
branch of its own (`modelyard/conflicts/<time>-<sha>`). The new commits are written by one
`git fast-import` whatever their number, and no working tree or index is touched until
`adopt` moves the branch, so a replay costs the same in a sparse writer clone as in a full
one and nothing is half-done when it stops.
"""

from __future__ import annotations

import os
import random
import re
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from modelyard.errors import DirtyTree, GitError, RemoteUnavailable
from modelyard.storage.git import Git, Person
from modelyard.storage.gitraw import ZERO, RawChange, decode, log_format, parse_log

CONFLICT_PREFIX = "refs/heads/modelyard/conflicts/"
# git's words for a push that lost the race to another writer: fetch, replay, try again
_RACE = ("non-fast-forward", "fetch first", "stale info", "cannot lock ref", "incorrect old value")
# what git says when it cannot reach the remote or is not let in
_UNREACHABLE = (
    "could not read from remote",
    "could not resolve host",
    "connection refused",
    "connection timed out",
    "unable to access",
    "authentication failed",
    "permission denied",
    "does not appear to be a git repository",
    "repository not found",
    "unable to connect",
    "network is unreachable",
    "could not read username",
    "terminal prompts disabled",
    "no such file or directory",
    "not found",
    "remote end hung up",
)


@dataclass(frozen=True)
class Upstream:
    """Where a clone's commits go: `remote`'s `branch`, mirrored locally at `tracking`."""

    remote: str  # "origin"
    branch: str  # "main", the branch's name on the remote
    local: str  # "refs/heads/main", the local branch that is replayed and pushed

    @property
    def tracking(self) -> str:
        return f"refs/remotes/{self.remote}/{self.branch}"

    @property
    def label(self) -> str:
        return f"{self.remote}/{self.branch}" if self.branch else self.remote


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


# -- settings git keeps ------------------------------------------------------------------------
def remote_url(git: Git, name: str) -> str | None:
    """The URL of remote `name`, or None when the clone has no such remote."""
    proc = git.run("config", "--get", f"remote.{name}.url", check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


def resolve_upstream(git: Git, remote: str | None = None, branch: str | None = None) -> Upstream:
    """The remote and branch a clone syncs with: those given, else the current branch's
    upstream (`branch.<name>.remote` / `.merge`), else `origin` and the branch's own name."""
    local = git.branch_ref()
    if local is None:
        raise GitError(
            "HEAD is detached, so there is no branch to sync",
            action="check out the registry's branch first, e.g. `git switch main`",
        )
    name = local.removeprefix("refs/heads/")
    if remote is None:
        remote = _config(git, f"branch.{name}.remote") or "origin"
    if branch is None:
        merge = _config(git, f"branch.{name}.merge")
        branch = merge.removeprefix("refs/heads/") if merge else name
    if remote_url(git, remote) is None:
        raise GitError(
            f"this clone has no git remote named {remote!r}",
            action=f"add it (`git remote add {remote} URL`), or name another one with --remote "
            "or `remote: {name: ...}` in modelyard.yaml",
        )
    return Upstream(remote, branch, local)


def _config(git: Git, key: str) -> str | None:
    proc = git.run("config", "--get", key, check=False)
    return proc.stdout.decode().strip() or None if proc.returncode == 0 else None


# -- the network ---------------------------------------------------------------------------------
def _network_env(interactive: bool) -> dict[str, str]:
    if interactive:
        return {}
    # a job must fail, not wait for a password nobody will type
    env = {"GIT_TERMINAL_PROMPT": "0"}
    if not os.environ.get("GIT_SSH_COMMAND"):
        env["GIT_SSH_COMMAND"] = "ssh -o BatchMode=yes"
    return env


def _talk(
    git: Git,
    args: list[str],
    up: Upstream,
    progress: Callable[[str], None] | None,
    interactive: bool,
    quiet_for: float = 1.0,
) -> tuple[int, str, str]:
    """Run a git command that talks to the remote; its progress goes to `progress` once it
    has taken more than `quiet_for` seconds. (exit code, stdout, stderr)"""
    env = {**os.environ, **_network_env(interactive)}
    try:
        proc = subprocess.Popen(
            ["git", *args],
            cwd=git.worktree,
            stdin=None if interactive else subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            env=env,
        )
    except FileNotFoundError:
        raise GitError("git is not installed or not on PATH", action="install git") from None
    started = time.monotonic()
    said: list[bytes] = []
    out: list[bytes] = []
    told = False

    def read_out() -> None:
        assert proc.stdout is not None
        out.append(proc.stdout.read())

    reader = threading.Thread(target=read_out, daemon=True)
    reader.start()
    assert proc.stderr is not None
    shown = 0  # how much of what git said has been looked at for progress
    while True:
        chunk = proc.stderr.read1(4096)  # type: ignore[attr-defined]
        if not chunk:
            break
        said.append(chunk)
        if progress is not None and time.monotonic() - started > quiet_for:
            text = decode(b"".join(said))
            # whole lines only, and only git's progress (its errors and hints are reported
            # with the outcome, once)
            end = max(text.rfind("\r"), text.rfind("\n")) + 1
            lines = [
                part
                for part in re.split(r"(?<=[\r\n])", text[shown:end])
                if _PROGRESS.match(part.strip())
            ]
            shown = max(shown, end)
            if lines and not told:
                progress(f"{args[0]} {up.label}: still working\n")
                told = True
            for line in lines:
                progress(line)
    reader.join()
    code = proc.wait()
    return code, decode(b"".join(out)), decode(b"".join(said))


_PROGRESS = re.compile(
    r"^(remote: )?(Enumerating|Counting|Compressing|Writing|Receiving|Resolving|Total|Delta|"
    r"Unpacking|Updating files|Filtering content|Checking out)"
)


def _plain(said: str) -> str:
    """git's stderr without its progress lines: what it said, on one line."""
    lines = [line.strip() for line in said.replace("\r", "\n").splitlines() if line.strip()]
    return "; ".join(line for line in lines if not _PROGRESS.match(line))


def _unreachable(what: str, up: Upstream, url: str | None, said: str) -> RemoteUnavailable:
    message = _plain(said)
    return RemoteUnavailable(
        f"could not {what} {up.label} ({url}): {message or 'git gave no reason'}",
        action="check the network and that your credentials for that URL work "
        f"(`git ls-remote {up.remote}`); your commits are safe in this clone, "
        "run `modelyard sync` again once it answers",
    )


def fetch(
    git: Git,
    up: Upstream,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> str | None:
    """Bring the remote's branch to `up.tracking`; its commit, None when the remote has no
    such branch yet (an empty repository). Raises RemoteUnavailable when it cannot."""
    spec = f"+refs/heads/{up.branch}:{up.tracking}"
    args = ["fetch", "--no-tags", "--no-write-fetch-head", "--progress", up.remote, spec]
    code, _, said = _talk(git, args, up, progress, interactive)
    if code != 0:
        if f"couldn't find remote ref refs/heads/{up.branch}" in said.lower():
            return None
        url = remote_url(git, up.remote)
        if _is_unreachable(said):
            raise _unreachable("fetch from", up, url, said)
        raise GitError(f"git fetch {up.label} failed: {_plain(said)}")
    return git.resolve_commit(up.tracking)


def _is_unreachable(said: str) -> bool:
    low = said.lower()
    return any(sign in low for sign in _UNREACHABLE)


def push(
    git: Git,
    up: Upstream,
    sha: str,
    progress: Callable[[str], None] | None = None,
    interactive: bool = False,
) -> bool:
    """Push commit `sha` as the remote's branch. False when the remote refused because it
    holds commits this clone has not replayed onto (someone pushed first: fetch, replay and
    push again); RemoteUnavailable or GitError (a protected branch, a hook) otherwise."""
    args = ["push", "--porcelain", "--progress", up.remote, f"{sha}:refs/heads/{up.branch}"]
    code, out, said = _talk(git, args, up, progress, interactive)
    if code == 0:
        git.run("update-ref", "-m", "modelyard: pushed", up.tracking, sha)
        return True
    said = _plain(said)
    text = f"{out}\n{said}".lower()
    if ("[rejected]" in text or "[remote rejected]" in text) and any(w in text for w in _RACE):
        return False
    if "[remote rejected]" in text:
        reason = next(
            (line for line in out.splitlines() if "[remote rejected]" in line),
            said.strip(),
        )
        why = reason.split("\t")[-1].replace("[remote rejected]", "").strip().strip("()")
        raise GitError(
            f"{up.label} refused the push: {why} ({said})" if said else why,
            action="the branch is protected or a hook declined: push through a pull request, "
            "or ask for the account to be allowed to push to it",
        )
    if _is_unreachable(said):
        raise _unreachable("push to", up, remote_url(git, up.remote), said)
    raise GitError(f"git push {up.label} failed: {said or out.strip()}")


def backoff(attempt: int, base: float = 0.05, cap: float = 1.0) -> float:
    """Seconds to wait before try `attempt` + 1 after a lost race: full jitter over an
    exponentially growing window, so writers that collided do not collide again in step.
    The window stays short: a race is lost to writers that keep pushing, not to a burst that
    passes, and a long pause only makes the next fetch-replay-push take longer, which loses
    again (8 writers in a loop starved one of them with a 5 s window)."""
    return random.uniform(0, min(cap, base * 2**attempt))


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


def replay(git: Git, head: str, onto: str, check: Check | None = None) -> Replay:
    """Replay the commits of `head` that `onto` lacks onto `onto`, one new commit for each
    that applies (same author, date and message). Writes objects only: no ref, index or file
    changes (`adopt` makes them)."""
    base_out = git.run("merge-base", head, onto, check=False)
    base = base_out.stdout.decode().strip() or None if base_out.returncode == 0 else None
    if base is None and git.is_shallow():
        raise GitError(
            "this clone is shallow, so git cannot tell what upstream and local commits share",
            action="deepen it (`git fetch --unshallow`), then run modelyard sync again",
        )
    _, behind = counts(git, head, onto)
    if base == onto:
        return Replay(head, onto, base, head)  # nothing new upstream: push as it is
    local = _local_commits(git, base, head)
    if base == head or not local:
        return Replay(head, onto, base, onto, behind=behind)  # only behind: fast-forward
    tree = _Tree(git, onto, (c.path for commit in local for c in commit.changes))
    result = Replay(head, onto, base, onto, behind=behind)
    keep: list[_Local] = []
    left_out: list[_Local] = []
    for commit in local:
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


# -- cloning ---------------------------------------------------------------------------------
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
