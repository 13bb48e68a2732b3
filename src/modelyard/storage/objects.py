"""git's objects and refs, read and written in this process through libgit2 (pygit2).

A commit of one run is one blob, the few trees along its path, the commit and a branch
move. Made by git processes (hash-object, cat-file, mktree, commit-tree, update-ref, and
the reads around them) a write started a dozen of them, and starting them was most of its
time: about 3 ms each on an idle machine, ten times that under load. libgit2 reads and
writes the same object database and takes git's own ref locks (`<ref>.lock`, then a rename),
so git and modelyard can work on one repository at the same time, and every branch move is
a compare-and-swap that fails when anything else moved the branch first.

What stays with git processes: anything that needs a promisor remote (a partial clone's
missing blobs are fetched by git, not libgit2), filters and hooks, the index and the
working tree, and the network. Loading libgit2 costs a process about 0.15 s, so only
long-running processes use this; short ones use its twin, storage/plumbing.py. `Git`
(storage/git.py) holds one or the other; nothing outside storage sees either.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import os
import struct
import tempfile
import threading
import time
import zlib
from collections.abc import Mapping
from pathlib import Path

import pygit2

from modelyard.errors import GitError, ObjectsUnwritable
from modelyard.storage import groupmemo, plumbing
from modelyard.storage.gitraw import ZERO

_local = threading.local()

# what a file's attributes may ask of `git hash-object --path` (a clean filter, line endings,
# `ident`, an encoding): a path with any of them set is stored by git, not here
FILTER_ATTRIBUTES = ("filter", "text", "eol", "crlf", "ident", "working-tree-encoding")


def _not_stored(git_dir: Path, exc: Exception) -> ObjectsUnwritable:
    """A write to the object database that failed (a full disk, a read-only folder): nothing
    is committed, and the error says where and why rather than ending in a 500."""
    why = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc).strip()
    return ObjectsUnwritable(
        f"could not store an object in {git_dir / 'objects'}: {why}; nothing was committed",
        action="free disk space or fix the folder's permissions, then try again",
    )


def _global_attribute_files(repo: pygit2.Repository) -> list[Path]:
    """The user's attributes file (core.attributesFile, else git's XDG default) and the
    system's (unless GIT_ATTR_NOSYSTEM)."""
    found: list[Path] = []
    try:
        found.append(Path(os.path.expanduser(str(repo.config["core.attributesFile"]))))
    except (KeyError, pygit2.GitError):
        xdg = os.environ.get("XDG_CONFIG_HOME") or os.path.join(os.path.expanduser("~"), ".config")
        found.append(Path(xdg) / "git" / "attributes")
    if os.environ.get("GIT_ATTR_NOSYSTEM", "").lower() not in {"1", "true", "yes", "on"}:
        found.append(Path("/etc/gitattributes"))
    return found


def repository(git_dir: Path) -> pygit2.Repository:
    """This thread's handle on the repository at `git_dir` (libgit2's handles are not for
    sharing between threads). Objects written by other processes are found: libgit2 looks
    for new packs when an object is missing."""
    repos: dict[Path, pygit2.Repository] | None = getattr(_local, "repos", None)
    if repos is None:
        repos = _local.repos = {}
    repo = repos.get(git_dir)
    if repo is None:
        if len(repos) >= 16:  # a process that works on many repositories keeps few open
            repos.clear()
        repo = repos[git_dir] = pygit2.Repository(str(git_dir))
    return repo


def opens(git_dir: Path) -> bool:
    """Whether libgit2 can read this repository (not one with sha256 object ids, or in a
    format newer than it knows)."""
    try:
        repository(git_dir)
    except (pygit2.GitError, ValueError, OSError):
        return False
    return True


