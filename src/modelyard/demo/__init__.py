"""The demo registry: a small team's first two months with modelyard, made with the CLI."""
