"""One function per seed endpoint and per CLI command. Returns typed records, never prints.

The CLI, the server, the catalog and the tests all call these.
"""