class Objects:
    """One repository's object database and refs."""

    def __init__(self, git_dir: Path) -> None:
        self.git_dir = git_dir

    @property
    def repo(self) -> pygit2.Repository:
        return repository(self.git_dir)

    # -- reading -------------------------------------------------------------------------
    def entry_ids(self, commit: str, paths: list[str]) -> dict[str, str]:
        """The blob id of each of `paths` (repository-relative) in `commit`'s tree, for the
        paths that are regular files there."""
        repo = self.repo
        root = repo[commit].peel(pygit2.Commit).tree_id
        out: dict[str, str] = {}
        for path in paths:
            found = _entry(repo, root, path)
            if found is not None and found[0] in _FILE_MODES:
                out[path] = str(found[1])
        return out

    def read_blobs(self, shas: list[str]) -> dict[str, bytes]:
        """The bytes of each blob of `shas` this repository holds."""
        repo = self.repo
        out: dict[str, bytes] = {}
        for sha in shas:
            try:
                found = repo.get(sha)
            except (ValueError, pygit2.GitError):
                continue
            if isinstance(found, pygit2.Blob):
                out[sha] = found.data
        return out

    def folder_id(self, commit: str, folder: str) -> str | None:
        """The tree id of `folder` in `commit` (the root's when empty); None when absent."""
        tree = self.repo[commit].peel(pygit2.Tree)
        if not folder:
            return str(tree.id)
        try:
            entry = tree[folder]
        except KeyError:
            return None
        return str(entry.id) if entry.type == pygit2.enums.ObjectType.TREE else None

    def chain(self, old: str, new: str, limit: int = 10_000) -> list[str] | None:
        """The commits after `old` up to `new`, oldest first, when `new` is `old` plus a line
        of single-parent commits (at most `limit`); None otherwise."""
        repo = self.repo
        out: list[str] = []
        at = new
        while at != old:
            if len(out) >= limit:
                return None
            try:
                parents = repo[at].peel(pygit2.Commit).parent_ids
            except (KeyError, ValueError):
                return None
            if len(parents) != 1:
                return None
            out.append(at)
            at = str(parents[0])
        return out[::-1]

    def folder_untouched(self, old: str, new: str, folder: str) -> bool:
        """Whether `new` is `old` plus single-parent commits none of which changed anything
        under `folder` (its tree id is the same before and after each)."""
        chain = self.chain(old, new, limit=1000)
        if not chain:
            return False
        before = self.folder_id(old, folder)
        return all(self.folder_id(commit, folder) == before for commit in chain)

    def attributes_filter(self, path: str) -> bool:
        """Whether git's attributes ask `hash-object --path` to filter this path."""
        if not self._attribute_files(path):
            return False
        repo = self.repo
        return any(repo.get_attr(path, name) is not None for name in FILTER_ATTRIBUTES)

    def _attribute_files(self, path: str) -> bool:
        """Whether any file git reads attributes for `path` from exists: `.gitattributes` in
        the folders along it, the repository's `info/attributes`, the user's and the
        system's. Asking libgit2 loads git's index first (0.6 s and tens of MB at 100,000
        runs, in every thread, and again whenever the index changes), and most registries
        have none of these files. A sparse checkout may leave a `.gitattributes` out of the
        working tree while the index has it, so there libgit2 is always asked. Within a
        group of writes each file is looked for once (storage/groupmemo.py)."""
        git_dir = self.git_dir
        if groupmemo.remember(git_dir, "attribute files", self._outside_attribute_files):
            return True
        workdir = self.repo.workdir
        if workdir is None:
            return False
        folder = Path(workdir)
        for part in ["", *path.split("/")[:-1]]:
            folder = folder / part if part else folder
            found = folder / ".gitattributes"
            if groupmemo.remember(git_dir, ("attributes", str(found)), found.exists):
                return True
        return False

    def _outside_attribute_files(self) -> bool:
        """Whether an attributes file outside the working tree exists, or a sparse checkout."""
        repo = self.repo
        git_dir = Path(repo.path)
        if (git_dir / "info" / "attributes").exists() or (
            git_dir / "info" / "sparse-checkout"
        ).exists():
            return True
        return any(p.exists() for p in _global_attribute_files(repo))

    # -- writing -------------------------------------------------------------------------
    def write_blob(self, data: bytes) -> str:
        try:
            return str(self.repo.create_blob(data))
        except (OSError, pygit2.GitError) as exc:
            raise _not_stored(self.git_dir, exc) from None

    def tree_with(self, head: str | None, changes: Mapping[str, str | None]) -> str:
        """The id of `head`'s tree with each path in `changes` set to a blob id (mode
        100644) or removed (None); folders left empty disappear, as they do in git. Only the
        trees along the changed paths are read and written."""
        repo = self.repo
        root = repo[head].peel(pygit2.Commit).tree_id if head else None
        try:
            made = _build(repo, root, dict(changes))
            return str(made) if made is not None else str(repo.TreeBuilder().write())
        except (OSError, pygit2.GitError) as exc:
            raise _not_stored(self.git_dir, exc) from None

    def commit(
        self,
        tree: str,
        parents: list[str],
        message: str,
        author: pygit2.Signature,
        committer: pygit2.Signature,
    ) -> str:
        """A commit object (on no branch): its id."""
        ids = [pygit2.Oid(hex=p) for p in parents]
        oid = self.repo.create_commit(None, author, committer, message, pygit2.Oid(hex=tree), ids)
        return str(oid)

    def move_ref(self, name: str, new: str, old: str | None, message: str) -> bool:
        """Move (or, with `old` None, create) ref `name` to `new` only if it is still at `old`
        (compare-and-swap, under git's ref lock); whether it moved. Waits up to
        plumbing.REF_LOCK_SECONDS while another git process holds `<ref>.lock`, then raises
        LockTimeout."""
        deadline = time.monotonic() + plumbing.REF_LOCK_SECONDS
        while True:
            try:
                return self._move_ref(name, new, old, message)
            except (OSError, pygit2.GitError) as exc:
                said = str(exc).strip()
                if "does not match" in said:
                    return False  # moved between the read and the lock
                if "lock" not in said:
                    raise GitError(f"git update-ref failed: {name}: {said}") from None
                if time.monotonic() >= deadline:
                    raise plumbing.ref_locked(Path(self.repo.path), name) from None
                time.sleep(0.02)

    def _move_ref(self, name: str, new: str, old: str | None, message: str) -> bool:
        repo = self.repo
        try:
            if old is None or old == ZERO:
                repo.create_reference_direct(name, pygit2.Oid(hex=new), False, message)
                return True
            ref = repo.references[name]
            if str(ref.target) != old:
                return False
            ref.set_target(pygit2.Oid(hex=new), message)
            return True
        except (KeyError, ValueError, pygit2.AlreadyExistsError):
            return False

    def delete_ref(self, name: str, old: str) -> bool:
        """Delete ref `name` only if it is at `old`; whether it was deleted."""
        repo = self.repo
        try:
            ref = repo.references[name]
            if str(ref.target) != old:
                return False
            ref.delete()
            return True
        except (KeyError, ValueError, pygit2.GitError):
            return False


