"""The chat assistant: answers questions about the registry from the registry itself."""
