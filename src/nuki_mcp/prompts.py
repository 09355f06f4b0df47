"""MCP prompts: `audit_locks` and `secure_home`."""

from __future__ import annotations

from mcp.server.mcpserver import MCPServer

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState


def register_prompts(server: MCPServer[AppState], settings: Settings) -> None:
    @server.prompt(name="audit_locks", title="Audit my locks")
    def audit_locks() -> str:
        """Run a configuration audit of every Nuki device and explain each finding with its fix."""
        return (
            "Audit my Nuki locks. Call audit_smartlocks (all devices, all severities). Then report, most "
            "severe first: for each finding, the device, what is wrong (with the evidence the tool returned), "
            "why it matters for the security of the home, and the exact fix (the tool call in its fix field, "
            "or what to do on the device). Group findings by device, say plainly when something could not be "
            "checked (the token lacks a scope), end with a short summary of counts by severity, and do not "
            "change anything unless I ask you to; every change will ask me to confirm it."
        )

    @server.prompt(name="secure_home", title="Secure my home")
    def secure_home() -> str:
        """Check every door and lock the ones that are not locked, each with the user's confirmation."""
        lines = [
            "Secure my home. Call list_smartlocks and look at every smart lock and Smart Door.",
            "For each one that is not locked: if its door sensor reports the door open, do not lock it; tell "
            "me the door is open instead. Otherwise call lock_smartlock for it (I will be asked to confirm each "
            "one) and report the outcome exactly as the tool returns it: confirmed, pending, failed or unknown.",
            "For Openers, report whether Ring to Open or continuous mode is active, and offer to turn them off.",
            "Mention devices that are offline or have a critical battery. Finish with a one-line summary.",
        ]
        if settings.read_only:
            lines.append("This server is read-only: report what should be locked, but do not try to change anything.")
        return "\n".join(lines)
