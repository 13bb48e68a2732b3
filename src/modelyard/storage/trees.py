"""A new root tree: HEAD's tree with some files set or removed, built without an index.

An index holds every path of the repository (200,000 in a large registry: a 35 MB file
that git reads, checks and rewrites whole). A commit of one run only changes the trees on
that run's path, so those few trees are read (one `git cat-file --batch`), changed here,
and written back (one `git mktree --batch`); every other tree is reused by its id.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping

from modelyard.errors import GitError
from modelyard.storage.git import Git

TREE_MODE = b"40000"
Entry = tuple[bytes, bytes]  # (mode as git stores it, 20-byte object id)


def _parse(raw: bytes, width: int) -> dict[bytes, Entry]:
    """A tree object's entries; `width` is the object id's length in bytes (20 for sha1, 32
    for sha256)."""
    entries: dict[bytes, Entry] = {}
    pos = 0
    while pos < len(raw):
        space = raw.index(b" ", pos)
        nul = raw.index(b"\0", space)
        entries[raw[space + 1 : nul]] = (raw[pos:space], raw[nul + 1 : nul + 1 + width])
        pos = nul + 1 + width
    return entries


def _sort_key(item: tuple[bytes, Entry]) -> bytes:
    # git orders a tree's entries by name, comparing a subtree's name as if it ended in "/"
    name, (mode, _) = item
    return name + b"/" if mode == TREE_MODE else name


def _encode(entries: dict[bytes, Entry]) -> bytes:
    return b"".join(
        mode + b" " + name + b"\0" + oid
        for name, (mode, oid) in sorted(entries.items(), key=_sort_key)
    )


def _object_id(body: bytes, algorithm: str) -> bytes:
    return hashlib.new(algorithm, b"tree %d\0" % len(body) + body).digest()


def tree_with(git: Git, head: str | None, changes: Mapping[str, str | None]) -> str:
    """The id of HEAD's tree with each path in `changes` set to a blob id (mode 100644) or
    removed (None). Folders left empty disappear, as they do in git. Object ids are sha1 or,
    in a repository made with `--object-format=sha256`, sha256."""
    some_id = head or next((b for b in changes.values() if b), "")
    algorithm = "sha256" if len(some_id) == 64 else "sha1"
    width = hashlib.new(algorithm).digest_size
    folders: set[str] = {""}
    for path in changes:
        parts = path.split("/")
        folders.update("/".join(parts[:i]) for i in range(1, len(parts)))
    order = sorted(folders, key=lambda f: (f.count("/") if f else -1, f))
    current: dict[str, dict[bytes, Entry]] = {f: {} for f in folders}
    if head:
        names = [f"{head}^{{tree}}" if not f else f"{head}:{f}" for f in order]
        data = git.run("cat-file", "--batch", input=("\n".join(names) + "\n").encode()).stdout
        pos = 0
        for folder in order:
            end = data.index(b"\n", pos)
            line = data[pos:end]
            pos = end + 1
            if line.endswith(b" missing"):  # a new folder (its name may hold spaces)
                continue
            _, kind, size_text = line.split(b" ")
            size = int(size_text)
            if kind == b"tree":
                current[folder] = _parse(data[pos : pos + size], width)
            # else a file where a folder is wanted: the commit replaces it
            pos += size + 1
    for path, blob in changes.items():
        folder, _, name = path.rpartition("/")
        if blob is None:
            current[folder].pop(name.encode(), None)
        else:
            current[folder][name.encode()] = (b"100644", bytes.fromhex(blob))
    # deepest first, so each folder's new id is known before its parent is encoded
    written: list[tuple[bytes, bytes]] = []
    for folder in sorted(folders, key=lambda f: f.count("/") if f else -1, reverse=True):
        entries = current[folder]
        parent, _, name = folder.rpartition("/")
        if not folder:
            break
        if entries:
            body = _encode(entries)
            oid = _object_id(body, algorithm)
            written.append((oid, body))
            current[parent][name.encode()] = (TREE_MODE, oid)
        else:
            current[parent].pop(name.encode(), None)
    root = _encode(current[""])
    written.append((_object_id(root, algorithm), root))
    lines = []
    for _, body in written:
        for entry, (mode, oid) in _parse(body, width).items():
            kind = b"tree" if mode == TREE_MODE else b"commit" if mode == b"160000" else b"blob"
            lines.append(
                mode.rjust(6, b"0")
                + b" "
                + kind
                + b" "
                + oid.hex().encode()
                + b"\t"
                + entry
                + b"\0"
            )
        lines.append(b"\0")  # an empty entry ends a tree (with -z)
    # --missing: in a partial clone (a writer clone) the blobs of files it never checked out
    # are not here, and need not be: the entries are copied from trees git already holds
    out = git.run("mktree", "-z", "--missing", "--batch", input=b"".join(lines)).stdout
    made = out.decode().split()
    expected = [oid.hex() for oid, _ in written]
    if made != expected:  # git disagrees with the ids worked out here: commit nothing
        raise GitError(
            "building the commit's tree went wrong "
            f"(git made {made[-1:]}, expected {expected[-1:]})"
        )
    return expected[-1]
