"""git for one working tree: its objects and refs in process (storage/objects.py, libgit2),
everything else through git's own commands, one subprocess per step.

Commits never touch the user's staging area for other paths: the new tree is built
from HEAD's by changing only the trees on the committed paths, the branch is moved with a
compare-and-swap, and only then are the committed paths refreshed in the user's index.
"""

from __future__ import annotations

import atexit
import os
import re
import subprocess
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING

from modelyard.errors import GitError
from modelyard.storage import commits
from modelyard.storage.gitcommit import Committing, Prepared
from modelyard.storage.gitraw import (
    TRACKED_STATUS,
    ZERO,
    RawChange,
    decode,
    packed_ref,
    parse_raw,
    status_paths,
)
from modelyard.storage.identity import (
    FALLBACK_NAME,
    Person,
    committable,
    parse_person,
)
from modelyard.storage.plumbing import Plumbing, in_process

if TYPE_CHECKING:
    from modelyard.storage.objects import Objects

__all__ = ["ZERO", "Git", "Person", "Prepared", "RawChange", "committable", "parse_person"]


_SHA = re.compile(r"[0-9a-f]{40}|[0-9a-f]{64}")

# gits started ahead of the question they answer (`Git._start`), by (working tree, arguments)
_STARTED: dict[tuple[str, tuple[str, ...]], subprocess.Popen[bytes]] = {}


def _changed_args(base: str, paths: tuple[str, ...]) -> tuple[str, ...]:
    return ("diff", "--raw", "-z", "--no-renames", "--no-abbrev", base, "--", *paths)


def _grep_args(
    patterns: Iterable[str], specs: tuple[str, ...], untracked: bool
) -> tuple[str, ...] | None:
    args = [a for p in patterns for a in ("-e", p)]
    if not args or not specs:
        return None
    new = ["--untracked"] if untracked else []
    return ("grep", "--null", "-F", *new, *args, "--", *specs)


def _stop_started() -> None:
    while _STARTED:
        _, proc = _STARTED.popitem()
        proc.kill()
        proc.communicate()


