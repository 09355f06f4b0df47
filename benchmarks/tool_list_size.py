"""Tool-list footprint: bytes and approximate tokens (4 characters each) of `tools/list`.

Measured for the default toolsets, for every toolset alone and for all of them, from the server
built in-process (`create_server`), serialized as the SDK puts it on the wire (camelCase, no nulls).
Names, titles, descriptions, input and output schemas and annotations all count; the table also
shows how much of it is descriptions, input schemas and output schemas. Target: the default set
at most 12,000 tokens.

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

TARGET_TOKENS = 12_000
CHARS_PER_TOKEN = 4


@dataclass(frozen=True)
class Footprint:
    label: str
    tools: int
    bytes: int
    chars: int
    description_chars: int
    input_schema_chars: int
    output_schema_chars: int

    @property
    def tokens(self) -> int:
        return round(self.chars / CHARS_PER_TOKEN)


def _chars(value: object) -> int:
    return len(json.dumps(value, separators=(",", ":"), ensure_ascii=False))


async def footprint(label: str, toolsets: frozenset[ToolsetName]) -> Footprint:
    server = create_server(Settings(demo=True, toolsets=toolsets, audit_log=None))
    tools: list[Tool] = await server.list_tools()
    wire = ListToolsResult(tools=tools).model_dump_json(by_alias=True, exclude_none=True)
    return Footprint(
        label=label,
        tools=len(tools),
        bytes=len(wire.encode()),
        chars=len(wire),
        description_chars=sum(len(t.description or "") for t in tools),
        input_schema_chars=sum(_chars(t.input_schema) for t in tools),
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
    header = ("tools/list of", "tools", "bytes", "~tokens", "descriptions", "input schemas", "output schemas")
    lines = [header] + [
        (
            f.label,
            str(f.tools),
            f"{f.bytes:,}",
            f"{f.tokens:,}",
            f"{round(f.description_chars / CHARS_PER_TOKEN):,}",
            f"{round(f.input_schema_chars / CHARS_PER_TOKEN):,}",
            f"{round(f.output_schema_chars / CHARS_PER_TOKEN):,}",
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
    print("(descriptions, input and output schemas in ~tokens; the rest is names, titles, annotations, JSON)")


def _tools(count: int) -> str:
    return f"{count} tool" if count == 1 else f"{count} tools"


def rows(footprints: list[Footprint]) -> list[Row]:
    default = footprints[0]
    every = footprints[-1]
    return [
        Row(
            what=f"tools/list, default toolsets ({_tools(default.tools)})",
            figure=f"{default.tokens:,} tokens ({default.bytes:,} B)",
            baseline=f"{every.tokens:,} tokens (all {_tools(every.tools)})",
            ratio=f"{default.tokens / every.tokens:.2f}x",
            target=f"<= {TARGET_TOKENS:,} tokens",
            met=default.tokens <= TARGET_TOKENS,
        ),
        *(
            Row(
                what=f"  {f.label} ({_tools(f.tools)})",
                figure=f"{f.tokens:,} tokens ({f.bytes:,} B)",
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
