"""Writes that land on a new branch instead of the checked-out one.

An agent (the MCP server) may propose changes but should not make them: every mutation of
a `BranchRegistry` is prepared exactly as a normal one (same ops, same checks, same
files), then committed on top of HEAD as the first commit of a new branch. Only git
objects and that branch's ref are written, never a file of the working tree or git's
index, so the person's checkout stays as it was and the change arrives as a branch to
review and merge.
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

from modelyard.errors import GitError
from modelyard.storage.mutation import Mutation, clock, refuse_dirty, refuse_links
from modelyard.storage.registry import Registry

BRANCH_PREFIX = "modelyard/"


def branch_name(action: str, now: datetime | None = None) -> str:
    """A new branch name for one proposed change: `modelyard/<action>-<UTC time>-<pid>`."""
    stamp = (now or clock()).strftime("%Y%m%dT%H%M%SZ")
    slug = re.sub(r"[^a-z0-9]+", "-", action.lower()).strip("-") or "change"
    return f"{BRANCH_PREFIX}{slug}-{stamp}-{os.getpid()}"


class BranchRegistry(Registry):
    """A registry whose mutations each commit to a new branch made from HEAD.

    Reads are the working tree's, as for `Registry`; a mutation that would change a file
    with uncommitted edits is refused, so the proposed commit never carries them."""

    def __init__(self, root: Path, branch: str) -> None:
        super().__init__(root)
        self.branch = branch
        self.base: str | None = None
        self.last_commit: str | None = None
        self.last_message: str | None = None

    def mutate(self, message: str, author: str | None = None) -> Mutation:
        return BranchMutation(self, message, author)


class BranchMutation(Mutation):
    """A mutation committed to `registry.branch` without touching the working tree."""

    registry: BranchRegistry

    def _apply(self) -> None:
        reg = self.registry
        git = reg.git
        refuse_links(reg, self._changes)
        base = git.current_head()
        if base is None:
            raise GitError(
                "the repository has no commit yet to branch from",
                action="commit the registry first (`modelyard init` does)",
            )
        repo_paths = {rel: reg.repo_path(rel) for rel in self._changes}
        refuse_dirty(
            git.dirty(repo_paths.values()),
            ", so a change to it proposed on a branch could not be reviewed against HEAD",
            "commit or stash them first (`git stash`), then try again",
        )
        blobs: dict[str, str | None] = {}
        for rel, data in self._changes.items():
            current = reg.read_bytes(rel)
            if data == current:
                continue  # the paths are clean, so the same bytes are HEAD's: no change
            blobs[repo_paths[rel]] = None if data is None else git.write_blob(data)
        if not blobs:
            return
        user = git.user()
        author = reg.author(self.created_by, user)
        self.sha = git.commit_to_new_branch(
            reg.branch, base, blobs, self.message, author, self.date, user
        )
        reg.base, reg.last_commit, reg.last_message = base, self.sha, self.message
        self.author_name = git.author_name(author, user)
