"""The `nuki-mcp` command: serve MCP on stdio or Streamable HTTP, `check` the API token, or `audit`.

Settings problems and bad flags are one line on stderr and exit code 2, never a traceback. Logs go to
stderr; on stdio, stdout belongs to the protocol and nothing else is written to it.

`check` and `audit` share their exit codes (`EXIT_CODES_HELP`, shown in the help of both). A
`NUKI_DEVICES` entry that names no device or several is a warning when serving and exit code 2 for
`check` and `audit`: an allow-list that silently allows less (or more) than meant is a setting to fix.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import sys
from collections.abc import Generator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Literal, NoReturn

import anyio

from nuki_mcp import __version__
from nuki_mcp.audit import SEVERITIES, Severity
from nuki_mcp.config import CliOverrides, Settings, SettingsError, load_settings
from nuki_mcp.http_app import (
    DEFAULT_HOST,
    DEFAULT_PORT,
    bind_listeners,
    build_http_app,
    check_http_settings,
    endpoint_url,
    is_loopback,
)

if TYPE_CHECKING:
    from nuki_mcp.nuki.client import NukiClient
    from nuki_mcp.shared_state import SharedState

EXIT_OK = 0
EXIT_FAILED = 1
EXIT_USAGE = 2
EXIT_CODES_HELP = (
    f"Exit codes of check and audit: {EXIT_OK} all is well; {EXIT_FAILED} the answer is no: Nuki rejects "
    "the token (check) or there is at least one critical finding, even one --min-severity hides (audit); "
    f"{EXIT_USAGE} it could not run as configured: a bad flag or setting, a NUKI_DEVICES entry that names no "
    "device or several, or Nuki unreachable or failing (audit: also rejecting the token)."
)

logger = logging.getLogger("nuki_mcp")

Command = Literal["serve", "check", "audit"]
TransportName = Literal["stdio", "http"]


class UsageError(Exception):
    """A bad command line; the message is one line."""


class _ArgumentParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(message)


@dataclass(frozen=True)
class CliArgs:
    command: Command
    transport: TransportName
    host: str
    port: int
    overrides: CliOverrides
    json_output: bool = False
    min_severity: Severity = "info"


def _port(raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a port number, not {raw!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"must be between 1 and 65535, not {port}")
    return port


def _add_settings_flags(parser: argparse.ArgumentParser) -> None:
    # SUPPRESS: a flag not given leaves no attribute, so `nuki-mcp --demo check` and
    # `nuki-mcp check --demo` both work (a subcommand's defaults would otherwise overwrite).
    omit = argparse.SUPPRESS
    parser.add_argument("--demo", action="store_true", default=omit, help="use the built-in simulated Nuki account")
    parser.add_argument("--api-url", metavar="URL", default=omit, help="Nuki Web API base URL (NUKI_API_URL)")
    parser.add_argument(
        "--toolsets", metavar="LIST", default=omit, help="comma list of toolsets, or 'all' (NUKI_TOOLSETS)"
    )
    parser.add_argument("--read-only", action="store_true", default=omit, help="hide and refuse writes")
    parser.add_argument("--devices", metavar="LIST", default=omit, help="allow-list of device ids or names")
    parser.add_argument(
        "--confirm", choices=("auto", "elicit", "passkey", "off"), default=omit, help="confirmation of writes"
    )
    parser.add_argument("--audit-log", metavar="PATH", default=omit, help="JSONL audit trail, or '-' for none")
    parser.add_argument("--timeout", metavar="SECONDS", default=omit, help="seconds per Nuki API request")
    parser.add_argument("--approval-port", metavar="PORT", default=omit, help="passkey approval page port (0: free)")
    parser.add_argument("--approval-wait", metavar="SECONDS", default=omit, help="seconds a write waits for approval")


def build_parser() -> argparse.ArgumentParser:
    parser = _ArgumentParser(
        prog="nuki-mcp",
        description="MCP server for Nuki smart locks, Openers and Smart Doors (Nuki Web API).",
    )
    parser.add_argument("--version", action="version", version=f"nuki-mcp {__version__}")
    _add_settings_flags(parser)
    parser.add_argument("--transport", choices=("stdio", "http"), default="stdio", help="default: stdio")
    parser.add_argument("--host", default=DEFAULT_HOST, help=f"HTTP bind address (default {DEFAULT_HOST})")
    parser.add_argument("--port", type=_port, default=DEFAULT_PORT, help=f"HTTP port (default {DEFAULT_PORT})")
    parser.add_argument(
        "--allowed-hosts",
        metavar="LIST",
        default=argparse.SUPPRESS,
        help="host names clients use to reach a non-loopback bind (NUKI_MCP_ALLOWED_HOSTS)",
    )
    parser.add_argument(
        "--public-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="remote mode: the https URL clients reach this server at; OAuth sign-in (NUKI_MCP_PUBLIC_URL)",
    )
    parser.add_argument(
        "--forwarded-allow-ips",
        metavar="LIST",
        default=argparse.SUPPRESS,
        help="reverse proxies whose X-Forwarded-* headers are trusted (NUKI_MCP_FORWARDED_ALLOW_IPS)",
    )
    commands = parser.add_subparsers(dest="command", metavar="{check,audit,passkey}")
    check = commands.add_parser(
        "check",
        help="verify the API token and show what its scopes allow",
        description="Verify the API token, show whose account it is, how many devices NUKI_DEVICES lets "
        "through, and which toolsets the token's scopes allow.",
        epilog=EXIT_CODES_HELP,
    )
    _add_settings_flags(check)
    audit = commands.add_parser(
        "audit",
        help="audit the configuration of every device; exit 1 if anything is critical",
        description="Audit the configuration of the Nuki devices (within NUKI_DEVICES) and their authorizations.",
        epilog=EXIT_CODES_HELP,
    )
    _add_settings_flags(audit)
    commands.add_parser("passkey", help="enrol and manage passkeys for approvals (nuki-mcp passkey --help)")
    audit.add_argument("--json", action="store_true", dest="json_output", help="print the report as JSON")
    audit.add_argument(
        "--min-severity",
        choices=SEVERITIES,
        default="info",
        help="list only findings of this severity or worse (default: info, i.e. all)",
    )
    return parser


def parse_args(argv: Sequence[str] | None = None) -> CliArgs:
    """Parse the command line; raises `UsageError` with one line on a bad one."""
    namespace = build_parser().parse_args(argv)

    def text(name: str) -> str | None:
        value: object = getattr(namespace, name, None)
        return value if isinstance(value, str) else None

    def flag(name: str) -> bool:
        return getattr(namespace, name, False) is True

    transport = "http" if text("transport") == "http" else "stdio"
    port: object = getattr(namespace, "port", DEFAULT_PORT)
    command: Command = "serve"
    if text("command") == "check":
        command = "check"
    elif text("command") == "audit":
        command = "audit"
    elif text("command") == "passkey":
        raise UsageError("passkey must come first: nuki-mcp passkey add|list|remove (see nuki-mcp passkey --help)")
    min_severity: Severity = "info"
    for severity in SEVERITIES:
        if text("min_severity") == severity:
            min_severity = severity
    return CliArgs(
        command=command,
        transport=transport,
        host=text("host") or DEFAULT_HOST,
        port=port if isinstance(port, int) else DEFAULT_PORT,
        overrides=CliOverrides(
            api_url=text("api_url"),
            toolsets=text("toolsets"),
            read_only=True if flag("read_only") else None,
            devices=text("devices"),
            confirm=text("confirm"),
            audit_log=text("audit_log"),
            timeout=text("timeout"),
            allowed_hosts=text("allowed_hosts"),
            approval_port=text("approval_port"),
            approval_wait=text("approval_wait"),
            public_url=text("public_url"),
            forwarded_allow_ips=text("forwarded_allow_ips"),
            demo=flag("demo"),
        ),
        json_output=flag("json_output"),
        min_severity=min_severity,
    )


def configure_logging(level: int = logging.INFO) -> None:
    logging.basicConfig(stream=sys.stderr, level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    # At INFO, httpx2 logs every request URL including its query string; uvicorn (the approval page and
    # the HTTP transport) announces starting and stopping, which nuki-mcp says itself where it matters.
    # uvicorn's access log would also write query strings, such as the code of Nuki's sign-in callback.
    for name in ("httpx2", "httpcore2", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).setLevel(logging.WARNING)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nuki-mcp` console script; returns the exit code."""
    argv = sys.argv[1:] if argv is None else argv
    if list(argv[:1]) == ["passkey"]:
        from nuki_mcp.cli_passkey import passkey_main

        return passkey_main(argv[1:])
    try:
        args = parse_args(argv)
        settings = load_settings(flags=args.overrides)
        _check_per_user_sign_in(settings, args)
        if args.command == "serve" and settings.confirm == "passkey":
            from nuki_mcp.cli_passkey import check_passkey_enrolled

            check_passkey_enrolled(settings.redis_url.get_secret_value() if settings.redis_url else None)
        if args.command == "check":
            configure_logging()
            return _check(settings)
        if args.command == "audit":
            configure_logging(logging.WARNING)  # stderr stays quiet for cron: only problems
            return _audit(settings, as_json=args.json_output, min_severity=args.min_severity)
        if args.transport == "http":
            check_http_settings(settings, args.host)
        configure_logging()
        if args.transport == "http":
            _serve_http(settings, args.host, args.port)
        else:
            _warn_about_allow_list(settings)
            _serve_stdio(settings)
    except (UsageError, SettingsError) as exc:
        _fail(str(exc))
        return EXIT_USAGE
    except KeyboardInterrupt:
        return EXIT_OK
    return EXIT_OK


