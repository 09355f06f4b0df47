"""The official MCP conformance suite against `nuki-mcp --demo --transport http`.

Every server scenario of the pinned `@modelcontextprotocol/conformance` is either APPLICABLE (run once per
dated protocol revision it covers, every check must pass) or EXCLUDED with the reason it cannot apply to a
product server. A scenario the suite adds in a new version fails this script until it is classified, so a
version bump cannot silently shrink the coverage.

Run from the repository root: `python -m scripts.mcp_conformance` (or `make conformance`).
"""

from __future__ import annotations

import re
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

from pydantic import BaseModel, ConfigDict, TypeAdapter

from scripts.demo_server import RunningServer, demo_http_server
from scripts.node_tools import (
    CheckFailed,
    child_env,
    last_lines,
    node_executable,
    package_bin,
    package_version,
    require_node,
    run_bounded,
)

PACKAGE: Final = "@modelcontextprotocol/conformance"
SCENARIO_TIMEOUT_MS: Final = 30_000
RUN_TIMEOUT: Final = 120.0
WORKERS: Final = 3

# Scenarios that test what nuki-mcp itself does. Each runs at every dated revision the suite lists for it.
APPLICABLE: Final = frozenset(
    {
        "server-initialize",
        "server-session-lifecycle",
        "server-stateless",
        "ping",
        "tools-list",
        "resources-list",
        "prompts-list",
        "server-sse-multiple-streams",
        "dns-rebinding-protection",
        "sep-2164-resource-not-found",
        "caching",
        "http-header-validation",
        "input-required-result-unsupported-methods",
    }
)

_FIXTURE = "calls the suite's fixture {}, which only its reference test server has; nuki-mcp has no such {}"
_VACUOUS = " (the unknown-tool error's text would make it 'pass' without testing anything)"
_MRTR = _FIXTURE.format("tool test_input_required_result_*", "tool") + (
    "; nuki-mcp's own confirmations use input_required through its real write tools, covered by pytest"
)
_TASKS = "the io.modelcontextprotocol/tasks extension (SEP-2663), optional and not offered by nuki-mcp"
_SKILLS = "the io.modelcontextprotocol/skills extension (SEP-2640), not offered: every check is SKIPPED"

EXCLUDED: Final[dict[str, str]] = {
    "logging-set-level": "needs the `logging` capability; nuki-mcp logs to stderr only and does not declare it "
    "(logging/setLevel is removed in 2026-07-28)",
    "tools-call-with-logging": _FIXTURE.format("tool test_tool_with_logging", "tool")
    + " and needs the undeclared `logging` capability",
    "completion-complete": "needs the `completions` capability for the fixture prompt test_prompt_with_arguments; "
    "nuki-mcp's prompts take no arguments and it declares no completions",
    "resources-subscribe": "needs resources.subscribe; nuki-mcp declares subscribe: false",
    "resources-unsubscribe": "needs resources.subscribe; nuki-mcp declares subscribe: false",
    "tools-call-simple-text": _FIXTURE.format("tool test_simple_text", "tool") + _VACUOUS,
    "tools-call-error": _FIXTURE.format("tool test_error_handling", "tool") + _VACUOUS,
    "tools-call-image": _FIXTURE.format("tool test_image_content", "tool"),
    "tools-call-audio": _FIXTURE.format("tool test_audio_content", "tool"),
    "tools-call-embedded-resource": _FIXTURE.format("tool test_embedded_resource", "tool"),
    "tools-call-mixed-content": _FIXTURE.format("tool test_multiple_content_types", "tool"),
    "tools-call-with-progress": _FIXTURE.format("tool test_tool_with_progress", "tool"),
    "tools-call-sampling": _FIXTURE.format("tool test_sampling", "tool"),
    "tools-call-elicitation": _FIXTURE.format("tool test_elicitation", "tool"),
    "elicitation-sep1034-defaults": _FIXTURE.format("tool test_elicitation_sep1034_defaults", "tool"),
    "elicitation-sep1330-enums": _FIXTURE.format("tool test_elicitation_sep1330_enums", "tool"),
    "json-schema-2020-12": _FIXTURE.format("tool json_schema_2020_12_tool", "tool")
    + " (pending upstream); nuki-mcp's own schemas are checked against JSON Schema 2020-12 by pytest",
    "server-sse-polling": _FIXTURE.format("tool test_reconnection", "tool") + " (pending upstream)",
    "resources-read-text": _FIXTURE.format("resource test://static-text", "resource"),
    "resources-read-binary": _FIXTURE.format("resource test://static-binary", "resource"),
    "resources-templates-read": _FIXTURE.format("template test://template/{id}/data", "template"),
    "prompts-get-simple": _FIXTURE.format("prompt test_simple_prompt", "prompt"),
    "prompts-get-with-args": _FIXTURE.format("prompt test_prompt_with_arguments", "prompt"),
    "prompts-get-embedded-resource": _FIXTURE.format("prompt test_prompt_with_embedded_resource", "prompt"),
    "prompts-get-with-image": _FIXTURE.format("prompt test_prompt_with_image", "prompt"),
    "http-custom-header-server-validation": "needs a tool whose input schema declares x-mcp-header parameters "
    "(SEP-2243, pending upstream); nuki-mcp has none",
    **{
        f"input-required-result-{name}": _MRTR
        for name in (
            "basic-elicitation",
            "basic-sampling",
            "basic-list-roots",
            "request-state",
            "multiple-input-requests",
            "multi-round",
            "missing-input-response",
            "non-tool-request",
            "result-type",
            "tampered-state",
            "capability-check",
            "ignore-extra-params",
            "validate-input",
        )
    },
    **{
        f"tasks-{name}": _TASKS
        for name in (
            "lifecycle",
            "capability-negotiation",
            "wire-fields",
            "request-state-removal",
            "mrtr-input",
            "request-headers",
            "dispatch-and-envelope",
            "status-notifications",
            "required-task-error",
            "mrtr-composition",
        )
    },
    **{f"sep-2640-skills-{name}": _SKILLS for name in ("directory", "enumeration", "manifest")},
}

