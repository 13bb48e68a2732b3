"""Bounds on what a registry file may hold, so that no file (from a careless script or a
hostile pull request) can make a read take unbounded time or memory. Each is refused as an
error naming the file; docs/registry.md lists them."""

from __future__ import annotations

# a record file (recipe, manifest, model, run, snapshot, synthetic example, settings, template)
MAX_FILE_BYTES = 4 * 1024 * 1024
# a run's logs.txt is shown up to this many bytes (its end: where the error usually is)
MAX_LOG_BYTES = 1024 * 1024
# metrics in one run, or in one of a snapshot's metric maps
MAX_METRICS = 10_000
# recipes in one lineage chain, the recipe itself included (baseline -> industry -> client is 3)
MAX_LINEAGE_DEPTH = 32
# mappings and lists nested in one file or request body
MAX_NESTING = 64
