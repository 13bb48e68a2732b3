"""A registry's own templates cannot run code or read files outside the registry: they
render in Jinja's sandbox, links among them are refused, and `validate` says so in review."""

from __future__ import annotations

import json
import os
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from click.testing import CliRunner

from conftest import git, manifest
from modelyard.cli.main import cli
from modelyard.ops import recipes
from modelyard.storage.registry import Registry
from server_support import running_server

PWNED = "{{ cycler.__init__.__globals__.os.popen('id -un > pwned.txt').read() }}"
PAYLOADS = [
    PWNED,
    "{{ cycler.__init__.__globals__ }}",
    "{{ ''.__class__.__mro__[1].__subclasses__() }}",
    "{{ self._TemplateReference__context }}",
    "{{ lipsum.__globals__['os'] }}",
    "{{ joiner.__init__.__globals__ }}",
    "{{ namespace.__init__.__globals__ }}",
    "{{ lipsum|attr('__globals__') }}",
    "{{ cycler['__init__']['__globals__'] }}",
    "{{ ''.__class__.mro() }}",
]
# what each payload reads first, that the sandbox refuses
REFUSED = [
    "__init__",
    "__init__",
    "__class__",
    "_TemplateReference__context",
    "__globals__",
    "__init__",
    "__init__",
    "__globals__",
    "__init__",
    "__class__",
]
MARKER = "outside-the-repository-7f3a9"


