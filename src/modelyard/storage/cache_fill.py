"""Filling the derived index for many files at once: the YAML and schema work spread over
forked worker processes, which read each blob's bytes from the working-tree file HEAD has
it at (checked against the blob id; git reads what they could not), while this process
writes the parsed rows into sqlite.

A first fill parses every run and snapshot file of HEAD once (200,000 files in a large
registry), and that parse is nearly all of its time. Only a caller that asks for it, with
`parallel(workers)` around its reads, gets workers (the catalog build does: it forks its
own workers anyway); every other read (a server, a CLI listing) fills in its own process,
as before. The workers only read files and parse: they never touch sqlite, git or the
cache's lock, and send back the very rows `Cache._store` would have written.
"""

from __future__ import annotations

import contextlib
import json
import multiprocessing
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any

from pydantic import BaseModel

from modelyard.domain.limits import MAX_FILE_BYTES
from modelyard.storage.cache_rows import FIELDS, _text, parse
from modelyard.storage.gitraw import blob_id

# below this many files to parse, starting workers costs more than it saves
PARALLEL_FROM = 4000
CHUNK = 2000  # blobs read from git and parsed at a time

Row = tuple[Any, ...]
_WORKERS = 1


@contextlib.contextmanager
def parallel(workers: int) -> Iterator[None]:
    """Large fills inside this block parse in `workers` forked processes (1: none)."""
    global _WORKERS
    before = _WORKERS
    _WORKERS = max(1, workers)
    try:
        yield
    finally:
        _WORKERS = before


def rows_of(
    kind: str, model: type[BaseModel], blobs: dict[str, bytes], dump: bool = False
) -> tuple[list[Row], dict[str, Any | None]]:
    """The `records` rows of `blobs` (blob, kind, ok, data as JSON, filter columns), and
    each blob's data (None when it did not parse; the validated record's JSON with `dump`)."""
    names = FIELDS.get(kind, ())
    rows: list[Row] = []
    out: dict[str, Any | None] = {}
    for blob, text in blobs.items():
        parsed = parse(text, model)
        if parsed is None:
            out[blob] = None
            rows.append((blob, kind, 0, None, None, None, None, None))
            continue
        data, record = parsed
        if dump:
            data = record.model_dump(mode="json")
        out[blob] = data
        values = [_text(getattr(record, n, None)) for n in names]
        values += [None] * (4 - len(values))
        rows.append((blob, kind, 1, json.dumps(data, separators=(",", ":")), *values))
    return rows, out


def _from_disk(wanted: list[tuple[str, str]]) -> tuple[dict[str, bytes], list[str]]:
    """The bytes of each blob read from a file of the working tree said to hold it, when
    they hash to that blob (then they are the blob's bytes, however the file came to hold
    them); the blobs whose file does not (edited, gone, a link elsewhere) are left to git."""
    found: dict[str, bytes] = {}
    left: list[str] = []
    for blob, path in wanted:
        try:
            with open(path, "rb") as f:
                data = f.read(MAX_FILE_BYTES + 1)
        except OSError:
            data = None
        if data is not None and blob_id(data, len(blob)) == blob:
            found[blob] = data
        else:
            left.append(blob)
    return found, left


def _parse_chunk(
    kind: str, model: type[BaseModel], wanted: list[tuple[str, str]]
) -> tuple[list[Row], list[str]]:
    """In a worker: the rows of the blobs its files hold, and the blobs left for git."""
    blobs, left = _from_disk(wanted)
    return rows_of(kind, model, blobs)[0], left


def fill(
    kind: str,
    model: type[BaseModel],
    missing: list[tuple[str, str]],
    read: Callable[[list[str]], dict[str, bytes]],
    write: Callable[[list[Row]], None],
) -> None:
    """Parse the blobs `missing` ((blob id, the path of a working-tree file that HEAD has it
    at)) and hand each chunk's rows to `write`: in this process, their bytes from `read`
    (git), or inside `parallel` in forked workers, which read the bytes from the files
    (checked against the blob id; git reads the rest) and parse them."""
    chunks = [missing[i : i + CHUNK] for i in range(0, len(missing), CHUNK)]
    workers = min(_WORKERS, len(chunks))
    if (
        workers < 2
        or len(missing) < PARALLEL_FROM
        or "fork" not in multiprocessing.get_all_start_methods()
    ):
        for chunk in chunks:
            write(rows_of(kind, model, read([b for b, _ in chunk]))[0])
        return
    # a few chunks in flight per worker, so that none waits; what the files did not hold
    # is read from git and parsed here
    pending: deque[Future[tuple[list[Row], list[str]]]] = deque()
    left: list[str] = []

    def collect() -> None:
        rows, gone = pending.popleft().result()
        write(rows)
        left.extend(gone)

    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        for chunk in chunks:
            pending.append(pool.submit(_parse_chunk, kind, model, chunk))
            while len(pending) > 2 * workers:
                collect()
        while pending:
            collect()
    for i in range(0, len(left), CHUNK):
        write(rows_of(kind, model, read(left[i : i + CHUNK]))[0])
