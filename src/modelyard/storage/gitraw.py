"""The one reader of git's raw diff format (`git diff --raw -z`, `diff-tree -r -z`,
`log --raw -z`): every command that lists changed files is run with `-z` and read here.

With `-z` git writes each path as it is, NUL-terminated, never C-quoted, so a registry in
a folder named `régistre/` (or a path holding a tab or a quote) reads back exactly.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path

ZERO = "0" * 40
# modes that are no regular file: absent, a symlink, a submodule
NOT_A_FILE = ("000000", "120000", "160000")


@dataclass(frozen=True)
class RawChange:
    """One line of git's raw format: `:old_mode new_mode old_sha new_sha status<TAB>path`."""

    old_mode: str
    new_mode: str
    old_sha: str
    new_sha: str
    status: str  # A, M, D, T, ... (R and C only when renames are asked for)
    path: str  # the path after the change (the new one of a rename)
    old_path: str | None = None  # a rename's or copy's source

    @property
    def gone(self) -> bool:
        """No regular file is left at `path`: deleted, or replaced by a symlink or submodule."""
        return self.status.startswith("D") or self.new_mode in NOT_A_FILE

    @property
    def old_blob(self) -> str | None:
        return None if self.old_sha == ZERO else self.old_sha

    @property
    def new_blob(self) -> str | None:
        """The blob written, None when the change deleted the file."""
        return None if self.status.startswith("D") or self.new_sha == ZERO else self.new_sha


# `git status` of the tracked files only, NUL-separated: the paths whose index entry or file on
# disk differs from HEAD (read with `status_paths`)
TRACKED_STATUS = (
    "status",
    "--porcelain=v1",
    "-z",
    "--untracked-files=no",
    "--no-renames",
    "--ignore-submodules",
)


# a file or folder changed within this long of being looked at may change again in the same
# timestamp tick, so what was seen then is not trusted next time (git's "racily clean" rule)
RACY_NS = 2_000_000_000


def blob_id(data: bytes, hex_length: int = 40) -> str:
    """The git blob id of `data`, in a repository of SHA-1 ids (40 hex digits) or SHA-256."""
    digest = hashlib.sha256 if hex_length == 64 else hashlib.sha1
    return digest(b"blob %d\0" % len(data) + data).hexdigest()


def status_paths(out: bytes) -> list[str]:
    """The repository paths in the output of `git <TRACKED_STATUS> -- ...`."""
    return [e[3:] for e in decode(out, "surrogateescape").split("\0") if len(e) > 3]


def decode(data: bytes, errors: str = "replace") -> str:
    """git's bytes as text: paths are UTF-8 in practice; `surrogateescape` keeps any other
    byte so the path can be given back to git."""
    return data.decode("utf-8", errors)


def parse_raw(text: str) -> list[RawChange]:
    """Every change in `-z` raw output (already decoded; see `decode`)."""
    parts = text.split("\0")
    out: list[RawChange] = []
    i = 0
    while i < len(parts):
        meta = parts[i].lstrip("\n")
        i += 1
        if not meta.startswith(":"):
            continue
        fields = meta[1:].split()
        if len(fields) < 5 or i >= len(parts):
            break  # truncated output: nothing more to read
        old_mode, new_mode, old_sha, new_sha, status = fields[:5]
        old_path: str | None = None
        if status[:1] in ("R", "C") and i + 1 < len(parts):
            old_path = parts[i]
            i += 1
        out.append(RawChange(old_mode, new_mode, old_sha, new_sha, status, parts[i], old_path))
        i += 1
    return out


# separators of a commit's header in `git log --format`: control characters no commit
# message or name holds in practice, and never NUL (which -z uses)
REC = "\x1e"
END = "\x1d"
SEP = "\x1f"


def log_format(*placeholders: str) -> str:
    """The `--format` whose output `parse_log` reads: the placeholders (`%H`, `%an`, ...)."""
    return f"{REC}{SEP.join(placeholders)}{END}"


def parse_log(text: str, count: int) -> list[tuple[list[str], list[RawChange]]]:
    """Each commit of `git log -z --raw --format=log_format(...)` output: its `count`
    header fields (the last one may hold anything but the separators) and its changes."""
    out: list[tuple[list[str], list[RawChange]]] = []
    for record in text.split(REC)[1:]:
        head, _, raw = record.partition(END)
        out.append((head.split(SEP, count - 1), parse_raw(raw)))
    return out


def packed_ref(path: Path, ref: str) -> str | None:
    """The commit a ref names in a `packed-refs` file, or None."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        return None
    for line in text.splitlines():
        sha, _, name = line.partition(" ")
        if name == ref:
            return sha
    return None
