"""An example or two for each command's --help, kept in one table so they read as a set.
A test parses every line against the command it belongs to, so none can go stale."""

from __future__ import annotations

import click

EXAMPLES: dict[str, list[str]] = {
    "clone": [
        "modelyard clone https://github.com/acme/models.git models",
        "modelyard clone https://github.com/acme/models.git job --writer  # for a training job",
    ],
    "mcp": [
        "modelyard mcp  # stdio, for Claude Desktop, VS Code or Cursor",
        "modelyard mcp --http --port 8765",
    ],
    "models check": ["modelyard models check model_retail_pricing --status production"],
    "models history": ["modelyard models history model_retail_pricing --json"],
    "models rollback": [
        "modelyard models rollback model_retail_pricing --updated-by Ada",
        'modelyard models rollback model_retail_pricing --override-gate --reason "incident 42"',
    ],
    "monitoring check": ["modelyard monitoring check --status production"],
    "monitoring compute": [
        "modelyard monitoring compute model_retail_pricing --reference train.csv "
        "--current last_week.csv",
    ],
    "recipes rebase": [
        "modelyard recipes rebase recipe_retail_pricing_v1 --check",
        "modelyard recipes rebase recipe_retail_pricing_v1 --to 2.0.0 --ours model.algorithm",
    ],
    "sync": ["modelyard sync", "modelyard sync --remote origin --branch main --tries 3"],
    "synthetic generate": [
        "modelyard synthetic generate recipe_retail_pricing_v1 --rows 50 --seed 7",
    ],
    "chat": [
        'modelyard chat "which production models have drift alerts?"',
        'modelyard chat "what changed in 2.0.0?" --recipe recipe_pricing_base',
    ],
    "demo": ["modelyard demo /tmp/northwind && cd /tmp/northwind && modelyard serve"],
    "models get": ["modelyard models get model_retail_pricing --json"],
    "models list": [
        "modelyard models list --status production",
        "modelyard models list --recipe-id recipe_retail_pricing_v1 --json",
    ],
    "models register": [
        'modelyard models register --name "Retail Pricing" --recipe-id recipe_retail_pricing_v1 '
        "--recipe-version-id 1.0.0 --owner pricing-team",
    ],
    "models update": [
        "modelyard models update model_retail_pricing --status staging",
        "modelyard models update model_retail_pricing --owner pricing-team --updated-by Ada",
    ],
    "monitoring create": [
        "modelyard monitoring create model_retail_pricing --performance MAPE=0.14 --drift PSI=0.08",
    ],
    "monitoring list": ["modelyard monitoring list model_retail_pricing --limit 10"],
    "recipes clone": [
        'modelyard recipes clone recipe_pricing_baseline --name "Retail Pricing v1" '
        "--level industry",
    ],
    "recipes create": [
        'modelyard recipes create --name "Pricing Baseline" --model-family pricing '
        "--level baseline --manifest examples/pricing.yaml",
        "modelyard recipes create --body recipe.json --json",
    ],
    "recipes delete": ["modelyard recipes delete recipe_retail_pricing_v1"],
    "recipes get": [
        "modelyard recipes get recipe_retail_pricing_v1",
        "modelyard recipes get recipe_retail_pricing_v1 --manifest",
    ],
    "recipes list": [
        "modelyard recipes list --model-family pricing --level industry",
        "modelyard recipes list --json",
    ],
    "recipes update": [
        "modelyard recipes update recipe_retail_pricing_v1 --status approved",
        "modelyard recipes update recipe_retail_pricing_v1 --tag retail --tag eu",
    ],
    "runs create": [
        "modelyard runs create --recipe-id recipe_retail_pricing_v1 --recipe-version-id 1.0.0 "
        "--run-type train --model-id model_retail_pricing",
    ],
    "runs get": ["modelyard runs get run_20260105093000_ab12cd34"],
    "runs list": [
        "modelyard runs list --model-id model_retail_pricing --status failed",
        "modelyard runs list --run-type backtest --limit 5 --json",
    ],
    "runs update": [
        "modelyard runs update run_20260105093000_ab12cd34 --status succeeded --metric MAPE=0.12",
        "modelyard runs update run_20260105093000_ab12cd34 --logs train.log",
    ],
    "schema export": ["modelyard schema export registry/.schema"],
    "site build": [
        "modelyard site build --out site",
        "modelyard site build --out _site --base-url https://org.github.io/registry --full",
    ],
    "site serve": ["modelyard site serve --port 8001"],
    "synthetic create": ["modelyard synthetic create recipe_pricing_baseline --body example.yaml"],
    "synthetic get": ["modelyard synthetic get recipe_pricing_baseline --json"],
    "versions create": [
        "modelyard versions create recipe_pricing_baseline "
        '--set model.hyperparameters.learning_rate=0.03 --change-note "Lower the learning rate"',
        'modelyard versions create recipe_pricing_baseline --manifest new.yaml --change-note "Why"',
    ],
    "versions get": [
        "modelyard versions get recipe_pricing_baseline 1.0.1",
        "modelyard versions get recipe_pricing_baseline ver_pricing_baseline_v1.0.0 --manifest",
    ],
    "versions list": ["modelyard versions list recipe_pricing_baseline"],
}


def attach(command: click.Command, path: str) -> click.Command:
    """Give `command` (and, for a group, its commands) their examples as the help's epilog."""
    lines = EXAMPLES.get(path)
    if lines and not command.epilog:
        command.epilog = "\b\nExamples:\n" + "\n".join(f"  {line}" for line in lines)
    if isinstance(command, click.Group):
        for name, sub in command.commands.items():
            attach(sub, f"{path} {name}")
    return command
