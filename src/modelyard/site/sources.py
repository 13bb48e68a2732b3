"""Where the catalog's templates and assets come from: the registry's own `templates/`
folder first, then the set shipped with modelyard.

The registry's folder arrives in pull requests, so it is read like every other registry
file: through `storage.safefs`, never following a symbolic link. A template or asset that
is a link (`assets/x.css -> /etc/passwd`), a folder under it that is one, or the whole
`templates/` folder linked elsewhere is refused with an error naming it, before anything
is rendered or copied. The built-in set is part of the installed package and trusted.
"""

from __future__ import annotations

import hashlib
import os
import stat
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from jinja2 import BaseLoader, ChoiceLoader, Environment, FileSystemLoader, TemplateNotFound
from jinja2.loaders import split_template_path

from modelyard import __version__
from modelyard.storage.safefs import SYMLINK, UnsafePath, read_file
from modelyard.storage.safewalk import walk

OVERRIDE_FOLDER = "templates"  # inside the registry folder: registry/templates/
ASSETS = "assets"

Display = Callable[[str], str]


def _same(rel: str) -> str:
    return rel


class RegistryTemplates:
    """The registry's override folder: its files listed and read without following links.

    `display` turns a registry-relative path into the name errors show (the registry's
    `display`, relative to the repository's top)."""

    def __init__(self, registry_root: Path, display: Display | None = None) -> None:
        self.root = registry_root
        self.display = display or _same
        self._files: list[str] | None = None

    @property
    def folder(self) -> Path:
        return self.root / OVERRIDE_FOLDER

    def exists(self) -> bool:
        """Whether the registry has a `templates/` folder; raises UnsafePath when it is a link."""
        try:
            mode = os.lstat(self.folder).st_mode
        except FileNotFoundError:
            return False
        if stat.S_ISLNK(mode):
            raise UnsafePath(self.display(OVERRIDE_FOLDER), SYMLINK)
        return stat.S_ISDIR(mode)

    def files(self) -> list[str]:
        """Every file under `templates/`, relative to it (`partials/macros.html`), sorted.
        Raises UnsafePath on the first link or special file (a FIFO, a socket) found."""
        if self._files is None:
            found: list[str] = []
            for rel, problem in walk(self.root, OVERRIDE_FOLDER):
                if problem is not None:
                    raise UnsafePath(self.display(rel), problem)
                found.append(rel.removeprefix(f"{OVERRIDE_FOLDER}/"))
            self._files = sorted(found)
        return self._files

    def shown(self, name: PurePosixPath | str) -> str:
        return self.display(f"{OVERRIDE_FOLDER}/{PurePosixPath(name).as_posix()}")

    def read(self, name: str) -> bytes | None:
        """The bytes of `templates/<name>`, or None when the registry has no such file.
        Raises UnsafePath when it, or a folder on the way, is a link."""
        rel = f"{OVERRIDE_FOLDER}/{name}"
        return read_file(self.root, rel, display=self.display(rel))


class RegistryLoader(BaseLoader):
    """A Jinja loader for the registry's `templates/`: a template missing there is
    TemplateNotFound (so the built-in one is used); one that is a link is refused."""

    def __init__(self, templates: RegistryTemplates) -> None:
        self.templates = templates

    def get_source(
        self, environment: Environment, template: str
    ) -> tuple[str, str, Callable[[], bool]]:
        pieces = split_template_path(template)  # refuses `..`, as FileSystemLoader does
        name = "/".join(pieces)
        data = self.templates.read(name) if self.templates.exists() else None
        if data is None:
            raise TemplateNotFound(template)
        try:
            source = data.decode("utf-8")
        except UnicodeDecodeError:
            raise UnsafePath(self.templates.shown(name), "is not UTF-8 text") from None
        # the file name is what errors (and jinja's tracebacks) name, as FileSystemLoader's is
        # registry-relative (`registry/templates/root.html`): no message shows where the server runs
        return source, self.templates.shown(name), lambda: True

    def list_templates(self) -> list[str]:
        return [name for name in self.templates.files() if not name.startswith(f"{ASSETS}/")]


def builtin_files(folder: Path) -> list[str]:
    """Every file of the built-in set, relative to it, sorted."""
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


class TemplateSources:
    """The registry's templates over the built-in ones: a loader, a digest and the assets."""

    def __init__(self, registry: RegistryTemplates, builtin: Path) -> None:
        self.registry = registry
        self.builtin = builtin

    def loader(self) -> BaseLoader:
        return ChoiceLoader([RegistryLoader(self.registry), FileSystemLoader(str(self.builtin))])

    def digest(self) -> str:
        """A hash of every template and asset, and of modelyard's version: when it changes,
        every page is rendered again. Reads the registry's every file, so a link among them
        is refused here, at the start of a build, before any page is written."""
        digest = hashlib.sha256(__version__.encode())
        for label, names, read in (
            (b"registry", self.registry.files(), self._read_registry),
            (b"builtin", builtin_files(self.builtin), self._read_builtin),
        ):
            for name in names:
                digest.update(label + b"\0" + name.encode() + b"\0")
                digest.update(read(name))
        return digest.hexdigest()

    def assets(self) -> dict[str, bytes]:
        """The static assets (`assets/...`) and their bytes, a registry's own replacing the
        built-in one of the same name."""
        found = {
            name: self._read_builtin(name)
            for name in builtin_files(self.builtin)
            if name.startswith(f"{ASSETS}/")
        }
        found.update(
            {
                name: self._read_registry(name)
                for name in self.registry.files()
                if name.startswith(f"{ASSETS}/")
            }
        )
        return dict(sorted(found.items()))

    def _read_registry(self, name: str) -> bytes:
        data = self.registry.read(name)
        if data is None:  # listed a moment ago, gone now
            raise UnsafePath(self.registry.shown(name), "disappeared while the catalog was built")
        return data

    def _read_builtin(self, name: str) -> bytes:
        return (self.builtin / name).read_bytes()
