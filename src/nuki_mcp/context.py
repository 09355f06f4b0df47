"""What every tool can reach through its MCP `Context`: the objects the server's lifespan owns."""

from __future__ import annotations

from dataclasses import dataclass

from mcp.server.mcpserver import Context

from nuki_mcp.clock import Clock
from nuki_mcp.config import Settings
from nuki_mcp.guard import Guard
from nuki_mcp.nuki.client import NukiClient


@dataclass(frozen=True)
class AppState:
    settings: Settings
    client: NukiClient
    guard: Guard
    clock: Clock


def app_state(ctx: Context[AppState]) -> AppState:
    return ctx.request_context.lifespan_context
