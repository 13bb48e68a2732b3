"""git through its plumbing: one subprocess per step, no long-lived objects.

Commits never touch the user's staging area for other paths: the new tree is built
from HEAD's by changing only the trees on the committed paths (storage/trees.py), the
branch is moved with a compare-and-swap `update-ref`, and only then are the committed
paths refreshed in the user's index.
"""

from __future__ import annotations

import os
import re
import subprocess
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from modelyard.errors import GitError, IndexBusy
from modelyard.storage.gitraw import ZERO, RawChange, decode, parse_raw

__all__ = ["ZERO", "Git", "Person", "Prepared", "RawChange", "parse_person"]
# attempts at updating a locked index, 20 ms more apart each time: about four seconds in all
INDEX_TRIES = 20
FALLBACK_NAME = "modelyard"
FALLBACK_EMAIL = "modelyard@localhost"
_IDENT = re.compile(r"^\s*(?P<name>[^<>]*?)\s*<(?P<email>[^<>]*)>\s*$")


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")


def _packed_ref(path: Path, ref: str) -> str | None:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None


@dataclass(frozen=True)
class Prepared:
    """A commit made by `Git.build_commit` and not yet on its branch."""

    branch: str  # refs/heads/...
    parent: str | None  # the branch's commit when it was made (None: the first commit)
    sha: str
    blobs: dict[str, str | None]  # repo path: blob id, None where the commit removes it
    subject: str


@dataclass(frozen=True)
class Person:
    name: str
    email: str


def parse_person(text: str, default_email: str = "") -> Person:
    """`Ada <ada@example.com>`, `ada@example.com` or `Ada`."""
    m = _IDENT.match(text)
    if m:
        return Person(m.group("name") or m.group("email"), m.group("email"))
    text = text.strip()
    if "@" in text and " " not in text:
        return Person(text, text)
    return Person(text, default_email)


# what git strips from the ends of an identity's name ("crud"), and what it cannot hold at all
_CRUD = " .,:;<>\"\\'"
_UNHOLDABLE = re.compile(r"[\x00-\x1f\x7f<>]")


def committable(person: Person) -> Person | None:
    """`person` as git will take it as a commit's author: control characters and angle
    brackets (which no identity may hold) become spaces; None when nothing of the name is
    left once git strips what it strips (`.`, `,`, `'`, `<`), so the commit is authored by
    git's own user instead of failing. The record keeps the text as it was given."""
    name = " ".join(_UNHOLDABLE.sub(" ", person.name).split())
    email = _UNHOLDABLE.sub("", person.email).strip()
    if not name.strip(_CRUD):
        return None
    return Person(name, email)


