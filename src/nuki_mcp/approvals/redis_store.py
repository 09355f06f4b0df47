"""`RedisApprovalStore`: pending approvals shared by every replica through Redis.

An approval is a few keys, each written once, so no step reads, decides and writes back:
- `approval:{id}` the request and its times (JSON, written at creation);
- `approval:{id}:decision` `granted <credential id>` or `denied`, set with `SET NX` (the first decision wins);
- `approval:{id}:redeemed` set with `SET NX` by the one redemption that wins;
- `approval:{id}:challenge` the page's current WebAuthn challenge, taken with `GETDEL`;
- `approval:{id}:expired` set with `SET NX` by whoever first sees it overdue (one audit event, not one per replica).
Keys live for two lifetimes, so a late token is still told "expired" rather than "unknown".
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta
from typing import Final

import redis.asyncio as aioredis
from pydantic import BaseModel

from nuki_mcp.approvals.store import (
    DEFAULT_LIFETIME_S,
    Approval,
    ApprovalDevice,
    ApprovalEvent,
    ApprovalEventKind,
    ApprovalEvents,
    ApprovalNotPending,
    ApprovalRequest,
    ApprovalState,
    ignore_events,
    is_well_formed_id,
    redeemable,
    refusal,
)
from nuki_mcp.clock import Clock
from nuki_mcp.shared_state.redis_state import PREFIX, as_bytes

POLL_S: Final = 0.25


class _Device(BaseModel):
    smartlock_id: int
    name: str


class _Stored(BaseModel):
    tool: str
    devices: list[_Device]
    binding: str
    summary: str
    changes: list[str]
    client_name: str | None
    created_at: datetime
    expires_at: datetime


class RedisApprovalStore:
    """`ApprovalStore` in Redis; the clock decides expiry, as in `MemoryApprovalStore`."""

    def __init__(
        self,
        client: aioredis.Redis,
        clock: Clock,
        *,
        lifetime_s: float = DEFAULT_LIFETIME_S,
        events: ApprovalEvents = ignore_events,
    ) -> None:
        self._client = client
        self._clock = clock
        self._lifetime = timedelta(seconds=lifetime_s)
        self._keep_ms = max(1000, int(2 * lifetime_s * 1000))
        self._events = events

    def _key(self, approval_id: str, part: str = "") -> str:
        return f"{PREFIX}approval:{approval_id}{':' + part if part else ''}"

    async def create(self, request: ApprovalRequest) -> Approval:
        now = self._clock.now()
        approval = Approval(
            id=secrets.token_urlsafe(24), request=request, created_at=now, expires_at=now + self._lifetime
        )
        stored = _Stored(
            tool=request.tool,
            devices=[_Device(smartlock_id=d.smartlock_id, name=d.name) for d in request.devices],
            binding=request.binding,
            summary=request.summary,
            changes=list(request.changes),
            client_name=request.client_name,
            created_at=approval.created_at,
            expires_at=approval.expires_at,
        )
        await self._client.set(self._key(approval.id), stored.model_dump_json().encode(), px=self._keep_ms)
        self._emit("created", approval)
        return approval

    async def get(self, approval_id: str) -> Approval | None:
        return await self._current(approval_id)

    async def new_challenge(self, approval_id: str, challenge: bytes) -> Approval:
        approval = await self._current(approval_id)
        if approval is None or approval.state != "pending":
            raise ApprovalNotPending(approval)
        await self._client.set(self._key(approval_id, "challenge"), challenge, px=self._keep_ms)
        return Approval(
            id=approval.id,
            request=approval.request,
            created_at=approval.created_at,
            expires_at=approval.expires_at,
            challenge=challenge,
        )

    async def take_challenge(self, approval_id: str) -> bytes | None:
        if not is_well_formed_id(approval_id):
            return None
        return as_bytes(await self._client.getdel(self._key(approval_id, "challenge")))

    async def grant(self, approval_id: str, credential_id: str) -> Approval:
        return await self._decide(approval_id, f"granted {credential_id}")

    async def deny(self, approval_id: str) -> Approval:
        return await self._decide(approval_id, "denied")

    async def redeem(self, approval_id: str, binding: str) -> Approval:
        current = await self._current(approval_id) if is_well_formed_id(approval_id) else None
        approval = redeemable(current, binding)
        # SET NX: of concurrent redemptions on any replica exactly one wins.
        if not await self._client.set(self._key(approval_id, "redeemed"), b"1", nx=True, px=self._keep_ms):
            raise refusal("used")
        redeemed = _with(approval, "redeemed")
        self._emit("redeemed", redeemed)
        return redeemed

    async def wait(self, approval_id: str, up_to_s: float) -> Approval | None:
        # The decision may come from another replica's page: poll Redis on the store's clock.
        waited = 0.0
        approval = await self._current(approval_id)
        while approval is not None and approval.state == "pending" and waited < up_to_s:
            step = min(POLL_S, up_to_s - waited)
            await self._clock.sleep(step)
            waited += step
            approval = await self._current(approval_id)
        return approval

    async def _decide(self, approval_id: str, decision: str) -> Approval:
        approval = await self._current(approval_id)
        if approval is None or approval.state != "pending":
            raise ApprovalNotPending(approval)
        won = await self._client.set(self._key(approval_id, "decision"), decision.encode(), nx=True, px=self._keep_ms)
        if not won:
            raise ApprovalNotPending(await self._current(approval_id))
        await self._client.delete(self._key(approval_id, "challenge"))
        decided = await self._current(approval_id)
        if decided is None:  # pragma: no cover - the keys outlive the approval by a lifetime
            raise ApprovalNotPending(None)
        self._emit("granted" if decided.state == "granted" else "denied", decided)
        return decided

    async def _current(self, approval_id: str) -> Approval | None:
        if not is_well_formed_id(approval_id):
            return None
        raw, decision, redeemed, challenge = await self._client.mget(
            [
                self._key(approval_id),
                self._key(approval_id, "decision"),
                self._key(approval_id, "redeemed"),
                self._key(approval_id, "challenge"),
            ]
        )
        data = as_bytes(raw)
        if data is None:
            return None
        stored = _Stored.model_validate_json(data)
        approval = Approval(
            id=approval_id,
            request=ApprovalRequest(
                tool=stored.tool,
                devices=tuple(ApprovalDevice(d.smartlock_id, d.name) for d in stored.devices),
                binding=stored.binding,
                summary=stored.summary,
                changes=tuple(stored.changes),
                client_name=stored.client_name,
            ),
            created_at=stored.created_at,
            expires_at=stored.expires_at,
            challenge=as_bytes(challenge),
        )
        decided = (as_bytes(decision) or b"").decode()
        if as_bytes(redeemed) is not None:
            return _with(approval, "redeemed", _credential(decided))
        if decided == "denied":
            return _with(approval, "denied")
        if decided.startswith("granted ") and self._clock.now() < approval.expires_at:
            return _with(approval, "granted", _credential(decided))
        if self._clock.now() >= approval.expires_at:
            expired = _with(approval, "expired")
            if await self._client.set(self._key(approval_id, "expired"), b"1", nx=True, px=self._keep_ms):
                self._emit("expired", expired)
            return expired
        return approval

    def _emit(self, kind: ApprovalEventKind, approval: Approval) -> None:
        self._events(
            ApprovalEvent(
                kind=kind,
                approval_id=approval.id,
                tool=approval.request.tool,
                device_ids=approval.request.device_ids,
                client_name=approval.request.client_name,
                credential_id=approval.credential_id,
            )
        )


def _credential(decision: str) -> str | None:
    return decision.removeprefix("granted ") if decision.startswith("granted ") else None


def _with(approval: Approval, state: ApprovalState, credential_id: str | None = None) -> Approval:
    return Approval(
        id=approval.id,
        request=approval.request,
        created_at=approval.created_at,
        expires_at=approval.expires_at,
        state=state,
        credential_id=credential_id,
        challenge=None,
    )
