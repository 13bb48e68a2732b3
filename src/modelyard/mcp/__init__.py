"""The registry over the Model Context Protocol (`modelyard mcp`): read tools over ops, and
write tools that commit each change to a new branch for review (docs/mcp.md)."""