class Git:
    """Runs git in one working tree."""

    def __init__(self, worktree: Path) -> None:
        self.worktree = worktree
        self._git_dir: Path | None = None

    # -- running -------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = None
        if env:
            full_env = {**os.environ, **env}
        try:
            proc = subprocess.run(
                ["git", *args],
                cwd=self.worktree,
                input=input,
                capture_output=True,
                env=full_env,
                check=False,
            )
        except FileNotFoundError:
            raise GitError(
                "git is not installed or not on PATH", action="install git 2.30 or newer"
            ) from None
        if check and proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
            raise GitError(f"git {args[0]} failed: {message}")
        return proc

    def out(self, *args: str, **kwargs: object) -> str:
        return self.run(*args, **kwargs).stdout.decode().strip()  # type: ignore[arg-type]

    # -- facts ---------------------------------------------------------------------------
    @property
    def git_dir(self) -> Path:
        if self._git_dir is None:
            self._git_dir = self._find_git_dir()
        return self._git_dir

    def _find_git_dir(self) -> Path:
        # read `.git` itself (a folder, or a `gitdir:` file in a linked worktree): a server
        # opens a registry per request, and a `git rev-parse` each time cost a third of a read
        if not os.environ.get("GIT_DIR"):
            dot = self.worktree / ".git"
            try:
                if dot.is_dir():
                    return dot.resolve()
                text = dot.read_text(encoding="utf-8").strip()
                if text.startswith("gitdir: "):
                    return (self.worktree / text[len("gitdir: ") :]).resolve()
            except OSError:
                pass
        return Path(self.out("rev-parse", "--absolute-git-dir"))

    def head(self) -> str | None:
        proc = self.run("rev-parse", "--verify", "-q", "HEAD^{commit}", check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def current_head(self) -> str | None:
        """HEAD's commit, read from git's own files (`HEAD`, the branch's ref or
        `packed-refs`): a long-running reader asks this on every request, so it costs two
        small reads rather than a process. Anything unusual (a ref format it does not know)
        is left to `git rev-parse`."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
            if _SHA.fullmatch(text):
                return text
            if not text.startswith("ref: refs/"):
                return self.head()
            ref = text[5:]
            common = self._common_dir()
            try:
                found: str | None = (common / ref).read_text(encoding="utf-8").strip()
            except FileNotFoundError:
                found = _packed_ref(common / "packed-refs", ref)
            if found is None:
                return self.head()  # an unborn branch, or a ref git keeps elsewhere
            return found if _SHA.fullmatch(found) else self.head()
        except OSError:
            return self.head()

    def _common_dir(self) -> Path:
        # a linked worktree (`git worktree add`) keeps its refs in the main repository
        try:
            rel = (self.git_dir / "commondir").read_text(encoding="utf-8").strip()
        except FileNotFoundError:
            return self.git_dir
        return (self.git_dir / rel).resolve()

    def branch_ref(self) -> str | None:
        """`refs/heads/main`, or None when HEAD is detached (read from `HEAD` itself, as
        `current_head` does; `git symbolic-ref` when it holds something else)."""
        try:
            text = (self.git_dir / "HEAD").read_text(encoding="utf-8").strip()
        except OSError:
            text = ""
        if text.startswith("ref: refs/heads/"):
            return text[5:]
        if _SHA.fullmatch(text):
            return None
        proc = self.run("symbolic-ref", "-q", "HEAD", check=False)
        return proc.stdout.decode().strip() if proc.returncode == 0 else None

    def is_shallow(self) -> bool:
        return self.out("rev-parse", "--is-shallow-repository") == "true"

    def user(self) -> tuple[str | None, str | None]:
        """git's configured user.name and user.email, read by one process."""
        proc = self.run("config", "--get-regexp", r"^user\.(name|email)$", check=False)
        found: dict[str, str | None] = {}
        for line in proc.stdout.decode(errors="replace").splitlines():
            key, _, value = line.partition(" ")
            found[key.lower()] = value.strip() or None  # the last value wins, as for --get
        return found.get("user.name"), found.get("user.email")

    def author_name(self, author: Person | None, user: tuple[str | None, str | None]) -> str:
        """The name a commit made by `commit(..., author)` is authored under."""
        if author is not None:
            return author.name
        return os.environ.get("GIT_AUTHOR_NAME") or user[0] or FALLBACK_NAME

    def dirty(self, paths: Iterable[str]) -> list[str]:
        """Which of `paths` (repository-relative) differ from HEAD in the index or the working
        tree."""
        specs = [f":(literal){p}" for p in paths]
        if not specs:
            return []
        proc = self.run(
            "status", "--porcelain=v1", "-z", "--no-renames", "--untracked-files=all", "--", *specs
        )
        entries = [e for e in proc.stdout.decode(errors="replace").split("\0") if e]
        return [e[3:] for e in entries if len(e) > 3]

    def worktree_differs(self, paths: Iterable[str]) -> list[str]:
        """Which of `paths` (repository-relative) have other content on disk than in HEAD.

        Unlike `dirty`, this never reads the index, which in a registry of 100,000 runs is
        tens of megabytes: one `ls-tree` of HEAD along the paths and one `hash-object`.
        """
        wanted = list(dict.fromkeys(paths))
        if not wanted:
            return []
        head_blobs: dict[str, str] = {}
        head = self.current_head()
        if head:
            out = self.run("ls-tree", "-z", "--full-tree", head, "--", *wanted).stdout
            for entry in out.decode("utf-8", "surrogateescape").split("\0"):
                meta, _, path = entry.partition("\t")
                if path:
                    head_blobs[path] = meta.split()[2]
        on_disk = [p for p in wanted if (self.worktree / p).is_file()]
        disk_blobs: dict[str, str] = {}
        if on_disk:
            shas = self.out(
                "hash-object", "--stdin-paths", input="\n".join(on_disk).encode()
            ).split()
            disk_blobs = dict(zip(on_disk, shas, strict=True))
        return [p for p in wanted if head_blobs.get(p) != disk_blobs.get(p)]

    def resolve_commit(self, ref: str) -> str | None:
        """The commit `ref` names (a branch, a tag, a sha), or None when it names none."""
        proc = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def commit_time(self, ref: str) -> int:
        """The committer time of `ref`, in seconds since the epoch."""
        return int(self.out("show", "-s", "--format=%ct", ref))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is `descendant` or one of its ancestors."""
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return proc.returncode == 0

    def diff_tree(self, old: str, new: str, *paths: str) -> list[RawChange] | None:
        """What changed under `paths` (repository-relative) from commit `old` to `new`; None
        when git cannot compare them (`old` is gone: garbage collected after a rebase)."""
        proc = self.run(
            "diff-tree",
            "-r",
            "-z",
            "--no-renames",
            "--no-abbrev",
            old,
            new,
            "--",
            *paths,
            check=False,
        )
        if proc.returncode != 0:
            return None
        return parse_raw(decode(proc.stdout, "surrogateescape"))

    def changed_since(self, base: str, *paths: str) -> list[RawChange]:
        """Tracked files under `paths` whose working-tree content differs from commit `base`
        (new files git does not track yet are `untracked`)."""
        proc = self.run("diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, "--", *paths)
        return parse_raw(decode(proc.stdout))

    def untracked(self, *paths: str) -> list[str]:
        """Files under `paths` that git does not track and does not ignore."""
        proc = self.run("ls-files", "--others", "--exclude-standard", "-z", "--", *paths)
        return [p for p in decode(proc.stdout).split("\0") if p]

    def grep_fixed(self, patterns: Iterable[str], spec: str) -> list[tuple[str, str]]:
        """(path, line) of every line holding one of the fixed strings `patterns` in the files
        matching pathspec `spec`, tracked or new, as they are in the working tree."""
        args = [a for p in patterns for a in ("-e", p)]
        if not args:
            return []
        proc = self.run("grep", "--null", "-F", "--untracked", *args, "--", spec, check=False)
        if proc.returncode > 1:  # 1 is "no match"
            raise GitError(f"git grep failed: {proc.stderr.decode(errors='replace').strip()}")
        out: list[tuple[str, str]] = []
        for line in decode(proc.stdout).split("\n"):
            path, sep, text = line.partition("\0")
            if not sep:
                continue
            out.append((path, text))
        return out

    def cat_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """Many blobs through one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        data = self.run("cat-file", "--batch", input=("\n".join(wanted) + "\n").encode()).stdout
        out: dict[str, bytes] = {}
        pos = 0
        for sha in wanted:
            end = data.index(b"\n", pos)
            header = data[pos:end].split()
            pos = end + 1
            if len(header) < 3 or header[1] == b"missing":
                continue
            size = int(header[2])
            out[sha] = data[pos : pos + size]
            pos += size + 1
        return out

    # -- committing ----------------------------------------------------------------------
    def hash_blobs(self, data: Mapping[str, bytes]) -> dict[str, str]:
        """Store each of `data` ({repo path: bytes}) as a blob, as git would from a file at
        that path (its filters apply); {repo path: blob id}. Nothing in the working tree or
        the index changes, so a crash here leaves only unreferenced objects behind."""
        return {
            path: self.out("hash-object", "-w", "--stdin", f"--path={path}", input=content)
            for path, content in data.items()
        }

    def build_commit(
        self,
        blobs: Mapping[str, str | None],
        message: str,
        author: Person | None,
        date: datetime | None = None,
        user: tuple[str | None, str | None] | None = None,
    ) -> Prepared:
        """A commit of HEAD's tree with each path of `blobs` set to a blob id or removed
        (None), made but on no branch yet: `advance` puts it there."""
        branch = self.branch_ref()
        if branch is None:
            raise GitError(
                "HEAD is detached, so there is no branch to commit to",
                action="check out a branch first, e.g. `git switch -c my-change`",
            )
        head = self.current_head()
        from modelyard.storage.trees import tree_with

        tree = tree_with(self, head, blobs)
        ident = self._identities(author, user if user is not None else self.user())
        if date is not None and not os.environ.get("GIT_AUTHOR_DATE"):
            ident["GIT_AUTHOR_DATE"] = f"@{int(date.timestamp())} +0000"
        parents = ["-p", head] if head else []
        sha = self.out("commit-tree", tree, *parents, "-F", "-", input=message.encode(), env=ident)
        return Prepared(branch, head, sha, dict(blobs), message.splitlines()[0] if message else "")

    def advance(self, commit: Prepared) -> None:
        """Move the branch from the commit's parent to it (compare-and-swap). Raises
        GitError, moving nothing, when the branch moved meanwhile."""
        old = commit.parent or ZERO
        self.run("update-ref", "-m", f"modelyard: {commit.subject}", commit.branch, commit.sha, old)

    def sync_index_to(self, commit: Prepared) -> IndexBusy | None:
        """Bring the index entries of exactly the commit's paths to it, so `git status` stays
        clean and a later `git commit` of other work cannot undo it; the problem, if git
        cannot (the caller must then undo the commit: an index left behind would revert it)."""
        lines = [
            f"100644 {blob}\t{p}" if blob else f"0 {ZERO}\t{p}" for p, blob in commit.blobs.items()
        ]
        return self._sync_user_index(("\n".join(lines) + "\n").encode())

    def undo(self, commit: Prepared) -> bool:
        """Move the branch back from the commit to its parent, only if nothing moved it."""
        return self._undo(commit.branch, commit.sha, commit.parent)

    def _sync_user_index(
        self, info: bytes, then: str = "so the change was not made; nothing was committed"
    ) -> IndexBusy | None:
        """Keep the user's index in step for exactly the committed paths, so `git status`
        stays clean and a later `git commit` of other work cannot undo this one. The problem,
        when git cannot (the commit must then be undone: an index left behind would revert it
        at the next `git commit`).

        Editors refresh the index in the background and hold `index.lock` for a moment,
        so a locked index is waited for (about four seconds) rather than given up on at once."""
        proc = None
        for attempt in range(INDEX_TRIES):
            proc = self.run(
                "update-index", "--add", "--remove", "--index-info", input=info, check=False
            )
            if proc.returncode == 0:
                return None
            if b"index.lock" not in proc.stderr:
                break
            time.sleep(0.02 * (attempt + 1))
        assert proc is not None
        said = proc.stderr.decode(errors="replace").strip().splitlines()
        lock = self.git_dir / "index.lock"
        if lock.exists():
            return IndexBusy(
                f"git's index is locked ({lock} exists: "
                f"another git process or an editor is using it), {then}",
                action="wait for that process to finish, "
                f"or if no git process is running, delete {lock}; "
                "then run the command again",
            )
        return IndexBusy(
            f"git could not update its index ({said[-1] if said else 'update-index failed'}), "
            f"{then}",
            action="fix what git reports (a full disk, permissions), then run the command again",
        )

    def sync_index_to_head(self, paths: Iterable[str]) -> IndexBusy | None:
        """Bring git's index entries of `paths` to what HEAD holds (removed where HEAD has
        none): one `ls-tree` and one `update-index` for any number of paths."""
        wanted = sorted(set(paths))
        if not wanted:
            return None
        head = self.current_head()
        in_head: dict[str, str] = {}
        if head:
            out = self.run("ls-tree", "-z", "--full-tree", head, "--", *wanted).stdout
            for entry in out.decode("utf-8", "surrogateescape").split("\0"):
                meta, _, path = entry.partition("\t")
                if path:
                    in_head[path] = meta  # "<mode> blob <sha>"
        lines = []
        for path in wanted:
            if path in in_head:
                mode, _, sha = in_head[path].split()
                lines.append(f"{mode} {sha}\t{path}")
            else:
                lines.append(f"0 {ZERO}\t{path}")
        info = ("\n".join(lines) + "\n").encode("utf-8", "surrogateescape")
        return self._sync_user_index(info, then="so it stays behind HEAD until the next try")

    def _undo(self, branch: str, sha: str, head: str | None) -> bool:
        """Move `branch` back from `sha` to `head` (compare-and-swap: only if nothing moved it)."""
        if head:
            args = ["update-ref", "-m", "modelyard: undo (index not updated)", branch, head, sha]
        else:
            args = ["update-ref", "-d", branch, sha]
        return self.run(*args, check=False).returncode == 0

    def _identities(
        self, author: Person | None, user: tuple[str | None, str | None]
    ) -> dict[str, str]:
        env: dict[str, str] = {}
        cfg_name = os.environ.get("GIT_COMMITTER_NAME") or user[0]
        cfg_email = os.environ.get("GIT_COMMITTER_EMAIL") or user[1]
        if not cfg_name or cfg_email is None:
            env["GIT_COMMITTER_NAME"] = cfg_name or FALLBACK_NAME
            env["GIT_COMMITTER_EMAIL"] = cfg_email or FALLBACK_EMAIL
        if author is not None:
            env["GIT_AUTHOR_NAME"] = author.name
            env["GIT_AUTHOR_EMAIL"] = author.email
        elif not (os.environ.get("GIT_AUTHOR_NAME") or cfg_name):
            env["GIT_AUTHOR_NAME"] = FALLBACK_NAME
            env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
        elif cfg_email is None and not os.environ.get("GIT_AUTHOR_EMAIL"):
            env["GIT_AUTHOR_EMAIL"] = FALLBACK_EMAIL
        return env
