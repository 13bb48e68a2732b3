"""The Markdown review summary shows every value as text: nothing a pull request puts in a
recipe, a manifest or a message becomes markup or HTML on the job summary page."""

from __future__ import annotations

import html
import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from markdown_it import MarkdownIt

from modelyard.validate import mdsafe, reporters
from modelyard.validate.report import Problem, RecipeChange, Report
from test_validate_cli import cli
from validate_fixtures import copy, edit, template  # noqa: F401  (fixtures)

SRC = Path(__file__).resolve().parents[1] / "src"
BASE_MF = "recipes/recipe_pricing_base/manifest.yaml"
HOSTILE = (
    "x` <img src=x onerror=alert(1)> `|y\n<details><summary>z</summary> "
    "``` *b* [l](javascript:alert(1))"
)


def render(markdown: str) -> BeautifulSoup:
    """What GitHub shows: CommonMark with tables, raw HTML allowed (GitHub then sanitises it;
    here any HTML that got through stays in, so the test sees it)."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    return BeautifulSoup(md.render(markdown), "html.parser")


def code_texts(markdown: str) -> list[str]:
    """The text of every code span, read from the HTML itself (an HTML parser may drop a
    text made of spaces only)."""
    md = MarkdownIt("commonmark", {"html": True}).enable("table")
    return [html.unescape(m) for m in re.findall(r"<code>(.*?)</code>", md.render(markdown), re.S)]


def flat(value: str) -> str:
    return value.replace("\n", " ")


@pytest.mark.parametrize(
    "value",
    [
        "plain",
        "a`b",
        "`lead",
        "trail`",
        "``",
        "` `",
        " both ",
        "   ",
        "x ``` y ` z",
        HOSTILE,
        "back\\slash`|",
    ],
)
def test_a_code_span_shows_its_value_exactly(value):
    assert code_texts(f"| a |\n| --- |\n| {mdsafe.code(value, table=True)} |\n") == [flat(value)]
    assert code_texts("see " + mdsafe.code(value)) == [flat(value)]


@pytest.mark.parametrize(
    "value", ["<img src=x onerror=alert(1)>", HOSTILE, "a & b < c > d", "**x** _y_ ~~z~~ \\"]
)
def test_text_is_shown_as_typed(value):
    doc = render(f"| a | b |\n| --- | --- |\n| {mdsafe.text(value, table=True)} | end |\n")
    cells = doc.select("td")
    assert [c.get_text() for c in cells] == [flat(value), "end"]
    assert all(list(c.children) == [c.get_text()] for c in cells)  # no element inside: only text
    doc = render("says " + mdsafe.text(value))
    assert doc.p.get_text() == "says " + flat(value) and len(list(doc.p.children)) == 1


def hostile_report() -> Report:
    report = Report(base=f"main{HOSTILE}")
    report.recipe_changes.append(
        RecipeChange(
            f"recipe{HOSTILE}",
            "changed",
            "1.0.0",
            f"1.0.0{HOSTILE}",
            None,
            "major",
            [
                {
                    "op": "change",
                    "path_text": f"features.{HOSTILE}",
                    "old": HOSTILE,
                    "new": {"k": HOSTILE},
                    "bump": "major",
                }
            ],
        )
    )
    report.add(
        Problem(
            "error", "schema", f"registry/{HOSTILE}.yaml", f"bad value {HOSTILE!r}", 3, 1, HOSTILE
        )
    )
    return report


def test_the_summary_has_no_markup_from_its_values():
    summary = reporters.markdown(hostile_report())
    doc = render(summary)
    assert doc.find_all("img") == [] and doc.find_all("a") == []
    assert doc.find_all(["em", "strong"]) == []
    # the one <details> and <summary> are the summary's own, one per recipe with changes
    assert len(doc.find_all("details")) == 1 and len(doc.find_all("summary")) == 1
    assert doc.find("summary").get_text() == f"{flat('recipe' + HOSTILE)}: 1 change(s)"
    rows = [[td.get_text() for td in tr.find_all("td")] for tr in doc.select("tbody tr")]
    shown = flat(HOSTILE)
    assert rows[0] == [f"recipe{shown}", "changed", f"1.0.0 → 1.0.0{shown}", "-", "major"]
    assert rows[1][:4] == [
        "change",
        f"features.{shown}",
        reporters._short(HOSTILE),
        reporters._short({"k": HOSTILE}),
    ]
    assert rows[2] == [
        "❌",
        f"registry/{shown}.yaml:3",
        shown,
        f"bad value {flat(repr(HOSTILE))} (schema)",
    ]
    assert f"(base main{shown})" in doc.get_text()
    # every table has its five (or four) columns: no value split a cell or a row
    assert [len(r) for r in rows] == [5, 5, 4]


def test_a_hostile_manifest_value_reaches_the_job_summary_as_text(copy, tmp_path):  # noqa: F811
    reg, _ = copy
    value = HOSTILE.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")
    edit(reg, BASE_MF, "learning_rate: 0.03", f'learning_rate: "{value}"')
    summary = tmp_path / "summary.md"
    done = cli(reg.worktree, "validate", "--base", "HEAD", "--summary", str(summary))
    assert done.returncode == 1, done.stderr
    doc = render(summary.read_text())
    assert doc.find_all("img") == [] and doc.find_all("a") == []
    assert len(doc.find_all("details")) == 1
    change = [
        [td.get_text() for td in tr.find_all("td")] for tr in doc.find("details").select("tbody tr")
    ]
    assert [
        "type_change",
        "model.hyperparameters.learning_rate",
        "0.03",
        reporters._short(HOSTILE),
        "major",
    ] in change
