"""MCP resources: `nuki://smartlocks` (device summaries) and `nuki://smartlock/{smartlock_id}`."""

from __future__ import annotations

import json
from dataclasses import dataclass

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ResourceError

from nuki_mcp.context import AppState, app_state
from nuki_mcp.nuki.errors import NukiError
from nuki_mcp.tools.common import visible_devices
from nuki_mcp.tools.devices import smartlock_details, smartlock_summary


@dataclass
class StateHolder:
    """The lifespan's state for static resources, which the SDK calls without a Context."""

    state: AppState | None = None


def register_resources(server: MCPServer[AppState], holder: StateHolder) -> None:
    @server.resource(
        "nuki://smartlocks",
        name="smartlocks",
        title="Nuki devices",
        description="Every visible Nuki device with its decoded state, door sensor and battery (JSON).",
        mime_type="application/json",
    )
    async def smartlocks_resource() -> str:
        if holder.state is None:
            raise ResourceError("The server is not connected to Nuki yet; try again in a moment.")
        try:
            devices = await visible_devices(holder.state)
        except NukiError as exc:
            raise ResourceError(str(exc)) from None
        return json.dumps([smartlock_summary(d).model_dump(mode="json") for d in devices], indent=2)

    @server.resource(
        "nuki://smartlock/{smartlock_id}",
        name="smartlock",
        title="One Nuki device",
        description="One device by smartlockId: state, batteries, settings and supported actions (JSON).",
        mime_type="application/json",
    )
    async def smartlock_resource(smartlock_id: str, ctx: Context[AppState]) -> str:
        if not (smartlock_id.isascii() and smartlock_id.isdigit()):
            raise ResourceError(f"{smartlock_id!r} is not a smartlockId; read nuki://smartlocks for the ids.")
        state = app_state(ctx)
        try:
            devices = await visible_devices(state)
            match = next((d for d in devices if d.smartlock_id == int(smartlock_id)), None)
        except NukiError as exc:
            raise ResourceError(str(exc)) from None
        if match is None:
            raise ResourceError(f"No visible device has id {smartlock_id}; read nuki://smartlocks for the ids.")
        # GET /smartlock already returns every device in full, as get_smartlock relies on too.
        return smartlock_details(match).model_dump_json(indent=2)
