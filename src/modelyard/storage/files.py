"""Reading and writing one registry file: safe YAML, schema errors with positions, atomic writes."""

from __future__ import annotations

import functools
import os
import re
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from modelyard.errors import FileProblem, RegistryFileError
from modelyard.storage import yamlio

T = TypeVar("T", bound=BaseModel)

SCHEMA_DIR = ".schema"


def problems_from_validation(
    exc: ValidationError, model: type[BaseModel], loaded: yamlio.Loaded | None, path: str
) -> list[FileProblem]:
    """pydantic's errors, each with the file, line, column and field path it is about."""
    problems = []
    for err in exc.errors():
        loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
        line = col = None
        if loaded is not None:
            pos = loaded.where(loc)
            if pos:
                line, col = pos
        message = err["msg"].removeprefix("Value error, ")
        if err["type"] == "extra_forbidden" and loc:
            message = f"unknown field {loc[-1]!r}"
            hint = _did_you_mean(str(loc[-1]), _fields_at(model, loc[:-1]))
            if hint:
                message += f"; did you mean {hint!r}?"
        elif err["type"] == "missing":
            message = "required field is missing"
        elif "input" in err and err["type"] not in ("model_type", "dict_type", "list_type"):
            value = err["input"]
            if not isinstance(value, dict | list):
                message += f" (got {value!r})"
        if err["type"] == "string_type" and isinstance(err.get("input"), int | float | bool):
            message += "; quote the value so YAML reads it as text"
        if err["type"] == "enum" and isinstance(err.get("input"), str):
            allowed = _QUOTED.findall(str(err.get("ctx", {}).get("expected", "")))
            hint = _did_you_mean(err["input"], allowed)
            if hint:
                message += f"; did you mean {hint!r}?"
        field = ".".join(str(p) for p in loc) or None
        problems.append(FileProblem(path, message, line, col, field))
    return problems


_QUOTED = re.compile(r"'([^']*)'")


def _fields_at(model: type[BaseModel], loc: tuple[Any, ...]) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int) or not (
            isinstance(current, type) and issubclass(current, BaseModel)
        ):
            return []
        info = current.model_fields.get(part)
        if info is None:
            return []
        current = _inner_model(info.annotation)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return list(current.model_fields)
    return []


def _inner_model(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()) or ():
        found = _inner_model(arg)
        if found is not None:
            return found
    return None


def _did_you_mean(word: str, choices: list[str]) -> str | None:
    import difflib  # only for a message about a misspelt key

    matches = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return matches[0] if matches else None


@dataclass
class Outcome(Generic[T]):
    """What reading one file's bytes gave: the record (None when it has problems), the parsed
    data with the position of every field (None when it is not YAML), and the problems."""

    record: T | None
    loaded: yamlio.Loaded | None
    problems: list[FileProblem] = field(default_factory=list)


def read_record(text: str | bytes, model: type[T], path: str) -> Outcome[T]:
    """The one reader from a file's bytes to a record, used by every read (a record by path,
    the cache, validation): safe YAML, then the record's schema, every problem with its file,
    line, column and field."""
    try:
        loaded = yamlio.load(text)
    except yamlio.YamlError as exc:
        return Outcome(
            None, None, [FileProblem(path, exc.message, exc.line, exc.column, exc.field)]
        )
    except UnicodeDecodeError:
        return Outcome(None, None, [FileProblem(path, "not UTF-8 text", 1, 1)])
    if not isinstance(loaded.data, dict):
        return Outcome(
            None, loaded, [FileProblem(path, "expected a mapping of fields at the top", 1, 1)]
        )
    try:
        return Outcome(model.model_validate(loaded.data), loaded)
    except ValidationError as exc:
        return Outcome(None, loaded, problems_from_validation(exc, model, loaded, path))


def parse_text(text: str | bytes, model: type[T], path: str) -> T:
    """Parse and validate one file's text. Raises RegistryFileError listing every problem."""
    outcome = read_record(text, model, path)
    if outcome.record is None:
        raise RegistryFileError(outcome.problems)
    return outcome.record


def check_place(record: BaseModel, expect: Mapping[str, str], text: str | bytes, path: str) -> None:
    """Fields whose value the file's place fixes (an `id` equals its folder or file name)
    must hold it: a record that says otherwise is refused, with the line of the field,
    rather than written back under another name."""
    problems = []
    for name, wanted in expect.items():
        got = getattr(record, name)
        if got != wanted:
            try:
                line, col = yamlio.load(text).where((name,)) or (None, None)
            except yamlio.YamlError:
                line = col = None
            problems.append(
                FileProblem(
                    path,
                    f"is {got!r}, but the file's place says {wanted!r} (they must be the same)",
                    line,
                    col,
                    name,
                )
            )
    if problems:
        raise RegistryFileError(problems)


def schema_ref(rel_path: str, kind: str) -> str:
    """The relative path from a registry file to its JSON Schema in `registry/.schema/`."""
    depth = rel_path.count("/")
    return "../" * depth + f"{SCHEMA_DIR}/{kind}.json"


# fields added after the first file format, written only when they hold something, so files
# written before them keep their bytes when saved again
LATER_FIELDS = {"settings": ("promotion", "remote"), "snapshot": ("computed_alerts_json",)}


def render(record: BaseModel, kind: str, rel_path: str, exclude: set[str] | None = None) -> str:
    """A record's canonical file text, headed by its JSON Schema for editors."""
    later = {f for f in LATER_FIELDS.get(kind, ()) if not getattr(record, f, None)}
    if later:
        exclude = (exclude or set()) | later
    data = record.model_dump(mode="json", exclude=exclude)
    return yamlio.dump(data, schema_url=schema_ref(rel_path, kind))


@functools.cache
def umask() -> int:
    # os.umask can only be read by setting it; done once, under the write lock
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write(path: Path, data: bytes, mode: int | None = None, sync: bool = True) -> None:
    """Write via a temporary file in the same folder, fsync, rename: never half a file.
    `sync=False` leaves the fsync to the caller (a write group syncs its files together,
    storage/mutation.py, with its journal kept until they are on disk).

    The file gets `mode`, else keeps its own, else the one a plain `open()` would give
    it (mkstemp's 0600 would hide registry files from everyone else on the machine)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    if mode is None:
        try:
            mode = stat.S_IMODE(path.stat().st_mode)
        except FileNotFoundError:
            mode = 0o666 & ~umask()
    import tempfile  # writes only: a listing need not load it (and shutil, bz2, lzma)

    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            if sync:
                os.fsync(fh.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def prune_empty(folder: Path, stop: Path) -> None:
    """Remove `folder` and its parents up to `stop` while they are empty, as git would leave
    no folder behind for a deleted file."""
    while folder != stop and folder.is_dir() and not any(folder.iterdir()):
        folder.rmdir()
        folder = folder.parent
