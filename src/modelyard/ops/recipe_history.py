"""When each recipe entered each status (draft, approved, archived), read from git in one pass."""

from __future__ import annotations

from modelyard.domain.ids import is_valid_id
from modelyard.domain.records import Recipe
from modelyard.domain.timefmt import iso, parse_iso
from modelyard.errors import RegistryFileError
from modelyard.ops.model_history import StatusChange
from modelyard.storage import files, layout
from modelyard.storage.history import file_log
from modelyard.storage.registry import Registry


def recipe_status_history(reg: Registry, recipe_id: str) -> list[StatusChange]:
    """A recipe's status changes, oldest first: one `git log` of its `recipe.yaml` and one
    `git cat-file --batch` for the blobs. A recipe deleted and made again starts over."""
    if not reg.in_git or not is_valid_id(recipe_id):
        return []
    changes = file_log(reg.git, reg.prefix, str(layout.recipe_file(recipe_id)))
    blobs = reg.git.cat_blobs(c.blob for c in changes if c.blob)
    out: list[StatusChange] = []
    for change in changes:
        if change.blob is None:
            out = []
            continue
        try:
            recipe = files.parse_text(blobs.get(change.blob, b""), Recipe, reg.display(change.path))
        except RegistryFileError:
            continue  # an unreadable revision; the validator reports those
        if out and out[-1].status == recipe.status:
            continue
        at = iso(parse_iso(change.author_date))
        out.append(
            StatusChange(str(recipe.status), at, change.author_name, change.commit, change.message)
        )
    return out
