"""Reading a file of the registry without ever leaving it.

A pull request can add a symbolic link as easily as a file, so a `logs.txt` linked to
`/etc/passwd` or a model folder linked to `/home` would otherwise be read, validated and
published like any record. Every read of a registry file goes through `read_file`, which
opens each folder on the way with O_NOFOLLOW relative to the one before (so no component,
not even one swapped in while the read runs, can be a link), refuses anything but a regular
file, and refuses a file larger than the limit before reading it. The error names the path
in the registry, never the link's target or the file's content.
"""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from modelyard.domain.limits import MAX_FILE_BYTES
from modelyard.errors import UnsafePath

_DIR_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_DIRECTORY", 0)
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
)
# O_NONBLOCK: opening a FIFO someone committed must not wait for a writer
_FILE_FLAGS = (
    os.O_RDONLY
    | getattr(os, "O_NOFOLLOW", 0)
    | getattr(os, "O_CLOEXEC", 0)
    | getattr(os, "O_NONBLOCK", 0)
)
_AT = os.open in os.supports_dir_fd
_PROC_FD = os.path.isdir("/proc/self/fd")

SYMLINK = (
    "is a symbolic link; registry files and folders must be real ones (links are never followed)"
)
IN_PATH = "a symbolic link is on its path; registry files and folders must be real ones"
IN_LINK = (
    "which is a symbolic link; registry files and folders must be real ones "
    "(links are never followed)"
)
NOT_A_FILE = "is not a regular file"


def too_large(size: int, limit: int) -> str:
    return f"is {size:,} bytes, over the limit of {limit:,} bytes for a registry file"


def read_file(
    root: Path, rel: str | os.PathLike[str], display: str | None = None, limit: int = MAX_FILE_BYTES
) -> bytes | None:
    """The bytes of `root/rel`, or None when it does not exist. Raises UnsafePath when `rel` or
    any folder on the way to it is a symbolic link, when it is not a regular file, or when it is
    larger than `limit` bytes. `root` itself is trusted (the caller resolved it)."""
    found = read_with_stat(root, rel, display, limit)
    return None if found is None else found[0]


def read_with_stat(
    root: Path, rel: str | os.PathLike[str], display: str | None = None, limit: int = MAX_FILE_BYTES
) -> tuple[bytes, os.stat_result] | None:
    """`read_file`, and the stat of the file that was read (for caches keyed by identity)."""
    shown, file_fd = _open(root, rel, display)
    if file_fd is None:
        return None
    try:
        st = _regular(file_fd, shown)
        if st.st_size > limit:
            raise UnsafePath(shown, too_large(st.st_size, limit), "file-too-large")
        data = _read_up_to(
            file_fd, limit + 1
        )  # a file growing while it is read is held to the limit too
        if len(data) > limit:
            raise UnsafePath(shown, too_large(len(data), limit), "file-too-large")
        return data, st
    finally:
        os.close(file_fd)


def read_tail(
    root: Path, rel: str | os.PathLike[str], limit: int, display: str | None = None
) -> tuple[bytes, int] | None:
    """The last `limit` bytes of a file that may be large (a run's logs), and how many bytes
    came before them; refused like `read_file` when it is a link or not a regular file."""
    shown, file_fd = _open(root, rel, display)
    if file_fd is None:
        return None
    try:
        st = _regular(file_fd, shown)
        skipped = max(0, st.st_size - limit)
        os.lseek(file_fd, skipped, os.SEEK_SET)
        return _read_up_to(file_fd, limit), skipped
    finally:
        os.close(file_fd)


def _regular(fd: int, shown: str) -> os.stat_result:
    st = os.fstat(fd)
    if not stat.S_ISREG(st.st_mode):
        raise UnsafePath(shown, NOT_A_FILE, "not-a-file")
    return st


def _read_up_to(fd: int, size: int) -> bytes:
    chunks = []
    while size > 0:
        chunk = os.read(fd, min(size, 1 << 20))
        if not chunk:
            break
        chunks.append(chunk)
        size -= len(chunk)
    return b"".join(chunks)