def _check_per_user_sign_in(settings: Settings, args: CliArgs) -> None:
    """NUKI_OAUTH_CLIENT_ID signs people in to Nuki on the authorization page of remote mode, and only there."""
    if settings.nuki_oauth_client_id is None:
        return
    if settings.demo:
        raise SettingsError(
            "Per-user Nuki sign-in (NUKI_OAUTH_CLIENT_ID) needs the real Nuki, not --demo; drop --demo, or unset "
            "NUKI_OAUTH_CLIENT_ID and NUKI_OAUTH_CLIENT_SECRET to try the simulated account."
        )
    remote = args.command == "serve" and args.transport == "http" and settings.public_url is not None
    if not remote and settings.api_token is None:
        raise SettingsError(
            "Per-user Nuki sign-in (NUKI_OAUTH_CLIENT_ID) works only in remote mode (--transport http --public-url "
            "https://…); set NUKI_API_TOKEN for this command, or run the server in remote mode."
        )


def _fail(message: str) -> None:
    sys.stderr.write(f"nuki-mcp: error: {' '.join(message.split())}\n")
    sys.stderr.flush()


@contextmanager
def _starting_up() -> Generator[None]:
    """No cyclic garbage collection while the server is built; what was built is then frozen.

    Start-up creates some 160,000 long-lived objects (the SDK's and nuki-mcp's modules, models, schemas
    and tools). With the collector on, it walks them over and over while they are being made: a full
    collection alone takes about 100 ms on a 2-core VM, most of what start-up spends beyond the SDK's
    floor. Afterwards they move to the permanent generation (`gc.freeze`), so later collections skip
    them as well; the few thousand temporary objects start-up left in cycles stay allocated (once).
    """
    gc.disable()
    try:
        yield
    finally:
        gc.freeze()
        gc.enable()


