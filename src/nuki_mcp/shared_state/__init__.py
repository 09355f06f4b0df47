"""Shared state behind small interfaces: one process in memory (the default), or Redis for several replicas.

`open_shared_state(redis_url, clock)` gives a `SharedState` whose parts are:
- `single_use`: claim a key once (confirmation-token nonces; the first of two concurrent claims wins);
- `kv`: short-lived values with an atomic take (OAuth clients, codes, tokens, sign-in requests);
- `cards`: writes waiting in the MCP Apps confirmation card (its Approve or Cancel may reach any replica);
- `questions`: when each confirmation question was asked (an answer may come back to another replica);
- `budget`: per-key request budgets in a fixed window (per user, per Nuki account);
- `secret(name)`: a random key made once and then the same for every replica (confirmation MACs,
  the MRTR request_state key ring).

The memory parts keep today's single-process behaviour; the Redis parts use redis-py (asyncio for the
request path, the sync client only where the caller is synchronous, such as the confirmation-token check).
"""

from nuki_mcp.shared_state.base import (
    CardLog,
    CardRecord,
    KeyValueStore,
    MemoryCardLog,
    MemoryKeyValueStore,
    MemoryQuestionLog,
    MemoryRateBudget,
    MemorySingleUse,
    QuestionLog,
    RateBudget,
    SharedState,
    SingleUse,
    memory_shared_state,
)

__all__ = [
    "CardLog",
    "CardRecord",
    "KeyValueStore",
    "MemoryCardLog",
    "MemoryKeyValueStore",
    "MemoryQuestionLog",
    "MemoryRateBudget",
    "MemorySingleUse",
    "QuestionLog",
    "RateBudget",
    "SharedState",
    "SingleUse",
    "memory_shared_state",
]
