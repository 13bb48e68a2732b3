"""The only code that touches files or git."""
