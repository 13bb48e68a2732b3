"""Records, enums, manifest resolution and semver rules. Imports nothing else of modelyard."""