@pytest.fixture
def one_recipe(reg: Registry, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Registry:
    """A registry with one recipe, and the working folder set to a scratch folder, so a
    payload writing `pwned.txt` would leave it where the test looks."""
    recipes.create_recipe(
        reg,
        {
            "id": "recipe_one",
            "name": "One",
            "model_family": "pricing",
            "level": "baseline",
            "manifest": manifest(),
        },
    )
    (tmp_path / "cwd").mkdir()
    monkeypatch.chdir(tmp_path / "cwd")
    return reg


def build(reg: Registry, out: Path):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(
        cli, ["--registry", str(reg.root), "site", "build", "--out", str(out)]
    )


def every_byte(folder: Path) -> bytes:
    return (
        b"".join(p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file())
        if folder.exists()
        else b""
    )


def no_pwned_file(tmp_path: Path) -> None:
    assert [p for p in tmp_path.rglob("pwned*")] == []


@pytest.mark.parametrize(
    ("payload", "refused"), list(zip(PAYLOADS, REFUSED, strict=True)), ids=range(len(PAYLOADS))
)
def test_an_unsafe_root_template_fails_the_build_naming_file_and_line(
    one_recipe, tmp_path, payload, refused
):
    template = one_recipe.root / "templates" / "root.html"
    template.parent.mkdir()
    template.write_text(f"<!doctype html>\n<p>{payload}</p>\n")
    out = tmp_path / "site"
    result = build(one_recipe, out)
    assert result.exit_code == 1, result.output
    lines = result.stderr.splitlines()
    assert lines[0].startswith(
        f"Error: template registry/templates/root.html, line 2: access to attribute '{refused}' of "
    )
    assert lines[0].endswith(" is unsafe.")
    assert lines[1].startswith("Suggested action: remove it: templates run in Jinja's sandbox")
    assert "Traceback" not in result.output
    no_pwned_file(tmp_path)
    assert not out.exists()  # root.html renders before anything is written


def test_an_unsafe_page_template_publishes_nothing_of_its_payload(one_recipe, tmp_path):
    template = one_recipe.root / "templates" / "recipe.html"
    template.parent.mkdir()
    # the shell joins the marker, so it can only reach a page if the command ran
    template.write_text(
        '{% extends "base.html" %}\n{% block main %}\n'
        "<h1>{{ cycler.__init__.__globals__.os.popen('echo PWN\"\"ED-18').read() }}</h1>\n"
        "{% endblock %}\n"
    )
    out = tmp_path / "site"
    result = build(one_recipe, out)
    assert result.exit_code == 1
    assert result.stderr.splitlines()[0] == (
        "Error: template registry/templates/recipe.html, line 3: "
        "access to attribute '__init__' of 'type' "
        "object is unsafe."
    )
    assert b"PWNED-18" not in every_byte(out)
    assert not (out / "model-development" / "recipes" / "recipe_one" / "index.html").exists()


def test_registry_templates_may_still_use_what_pages_are_given(one_recipe, tmp_path):
    (one_recipe.root / "templates").mkdir()
    (one_recipe.root / "templates" / "chat.html").write_text(
        '{% extends "base.html" %}{% block main %}<h1 id="custom">{{ site_name|upper }} '
        "{{ [3, 1, 2]|sort|join(',') }} {{ modelyard_version is string }}</h1>{% endblock %}\n"
    )
    out = tmp_path / "site"
    result = build(one_recipe, out)
    assert result.exit_code == 0, result.output
    page = (out / "model-development" / "chat" / "index.html").read_text()
    assert '<h1 id="custom">REPO REGISTRY 1,2,3 True</h1>' in page


def _secret(tmp_path: Path) -> Path:
    outside = tmp_path / "outside"
    (outside / "assets").mkdir(parents=True)
    for rel in ("secret.txt", "root.html", "assets/site.css", "base.html"):
        (outside / rel).write_text(f"{MARKER} {rel}\n")
    return outside


LINKS = {
    # what is linked (inside registry/templates/) -> what it points at (outside the repository)
    "template": ("root.html", "secret.txt", "registry/templates/root.html"),
    "asset": ("assets/x.css", "secret.txt", "registry/templates/assets/x.css"),
    "asset folder": ("assets", "assets", "registry/templates/assets"),
    "templates folder": ("", ".", "registry/templates"),
}


@pytest.mark.parametrize("kind", LINKS)
def test_a_linked_template_or_asset_is_refused_and_never_published(one_recipe, tmp_path, kind):
    outside = _secret(tmp_path)
    link, target, shown = LINKS[kind]
    folder = one_recipe.root / "templates"
    if link:
        (folder / link).parent.mkdir(parents=True, exist_ok=True)
        (folder / link).symlink_to(outside / target)
    else:
        folder.symlink_to(outside, target_is_directory=True)
    out = tmp_path / "site"
    result = build(one_recipe, out)
    assert result.exit_code == 1, result.output
    assert result.stderr.splitlines()[0] == (
        f"Error: {shown}: is a symbolic link; registry files and folders must be real ones "
        "(links are never followed)"
    )
    assert MARKER.encode() not in every_byte(out)
    assert MARKER not in result.output


def test_a_linked_template_is_refused_on_a_rebuild_too(one_recipe, tmp_path):
    out = tmp_path / "site"
    assert build(one_recipe, out).exit_code == 0
    outside = _secret(tmp_path)
    (one_recipe.root / "templates" / "assets").mkdir(parents=True)
    (one_recipe.root / "templates" / "assets" / "site.css").symlink_to(outside / "secret.txt")
    result = build(one_recipe, out)
    assert result.exit_code == 1
    assert "registry/templates/assets/site.css: is a symbolic link" in result.stderr
    assert MARKER.encode() not in every_byte(out)


def _get(url: str) -> tuple[int, str]:
    try:
        with urllib.request.urlopen(url, timeout=120) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def test_the_served_catalog_refuses_the_payload_without_a_traceback(one_recipe, tmp_path):
    template = one_recipe.root / "templates" / "root.html"
    template.parent.mkdir()
    template.write_text(f"<!doctype html>\n{PWNED}\n")
    with running_server(one_recipe.root, log_dir=tmp_path) as server:
        status, body = _get(server.url("/model-development/"))
        log = server.log.read_text()
    assert status == 500
    assert "The catalog could not be built: template registry/templates/root.html, line 2" in body
    assert str(one_recipe.root) not in body  # no path of the server's machine
    assert (
        "templates/root.html, line 2: "
        "access to attribute &#x27;__init__&#x27; of &#x27;type&#x27; object is unsafe" in body
    )
    assert "Traceback" not in body and "Traceback" not in log
    no_pwned_file(tmp_path)
    assert not (one_recipe.root.parent / "pwned.txt").exists()


# -- validate --------------------------------------------------------------------------


def validate(reg: Registry, *args: str) -> tuple[int, dict]:  # type: ignore[type-arg]
    result = CliRunner().invoke(
        cli, ["--registry", str(reg.root), "validate", "--format", "json", *args]
    )
    return result.exit_code, json.loads(result.stdout)


def template_problems(report: dict) -> list[tuple[str, str, int | None, str]]:  # type: ignore[type-arg]
    return [
        (p["code"], p["file"], p["line"], p["message"])
        for p in report["problems"]
        if p["code"].startswith("template")
    ]


HINT = (
    "templates render in Jinja's sandbox, which refuses it and fails the catalog build; "
    "a template may "
    "read the values each page is given (docs/catalog.md), not Python's internals: remove it"
)


def test_validate_reports_unsafe_templates_with_file_and_line(one_recipe):
    folder = one_recipe.root / "templates"
    (folder / "partials").mkdir(parents=True)
    (folder / "root.html").write_text(
        "<!doctype html>\n" + "\n".join(PAYLOADS) + "\n<p>{{ site_name }}</p>\n"
    )
    (folder / "partials" / "broken.html").write_text("<p>\n{% if %}\n")
    (folder / "fine.html").write_text("{{ record.name }} {{ items|map(attribute='name')|join }}\n")
    code, report = validate(one_recipe)
    assert code == 1
    root = "registry/templates/root.html"
    reads = [
        ("attribute", "__init__", 2),
        ("attribute", "__globals__", 2),
        ("attribute", "__init__", 3),
        ("attribute", "__globals__", 3),
        ("attribute", "__class__", 4),
        ("attribute", "__mro__", 4),
        ("attribute", "__subclasses__", 4),
        ("attribute", "_TemplateReference__context", 5),
        ("attribute", "__globals__", 6),
        ("attribute", "__init__", 7),
        ("attribute", "__globals__", 7),
        ("attribute", "__init__", 8),
        ("attribute", "__globals__", 8),
        ("attr filter", "__globals__", 9),
        ("item", "__init__", 10),
        ("item", "__globals__", 10),
        ("attribute", "__class__", 11),
        ("attribute", "mro", 11),
    ]
    how = {
        "attribute": "reads the attribute",
        "item": "reads the item",
        "attr filter": "reads (with the attr filter) the attribute",
    }
    expected = [
        (
            "template-syntax",
            "registry/templates/partials/broken.html",
            2,
            "Expected an expression, got 'end of statement block'; the catalog build fails on it",
        )
    ]
    expected += sorted(
        ("template-unsafe", root, line, f"{how[kind]} {name!r}: {HINT}")
        for kind, name, line in reads
    )
    assert sorted(template_problems(report)) == sorted(expected)


def test_validate_reports_linked_templates_and_assets(one_recipe, tmp_path):
    outside = _secret(tmp_path)
    folder = one_recipe.root / "templates"
    (folder / "assets").mkdir(parents=True)
    (folder / "root.html").symlink_to(outside / "root.html")
    (folder / "assets" / "x.css").symlink_to(outside / "secret.txt")
    (folder / "partials").symlink_to(outside, target_is_directory=True)
    code, report = validate(one_recipe)
    assert code == 1
    link = (
        "is a symbolic link; registry files and folders must be real ones "
        "(links are never followed); "
        "the catalog build refuses it; commit the file itself"
    )
    assert sorted(template_problems(report)) == [
        ("template-unsafe", f"registry/templates/{rel}", None, link)
        for rel in ("assets/x.css", "partials", "root.html")
    ]
    assert MARKER not in json.dumps(report)
    # pre-commit passes the changed file itself, a link resolving outside the registry
    code, report = validate(one_recipe, str(folder / "root.html"))
    assert code == 1
    assert ("template-unsafe", "registry/templates/root.html", None, link) in template_problems(
        report
    )


def test_validate_base_reports_a_templates_folder_linked_elsewhere(one_recipe, tmp_path):
    outside = _secret(tmp_path)
    git(one_recipe.root, "switch", "-q", "-c", "change")
    (one_recipe.root / "templates").symlink_to(outside, target_is_directory=True)
    git(one_recipe.root, "add", "-A")
    git(one_recipe.root, "commit", "-qm", "Link the templates")
    code, report = validate(one_recipe, "--base", "main")
    assert code == 1
    assert template_problems(report) == [
        (
            "template-unsafe",
            "registry/templates",
            None,
            "is a symbolic link; registry files and folders must be real ones "
            "(links are never followed); "
            "the catalog build refuses it; commit the file itself",
        )
    ]


def test_validate_base_checks_a_changed_template(one_recipe):
    git(one_recipe.root, "switch", "-q", "-c", "change")
    (one_recipe.root / "templates").mkdir()
    (one_recipe.root / "templates" / "root.html").write_text(f"x\n{PWNED}\n")
    git(one_recipe.root, "add", "-A")
    git(one_recipe.root, "commit", "-qm", "A root page")
    code, report = validate(one_recipe, "--base", "main")
    assert code == 1
    assert [(c, f, line) for c, f, line, _ in template_problems(report)] == [
        ("template-unsafe", "registry/templates/root.html", 2)
    ] * 2
    (one_recipe.root / "templates" / "root.html").write_text("x\n{{ site_name }}\n")
    code, report = validate(one_recipe, "--base", "main")
    assert template_problems(report) == []


def test_clean_templates_and_the_built_in_ones_pass(one_recipe):
    import modelyard.site.render as render

    folder = one_recipe.root / "templates"
    folder.mkdir()
    for path in render.builtin_templates().rglob("*"):
        if path.is_file():
            (folder / path.relative_to(render.builtin_templates())).parent.mkdir(
                parents=True, exist_ok=True
            )
            (folder / path.relative_to(render.builtin_templates())).write_bytes(path.read_bytes())
    code, report = validate(one_recipe)
    assert template_problems(report) == []
    assert code == 0, report
    assert os.listdir(folder)
