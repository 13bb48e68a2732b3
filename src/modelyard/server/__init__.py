"""The seed's HTTP API over the registry: `create_app(registry)` and `modelyard serve`."""
