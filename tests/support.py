"""Helpers for driving the real MCP server through the in-memory `mcp.Client` against the simulator."""

from __future__ import annotations

import json
from collections.abc import AsyncGenerator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Final, Literal

from mcp import Client
from mcp.client import ClientRequestContext
from mcp.client.session import ElicitationFnT
from mcp.types import CallToolResult, ElicitRequestParams, ElicitResult, TextContent
from pydantic import JsonValue, SecretStr, TypeAdapter

from nuki_mcp.approvals.passkeys import PasskeyStore, StoredPasskey
from nuki_mcp.clock import ManualClock
from nuki_mcp.config import ALL_TOOLSETS, ConfirmMode, Settings, ToolsetName
from nuki_mcp.demo import NukiSimulator
from nuki_mcp.demo.household import FRONT_DOOR_CLEANER_CODE_AUTH_ID, FRONT_DOOR_ID
from nuki_mcp.nuki.client import NukiClient
from nuki_mcp.nuki.models import SmartlockAuthUpdate
from nuki_mcp.server import NukiServer, create_server

# A canary: if this string ever shows up in a tool result, error, log line or audit line, the token leaked.
CANARY_TOKEN = "canary-7f3a9c1e-nuki-token-must-never-leak"
# The credential id of the passkey `passkey_harness` enrols for the owner.
ENROLLED_PASSKEY_ID: Final = "dGVzdC1jcmVkZW50aWFs"

ClientMode = Literal["auto", "legacy"]
ElicitationCallback = ElicitationFnT
Json = dict[str, JsonValue]
_JSON = TypeAdapter(dict[str, JsonValue])


@dataclass
class Elicitations:
    """A scripted human: answers every confirmation question the same way and records the questions."""

    action: Literal["accept", "decline", "cancel"] = "accept"
    content: dict[str, str | int | float | bool | list[str] | None] | None = field(
        default_factory=lambda: {"confirm": True}
    )
    questions: list[str] = field(default_factory=list[str])

    async def __call__(self, context: ClientRequestContext, params: ElicitRequestParams) -> ElicitResult:
        self.questions.append(params.message)
        if self.action == "accept":
            return ElicitResult(action="accept", content=self.content)
        return ElicitResult(action=self.action)


@dataclass
class Harness:
    """One simulated Nuki account, its clock, and the server settings under test."""

    tmp_path: Path
    clock: ManualClock = field(default_factory=ManualClock)
    confirm: ConfirmMode = "off"
    read_only: bool = False
    devices: tuple[str, ...] = ()
    toolsets: frozenset[ToolsetName] = frozenset(ALL_TOOLSETS)
    sim: NukiSimulator = field(init=False)
    server: NukiServer | None = field(init=False, default=None)

    def __post_init__(self) -> None:
        self.sim = NukiSimulator(clock=self.clock, token=CANARY_TOKEN)

    @property
    def audit_path(self) -> Path:
        return self.tmp_path / "audit.jsonl"

    @property
    def state_dir(self) -> Path:
        """Where enrolled passkeys live for NUKI_CONFIRM=passkey."""
        return self.tmp_path / "state"

    def settings(self) -> Settings:
        return Settings(
            api_token=SecretStr(CANARY_TOKEN),
            toolsets=self.toolsets,
            read_only=self.read_only,
            devices=self.devices,
            confirm=self.confirm,
            audit_log=self.audit_path,
        )

    def audit_lines(self) -> list[Json]:
        if not self.audit_path.exists():
            return []
        return [_JSON.validate_json(line) for line in self.audit_path.read_text().splitlines() if line.strip()]

    def audit_results(self) -> list[Json]:
        """The audit trail without its attempt lines: one line per call, saying how it ended."""
        return [line for line in self.audit_lines() if line["event"] != "attempt"]

    def new_server(self, settings: Settings | None = None) -> NukiServer:
        """A server on this harness's simulator, clock and state directory (`settings()` unless given)."""
        self.server = create_server(
            settings or self.settings(), transport=self.sim.transport(), clock=self.clock, state_dir=self.state_dir
        )
        return self.server

    def nuki_web(self) -> NukiClient:
        """A Nuki client on this harness's account: someone changing things in Nuki Web meanwhile."""
        return NukiClient(CANARY_TOKEN, transport=self.sim.transport(), clock=self.clock)

    @asynccontextmanager
    async def client(
        self, *, mode: ClientMode = "auto", elicitation: ElicitationCallback | None = None
    ) -> AsyncGenerator[Client]:
        async with Client(self.new_server(), mode=mode, elicitation_callback=elicitation) as client:
            yield client


def passkey_harness(tmp_path: Path, clock: ManualClock | None = None) -> Harness:
    """A harness under NUKI_CONFIRM=passkey whose owner has enrolled one passkey (`ENROLLED_PASSKEY_ID`)."""
    harness = Harness(tmp_path, clock=clock or ManualClock(), confirm="passkey")
    PasskeyStore(harness.state_dir).add(
        StoredPasskey(
            credential_id=ENROLLED_PASSKEY_ID,
            public_key="cHVibGljLWtleQ",
            sign_count=0,
            label="test phone",
            created=datetime(2026, 11, 1, tzinfo=UTC),
        )
    )
    return harness


class SomeoneElseRenamesTheCleaner(Elicitations):
    """Answers yes, but while the question is open someone renames the cleaner's code in Nuki Web."""

    def __init__(self, harness: Harness) -> None:
        super().__init__()
        self.harness = harness

    async def __call__(self, context: object, params: object) -> object:  # type: ignore[override]
        current = self.harness.sim.auth(FRONT_DOOR_CLEANER_CODE_AUTH_ID)
        async with self.harness.nuki_web() as nuki:
            await nuki.update_auth(
                FRONT_DOOR_ID,
                FRONT_DOOR_CLEANER_CODE_AUTH_ID,
                SmartlockAuthUpdate.from_current(current, {"name": "Cleaner (new)"}),
            )
        return await super().__call__(context, params)  # type: ignore[arg-type]


def text_of(result: CallToolResult) -> str:
    return "\n".join(block.text for block in result.content if isinstance(block, TextContent))


async def call_ok(client: Client, tool: str, arguments: Json | None = None) -> Json:
    """Call a tool that must succeed; return its structured result."""
    result = await client.call_tool(tool, arguments or {})
    assert not result.is_error, f"{tool} failed: {text_of(result)}"
    assert result.structured_content is not None, f"{tool} returned no structured content"
    return _JSON.validate_python(result.structured_content)


async def call_error(client: Client, tool: str, arguments: Json | None = None) -> str:
    """Call a tool that must fail cleanly; return the error text the agent sees."""
    result = await client.call_tool(tool, arguments or {})
    assert result.is_error, f"{tool} unexpectedly succeeded: {text_of(result)}"
    text = text_of(result)
    assert "Traceback" not in text
    return text


def dumps(value: object) -> str:
    return json.dumps(value, default=str)


_ROWS = TypeAdapter(list[dict[str, JsonValue]])


def rows(result: Json, key: str) -> list[Json]:
    """A list of objects inside a structured result, typed."""
    return _ROWS.validate_python(result[key])


def obj(result: Json, key: str) -> Json:
    """An object inside a structured result, typed."""
    return _JSON.validate_python(result[key])
