"""A long-running server reads the same files again and again; parsing YAML is most of the
cost of a list. `CachedRegistry` keeps what it parsed, keyed by the file's identity (inode,
size, modification time), so a changed file (every write replaces it by rename, so its
inode changes; an editor changes its time or size) is parsed afresh and reads stay current.
What is kept is the record's JSON form, marshalled; every read validates a fresh record from
it, so no caller ever holds an object another thread holds too.
"""

from __future__ import annotations

import marshal
import os
import threading
from collections import OrderedDict
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel

from modelyard.storage import files, safefs
from modelyard.storage.registry import Registry

T = TypeVar("T", bound=BaseModel)

DEFAULT_ENTRIES = 200_000


class ParseCache:
    """A bounded, thread-safe map of (file, model) -> (file identity, parsed record)."""

    def __init__(self, max_entries: int = DEFAULT_ENTRIES) -> None:
        self.max_entries = max_entries
        self._items: OrderedDict[tuple[str, type], tuple[tuple[int, int, int], bytes]] = (
            OrderedDict()
        )
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    def get(self, key: tuple[str, type], stamp: tuple[int, int, int]) -> bytes | None:
        with self._lock:
            found = self._items.get(key)
            if found is None or found[0] != stamp:
                self.misses += 1
                return None
            self._items.move_to_end(key)
            self.hits += 1
            return found[1]

    def put(self, key: tuple[str, type], stamp: tuple[int, int, int], blob: bytes) -> None:
        with self._lock:
            self._items[key] = (stamp, blob)
            self._items.move_to_end(key)
            while len(self._items) > self.max_entries:
                self._items.popitem(last=False)

    def __len__(self) -> int:
        return len(self._items)


class CachedRegistry(Registry):
    """A Registry whose `read` reuses records parsed earlier from an unchanged file."""

    def __init__(self, root: Path, cache: ParseCache) -> None:
        super().__init__(root)
        self.cache = cache

    def read(self, rel: str | os.PathLike[str], model: type[T]) -> T | None:
        # the file is read (never through a link, storage/safefs.py) before its identity is
        # looked up: reading a small file costs little next to parsing it
        found = safefs.read_with_stat(self.root, rel, self.display(rel))
        if found is None:
            return None
        data, st = found
        stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        key = (str(self.path(rel)), model)
        hit = self.cache.get(key, stamp)
        if hit is not None:
            return model.model_validate(marshal.loads(hit))
        record = files.parse_text(data, model, self.display(rel))
        self.cache.put(key, stamp, marshal.dumps(record.model_dump(mode="json")))
        return record