def _serve_stdio(settings: Settings) -> None:
    with _starting_up():
        from nuki_mcp.server import create_server

        server = create_server(settings)
    logger.info("Serving MCP on stdio%s", " (demo account)" if settings.demo else "")
    anyio.run(server.run_stdio_async)


def _serve_http(settings: Settings, host: str, port: int) -> None:
    shared = _shared_state(settings)
    # Bound here, before any banner: a port in use is one line and exit code 2, not a uvicorn traceback.
    listeners = bind_listeners(host, port)
    try:
        with _starting_up():
            import uvicorn

            from nuki_mcp.server import create_server

            server = create_server(settings, shared=shared)
            app = build_http_app(server, settings, host, shared=shared, port=port, approvals=server.guard.approvals)
        _warn_about_allow_list(settings)
        shown = host if is_loopback(host) or not settings.allowed_hosts else settings.allowed_hosts[0]
        url = endpoint_url(shown, port)
        if settings.demo:
            sys.stderr.write(demo_help(url, auth=settings.mcp_auth_token is not None))
            sys.stderr.flush()
        logger.info("Serving MCP over Streamable HTTP at %s", url)
        if settings.public_url is not None:
            logger.info("Remote mode: OAuth sign-in at %s (shared state: %s)", settings.public_url, shared.where)
            if settings.nuki_oauth_client_id is not None:
                logger.info(
                    "Per-user Nuki sign-in: register %s/nuki/callback as the redirect URI of Nuki OAuth client %s",
                    settings.public_url,
                    settings.nuki_oauth_client_id,
                )
        forwarded = ",".join(settings.forwarded_allow_ips) or None
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_config=None,
            lifespan="on",
            timeout_graceful_shutdown=5,
            proxy_headers=forwarded is not None,
            forwarded_allow_ips=forwarded,
        )
        uvicorn.Server(config).run(sockets=listeners)
    finally:
        for listener in listeners:
            listener.close()


