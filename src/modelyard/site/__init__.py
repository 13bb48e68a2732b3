"""The static catalog: the registry rendered as HTML pages and JSON mirrors (docs/catalog.md)."""