def _build(
    repo: pygit2.Repository, tree: pygit2.Oid | None, changes: dict[str, str | None]
) -> pygit2.Oid | None:
    """Tree `tree` with `changes` (paths relative to it) applied, written; None when empty."""
    if tree is not None:
        entries = _large_tree(repo, tree)
        if entries is not None:
            return _build_large(repo, entries, changes)
    builder = repo.TreeBuilder(tree) if tree is not None else repo.TreeBuilder()
    nested: dict[str, dict[str, str | None]] = {}
    for path, blob in changes.items():
        name, slash, rest = path.partition("/")
        if slash:
            nested.setdefault(name, {})[rest] = blob
        elif blob is None:
            if builder.get(name) is not None:
                builder.remove(name)
        else:
            builder.insert(name, pygit2.Oid(hex=blob), pygit2.enums.FileMode.BLOB)
    for name, inner in nested.items():
        entry = builder.get(name)
        below = None
        if entry is not None and entry.type == pygit2.enums.ObjectType.TREE:
            below = entry.id
        made = _build(repo, below, inner)
        if made is None:
            if entry is not None:
                builder.remove(name)
        else:
            builder.insert(name, made, pygit2.enums.FileMode.TREE)
    if len(builder) == 0:
        return None
    return builder.write()


# A month's folder of runs holds thousands of entries, and every run written there writes it
# anew. libgit2's tree builder copies and re-sorts every entry of the old tree first (a few
# ms at 5,000 entries); a large tree is instead kept as its sorted raw entries, one new entry
# spliced in by bisection, and the bytes handed to libgit2 to store. The entries of the
# trees last written are remembered by id (objects never change), so the next write to the
# same folder starts from them instead of reading and parsing the tree again.
LARGE_TREE_BYTES = 16_384
_MEMO_TREES = 8
_memo: dict[tuple[str, str], _Entries] = {}
_memo_lock = threading.Lock()
_TREE_MODE = b"40000"


