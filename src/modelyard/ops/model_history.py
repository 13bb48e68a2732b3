"""When each model entered each status, read from git in one pass."""

from __future__ import annotations

from dataclasses import dataclass

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
            StatusChange(str(model.status), at, change.author_name, change.commit, change.message)
        )
    return out
