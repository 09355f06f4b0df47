"""The Nuki Web API, usable on its own: typed client, wire models, decoding tables, errors.

Nothing in this package imports `mcp`.
"""