def _write_stored_tree(repo: pygit2.Repository, data: bytes) -> pygit2.Oid:
    """Tree `data` written as a loose object whose zlib stream is stored, not compressed:
    a large tree is mostly object ids, which do not compress (zlib takes a 3,900-entry tree
    only to 57% of its size), and compressing it was three quarters of its write (libgit2
    offers no level that git can read back: its level 0 drops the zlib stream). Loose
    objects are short-lived: `git gc` packs them with deltas, which is where the space is
    saved. The file is made as git makes one: written aside, then linked in place, never
    over an existing object."""
    content = b"tree %d\0" % len(data) + data
    sha = hashlib.sha1(content).hexdigest()
    folder = Path(repo.path) / "objects" / sha[:2]
    target = folder / sha[2:]
    if target.exists():
        return pygit2.Oid(hex=sha)
    folder.mkdir(exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=folder, prefix="tmp_obj_")
    try:
        with os.fdopen(fd, "wb") as out:
            out.write(_stored_zlib(content))
        os.chmod(temp, 0o444)
        with contextlib.suppress(FileExistsError):  # the same object, made by someone else
            os.link(temp, target)
    finally:
        os.unlink(temp)
    return pygit2.Oid(hex=sha)


def _stored_zlib(data: bytes) -> bytes:
    """`data` as a zlib stream of stored (uncompressed) deflate blocks: what
    `zlib.compress(data, 0)` gives a reader, built without running the deflater over it
    (a quarter of the time at 600 kB, a month's tree of 10,000 runs)."""
    view = memoryview(data)
    parts: list[bytes | memoryview] = [b"\x78\x01"]  # deflate, 32 kB window, no compression
    at = 0
    while True:
        size = min(0xFFFF, len(data) - at)
        last = at + size >= len(data)
        parts.append(struct.pack("<BHH", 1 if last else 0, size, size ^ 0xFFFF))
        parts.append(view[at : at + size])
        at += size
        if last:
            break
    parts.append(struct.pack(">I", zlib.adler32(data)))
    return b"".join(parts)


class _Entries:
    """A tree's entries in git's order: `keys` (name, and `/` after a folder's name, which
    is how git sorts them) beside `raws` (each entry's bytes: mode, name, NUL, object id)."""

    def __init__(self, keys: list[bytes], raws: list[bytes]) -> None:
        self.keys = keys
        self.raws = raws


def _large_tree(repo: pygit2.Repository, oid: pygit2.Oid) -> _Entries | None:
    """The entries of tree `oid` when it is large, else None (the tree builder does)."""
    key = (repo.path, str(oid))
    with _memo_lock:
        found = _memo.get(key)
    if found is not None:
        return found
    kind, size = repo.odb.read_header(oid)
    if kind != pygit2.enums.ObjectType.TREE or size < LARGE_TREE_BYTES:
        return None
    _kind, data = repo.odb.read(oid)
    width = len(oid.raw)
    keys: list[bytes] = []
    raws: list[bytes] = []
    at = 0
    while at < len(data):
        space = data.index(b" ", at)
        nul = data.index(b"\0", space)
        end = nul + 1 + width
        name = data[space + 1 : nul]
        keys.append(name + b"/" if data[at:space] == _TREE_MODE else name)
        raws.append(data[at:end])
        at = end
    entries = _Entries(keys, raws)
    _remember(repo, str(oid), entries)
    return entries