def _open(root: Path, rel: str | os.PathLike[str], display: str | None) -> tuple[str, int | None]:
    """How the file is named in messages, and a descriptor of it (None: it does not exist)."""
    parts = _parts(rel)
    shown = display or "/".join(parts)
    if not parts or ".." in parts or os.path.isabs(rel):
        raise UnsafePath(shown, "is not a path inside the registry", "not-a-file")
    if _PROC_FD:
        # fast path (Linux): open by path, refusing a link at the end, then ask the kernel
        # where the opened file really is; only a mismatch takes the folder-by-folder walk
        expected = os.path.join(root, *parts)
        try:
            file_fd = os.open(expected, _FILE_FLAGS)
        except OSError as exc:
            if exc.errno not in (errno.ELOOP, errno.ENOENT, errno.ENOTDIR):
                _refuse_unless_missing(exc, shown)
        else:
            try:
                real = os.readlink(f"/proc/self/fd/{file_fd}")
            except OSError:
                real = None
            if real == expected:
                return shown, file_fd
            os.close(file_fd)
    fd = _open_parent(root, parts[:-1], shown)
    if fd is None:
        return shown, None
    try:
        try:
            file_fd = (
                os.open(parts[-1], _FILE_FLAGS, dir_fd=fd) if _AT else _open_plain(root, parts)
            )
        except OSError as exc:
            _refuse_unless_missing(exc, shown)
            return shown, None
    finally:
        if _AT:
            os.close(fd)
    return shown, file_fd


def _parts(rel: str | os.PathLike[str]) -> tuple[str, ...]:
    # plain string splitting: pathlib's parsing costs more than the system calls of a read
    text = rel if isinstance(rel, str) else Path(rel).as_posix()
    return tuple(p for p in text.split("/") if p not in ("", "."))


def is_link_free(root: Path, rel: str | os.PathLike[str]) -> bool:
    """Whether no component of `rel` below `root` is a symbolic link (missing ones are not)."""
    current = root
    for part in _parts(rel):
        current = current / part
        try:
            if stat.S_ISLNK(os.lstat(current).st_mode):
                return False
        except OSError:
            return True
    return True


def _open_parent(root: Path, folders: tuple[str, ...], shown: str) -> int | None:
    """A descriptor of the folder `root/folders...`, each opened without following links;
    None when one does not exist. Without `dir_fd` support (Windows), each is lstat-checked
    and -1 is returned for `_open_plain`."""
    if not _AT:
        current = root
        for part in folders:
            current = current / part
            try:
                st = os.lstat(current)
            except OSError:
                return None
            if stat.S_ISLNK(st.st_mode):
                folder = current.relative_to(root).as_posix()
                raise UnsafePath(shown, f"is in {folder}, {IN_LINK}")
            if not stat.S_ISDIR(st.st_mode):
                return None
        return -1
    fd = os.open(root, _DIR_FLAGS)
    current = root
    for part in folders:
        current = current / part
        try:
            next_fd = os.open(part, _DIR_FLAGS, dir_fd=fd)
        except OSError as exc:
            # some systems answer ENOTDIR rather than ELOOP for a link opened with O_NOFOLLOW
            if exc.errno == errno.ELOOP or _is_link(current):
                folder = current.relative_to(root).as_posix()
                raise UnsafePath(shown, f"is in {folder}, {IN_LINK}") from None
            if exc.errno in (errno.ENOENT, errno.ENOTDIR):
                return None
            raise
        finally:
            os.close(fd)
        fd = next_fd
    return fd


def _is_link(path: Path) -> bool:
    try:
        return stat.S_ISLNK(os.lstat(path).st_mode)
    except OSError:
        return False


def _open_plain(root: Path, parts: tuple[str, ...]) -> int:
    path = root.joinpath(*parts)
    if stat.S_ISLNK(os.lstat(path).st_mode):
        raise OSError(errno.ELOOP, "symbolic link", str(path))
    return os.open(path, _FILE_FLAGS)


def _refuse_unless_missing(exc: OSError, shown: str) -> None:
    if exc.errno == errno.ELOOP:
        raise UnsafePath(shown, SYMLINK) from None
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return
    if exc.errno in (errno.ENXIO, errno.EISDIR):
        raise UnsafePath(shown, NOT_A_FILE, "not-a-file") from None
    raise exc


def is_file(root: Path, rel: str | os.PathLike[str]) -> bool:
    """Whether `root/rel` is a regular file reached without any symbolic link."""
    if not is_link_free(root, rel):
        return False
    try:
        return stat.S_ISREG(os.lstat(root / rel).st_mode)
    except OSError:
        return False
