"""nuki-mcp: an MCP server for Nuki smart locks, Openers and Smart Doors."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("nuki-mcp")
except PackageNotFoundError:  # running from a source tree that was never installed
    __version__ = "0.0.0"

__all__ = ["__version__"]
