"""`Git`'s writes: blobs, commits made on no branch, and the compare-and-swap branch moves
that put them there, through libgit2 in process (storage/objects.py) or git's plumbing
(storage/plumbing.py), whichever `Git.objects` holds."""

from __future__ import annotations

import os
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from modelyard.errors import GitError
from modelyard.storage import commits
from modelyard.storage.gitraw import ZERO
from modelyard.storage.identity import Person, identities
from modelyard.storage.plumbing import Plumbing

if TYPE_CHECKING:
    from modelyard.storage.objects import Objects


@dataclass(frozen=True)
class Prepared:
    """A commit made by `Git.build_commit` and not yet on its branch."""

    branch: str  # refs/heads/...
    parent: str | None  # the branch's commit when it was made (None: the first commit)
    sha: str
    blobs: dict[str, str | None]  # repo path: blob id, None where the commit removes it
    subject: str


class Committing:
    """The committing half of `Git` (storage/git.py), which provides what is declared here."""

    if TYPE_CHECKING:

        @property
        def objects(self) -> Objects | Plumbing: ...

        def run(
            self,
            *args: str,
            input: bytes | None = None,
            env: Mapping[str, str] | None = None,
            check: bool = True,
        ) -> subprocess.CompletedProcess[bytes]: ...

        def out(self, *args: str, **kwargs: object) -> str: ...

        def branch_ref(self) -> str | None: ...

        def current_head(self) -> str | None: ...

        def user(self) -> tuple[str | None, str | None]: ...

        def config(self) -> commits.Config: ...

        def _filtered(self, paths: Iterable[str]) -> bool: ...

    def hash_blobs(self, data: Mapping[str, bytes]) -> dict[str, str]:
        """Store each of `data` ({repo path: bytes}) as a blob, as git would from a file at
        that path (its filters apply); {repo path: blob id}. Nothing in the working tree or
        the index changes, so a crash here leaves only unreferenced objects behind."""
        if not self._filtered(data):
            return {path: self.objects.write_blob(content) for path, content in data.items()}
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
        on: tuple[str, str] | None = None,
    ) -> Prepared:
        """A commit of HEAD's tree with each path of `blobs` set to a blob id or removed
        (None), made but on no branch yet: `advance` puts it there. With `on` (a branch ref
        and a parent commit) it is made for that branch, on top of that commit, instead."""
        head: str | None
        if on is not None:
            branch, head = on
        else:
            current = self.branch_ref()
            if current is None:
                raise GitError(
                    "HEAD is detached, so there is no branch to commit to",
                    action="check out a branch first, e.g. `git switch -c my-change`",
                )
            branch, head = current, self.current_head()
        objects = self.objects
        tree = objects.tree_with(head, blobs)
        user = user if user is not None else self.user()
        signed = self.config().flag("commit.gpgsign")
        inside = not isinstance(objects, Plumbing)
        people = commits.signatures(author, user, date) if inside and not signed else None
        if people is not None and not isinstance(objects, Plumbing):
            sha = objects.commit(tree, [head] if head else [], message, *people)
        else:  # git's rules for who and when go further than commits.signatures, or it signs
            ident = identities(author, user)
            if date is not None and not os.environ.get("GIT_AUTHOR_DATE"):
                ident["GIT_AUTHOR_DATE"] = f"@{int(date.timestamp())} +0000"
            # `commit.gpgSign` is read by `git commit` only: commit-tree signs when told to
            options = ["-p", head] if head else []
            options += ["-S"] if signed else []
            sha = self.out(
                "commit-tree", tree, *options, "-F", "-", input=message.encode(), env=ident
            )
        return Prepared(branch, head, sha, dict(blobs), message.splitlines()[0] if message else "")

    def advance(self, commit: Prepared) -> None:
        """Move the branch from the commit's parent to it (compare-and-swap). Raises
        GitError, moving nothing, when the branch moved meanwhile."""
        if not self.objects.move_ref(
            commit.branch, commit.sha, commit.parent, f"modelyard: {commit.subject}"
        ):
            raise GitError(
                f"git update-ref failed: {commit.branch} is no longer at "
                f"{(commit.parent or ZERO)[:12]} (something else moved it meanwhile)"
            )

    def undo(self, commit: Prepared) -> bool:
        """Move the branch back from the commit to its parent, only if nothing moved it."""
        return self._undo(commit.branch, commit.sha, commit.parent)

    def write_blob(self, data: bytes) -> str:
        """Store `data` as a blob in the object database (nothing else changes); its id."""
        return self.objects.write_blob(data)

    def valid_branch_name(self, name: str) -> bool:
        """Whether `name` is a branch name git accepts (`git check-ref-format --branch`)."""
        if not name or name.startswith("-"):
            return False
        return self.run("check-ref-format", "--branch", name, check=False).returncode == 0

    def commit_to_new_branch(
        self,
        branch: str,
        base: str,
        blobs: Mapping[str, str | None],
        message: str,
        author: Person | None,
        date: datetime | None = None,
        user: tuple[str | None, str | None] | None = None,
    ) -> str:
        """Commit `base`'s tree with `blobs` ({repo path: blob id, or None to remove}) as the
        first commit of a new branch `branch`; its sha. Only objects and the new ref are
        written: the working tree, git's index and the checked-out branch stay as they were.

        Raises GitError (and creates nothing) when `branch` exists already or git refuses."""
        if not self.valid_branch_name(branch):
            raise GitError(
                f"{branch!r} is not a valid branch name",
                action="use letters, digits, '-', '_', '.' and '/' (see git check-ref-format)",
            )
        commit = self.build_commit(
            blobs, message, author, date, user, on=(f"refs/heads/{branch}", base)
        )
        sha = commit.sha
        # no old value: create the ref, never move one that exists
        subject = message.splitlines()[0] if message else ""
        if not self.objects.move_ref(f"refs/heads/{branch}", sha, None, f"modelyard: {subject}"):
            raise GitError(
                f"branch {branch} already exists, so nothing was committed",
                action="choose another branch name",
            )
        return sha

    def _undo(self, branch: str, sha: str, head: str | None) -> bool:
        """Move `branch` back from `sha` to `head` (compare-and-swap: only if nothing moved it)."""
        if head:
            return self.objects.move_ref(branch, head, sha, "modelyard: undo (index not updated)")
        return self.objects.delete_ref(branch, sha)
