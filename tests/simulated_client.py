"""A `NukiClient` wired to the built-in simulator on a manual clock, for tests of the request path."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass

from nuki_mcp.clock import ManualClock
from nuki_mcp.demo import NukiSimulator
from nuki_mcp.nuki.client import NukiClient, RetryPolicy

# A canary: if this string ever shows up in an error message or a repr, the token leaked.
CANARY_TOKEN = "canary-4b8e1d-nuki-client-token-must-never-leak"
# More attempts than the retry policy ever makes: the fault never clears.
ALWAYS = 100


@dataclass
class SimulatedNuki:
    clock: ManualClock
    sim: NukiSimulator
    client: NukiClient


@asynccontextmanager
async def simulated_nuki(
    *,
    client_token: str = CANARY_TOKEN,
    jitter: Callable[[], float] = lambda: 0.0,
    retry: RetryPolicy | None = None,
) -> AsyncGenerator[SimulatedNuki]:
    """The seeded household accepting `CANARY_TOKEN`, and a client sending `client_token`."""
    clock = ManualClock()
    sim = NukiSimulator(clock=clock, token=CANARY_TOKEN)
    async with NukiClient(client_token, transport=sim.transport(), clock=clock, jitter=jitter, retry=retry) as client:
        yield SimulatedNuki(clock, sim, client)


def is_one_sentence(message: str, quoted: str | None = None) -> bool:
    """One line, capitalised, ending in a full stop, with no sentence break (ignoring `quoted` text)."""
    text = message.replace(quoted, "…") if quoted else message
    return (
        "\n" not in message
        and text[:1].isupper()
        and text.endswith(".")
        and not any(stop in text[:-1] for stop in (". ", "! ", "? "))
    )
