"""How requests reach the registry: reads run side by side in the thread pool; writes are
made one at a time by the server's committer thread (server/committer.py), on top of the
registry's cross-process file lock.

Every call opens its own `Registry` (cheap: no git involved until a write), so no git
object is shared between threads and nothing keeps a git process alive between requests.
What they share is storage's derived index of parsed records (`.git/modelyard/`). By
default the server reads the committed state: HEAD, looked up from git's files on every
request, so a commit by this server, by another process or a fetch and merge is seen by the
next request, and nothing is re-derived when nothing was committed. `worktree=True`
(`modelyard serve --worktree`) reads the working tree instead, uncommitted edits included,
at the cost of checking the working tree on each read.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import anyio
import anyio.to_thread

from modelyard.errors import Conflict, ModelyardError, NotFound
from modelyard.server.committer import Committer
from modelyard.storage.registry import Registry

if TYPE_CHECKING:
    from modelyard.server.gateway import Gateway, Ticket

T = TypeVar("T")
log = logging.getLogger("modelyard.server")
# when a server brings git's index in step with its commits (one update for all of them, under
# the write lock: at 100,000 runs it rewrites a 35 MB file): once writes have paused for
# INDEX_IDLE seconds, and at least every INDEX_LONGEST seconds while they keep coming
INDEX_IDLE = 1.0
INDEX_LONGEST = 30.0
# and, at most this often when it has written, lets git pack the loose objects its commits
# made (`git gc --auto`, as `git commit` does after each commit)
MAINTAIN_EVERY = 60.0


class RegistryAccess:
    """The server's one door to the registry."""

    def __init__(self, root: Path, worktree: bool = False) -> None:
        self.root = root
        self.worktree = worktree
        self.writes = 0
        self._last_write = 0.0
        self._maintained_at = 0
        self._guard = threading.Lock()
        # a gateway to the git remote (server/gateway.py), when the server is one
        self.gateway: Gateway | None = None
        self._base: Registry | None = None
        self.committer = Committer(self.open, self._guard)

    def open(self) -> Registry:
        """A Registry for one request. The folder's place (its working tree, that it is no
        link) is checked once, by the first; the others are forks of it."""
        base = self._base
        if base is None:
            base = Registry(self.root, committed=not self.worktree)
            if base.in_git:
                base.git.git_dir  # noqa: B018 -- found once, known to every fork
            self._base = base
        return base.fork()

    # -- git's index, in batches (storage/indexsync.py) ---------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """While the server runs: repair what a crash left behind in git's index, then bring
        the index in step with this server's commits when writes pause (INDEX_IDLE), at least
        every INDEX_LONGEST seconds, and once
        more on the way out; a gateway's sync task runs meanwhile."""
        async with self._gateway_running():
            yield

    @contextlib.asynccontextmanager
    async def _gateway_running(self) -> AsyncIterator[None]:
        if self.gateway is None:
            async with self._indexing():
                yield
            return
        # the gateway first finishes a branch update a crash interrupted, then the index
        await anyio.to_thread.run_sync(self.gateway.finish_crashed)
        async with self._indexing(), self.gateway.running():
            yield

    @contextlib.asynccontextmanager
    async def _indexing(self) -> AsyncIterator[None]:
        if not self.worktree:
            repaired = await anyio.to_thread.run_sync(self._repair)
            if repaired:
                log.warning(
                    "git's index was behind HEAD for %d path(s); brought in step", len(repaired)
                )
        task = asyncio.create_task(self._flush_when_idle()) if not self.worktree else None
        try:
            yield
        finally:
            await anyio.to_thread.run_sync(self.committer.stop)
            if task is not None:
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
                await anyio.to_thread.run_sync(self.flush_index)

    def _repair(self) -> list[str]:
        try:
            reg = Registry(self.root)
            finished = reg.finish_interrupted()
            if finished:
                log.warning("finished a write a crash interrupted: %s", ", ".join(finished))
            return reg.repair_index()
        except ModelyardError as exc:
            log.error("could not check git's index: %s", exc)
            return []

    def flush_index(self) -> None:
        problem: ModelyardError | None
        try:
            problem = Registry(self.root).flush_index()
        except ModelyardError as exc:
            problem = exc
        if problem is not None:
            log.warning("git's index not brought in step yet (will retry): %s", problem.message)

    def maintain(self) -> None:
        try:
            Registry(self.root).git.maintain()
        except ModelyardError as exc:
            log.warning("git gc --auto failed (will retry): %s", exc.message)

    async def _flush_when_idle(self) -> None:
        flushed = maintained = time.monotonic()
        while True:
            await asyncio.sleep(INDEX_IDLE / 2)
            now = time.monotonic()
            if now - self._last_write >= INDEX_IDLE or now - flushed >= INDEX_LONGEST:
                await anyio.to_thread.run_sync(self.flush_index)
                flushed = now
                if self.writes != self._maintained_at and now - maintained >= MAINTAIN_EVERY:
                    await anyio.to_thread.run_sync(self.maintain)
                    maintained, self._maintained_at = now, self.writes

    async def read(self, op: Callable[..., T], *args: Any) -> T:
        """`op(registry, *args)` in the thread pool, alongside other reads and the writer."""
        return await anyio.to_thread.run_sync(lambda: op(self.open(), *args))

    async def read_one(self, op: Callable[..., T], *args: Any) -> T:
        """`read` for one record by id: when the derived index holds HEAD already, the read
        is a lookup and a parse, done here in the event loop, which is cheaper than the hop
        to a thread and back; otherwise (a commit or fetch to catch up with) in the pool."""
        reg = self.open()
        if reg.reads_at_head():
            return op(reg, *args)
        return await anyio.to_thread.run_sync(lambda: op(reg, *args))

    async def write(self, op: Callable[..., T], *args: Any) -> T:
        """`op(registry, *args)` made by the committer, with no other write of this server
        running. Waiting writers wait in the event loop, not in threads, so a burst of writes
        cannot starve reads. A gateway's write (one commit) is answered once the gateway
        acknowledges it."""
        gateway = self.gateway
        if gateway is not None:
            gateway.check_available()

        def call(reg: Registry) -> tuple[T, Ticket | None]:
            # in the committer's thread, under the guard
            try:
                if gateway is None:
                    return op(reg, *args), None
                before = reg.git.current_head()
                result = op(reg, *args)
                after = reg.git.current_head()
                ticket = gateway.committed(after) if after and after != before else None
                return result, ticket
            finally:
                self.writes += 1
                self._last_write = time.monotonic()

        try:
            result, ticket = await asyncio.wrap_future(self.committer.submit(call))
        except (NotFound, Conflict):
            # maybe only this clone is behind: the record was made, or changed, upstream
            if gateway is None or not await gateway.caught_up():
                raise
            result, ticket = await asyncio.wrap_future(self.committer.submit(call))
        if gateway is not None and ticket is not None:
            await gateway.acknowledged(ticket)
        return result

    @property
    def guard(self) -> threading.Lock:
        """Held by every write of this server; a gateway holds it to move the branch."""
        return self._guard
