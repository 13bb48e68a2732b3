"""`modelyard chat`: ask the assistant about the registry."""

from __future__ import annotations

import json
from typing import Any

import click

from modelyard.cli.common import emit, open_registry


def _text(result: Any) -> str:
    lines = [result.reply]
    if result.references:
        lines += ["", "Based on:"]
        lines += [f"  {r.type:<8} {r.id}  {r.link}" for r in result.references]
    if result.next_steps:
        lines += ["", "Next steps:"]
        for step in result.next_steps:
            lines.append(f"  {step.title}:")
            lines.append(f"    $ {step.cli}")
            lines.append(
                f"    {step.api.method} {step.api.path}"
                + (f"  {json.dumps(step.api.body, ensure_ascii=False)}" if step.api.body else "")
            )
            if step.note:
                lines.append(f"    ({step.note})")
    for note in result.notes:
        lines.append(f"Note: {note}")
    return "\n".join(lines)


@click.command("chat")
@click.argument("message")
@click.option(
    "--recipe", "recipe_id", help="Focus the conversation on this recipe (the request's recipe_id)."
)
@click.option(
    "--context",
    "context_json",
    help="Earlier turns as JSON: the `context` of the previous answer (printed with --json).",
)
@click.option(
    "--json",
    "as_json",
    is_flag=True,
    help="Print the whole response body (as the chat endpoint returns it).",
)
@click.pass_context
def chat(
    ctx: click.Context, message: str, recipe_id: str | None, context_json: str | None, as_json: bool
) -> None:
    """Ask a question about the registry (POST /chat).

    The answer cites the records it is based on and suggests next steps as commands
    and API calls. Examples:

    \b
      modelyard chat "production pricing models"
      modelyard chat "what changed in the latest version?" --recipe recipe_pricing_base
      modelyard chat "which models have drift alerts" --json
    """
    from modelyard.chat.assistant import answer

    context: Any = {}
    if context_json:
        try:
            context = json.loads(context_json)
        except json.JSONDecodeError as exc:
            raise click.BadParameter(
                f"not valid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})",
                param_hint="--context",
            ) from None
        if not isinstance(context, dict):
            raise click.BadParameter("must be a JSON object", param_hint="--context")
    reg = open_registry(ctx)
    body = {"message": message, "context": context, "recipe_id": recipe_id}
    emit(answer(reg, body), as_json, _text)