# Single checks inside an APPLICABLE scenario that need a fixture; every other check of it must pass.
EXCUSED_CHECKS: Final[dict[tuple[str, str], str]] = {
    ("server-stateless", "sep-2575-server-rejects-undeclared-capability"): _FIXTURE.format(
        "tool test_missing_capability (it needs sampling)", "tool"
    ),
    ("server-stateless", "sep-2575-missing-capability-http-400"): _FIXTURE.format(
        "tool test_missing_capability", "tool"
    ),
}

Status = Literal["SUCCESS", "FAILURE", "WARNING", "INFO", "SKIPPED"]
_SCENARIO_LINE: Final = re.compile(r"^\s*-\s+(\S+)\s+\[([^\]]*)\]\s*$")
_DATED: Final = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Check(BaseModel):
    model_config = ConfigDict(extra="ignore")

    id: str
    status: str
    description: str = ""
    errorMessage: str | None = None


_CHECKS: Final = TypeAdapter(list[Check])


@dataclass(frozen=True)
class Run:
    scenario: str
    revision: str


@dataclass
class Outcome:
    run: Run
    seconds: float
    passed: int = 0
    excused: list[Check] = field(default_factory=list[Check])
    warnings: list[Check] = field(default_factory=list[Check])
    problems: list[str] = field(default_factory=list[str])

    @property
    def ok(self) -> bool:
        return not self.problems


def list_server_scenarios(cli: Path) -> dict[str, list[str]]:
    """Scenario name -> the revisions (and tags) the suite lists it for, from `conformance list --server`."""
    completed = run_bounded(
        [str(node_executable()), str(cli), "list", "--server"], timeout=RUN_TIMEOUT, env=child_env()
    )
    if completed.returncode != 0:
        raise CheckFailed(f"{completed.describe()}\n{last_lines(completed.stderr or completed.stdout)}")
    scenarios: dict[str, list[str]] = {}
    for line in completed.stdout.splitlines():
        match = _SCENARIO_LINE.match(line)
        if match:
            scenarios[match.group(1)] = [tag.strip() for tag in match.group(2).split(",") if tag.strip()]
    if not scenarios:
        raise CheckFailed(f"`conformance list --server` listed no scenarios:\n{last_lines(completed.stdout)}")
    return scenarios


def classification_problems(listed: dict[str, list[str]]) -> list[str]:
    problems: list[str] = []
    both = APPLICABLE & EXCLUDED.keys()
    problems += [f"{name}: both APPLICABLE and EXCLUDED" for name in sorted(both)]
    unknown = listed.keys() - APPLICABLE - EXCLUDED.keys()
    problems += [f"{name}: new in the suite; classify it as APPLICABLE or EXCLUDED" for name in sorted(unknown)]
    gone = (APPLICABLE | EXCLUDED.keys()) - listed.keys()
    problems += [f"{name}: no longer in the suite; remove it from this script" for name in sorted(gone)]
    for name in sorted(APPLICABLE & listed.keys()):
        if not any(_DATED.match(tag) for tag in listed[name]):
            problems += [f"{name}: listed for no dated revision ({', '.join(listed[name])})"]
    return problems


