"""One hierarchy of errors. Each knows its HTTP status and CLI exit code, and is
translated in exactly one place per front end (the CLI's decorator, the server's handlers).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


class ModelyardError(Exception):
    """Root of every error modelyard raises on purpose."""

    http_status = 500
    exit_code = 1

    def __init__(self, message: str, *, action: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.action = action

    @property
    def detail(self) -> Any:
        """The seed's `detail` field."""
        return self.message

    def __str__(self) -> str:
        if self.action:
            return f"{self.message}\nSuggested action: {self.action}"
        return self.message


class NotFound(ModelyardError):
    """`Recipe not found` and the like: the seed's 404."""

    http_status = 404

    def __init__(
        self, kind: str, ident: str, *, action: str | None = None, hint: str | None = None
    ) -> None:
        super().__init__(f"{kind} not found", action=action)
        self.kind = kind
        self.ident = ident
        # what does exist (`did you mean 'x'?`): for the CLI's line, never in the API's detail
        self.hint = hint

    def __str__(self) -> str:
        text = f"{self.kind} not found: {self.ident}"
        if self.hint:
            text += f"; {self.hint}"
        return f"{text}\nSuggested action: {self.action}" if self.action else text


class InvalidValue(ModelyardError):
    """A bad value in a query parameter or argument: the seed's 400."""

    http_status = 400


@dataclass(frozen=True)
class FieldError:
    """One problem with a request body, in the seed's 422 shape."""

    loc: tuple[str | int, ...]
    msg: str
    type: str

    def as_json(self) -> dict[str, Any]:
        return {"loc": list(self.loc), "msg": self.msg, "type": self.type}


class ValidationFailed(ModelyardError):
    """A request body that does not fit: the seed's 422 with a list of loc/msg/type."""

    http_status = 422

    def __init__(self, errors: list[FieldError]) -> None:
        lines = "; ".join(f"{'.'.join(str(p) for p in e.loc)}: {e.msg}" for e in errors)
        super().__init__(f"invalid request: {lines}")
        self.errors = errors

    @property
    def detail(self) -> Any:
        return [e.as_json() for e in self.errors]


class Conflict(ModelyardError):
    """The request is well formed but the registry's state forbids it: 409."""

    http_status = 409


class DirtyTree(Conflict):
    """A mutation would overwrite uncommitted edits."""


@dataclass(frozen=True)
class FileProblem:
    """A problem in a registry file, with where it is."""

    path: str
    message: str
    line: int | None = None
    column: int | None = None
    field: str | None = None

    def __str__(self) -> str:
        where = self.path
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        field = f" {self.field}:" if self.field else ""
        return f"{where}:{field} {self.message}"


class RegistryFileError(ModelyardError):
    """A registry file that cannot be read or does not match its schema."""

    http_status = 500

    def __init__(self, problems: list[FileProblem]) -> None:
        super().__init__("\n".join(str(p) for p in problems))
        self.problems = problems


class UnsafePath(RegistryFileError):
    """A registry path that is never read: a symbolic link is on it, it is not a regular
    file, or it is over the size limit (storage/safefs.py)."""

    def __init__(self, display: str, message: str, reason: str = "symlink") -> None:
        super().__init__([FileProblem(display, message)])
        self.reason = reason  # `symlink`, `file-too-large` or `not-a-file`: validate's check codes


class LineageTooDeep(RegistryFileError):
    """A recipe's parent chain is longer than domain.limits.MAX_LINEAGE_DEPTH; `chain` holds
    its first recipes, child first. Operations that would make such a chain turn it into a 422."""

    def __init__(self, problems: list[FileProblem], chain: list[str]) -> None:
        super().__init__(problems)
        self.chain = chain


class RegistryNotFound(ModelyardError):
    pass


class GitError(ModelyardError):
    """git refused or failed; the message says what to do."""


class IndexBusy(GitError):
    """git's index could not be brought in step with a commit, which was therefore undone."""

    http_status = 503


class LockTimeout(ModelyardError):
    http_status = 503


class ObjectsUnwritable(GitError):
    """git's object database could not be written (a full disk, a read-only folder): nothing
    was committed, and the same write can be sent again once it is fixed."""

    http_status = 503


class RemoteUnavailable(GitError):
    """The git remote cannot be reached or refuses who we are (network, authentication):
    git's own message, with what to do. Nothing local is lost."""

    http_status = 503
