"""`modelyard chat`: text and --json output, --recipe, --context, and clear errors."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from chat_checks import forget_help_options
from modelyard.cli.main import cli

ROOT = Path(__file__).resolve().parents[1]
DEMO = str(ROOT / "registry")


def run(*args: str):
    result = CliRunner().invoke(cli, ["--registry", DEMO, "chat", *args])
    forget_help_options()
    return result


def test_json_is_the_endpoint_body_and_its_context_carries_the_conversation():
    first = run("tell me about recipe_pricing_freshmart", "--json")
    assert first.exit_code == 0, first.output
    body = json.loads(first.stdout)
    assert set(body) == {
        "reply",
        "response",
        "intent",
        "answered",
        "references",
        "next_steps",
        "context",
        "source",
        "notes",
    }
    assert body["response"] == body["reply"] and body["intent"] == "explain"
    assert body["references"][0] == {
        "type": "recipe",
        "id": "recipe_pricing_freshmart",
        "title": "FreshMart Pricing",
        "link": "/model-development/recipes/recipe_pricing_freshmart/",
        "api": "/api/ml-development/recipes/recipe_pricing_freshmart",
    }
    second = run("and its models?", "--json", "--context", json.dumps(body["context"]))
    models = [r["id"] for r in json.loads(second.stdout)["references"] if r["type"] == "model"]
    on_disk = sorted(
        p.parent.name
        for p in (ROOT / "registry" / "models").glob("*/model.yaml")
        if "recipe_id: recipe_pricing_freshmart" in p.read_text()
    )
    assert sorted(models) == on_disk and on_disk


def test_text_output_lists_the_records_and_the_commands():
    result = run("what changed in the latest version?", "--recipe", "recipe_pricing_grocery")
    assert result.exit_code == 0, result.output
    assert (
        "Based on:" in result.stdout
        and "/model-development/recipes/recipe_pricing_grocery/" in result.stdout
    )
    assert "Next steps:" in result.stdout
    assert "$ modelyard versions get recipe_pricing_grocery ver_pricing_grocery_v" in result.stdout


def test_bad_input_gets_a_clear_error():
    result = run("hello", "--recipe", "recipe_nope")
    assert result.exit_code == 1 and result.stderr.strip() == "Error: Recipe not found: recipe_nope"
    result = run("hello", "--context", "{bad")
    assert result.exit_code == 2 and "Invalid value for --context: not valid JSON" in result.stderr
    result = run("hello", "--context", "[1, 2]")
    assert result.exit_code == 2 and "must be a JSON object" in result.stderr
    result = run("")
    assert result.exit_code == 1 and "body.message" in result.stderr


def test_the_command_runs_as_a_process():
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "modelyard",
            "--registry",
            DEMO,
            "chat",
            "prod pricing models",
            "--json",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=True,
        timeout=60,
    )
    body = json.loads(out.stdout)
    assert body["answered"] and all(r["type"] == "model" for r in body["references"])
    assert any(
        s["cli"].startswith("modelyard models list --model-family pricing --status production")
        for s in body["next_steps"]
    )


def test_docs_describe_every_response_field_and_setting():
    import re

    from modelyard.chat import backend
    from modelyard.chat.response import ApiCall, ChatResponse, NextStep, Reference

    doc = (ROOT / "docs" / "chat.md").read_text(encoding="utf-8")
    fields = {
        *ChatResponse.model_fields,
        *ChatResponse.model_computed_fields,
        *Reference.model_fields,
        *NextStep.model_fields,
        *ApiCall.model_fields,
    }
    missing = sorted(f for f in fields if f"`{f}`" not in doc)
    assert not missing, f"docs/chat.md does not describe {missing}"
    settings = set(re.findall(r"MODELYARD_CHAT_[A-Z_]+", backend.__doc__ or ""))
    assert settings and all(f"`{s}`" in doc for s in settings)
    assert "(docs/chat.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