def run_scenario(cli: Path, server: RunningServer, run: Run, results: Path) -> Outcome:
    output = results / f"{run.scenario}@{run.revision}"
    command = [
        str(node_executable()),
        str(cli),
        "server",
        "--url",
        server.url,
        "--scenario",
        run.scenario,
        "--spec-version",
        run.revision,
        "--timeout",
        str(SCENARIO_TIMEOUT_MS),
        "--output-dir",
        str(output),
    ]
    started = time.monotonic()
    try:
        completed = run_bounded(command, timeout=RUN_TIMEOUT, env=child_env())
    except CheckFailed as exc:
        return Outcome(run, time.monotonic() - started, problems=[str(exc)])
    outcome = Outcome(run, completed.seconds)
    found = sorted(output.rglob("checks.json"))
    if len(found) != 1:
        outcome.problems.append(
            f"{completed.describe()} and wrote {len(found)} checks.json files, expected 1.\n"
            f"{last_lines(completed.stderr or completed.stdout)}"
        )
        return outcome
    for check in _CHECKS.validate_json(found[0].read_bytes()):
        judge(outcome, check)
    if outcome.passed == 0 and outcome.ok:
        outcome.problems.append("no check passed: the scenario proved nothing")
    return outcome


def judge(outcome: Outcome, check: Check) -> None:
    excuse = EXCUSED_CHECKS.get((outcome.run.scenario, check.id))
    if check.status == "SUCCESS":
        outcome.passed += 1
        if excuse is not None:
            outcome.problems.append(f"{check.id} passes now: remove its entry from EXCUSED_CHECKS")
    elif check.status == "FAILURE" and excuse is not None:
        outcome.excused.append(check)
    elif check.status == "WARNING":
        outcome.warnings.append(check)
    elif check.status not in ("INFO", "SKIPPED"):
        outcome.problems.append(f"{check.status} {check.id}: {check.errorMessage or check.description}")


def report(outcomes: Sequence[Outcome]) -> None:
    width = max(len(f"{o.run.scenario} @ {o.run.revision}") for o in outcomes)
    for outcome in outcomes:
        label = f"{outcome.run.scenario} @ {outcome.run.revision}".ljust(width)
        notes = [f"{outcome.passed} check{'' if outcome.passed == 1 else 's'} passed"]
        notes += [f"{len(outcome.excused)} excused"] if outcome.excused else []
        notes += [f"{len(outcome.warnings)} warnings"] if outcome.warnings else []
        print(f"  {'PASS' if outcome.ok else 'FAIL'}  {label}  {', '.join(notes)}  ({outcome.seconds:.1f} s)")
        for problem in outcome.problems:
            print("        " + problem.replace("\n", "\n        "))
        for check in outcome.excused:
            print(f"        excused {check.id}: {EXCUSED_CHECKS[(outcome.run.scenario, check.id)]}")
        for check in outcome.warnings:
            print(f"        warning {check.id}: {check.errorMessage or check.description}")


def run_suite(cli: Path, title: str, runs: Sequence[Run]) -> list[Outcome]:
    with (
        tempfile.TemporaryDirectory(prefix="nuki-mcp-conformance-") as tmp,
        demo_http_server(Path(tmp) / "server.log") as server,
    ):
        print(f"{title} against {server.url}")

        def one(run: Run) -> Outcome:
            return run_scenario(cli, server, run, Path(tmp))

        with ThreadPoolExecutor(max_workers=WORKERS) as pool:
            outcomes = list(pool.map(one, runs))
        report(outcomes)
        if not all(outcome.ok for outcome in outcomes):
            print(f"\nServer log (last lines):\n{server.log_tail(40)}")
    return outcomes


def main() -> int:
    started = time.monotonic()
    try:
        node = require_node()
        cli = package_bin(PACKAGE, "conformance")
        listed = list_server_scenarios(cli)
        problems = classification_problems(listed)
        if problems:
            raise CheckFailed("the scenario classification is out of date:\n  " + "\n  ".join(problems))
        runs = [Run(name, tag) for name in sorted(APPLICABLE) for tag in listed[name] if _DATED.match(tag)]
        title = f"MCP conformance suite {PACKAGE}@{package_version(PACKAGE)} (Node {node})"
        outcomes = run_suite(cli, title, runs)
    except CheckFailed as exc:
        print(f"conformance: FAILED: {exc}", file=sys.stderr)
        return 1
    failed = [f"{o.run.scenario}@{o.run.revision}" for o in outcomes if not o.ok]
    print(
        f"conformance: {len(outcomes) - len(failed)} of {len(outcomes)} runs passed "
        f"({len(APPLICABLE)} scenarios x their protocol revisions); {len(EXCLUDED)} scenarios excluded as not "
        f"applicable (reasons in scripts/mcp_conformance.py); {time.monotonic() - started:.1f} s"
    )
    if failed:
        print(f"conformance: FAILED: {', '.join(failed)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
