"""Safe YAML reading with positions, and the one canonical way of writing.

Reading walks libyaml's event stream (`yaml.CSafeLoader`'s C parser) and builds
plain Python data itself, so that it can refuse what a registry file must never
contain (duplicate keys, anchors and aliases, explicit tags, YAML 1.1 booleans
such as `no`) with the file, line and column, and remember where every mapping
value stands so that schema errors can point at their line too.
"""

from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from typing import Any

import yaml

from modelyard.domain.limits import MAX_NESTING, nesting_message

try:
    from yaml import CSafeDumper as _Dumper
    from yaml import CSafeLoader as _Loader
except ImportError:  # pragma: no cover - PyYAML without libyaml
    from yaml import SafeDumper as _Dumper  # type: ignore[assignment]
    from yaml import SafeLoader as _Loader  # type: ignore[assignment]

    warnings.warn(
        "PyYAML was built without libyaml; reading is about 8x slower. "
        "Install a PyYAML wheel that includes it (pip install --force-reinstall PyYAML).",
        stacklevel=1,
    )

Path = tuple[str | int, ...]

_RESOLVER = yaml.resolver.Resolver()
_BOOL_11 = re.compile(r"^(?:y|Y|yes|Yes|YES|n|N|no|No|NO|on|On|ON|off|Off|OFF)$")
_EXP_FLOAT = re.compile(r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)[eE][-+]?[0-9]+$")
_TRUE = {"true", "True", "TRUE"}
_STR_TAGS = {"tag:yaml.org,2002:str", "!"}


