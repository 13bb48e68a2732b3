"""Listing a registry folder without ever leaving it.

`os.walk` and `Path.rglob` follow a symbolic link to a file, and `rglob` may follow one to
a folder, so a pull request could make a listing (and what is then copied or published
from it) reach anywhere on the machine. `walk` never follows a link: it reports each link,
and anything that is neither a folder nor a regular file, as a problem instead of a file.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from modelyard.storage.safefs import NOT_A_FILE, SYMLINK


def walk(root: Path, folder: str) -> Iterator[tuple[str, str | None]]:
    """Every entry under `root/folder` that is not a real folder, sorted by name within each
    folder: `(registry-relative path, None)` for a regular file, `(path, reason)` for a link or
    a special file (a FIFO, a socket), whose contents are never looked at. When `folder`
    itself is a link it is the one entry; when it does not exist (or is a file) there is none."""
    try:
        mode = os.lstat(root / folder).st_mode
    except FileNotFoundError:
        return
    if stat.S_ISLNK(mode):
        yield folder, SYMLINK
    elif stat.S_ISDIR(mode):
        yield from _below(root, PurePosixPath(folder))


def _below(root: Path, rel: PurePosixPath) -> Iterator[tuple[str, str | None]]:
    with os.scandir(root / rel) as it:
        entries = sorted(it, key=lambda e: e.name)
    for entry in entries:
        name = rel / entry.name
        if entry.is_symlink():
            yield name.as_posix(), SYMLINK
        elif entry.is_dir(follow_symlinks=False):
            yield from _below(root, name)
        elif entry.is_file(follow_symlinks=False):
            yield name.as_posix(), None
        else:
            yield name.as_posix(), NOT_A_FILE
