"""How requests reach the registry: reads run side by side in the thread pool; writes run
one at a time, each in a worker thread, on top of the registry's cross-process file lock.

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
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from modelyard.errors import ModelyardError
from modelyard.storage.registry import Registry

T = TypeVar("T")
log = logging.getLogger("modelyard.server")
# how often a server brings git's index in step with its commits (one update for all of them)
INDEX_INTERVAL = 2.0


class RegistryAccess:
    """The server's one door to the registry."""

    def __init__(self, root: Path, worktree: bool = False) -> None:
        self.root = root
        self.worktree = worktree
        self.writes = 0
        self._guard = threading.Lock()
        self._limiter: anyio.CapacityLimiter | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def open(self) -> Registry:
        return Registry(self.root, committed=not self.worktree)

    # -- git's index, in batches (storage/indexsync.py) ---------------------------------------
    @contextlib.asynccontextmanager
    async def lifespan(self, app: object) -> AsyncIterator[None]:
        """While the server runs: repair what a crash left behind in git's index, then bring
        the index in step with this server's commits every INDEX_INTERVAL seconds, and once
        more on the way out."""
        if not self.worktree:
            repaired = await anyio.to_thread.run_sync(self._repair)
            if repaired:
                log.warning(
                    "git's index was behind HEAD for %d path(s); brought in step", len(repaired)
                )
        task = asyncio.create_task(self._flush_every(INDEX_INTERVAL)) if not self.worktree else None
        try:
            yield
        finally:
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

    async def _flush_every(self, seconds: float) -> None:
        while True:
            await asyncio.sleep(seconds)
            await anyio.to_thread.run_sync(self.flush_index)

    def _write_limiter(self) -> anyio.CapacityLimiter:
        # a limiter belongs to one event loop; a test client may start a new loop
        loop = asyncio.get_running_loop()
        if self._loop is not loop or self._limiter is None:
            self._limiter = anyio.CapacityLimiter(1)
            self._loop = loop
        return self._limiter

    async def read(self, op: Callable[..., T], *args: Any) -> T:
        """`op(registry, *args)` in the thread pool, alongside other reads and the writer."""
        return await anyio.to_thread.run_sync(lambda: op(self.open(), *args))

    async def write(self, op: Callable[..., T], *args: Any) -> T:
        """`op(registry, *args)` with no other write of this server running. Waiting writers
        wait in the event loop, not in threads, so a burst of writes cannot starve reads."""

        def call() -> T:
            # the lock makes one-at-a-time hold even across event loops
            with self._guard:
                try:
                    return op(self.open(), *args)
                finally:
                    self.writes += 1

        return await anyio.to_thread.run_sync(call, limiter=self._write_limiter())
