"""When each model entered each status, read from git in one pass."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from modelyard.domain.ids import is_valid_id
from modelyard.domain.records import Model
from modelyard.domain.timefmt import iso, parse_iso
from modelyard.errors import RegistryFileError
from modelyard.storage import files, layout
from modelyard.storage.history import file_log
from modelyard.storage.registry import Registry


@dataclass(frozen=True)
class StatusChange:
    """A model entered `status` in `commit` (by `author` at `at`, ISO 8601 UTC)."""

    status: str
    at: str
    author: str
    commit: str
    message: str
    previous: str | None = None  # the status before (None: registered in `status`)
    reason: str | None = None  # the commit's `Reason:` trailer
    gate: str | None = None  # the commit's `Gate:` trailer: passed or overridden, and why

    def as_json(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "previous": self.previous,
            "at": self.at,
            "author": self.author,
            "commit": self.commit,
            "subject": self.message.splitlines()[0] if self.message else "",
            "reason": self.reason,
            "gate": self.gate,
        }


def trailer(message: str, key: str) -> str | None:
    """The value of the last `Key: value` line of a commit message's last paragraph."""
    last = message.strip().split("\n\n")[-1] if "\n\n" in message.strip() else ""
    found = None
    for line in last.splitlines():
        if line.startswith(f"{key}: "):
            found = line[len(key) + 2 :].strip()
    return found


def status_history(reg: Registry, model_id: str | None = None) -> dict[str, list[StatusChange]]:
    """Every model's status changes (only `model_id`'s when given), oldest first: one
    `git log` over `models/*/model.yaml` (or that model's file alone) and one
    `git cat-file --batch` for the blobs. A model deleted and made again starts over."""
    if not reg.in_git or (model_id is not None and not is_valid_id(model_id)):
        return {}
    pattern = (
        str(layout.model_file(model_id)) if model_id else f"{layout.MODELS}/*/{layout.MODEL_FILE}"
    )
    changes = file_log(reg.git, reg.prefix, pattern)
    blobs = reg.git.cat_blobs(c.blob for c in changes if c.blob)
    out: dict[str, list[StatusChange]] = {}
    for change in changes:
        model_id = change.path.split("/")[1]
        if change.blob is None:
            out.pop(model_id, None)
            continue
        try:
            model = files.parse_text(blobs.get(change.blob, b""), Model, reg.display(change.path))
        except RegistryFileError:
            continue  # an unreadable revision; the validator reports those
        history = out.setdefault(model_id, [])
        if history and history[-1].status == model.status:
            continue
        at = iso(parse_iso(change.author_date))
        history.append(
            StatusChange(
                str(model.status),
                at,
                change.author_name,
                change.commit,
                change.message,
                history[-1].status if history else None,
                trailer(change.message, "Reason"),
                trailer(change.message, "Gate"),
            )
        )
    return out


def model_history(reg: Registry, model_id: str) -> list[StatusChange]:
    """Every status change of one model, oldest first: who, when, the commit, the reason
    and the gate's verdict recorded in it (`models history`, GET /models/{id}/history)."""
    from modelyard.ops import load

    load.model(reg, model_id)
    return status_history(reg, model_id).get(model_id, [])
