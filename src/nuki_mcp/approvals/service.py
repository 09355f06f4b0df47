"""`PasskeyApprovals`: everything the write path needs for NUKI_CONFIRM=passkey, behind one small object.

    approvals = PasskeyApprovals.from_settings(settings, clock, events=on_event)
    async with approvals.running():          # the approval page at approvals.base_url
        approval = await approvals.request(ApprovalRequest(...))
        decided = await approvals.wait(approval.id)   # up to NUKI_APPROVAL_WAIT seconds
        ...approvals.url(approval.id), approvals.redeem(token, binding)

The server process never serves enrolment; that lives in `nuki-mcp passkey add` only.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from nuki_mcp.approvals.app import LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyStore, default_state_dir
from nuki_mcp.approvals.store import (
    DEFAULT_LIFETIME_S,
    Approval,
    ApprovalEvents,
    ApprovalRequest,
    ApprovalStore,
    MemoryApprovalStore,
    ignore_events,
)
from nuki_mcp.clock import Clock
from nuki_mcp.config import Settings


@dataclass
class PasskeyApprovals:
    store: ApprovalStore
    passkeys: PasskeyStore
    server: LoopbackServer
    clock: Clock
    wait_s: float
    lifetime_s: float = DEFAULT_LIFETIME_S

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        clock: Clock,
        *,
        events: ApprovalEvents = ignore_events,
        state_dir: Path | None = None,
        store: ApprovalStore | None = None,
    ) -> PasskeyApprovals:
        """Bind the approval page's port now (NUKI_APPROVAL_PORT, 0 = free), so URLs are known before serving."""
        return cls(
            store=store or MemoryApprovalStore(clock, events=events),
            passkeys=PasskeyStore(state_dir or default_state_dir()),
            server=LoopbackServer(settings.approval_port),
            clock=clock,
            wait_s=settings.approval_wait,
        )

    @property
    def base_url(self) -> str:
        return self.server.base_url

    def url(self, approval_id: str) -> str:
        """The approval page of one approval; useless without the owner's passkey."""
        return f"{self.server.base_url}/approve/{approval_id}"

    @asynccontextmanager
    async def running(self) -> AsyncGenerator[None]:
        """Serve the approval page (no enrolment routes) while the block runs."""
        app = build_approval_app(port=self.server.port, passkeys=self.passkeys, clock=self.clock, approvals=self.store)
        async with self.server.running(app):
            yield

    async def request(self, request: ApprovalRequest) -> Approval:
        return await self.store.create(request)

    async def wait(self, approval_id: str, up_to_s: float | None = None) -> Approval | None:
        """Wait for the owner's decision, up to NUKI_APPROVAL_WAIT seconds unless told otherwise."""
        return await self.store.wait(approval_id, self.wait_s if up_to_s is None else up_to_s)

    async def redeem(self, approval_id: str, binding: str) -> Approval:
        """Use up a granted approval for exactly this call; raises `ApprovalRefused` with one sentence."""
        return await self.store.redeem(approval_id, binding)
