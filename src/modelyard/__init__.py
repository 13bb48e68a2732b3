"""modelyard: a git-backed, file-based registry for ML model development."""

__version__ = "0.1.0"
