"""Tool-list footprint: what the model reads of `tools/list`, and what the wire carries.

Hosts hand the model a tool's name, title, description, input schema and annotations; the output
schema only validates `structuredContent` and `_meta` is for the host. The model-visible footprint
is those five fields of every tool the model is offered, serialized as JSON (camelCase, no nulls),
at 4 characters per token. App-only tools (`_meta.ui.visibility: ["app"]`, the confirmation card's
approve_write and deny_write) are offered to the card, never to the model: they are left out of that
figure and counted in the wire size. The wire size is the whole `tools/list` result as the SDK sends
it. Both are measured for the default toolsets, for every toolset alone (the card's two tools come
with every set) and for all of them, from the server built in-process (`create_server`).

Target: the default set's model-visible footprint at most 8,000 tokens.

Run: `.venv/bin/python benchmarks/tool_list_size.py`
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass

import anyio
from mcp.types import ListToolsResult, Tool

from _report import Row, report
from nuki_mcp.config import ALL_TOOLSETS, DEFAULT_TOOLSETS, Settings, ToolsetName
from nuki_mcp.server import create_server
from nuki_mcp.tools.writes import is_app_only

TARGET_TOKENS = 8_000
CHARS_PER_TOKEN = 4
MODEL_VISIBLE = ("name", "title", "description", "inputSchema", "annotations")


@dataclass(frozen=True)
class Footprint:
    label: str
    tools: int
    model_tools: int
    bytes: int
    model_chars: int
    description_chars: int
    input_schema_chars: int
    output_schema_chars: int

    @property
    def model_tokens(self) -> int:
        return _tokens(self.model_chars)

    @property
    def wire_tokens(self) -> int:
        return _tokens(self.bytes)


def _tokens(chars: int) -> int:
    return round(chars / CHARS_PER_TOKEN)


def _chars(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


def model_visible(tool: Tool) -> dict[str, object]:
    """The fields of `tool` a host passes on to the model, as the SDK serializes them."""
    wire = tool.model_dump(mode="json", by_alias=True, exclude_none=True)
    return {key: wire[key] for key in MODEL_VISIBLE if key in wire}


async def footprint(label: str, toolsets: frozenset[ToolsetName]) -> Footprint:
    server = create_server(Settings(demo=True, toolsets=toolsets, audit_log=None))
    tools: list[Tool] = await server.list_tools()
    wire = ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True)
    offered = [t for t in tools if not is_app_only(t)]
    return Footprint(
        label=label,
        tools=len(tools),
        model_tools=len(offered),
        bytes=len(wire.encode()),
        model_chars=sum(_chars(model_visible(t)) for t in offered),
        description_chars=sum(len(t.description or "") for t in offered),
        input_schema_chars=sum(_chars(t.input_schema) for t in offered),
        output_schema_chars=sum(_chars(t.output_schema) for t in tools if t.output_schema is not None),
    )


async def measure() -> list[Footprint]:
    sets: list[tuple[str, frozenset[ToolsetName]]] = [
        ("default toolsets", DEFAULT_TOOLSETS),
        *((f"toolset {name} alone", frozenset({name})) for name in ALL_TOOLSETS),
        ("all toolsets", frozenset(ALL_TOOLSETS)),
    ]
    return [await footprint(label, toolsets) for label, toolsets in sets]


def print_breakdown(footprints: list[Footprint]) -> None:
    header = (
        "tools/list of",
        "model sees",
        "~tokens",
        "descriptions",
        "input schemas",
        "wire: tools",
        "bytes",
        "output schemas",
    )
    lines = [header] + [
        (
            f.label,
            str(f.model_tools),
            f"{f.model_tokens:,}",
            f"{_tokens(f.description_chars):,}",
            f"{_tokens(f.input_schema_chars):,}",
            str(f.tools),
            f"{f.bytes:,}",
            f"{_tokens(f.output_schema_chars):,}",
        )
        for f in footprints
    ]
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    for n, line in enumerate(lines):
        numbers = (cell.rjust(width) for cell, width in zip(line[1:], widths[1:], strict=True))
        cells = [line[0].ljust(widths[0]), *numbers]
        print("  ".join(cells))
        if n == 0:
            print("  ".join("-" * width for width in widths))
    print(
        "(model sees: the tools offered to the model, their name, title, description, input schema and annotations;"
        " wire: every tool, app-only ones included, with output schemas and _meta; sizes in ~tokens of 4 characters)"
    )


def _tools(count: int) -> str:
    return f"{count} tool" if count == 1 else f"{count} tools"


def rows(footprints: list[Footprint]) -> list[Row]:
    default = footprints[0]
    every = footprints[-1]
    return [
        Row(
            what=f"tools/list, default toolsets: what the model reads ({_tools(default.model_tools)})",
            figure=f"{default.model_tokens:,} tokens",
            baseline=f"{every.model_tokens:,} tokens (all {_tools(every.model_tools)})",
            ratio=f"{default.model_tokens / every.model_tokens:.2f}x",
            target=f"<= {TARGET_TOKENS:,} tokens",
            met=default.model_tokens <= TARGET_TOKENS,
        ),
        Row(
            what=f"  same, wire size of tools/list ({_tools(default.tools)}, output schemas included)",
            figure=f"{default.bytes:,} B (~{default.wire_tokens:,} tokens)",
            baseline=f"{every.bytes:,} B (all {_tools(every.tools)})",
            ratio=f"{default.bytes / every.bytes:.2f}x",
            target="—",
            met=None,
        ),
        *(
            Row(
                what=f"  {f.label}: model reads ({_tools(f.model_tools)}) / wire",
                figure=f"{f.model_tokens:,} tokens / {f.bytes:,} B",
                baseline="—",
                ratio="—",
                target="—",
                met=None,
            )
            for f in footprints[1:-1]
        ),
    ]


def run() -> list[Row]:
    return rows(anyio.run(measure))


def main() -> int:
    footprints = anyio.run(measure)
    print_breakdown(footprints)
    print()
    return report(rows(footprints))


if __name__ == "__main__":
    sys.exit(main())