def _shared_state(settings: Settings) -> SharedState:
    """Redis when NUKI_MCP_REDIS_URL is set (one line and exit 2 when it cannot be reached), else memory."""
    from nuki_mcp.clock import SystemClock
    from nuki_mcp.shared_state import memory_shared_state

    if settings.redis_url is None:
        return memory_shared_state(SystemClock())
    import redis

    from nuki_mcp.shared_state.redis_state import redacted, redis_shared_state

    url = settings.redis_url.get_secret_value()
    try:
        return redis_shared_state(url)
    except redis.RedisError as exc:
        raise SettingsError(
            f"Cannot reach Redis at {redacted(url)} ({exc}); check NUKI_MCP_REDIS_URL and that Redis is running."
        ) from None


def demo_help(url: str, *, auth: bool) -> str:
    """How to connect a client to the demo server: Inspector, Claude Code and Claude Desktop."""
    header = ' --header "Authorization: Bearer $NUKI_MCP_AUTH_TOKEN"' if auth else ""
    stdio_config = json.dumps({"mcpServers": {"nuki": {"command": _own_command(), "args": ["--demo"]}}})
    lines = [
        "",
        "nuki-mcp demo: a simulated Nuki account (locks, an Opener, users, codes, logs); no token, no hardware.",
        f"  MCP endpoint (Streamable HTTP): {url}",
        *(["  Every request needs the header Authorization: Bearer $NUKI_MCP_AUTH_TOKEN"] if auth else []),
        "",
        "Connect a client:",
        "  MCP Inspector (browser):  npx @modelcontextprotocol/inspector",
        f"                            then choose Transport 'Streamable HTTP' and URL {url}",
        f"  MCP Inspector (CLI):      npx -y @modelcontextprotocol/inspector --cli {url} --method tools/list",
        f"  Claude Code:              claude mcp add --transport http nuki {url}{header}",
        f"  Claude Code (stdio):      claude mcp add nuki -- {_own_command()} --demo",
        "  Claude Desktop (stdio), in claude_desktop_config.json:",
        f"    {stdio_config}",
        "",
        "Every change asks for confirmation in the client. Press Ctrl+C to stop.",
        "",
    ]
    return "\n".join(lines)