def _small_text(path: str) -> str:
    """A small file of git's own (`HEAD`, a loose ref, `commondir`, `.git`) as text: one
    open and one read, where pathlib's `read_text` costs several times that. A server asks
    for HEAD on every request."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 4096):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


class Git(Committing):
    """Runs git in one working tree."""

    def __init__(self, worktree: Path) -> None:
        self.worktree = worktree
        self._git_dir: Path | None = None
        self._common_dir: Path | None = None
        self._objects: Objects | Plumbing | None = None

    def fork(self) -> Git:
        """A new Git of the same working tree that knows where its git folder is."""
        git = Git(self.worktree)
        git._git_dir, git._common_dir = self._git_dir, self._common_dir
        return git

    # -- running -------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        input: bytes | None = None,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[bytes]:
        started = None
        if _STARTED and input is None and not env:
            started = _STARTED.pop((str(self.worktree), args), None)
        if started is not None:
            out, err = started.communicate()
            proc = subprocess.CompletedProcess(["git", *args], started.returncode, out, err)
        else:
            proc = self._spawn(args, input, env)
        if check and proc.returncode != 0:
            message = proc.stderr.decode(errors="replace").strip() or f"git {args[0]} failed"
            raise GitError(f"git {args[0]} failed: {message}")
        return proc

    def _spawn(
        self, args: tuple[str, ...], input: bytes | None, env: Mapping[str, str] | None
    ) -> subprocess.CompletedProcess[bytes]:
        full_env = None
        if env:
            full_env = {**os.environ, **env}
        try:
            return subprocess.run(
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

    def _start(self, *args: str) -> None:
        """Start `git args` and return at once; the next `run` with the same arguments (and
        no input) reads what it wrote instead of running git again. For reads that take a
        while and whose question is known early: the caller goes on with its own work (its
        imports, its parsing) while git works. A git never asked for is stopped at exit."""
        key = (str(self.worktree), args)
        if key in _STARTED:
            return
        try:
            proc = subprocess.Popen(
                ["git", *args],
                cwd=self.worktree,
                stdin=subprocess.DEVNULL,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
            )
        except OSError:
            return  # `run` starts git itself, and says why it cannot
        if not _STARTED:
            atexit.register(_stop_started)
        _STARTED[key] = proc

    def stop_started(self) -> None:
        """Stop the gits started for this working tree (`_start`) that nothing asked for: a
        check that started one it turned out not to need leaves no process behind."""
        for key in [k for k in _STARTED if k[0] == str(self.worktree)]:
            proc = _STARTED.pop(key, None)
            if proc is not None:
                proc.kill()
                proc.communicate()

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
            dot = os.path.join(self.worktree, ".git")
            try:
                if os.path.isdir(dot):
                    return Path(os.path.realpath(dot))
                text = _small_text(dot).strip()
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
            text = _small_text(os.path.join(self.git_dir, "HEAD")).strip()
            if _SHA.fullmatch(text):
                return text
            if not text.startswith("ref: refs/"):
                return self.head()
            ref = text[5:]
            common = self.common_dir()
            try:
                found: str | None = _small_text(os.path.join(common, ref)).strip()
            except FileNotFoundError:
                found = packed_ref(common / "packed-refs", ref)
            if found is None:
                return self.head()  # an unborn branch, or a ref git keeps elsewhere
            return found if _SHA.fullmatch(found) else self.head()
        except OSError:
            return self.head()

    def common_dir(self) -> Path:
        # a linked worktree (`git worktree add`) keeps its refs in the main repository; asked
        # on every read of HEAD, so found once
        if self._common_dir is None:
            try:
                rel = _small_text(os.path.join(self.git_dir, "commondir")).strip()
            except FileNotFoundError:
                self._common_dir = self.git_dir
            else:
                self._common_dir = (self.git_dir / rel).resolve()
        return self._common_dir

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

    @property
    def objects(self) -> Objects | Plumbing:
        """The object database and refs: in process (libgit2) for a long-running process,
        through git's plumbing for a short one (storage/plumbing.py says why)."""
        if self._objects is None:
            self._objects = Plumbing(self)
            if in_process():
                from modelyard.storage.objects import Objects, opens

                # a repository libgit2 cannot read (sha256 objects, a newer format) is
                # left to git, which can
                if opens(self.git_dir):
                    self._objects = Objects(self.git_dir)
        return self._objects

    def maintain(self) -> None:
        """`git gc --auto`, which `git commit` runs after every commit and commits made
        without it never do: it packs loose objects once there are many (gc.auto, 6,700 by
        default) and otherwise costs a count of one object folder. It works in the background
        (gc.autoDetach) and never removes an object younger than two weeks."""
        self.run("gc", "--auto", "--quiet", check=False)

    def is_shallow(self) -> bool:
        """Whether history is cut off: git's `shallow` file lists the cut (it is what
        `git rev-parse --is-shallow-repository` reads)."""
        try:
            return (self.common_dir() / "shallow").stat().st_size > 0
        except OSError:
            return False

    def config(self) -> commits.Config:
        """The configuration a commit depends on (commits.KEYS): read by one process, again
        only when a configuration file or variable changed."""

        def read() -> dict[str, str]:
            pattern = "^(" + "|".join(k.replace(".", r"\.") for k in commits.KEYS) + ")$"
            proc = self.run("config", "--get-regexp", pattern, check=False)
            found: dict[str, str] = {}
            for line in proc.stdout.decode(errors="replace").splitlines():
                key, _, value = line.partition(" ")
                found[key.lower()] = value.strip()  # the last value wins, as for --get
            return found

        return commits.cached(self.git_dir, read)

    def user(self) -> tuple[str | None, str | None]:
        """git's configured user.name and user.email."""
        return self.config().user

    def _filtered(self, paths: Iterable[str]) -> bool:
        """Whether git would change any of these files' bytes on the way in (line endings,
        a clean filter): then git stores them, not this process."""
        if self.config().converts_line_endings:
            return True
        return any(self.objects.attributes_filter(p) for p in paths)

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
        head = self.current_head()
        head_blobs = self.objects.entry_ids(head, wanted) if head else {}
        on_disk = [p for p in wanted if (self.worktree / p).is_file()]
        disk_blobs: dict[str, str] = {}
        if on_disk and not self._filtered(on_disk):
            import pygit2

            disk_blobs = {p: str(pygit2.hashfile(str(self.worktree / p))) for p in on_disk}
        elif on_disk:  # through git, which applies the paths' filters
            shas = self.out(
                "hash-object", "--stdin-paths", input="\n".join(on_disk).encode()
            ).split()
            disk_blobs = dict(zip(on_disk, shas, strict=True))
        return [p for p in wanted if head_blobs.get(p) != disk_blobs.get(p)]

    def folder_untouched(self, old: str, new: str, folder: str) -> bool:
        """Whether `new` is `old` plus single-parent commits none of which changed anything
        under `folder`; False when that is not cheap to know."""
        return self.objects.folder_untouched(old, new, folder)

    def resolve_commit(self, ref: str) -> str | None:
        """The commit `ref` names (a branch, a tag, a sha), or None when it names none."""
        proc = self.run("rev-parse", "--verify", "-q", f"{ref}^{{commit}}", check=False)
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def upstream_base(self) -> tuple[str, str] | None:
        """Where this branch left the branch it merges into: (sha, how it was found). That
        is the merge base of HEAD and its upstream (`@{upstream}`), else of HEAD and
        origin's default branch (`origin/HEAD`), else HEAD itself (a repository with no
        remote yet); None before the first commit."""
        head = self.resolve_commit("HEAD")
        if head is None:
            return None
        for ref in ("@{upstream}", "origin/HEAD"):
            if self.resolve_commit(ref) is None:
                continue
            proc = self.run("merge-base", "HEAD", ref, check=False)
            sha = proc.stdout.decode().strip()
            if proc.returncode == 0 and sha:
                return sha, f"the merge base of HEAD and {ref}"
        return head, "HEAD (this branch has no upstream)"

    def commit_time(self, ref: str) -> int:
        """The committer time of `ref`, in seconds since the epoch."""
        return int(self.out("show", "-s", "--format=%ct", ref))

    def is_ancestor(self, ancestor: str, descendant: str) -> bool:
        """Whether `ancestor` is `descendant` or one of its ancestors."""
        proc = self.run("merge-base", "--is-ancestor", ancestor, descendant, check=False)
        return proc.returncode == 0

    def commit_before(self, epoch: int, tip: str = "HEAD") -> str | None:
        """The last commit on `tip`'s first-parent line committed at or before `epoch` (the
        commit a branch pointed at then), or None when there was none yet."""
        if self.head() is None:
            return None
        proc = self.run(
            "rev-list", "-1", "--first-parent", f"--before={epoch}", tip, "--", check=False
        )
        return proc.stdout.decode().strip() or None if proc.returncode == 0 else None

    def tree_blobs(self, commit: str, path: str) -> dict[str, str]:
        """{repository path: blob id} of every file under `path` in `commit`."""
        proc = self.run("ls-tree", "-r", "-z", "--full-tree", commit, "--", path)
        out: dict[str, str] = {}
        for entry in decode(proc.stdout, "surrogateescape").split("\0"):
            meta, _, name = entry.partition("\t")
            parts = meta.split()
            if name and len(parts) == 3 and parts[1] == "blob":
                out[name] = parts[2]
        return out

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

    def start_tracked_changes(self, *paths: str) -> None:
        """Start `tracked_changes(*paths)` in the background (see `_start`)."""
        self._start(*TRACKED_STATUS, "--", *paths)

    def tracked_changes(self, *paths: str) -> list[str]:
        """Tracked files under `paths` whose index entry or file on disk differs from HEAD
        (edited, deleted): git stats them in C, on every core, against its index."""
        return status_paths(self.run(*TRACKED_STATUS, "--", *paths).stdout)

    def touched_between(self, old: str, new: str, *paths: str) -> set[str] | None:
        """Every path under `paths` that a commit on one side and not the other changed
        (`git log old...new`), with what differs between the two commits themselves: what
        a result drawn from history (versions, status changes) may differ in. None when
        git cannot compare them (a commit is gone)."""
        diff = self.diff_tree(old, new, *paths)
        proc = self.run(
            "log",
            "--no-renames",
            "--name-only",
            "-z",
            "--format=",
            f"{old}...{new}",
            "--",
            *paths,
            check=False,
        )
        if diff is None or proc.returncode != 0:
            return None
        names = (p.lstrip("\n") for p in decode(proc.stdout, "surrogateescape").split("\0"))
        found = {p for p in names if p}
        return found | {change.path for change in diff}

    def changed_since(self, base: str, *paths: str) -> list[RawChange]:
        """Tracked files under `paths` whose working-tree content differs from commit `base`
        (new files git does not track yet are `untracked`)."""
        return parse_raw(decode(self.run(*_changed_args(base, paths)).stdout))

    def start_changed_since(self, base: str, *paths: str) -> None:
        """Start `changed_since(base, *paths)` in the background (see `_start`): git compares
        the whole working tree with the base, a stat of every tracked file, and a command
        that will ask starts it before its own slow imports, so that the two overlap."""
        self._start(*_changed_args(base, paths))

    def commits_since(self, base: str, tip: str = "HEAD") -> set[str]:
        """The commits of `tip` that `base` does not have (`git rev-list base..tip`): a pull
        request's own commits. A commit of `tip`'s history is on `base` exactly when it is not
        among them, so one call answers what an `is_ancestor` per commit would."""
        return set(self.out("rev-list", f"{base}..{tip}").split())

    def tracked(self, *paths: str) -> set[str]:
        """Every path under `paths` in git's index (no file is stat-ed, no folder read)."""
        proc = self.run("ls-files", "-z", "--cached", "--", *paths)
        return {p for p in decode(proc.stdout, "surrogateescape").split("\0") if p}

    def not_ignored(self, paths: list[str]) -> list[str]:
        """`paths` less those a .gitignore (or git's excludes) ignores."""
        if not paths:
            return []
        proc = self.run(
            "check-ignore",
            "--stdin",
            "-z",
            input="\0".join(paths).encode("utf-8", "surrogateescape") + b"\0",
            check=False,
        )
        if proc.returncode > 1:
            raise GitError(f"git check-ignore failed: {proc.stderr.decode(errors='replace')}")
        ignored = set(decode(proc.stdout, "surrogateescape").split("\0"))
        return [p for p in paths if p not in ignored]

    def untracked(self, *paths: str) -> list[str]:
        """Files under `paths` that git does not track and does not ignore."""
        proc = self.run("ls-files", "--others", "--exclude-standard", "-z", "--", *paths)
        return [p for p in decode(proc.stdout).split("\0") if p]

    def grep_fixed(
        self, patterns: Iterable[str], *specs: str, untracked: bool = True
    ) -> list[tuple[str, str]]:
        """(path, line) of every line holding one of the fixed strings `patterns` in the files
        matching one of the pathspecs `specs`, tracked or new (`untracked`, which reads every
        folder), as they are in the working tree."""
        args = _grep_args(patterns, specs, untracked)
        if args is None:
            return []
        proc = self.run(*args, check=False)
        if proc.returncode > 1:  # 1 is "no match"
            raise GitError(f"git grep failed: {proc.stderr.decode(errors='replace').strip()}")
        out: list[tuple[str, str]] = []
        for line in decode(proc.stdout).split("\n"):
            path, sep, text = line.partition("\0")
            if not sep:
                continue
            out.append((path, text))
        return out

    def start_grep_fixed(
        self, patterns: Iterable[str], *specs: str, untracked: bool = True
    ) -> None:
        """Start `grep_fixed` with these arguments in the background (see `_start`)."""
        args = _grep_args(patterns, specs, untracked)
        if args is not None:
            self._start(*args)

    def cat_blobs(self, shas: Iterable[str]) -> dict[str, bytes]:
        """The bytes of each blob of `shas` (those that exist). A few are read in process;
        many, and any this repository lacks (a partial clone's, which git fetches), through
        one `git cat-file --batch`."""
        wanted = list(dict.fromkeys(shas))
        if not wanted:
            return {}
        if len(wanted) > 64:
            return self._cat_file(wanted)
        found = self.objects.read_blobs(wanted)
        missing = [s for s in wanted if s not in found]
        if missing:
            found.update(self._cat_file(missing))
        return found

    def _cat_file(self, wanted: list[str]) -> dict[str, bytes]:
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