class YamlError(Exception):
    def __init__(
        self,
        message: str,
        line: int | None = None,
        column: int | None = None,
        field: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.line = line
        self.column = column
        self.field = field  # dotted path of the value or key at fault, when known


@dataclass
class Loaded:
    """Parsed data and the 1-based (line, column) of every mapping value and sequence item."""

    data: Any
    marks: dict[Path, tuple[int, int]] = field(default_factory=dict)

    def where(self, path: Path) -> tuple[int, int] | None:
        """The position of `path`, or of its nearest ancestor that has one."""
        p = tuple(path)
        while p:
            if p in self.marks:
                return self.marks[p]
            p = p[:-1]
        return self.marks.get((), None)


def _pos(mark: Any) -> tuple[int, int]:
    return mark.line + 1, mark.column + 1


def _scalar(event: yaml.ScalarEvent) -> Any:
    value = event.value
    plain = event.implicit[0]
    if event.tag is not None and event.tag not in _STR_TAGS:
        raise YamlError(
            f"tag {event.tag} is not allowed in a registry file", *_pos(event.start_mark)
        )
    if not plain:
        return value
    tag = _RESOLVER.resolve(yaml.ScalarNode, value, (True, False))
    if tag == "tag:yaml.org,2002:null":
        return None
    if tag == "tag:yaml.org,2002:bool":
        if _BOOL_11.match(value):
            raise YamlError(
                f"{value!r} is read as a boolean by YAML 1.1; "
                f"write true/false, or quote it ('{value}') for text",
                *_pos(event.start_mark),
            )
        return value in _TRUE
    if tag == "tag:yaml.org,2002:int":
        text = value.replace("_", "")
        try:
            if (
                text.startswith(("0x", "-0x", "+0x"))
                or (len(text.lstrip("+-")) > 1 and text.lstrip("+-").startswith("0"))
                or ":" in text
            ):
                raise ValueError
            return int(text)
        except ValueError:
            raise YamlError(
                f"{value!r} is read as a number in an unusual base by YAML 1.1; "
                "quote it if it is text",
                *_pos(event.start_mark),
            ) from None
    if tag == "tag:yaml.org,2002:float":
        text = value.replace("_", "").lower()
        if text in (".inf", "+.inf"):
            return math.inf
        if text == "-.inf":
            return -math.inf
        if text == ".nan":
            return math.nan
        if ":" in text:
            raise YamlError(
                f"{value!r} is read as a sexagesimal number by YAML 1.1; quote it",
                *_pos(event.start_mark),
            )
        return float(text)
    if _EXP_FLOAT.match(value):
        # YAML 1.1 reads `1e-5` (no dot, or no exponent sign) as text, YAML 1.2 and
        # every person as a number; a learning rate must not silently become a string
        return float(value)
    # timestamps stay text: the schema parses them, and a date-like string stays a string
    return value


def load(text: str | bytes) -> Loaded:
    """Parse one YAML document safely. Raises YamlError with a position.

    Mapping keys are always text (the key as written), and the position recorded
    for a mapping value is its key's.
    """
    marks: dict[Path, tuple[int, int]] = {}
    loader = _Loader(text)
    # each frame: [container, path, pending key, pending key's position]
    stack: list[list[Any]] = []
    root: Any = None
    documents = 0

    def add(value: Any, start: Any) -> Path:
        nonlocal root
        if not stack:
            root = value
            marks[()] = _pos(start)
            return ()
        frame = stack[-1]
        container, path = frame[0], frame[1]
        if isinstance(container, list):
            child = (*path, len(container))
            container.append(value)
            marks[child] = _pos(start)
            return child
        child = (*path, frame[2])
        container[frame[2]] = value
        marks[child] = frame[3]
        frame[2] = _NO_KEY
        return child

    def here(key: Any = _NO_KEY) -> str | None:
        """The dotted path of what the next event is (or of `key` in the open mapping)."""
        if not stack:
            return None
        container, path, pending = stack[-1][0], stack[-1][1], stack[-1][2]
        if isinstance(container, list):
            path = (*path, len(container))
        elif key is not _NO_KEY:
            path = (*path, key)
        elif pending is not _NO_KEY:
            path = (*path, pending)
        return ".".join(str(p) for p in path) or None

    try:
        while True:
            event: Any = loader.get_event()
            if event is None:
                break
            kind = type(event)
            if kind in (yaml.StreamStartEvent, yaml.StreamEndEvent, yaml.DocumentEndEvent):
                continue
            if kind is yaml.DocumentStartEvent:
                documents += 1
                if documents > 1:
                    raise YamlError(
                        "a registry file holds one YAML document", *_pos(event.start_mark)
                    )
                continue
            if kind is yaml.AliasEvent:
                raise YamlError(
                    "aliases (*name) are not allowed in a registry file", *_pos(event.start_mark)
                )
            if getattr(event, "anchor", None) is not None:
                raise YamlError(
                    "anchors (&name) are not allowed in a registry file", *_pos(event.start_mark)
                )
            expecting_key = (
                bool(stack) and isinstance(stack[-1][0], dict) and stack[-1][2] is _NO_KEY
            )
            if kind is yaml.ScalarEvent:
                if expecting_key:
                    if event.tag is not None and event.tag not in _STR_TAGS:
                        raise YamlError(
                            f"tag {event.tag} is not allowed in a registry file",
                            *_pos(event.start_mark),
                        )
                    key = event.value
                    if key in stack[-1][0]:
                        raise YamlError(
                            f"duplicate key {key!r}", *_pos(event.start_mark), here(key)
                        )
                    stack[-1][2] = key
                    stack[-1][3] = _pos(event.start_mark)
                else:
                    add(_scalar(event), event.start_mark)
            elif kind in (yaml.MappingStartEvent, yaml.SequenceStartEvent):
                if expecting_key:
                    raise YamlError("a mapping key must be plain text", *_pos(event.start_mark))
                tag = event.tag
                if tag is not None and tag not in (
                    "tag:yaml.org,2002:map",
                    "tag:yaml.org,2002:seq",
                ):
                    raise YamlError(
                        f"tag {tag} is not allowed in a registry file", *_pos(event.start_mark)
                    )
                if len(stack) >= MAX_NESTING:
                    # refused while reading: a deeper value would exhaust the recursion of
                    # everything that walks it afterwards (validation, merging, writing)
                    raise YamlError(nesting_message(tuple(stack[-1][1])), *_pos(event.start_mark))
                container: Any = {} if kind is yaml.MappingStartEvent else []
                path = add(container, event.start_mark)
                stack.append([container, path, _NO_KEY, None])
            elif kind in (yaml.MappingEndEvent, yaml.SequenceEndEvent):
                stack.pop()
    except YamlError as exc:
        if exc.field is None:
            exc.field = here()
        raise
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = _pos(mark) if mark else (None, None)
        if "maximum nesting depth" in str(exc.problem):
            # libyaml's own bound on flow collections (`[[[...`), met before ours when it
            # reads ahead
            raise YamlError(nesting_message(), line, col) from None
        raise YamlError(f"not valid YAML: {exc.problem or exc.context}", line, col) from None
    except yaml.YAMLError as exc:
        raise YamlError(f"not valid YAML: {exc}") from None
    finally:
        loader.dispose()
    return Loaded(root, marks)


class _NoKey:
    def __repr__(self) -> str:
        return "<no key>"


_NO_KEY: Any = _NoKey()


class _CanonicalDumper(_Dumper):
    pass


_NUMBER_12 = re.compile(r"^[-+]?0o[0-7]+$")


def _str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    if "\n" in value:
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="|")
    if _EXP_FLOAT.match(value) or _NUMBER_12.match(value):
        # text that YAML 1.2 (and this loader, for `1e-5`) reads as a number
        return dumper.represent_scalar("tag:yaml.org,2002:str", value, style="'")
    return dumper.represent_str(value)


_CanonicalDumper.add_representer(str, _str)  # type: ignore[arg-type]


def dump(data: Any, schema_url: str | None = None) -> str:
    """The canonical text of `data`: block style, keys in the given order, LF, UTF-8,
    strings quoted where YAML 1.1 would read them as something else."""
    text = yaml.dump(
        data,
        Dumper=_CanonicalDumper,
        default_flow_style=False,
        sort_keys=False,
        allow_unicode=True,
        width=100,
        indent=2,
        line_break="\n",
    )
    if schema_url:
        text = f"# yaml-language-server: $schema={schema_url}\n{text}"
    return text