def _own_command() -> str:
    launched = Path(sys.argv[0])
    return str(launched.absolute()) if launched.name == "nuki-mcp" else "nuki-mcp"


def _nuki_client(settings: Settings, *, quick: bool = False) -> NukiClient:
    """A client for `check`, `audit` and the start-up checks; `quick`: one try, at most 5 s."""
    from nuki_mcp.nuki.client import NukiClient, RetryPolicy

    token = settings.api_token.get_secret_value() if settings.api_token is not None else ""
    transport = None
    if settings.demo:
        from nuki_mcp.demo import DEMO_TOKEN, NukiSimulator

        token, transport = DEMO_TOKEN, NukiSimulator().transport()
    timeout = min(settings.timeout, 5.0) if quick else settings.timeout
    retry = RetryPolicy(max_retries=0) if quick else None
    return NukiClient(token, base_url=settings.api_url, timeout=timeout, transport=transport, retry=retry)


def _warn_about_allow_list(settings: Settings) -> None:
    """Serving: say on stderr when a NUKI_DEVICES entry names no device or several (never stops the server).

    With per-user Nuki sign-in and no NUKI_API_TOKEN there is no account to check against before someone signs in.
    """
    if not settings.devices or (settings.api_token is None and not settings.demo):
        return
    from nuki_mcp.check import allow_list_problems
    from nuki_mcp.nuki.errors import NukiError

    async def run() -> None:
        async with _nuki_client(settings, quick=True) as client:
            try:
                devices = await client.list_smartlocks()
            except NukiError as exc:
                logger.warning("Could not check NUKI_DEVICES against the account: %s", exc)
                return
        for problem in allow_list_problems(settings.devices, devices):
            logger.warning("%s", problem)

    anyio.run(run)


def _check(settings: Settings) -> int:
    from nuki_mcp.check import check_token
    from nuki_mcp.nuki.errors import NukiError

    async def run() -> int:
        async with _nuki_client(settings) as client:
            try:
                report = await check_token(
                    client, api_url=settings.api_url, demo=settings.demo, allow_list=settings.devices
                )
            except NukiError as exc:
                _fail(str(exc))
                return EXIT_USAGE
        if not report.token_works:
            _fail(report.lines()[0])
            return EXIT_FAILED
        sys.stdout.write("\n".join(report.lines()) + "\n")
        sys.stdout.flush()
        return EXIT_USAGE if report.allow_list_problems else EXIT_OK

    return anyio.run(run)


def _audit(settings: Settings, *, as_json: bool, min_severity: Severity) -> int:
    from nuki_mcp.audit.collect import collect_audit
    from nuki_mcp.audit.render import render_json, render_text
    from nuki_mcp.check import allow_list_problems
    from nuki_mcp.clock import SystemClock
    from nuki_mcp.guard import DeviceAllowList
    from nuki_mcp.nuki.errors import NukiError

    clock = SystemClock()

    async def run() -> int:
        async with _nuki_client(settings) as c:
            try:
                problems = allow_list_problems(settings.devices, await c.list_smartlocks()) if settings.devices else []
                if problems:
                    for problem in problems:
                        _fail(problem)
                    return EXIT_USAGE  # an audit of other devices than meant would mislead
                report = await collect_audit(
                    c, now=clock.now(), allow_list=DeviceAllowList(settings.devices), min_severity=min_severity
                )
            except NukiError as exc:
                _fail(str(exc))
                return EXIT_USAGE  # 2: the audit could not run (1 means "critical findings")
        sys.stdout.write(render_json(report) if as_json else render_text(report, demo=settings.demo))
        sys.stdout.flush()
        return EXIT_FAILED if report.has_critical else EXIT_OK

    return anyio.run(run)


if __name__ == "__main__":
    sys.exit(main())
