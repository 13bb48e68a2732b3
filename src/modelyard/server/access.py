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
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

import anyio
import anyio.to_thread

from modelyard.storage.registry import Registry

T = TypeVar("T")


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
