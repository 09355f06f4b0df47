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

from starlette.routing import BaseRoute

from nuki_mcp.approvals.app import LoopbackServer, build_approval_app
from nuki_mcp.approvals.passkeys import PasskeyRegistry, PasskeyStore, default_state_dir
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
    passkeys: PasskeyRegistry
    server: LoopbackServer | None
    clock: Clock
    wait_s: float
    lifetime_s: float = DEFAULT_LIFETIME_S
    # Remote mode: the pages are part of the public app (`routes()`), at this URL, not on a loopback port.
    public_url: str | None = None

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
        """Bind the approval page's port now (NUKI_APPROVAL_PORT, 0 = free), so URLs are known before serving.

        With a public URL the pages are served by the remote app instead (no loopback port); with a Redis
        URL approvals and passkeys live in Redis, so any replica's page can decide any replica's approval.
        """
        directory = state_dir or default_state_dir()
        passkeys: PasskeyRegistry = PasskeyStore(directory)
        if settings.redis_url is not None:
            from nuki_mcp.approvals.redis_passkeys import RedisPasskeyStore
            from nuki_mcp.approvals.redis_store import RedisApprovalStore
            from nuki_mcp.shared_state.redis_state import async_client, sync_client

            url = settings.redis_url.get_secret_value()
            passkeys = RedisPasskeyStore(sync_client(url))
            store = store or RedisApprovalStore(async_client(url), clock, events=events)
        return cls(
            store=store or MemoryApprovalStore(clock, events=events),
            passkeys=passkeys,
            server=None if settings.public_url else LoopbackServer(settings.approval_port),
            clock=clock,
            wait_s=settings.approval_wait,
            public_url=settings.public_url,
        )

    @property
    def base_url(self) -> str:
        if self.public_url is not None:
            return self.public_url
        assert self.server is not None
        return self.server.base_url

    def url(self, approval_id: str) -> str:
        """The approval page of one approval; useless without the owner's passkey."""
        return f"{self.base_url}/approve/{approval_id}"

    def routes(self, port: int = 0) -> list[BaseRoute]:
        """Remote mode: the approval routes for the public app (which serves them on `public_url`)."""
        app = build_approval_app(
            port=port, passkeys=self.passkeys, clock=self.clock, approvals=self.store, public_url=self.public_url
        )
        return list(app.routes)

    @asynccontextmanager
    async def running(self) -> AsyncGenerator[None]:
        """Serve the approval page (no enrolment routes) while the block runs; remote mode: the app does."""
        if self.server is None:
            yield
            return
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
