"""The files `modelyard init` writes beside a registry for a team: a CI workflow, a
pre-commit configuration, a CODEOWNERS example, a README and an example manifest. Their
texts ship inside the package (modelyard/scaffold/) and are filled in here."""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

from modelyard import __version__

# name (as `init` flags call it) -> (repository path, shipped file)
FILES: dict[str, tuple[str, str]] = {
    "ci": (".github/workflows/modelyard.yml", "workflow.yml"),
    "pre-commit": (".pre-commit-config.yaml", "pre-commit-config.yaml"),
    "codeowners": (".github/CODEOWNERS", "CODEOWNERS"),
    "readme": ("README.md", "README.md"),
    "example": ("examples/pricing.yaml", "pricing.yaml"),
}

_BLOCK = re.compile(r"^# >>> (?P<name>\w+)\n(?P<body>.*?)^# <<< (?P=name)\n", re.M | re.S)


@dataclass(frozen=True)
class Options:
    """What the texts are filled in with."""

    name: str
    prefix: str  # the registry's folder in the repository ("" at its top)
    branch: str = "main"
    sarif: bool = False  # whether `modelyard validate --format sarif` exists


def shipped(name: str) -> str:
    return (resources.files("modelyard") / "scaffold" / name).read_text(encoding="utf-8")


def render(kind: str, opts: Options) -> str:
    """The text of one file, filled in; optional blocks kept only when they apply."""
    text = shipped(FILES[kind][1])
    blocks = {"sarif": opts.sarif}
    text = _BLOCK.sub(lambda m: m.group("body") if blocks.get(m.group("name")) else "", text)
    registry = opts.prefix or "."
    files = f"^{re.escape(opts.prefix)}/" if opts.prefix else r"\.(ya?ml|txt)$"
    values = {
        "VERSION": __version__,
        "BRANCH": opts.branch,
        "REGISTRY": registry,
        "FILES": files,
        "PREFIX": f"/{opts.prefix}/" if opts.prefix else "/",
        "NAME": opts.name,
    }
    return re.sub(r"@@([A-Z]+)@@", lambda m: values[m.group(1)], text)


def texts(kinds: list[str], opts: Options) -> dict[str, str]:
    """Repository path -> text for each of `kinds`."""
    return {FILES[kind][0]: render(kind, opts) for kind in kinds}
