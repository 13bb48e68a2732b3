"""Values put into Markdown as inert text, whatever they hold.

The review summary is rendered by GitHub on the pull request's job summary page, and its
values come from the pull request itself: recipe ids, manifest paths and values, problem
messages quoting them. A backtick in a value would end its code span, a `|` would end its
table cell, a newline its table row, and `<img ...>` outside a code span is HTML. So:

- `code(value)` is an inline code span fenced by a backtick run longer than any inside the
  value, padded with a space where CommonMark needs one (a value that starts or ends with a
  backtick, or with spaces at both ends);
- `text(value)` escapes `&`, `<` and `>` as entities and backslash-escapes the characters that
  start Markdown inline syntax (emphasis, links, images, code, strikethrough);
- `html(value)` is for text inside a raw HTML line (`<summary>`), entities only;
- with `table=True` a `|` becomes `\\|`, which GitHub's tables read as a `|` even inside a
  code span; every function flattens line breaks to spaces.
"""

from __future__ import annotations

import html as _html
import re

_LINE_BREAKS = re.compile(r"\r\n|[\r\n\u0085\u2028\u2029]")
_BACKTICKS = re.compile(r"`+")
# what starts inline syntax in CommonMark and GitHub's dialect; `|` is handled apart
_INLINE = set("\\`*_[]()!~#")


def flat(value: object) -> str:
    """`value` as one line of text."""
    return _LINE_BREAKS.sub(" ", str(value))


def code(value: object, table: bool = False) -> str:
    """An inline code span showing `value` exactly (line breaks as spaces)."""
    body = flat(value)
    if table:
        body = body.replace("|", "\\|")
    if not body:
        return ""
    longest = max((len(run) for run in _BACKTICKS.findall(body)), default=0)
    fence = "`" * (longest + 1)
    # CommonMark strips one space from each end of a span that has them at both ends, and a
    # span cannot start or end with a backtick of its own: pad, and the padding is stripped
    if (
        body[0] == "`"
        or body[-1] == "`"
        or (body[0] == " " and body[-1] == " " and body.strip(" "))
    ):
        body = f" {body} "
    return f"{fence}{body}{fence}"


def text(value: object, table: bool = False) -> str:
    """`value` as plain text in Markdown: no markup, no HTML, on one line."""
    out = []
    for char in flat(value):
        if char in "&<>":
            out.append(_html.escape(char))
        elif char == "|":
            out.append("\\|" if table else "&#124;")
        elif char in _INLINE:
            out.append("\\" + char)
        else:
            out.append(char)
    return "".join(out)


def html(value: object) -> str:
    """`value` as text inside raw HTML (no Markdown is parsed there), on one line."""
    return _html.escape(flat(value), quote=True)