_FILE_MODES = (pygit2.enums.FileMode.BLOB, pygit2.enums.FileMode.BLOB_EXECUTABLE)


def _entry(repo: pygit2.Repository, tree: pygit2.Oid, path: str) -> tuple[int, pygit2.Oid] | None:
    """(file mode, object id) of `path` under tree `tree`; None when it is not there. A
    large tree on the way is searched in its remembered entries, not loaded whole."""
    name, slash, rest = path.partition("/")
    found: tuple[int, pygit2.Oid] | None = None
    large = _large_tree(repo, tree)
    if large is not None:
        encoded = name.encode("utf-8", "surrogateescape")
        for key in (encoded + b"/", encoded):
            at = bisect.bisect_left(large.keys, key)
            if at < len(large.keys) and large.keys[at] == key:
                raw = large.raws[at]
                nul = raw.index(b"\0")
                found = int(raw[: raw.index(b" ")], 8), pygit2.Oid(raw=raw[nul + 1 :])
                break
    else:
        try:
            entry = repo[tree].peel(pygit2.Tree)[name]
        except KeyError:
            return None
        found = entry.filemode, entry.id
    if found is None or not slash:
        return found
    return _entry(repo, found[1], rest) if found[0] == pygit2.enums.FileMode.TREE else None


def _remember(repo: pygit2.Repository, oid: str, entries: _Entries) -> None:
    with _memo_lock:
        if len(_memo) >= _MEMO_TREES:
            del _memo[next(iter(_memo))]  # the oldest: a dict keeps insertion order
        _memo[(repo.path, oid)] = entries


def _build_large(
    repo: pygit2.Repository, old: _Entries, changes: dict[str, str | None]
) -> pygit2.Oid | None:
    keys, raws = list(old.keys), list(old.raws)
    nested: dict[str, dict[str, str | None]] = {}
    for path, blob in changes.items():
        name, slash, rest = path.partition("/")
        if slash:
            nested.setdefault(name, {})[rest] = blob
        else:
            _put(
                keys,
                raws,
                name.encode("utf-8", "surrogateescape"),
                None if blob is None else (b"100644", blob),
            )
    for name, inner in nested.items():
        encoded = name.encode("utf-8", "surrogateescape")
        at = bisect.bisect_left(keys, encoded + b"/")
        below = None
        if at < len(keys) and keys[at] == encoded + b"/":
            raw = raws[at]
            below = pygit2.Oid(raw=raw[raw.index(b"\0") + 1 :])
        made = _build(repo, below, inner)
        _put(keys, raws, encoded, None if made is None else (_TREE_MODE, str(made)))
    if not raws:
        return None
    made = _write_stored_tree(repo, b"".join(raws))
    _remember(repo, str(made), _Entries(keys, raws))
    return made


def _put(
    keys: list[bytes], raws: list[bytes], name: bytes, entry: tuple[bytes, str] | None
) -> None:
    """Set (or, with None, remove) the entry `name` of a large tree: a file and a folder of
    one name cannot both be there, so either is replaced."""
    for key in (name, name + b"/"):
        at = bisect.bisect_left(keys, key)
        if at < len(keys) and keys[at] == key:
            del keys[at], raws[at]
    if entry is None:
        return
    mode, sha = entry
    key = name + b"/" if mode == _TREE_MODE else name
    at = bisect.bisect_left(keys, key)
    keys.insert(at, key)
    raws.insert(at, mode + b" " + name + b"\0" + bytes.fromhex(sha))
