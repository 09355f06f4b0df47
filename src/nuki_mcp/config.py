"""Settings from NUKI_* environment variables and command-line flags (flags win).

A missing or malformed setting raises `SettingsError` with one line a person can act on; the CLI
prints it and exits with code 2.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Literal, get_args

from pydantic import BaseModel, ConfigDict, Field, SecretStr

ToolsetName = Literal["devices", "actions", "config", "auths", "logs", "webhooks", "advanced", "account", "audit"]
ConfirmMode = Literal["auto", "elicit", "passkey", "off"]

ALL_TOOLSETS: tuple[ToolsetName, ...] = get_args(ToolsetName)
DEFAULT_TOOLSETS: frozenset[ToolsetName] = frozenset(t for t in ALL_TOOLSETS if t != "advanced")
_TOOLSET_BY_NAME: dict[str, ToolsetName] = {t: t for t in ALL_TOOLSETS}
DEFAULT_API_URL = "https://api.nuki.io"


class SettingsError(ValueError):
    """A setting is missing or malformed; the message is one line naming the variable or flag."""


class Settings(BaseModel):
    """Everything the server needs to know, already validated."""

    model_config = ConfigDict(frozen=True)

    api_token: SecretStr | None = None
    api_url: str = DEFAULT_API_URL
    toolsets: frozenset[ToolsetName] = DEFAULT_TOOLSETS
    read_only: bool = False
    devices: tuple[str, ...] = ()
    confirm: ConfirmMode = "auto"
    audit_log: Path | None = None
    timeout: float = Field(default=10.0, gt=0, le=120)
    mcp_auth_token: SecretStr | None = None
    allowed_hosts: tuple[str, ...] = ()
    demo: bool = False
    confirmation_ttl_s: float = 120.0
    approval_port: int = Field(default=0, ge=0, le=65535)
    approval_wait: float = Field(default=60.0, ge=0, le=3600)


class CliOverrides(BaseModel):
    """Flags given on the command line; None means "not given"."""

    api_url: str | None = None
    toolsets: str | None = None
    read_only: bool | None = None
    devices: str | None = None
    confirm: str | None = None
    audit_log: str | None = None
    timeout: str | None = None
    allowed_hosts: str | None = None
    approval_port: str | None = None
    approval_wait: str | None = None
    demo: bool = False


def default_audit_log_path(env: Mapping[str, str]) -> Path:
    """The audit trail's default home: the user's state directory."""
    if sys.platform == "win32":
        base = Path(env.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Application Support"
    else:
        base = Path(env.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    return base / "nuki-mcp" / "audit.jsonl"


def _parse_bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise SettingsError(f"{name} must be true or false, not {raw!r}.")


def _parse_toolsets(raw: str) -> frozenset[ToolsetName]:
    names = [part.strip().lower() for part in raw.split(",") if part.strip()]
    if not names:
        raise SettingsError("NUKI_TOOLSETS is empty; name at least one of: " + ", ".join(ALL_TOOLSETS) + ".")
    if names == ["all"]:
        return frozenset(ALL_TOOLSETS)
    chosen: set[ToolsetName] = set()
    for name in names:
        match = _TOOLSET_BY_NAME.get(name)
        if match is None:
            raise SettingsError(
                f"NUKI_TOOLSETS names an unknown toolset {name!r}; choose from: all, " + ", ".join(ALL_TOOLSETS) + "."
            )
        chosen.add(match)
    return frozenset(chosen)


def _parse_confirm(raw: str) -> ConfirmMode:
    value = raw.strip().lower()
    for mode in get_args(ConfirmMode):
        if value == mode:
            return mode
    raise SettingsError(f"NUKI_CONFIRM must be auto, elicit, passkey or off, not {raw!r}.")


def _parse_timeout(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        raise SettingsError(f"NUKI_TIMEOUT must be a number of seconds, not {raw!r}.") from None
    if not 0 < value <= 120:
        raise SettingsError(f"NUKI_TIMEOUT must be between 0 and 120 seconds, not {raw!r}.")
    return value


def _parse_approval_port(raw: str) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        value = -1
    if not 0 <= value <= 65535:
        raise SettingsError(f"NUKI_APPROVAL_PORT must be a port number (0 for a free one), not {raw!r}.")
    return value


def _parse_approval_wait(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not 0 <= value <= 3600:
        raise SettingsError(f"NUKI_APPROVAL_WAIT must be between 0 and 3600 seconds, not {raw!r}.")
    return value


def _parse_url(raw: str) -> str:
    value = raw.strip().rstrip("/")
    if not value.startswith(("https://", "http://")):
        raise SettingsError(f"NUKI_API_URL must start with https:// (or http:// for a local test server), not {raw!r}.")
    return value


def _parse_allowed_hosts(raw: str) -> tuple[str, ...]:
    hosts: list[str] = []
    for part in raw.split(","):
        host = part.strip().lower()
        if not host:
            continue
        if "/" in host or any(c.isspace() for c in host):
            raise SettingsError(
                "NUKI_MCP_ALLOWED_HOSTS takes host names such as mcp.example.com (no scheme or path), "
                f"not {part.strip()!r}."
            )
        hosts.append(host)
    return tuple(hosts)


def load_settings(env: Mapping[str, str] | None = None, flags: CliOverrides | None = None) -> Settings:
    """Build `Settings` from the environment and command-line flags, or raise `SettingsError`."""
    env = os.environ if env is None else env
    flags = flags or CliOverrides()

    def pick(flag: str | None, var: str) -> str | None:
        return flag if flag is not None else env.get(var)

    # --demo talks only to the built-in simulator: a real token is neither needed nor kept.
    token = "" if flags.demo else env.get("NUKI_API_TOKEN", "").strip()
    if not token and not flags.demo:
        raise SettingsError(
            "NUKI_API_TOKEN is not set; create an API token in Nuki Web (menu API) and set it, "
            "or try the simulated account with --demo."
        )
    api_url = pick(flags.api_url, "NUKI_API_URL")
    toolsets = pick(flags.toolsets, "NUKI_TOOLSETS")
    devices = pick(flags.devices, "NUKI_DEVICES")
    confirm = pick(flags.confirm, "NUKI_CONFIRM")
    audit_log = pick(flags.audit_log, "NUKI_AUDIT_LOG")
    timeout = pick(flags.timeout, "NUKI_TIMEOUT")
    read_only_raw = env.get("NUKI_READ_ONLY")
    read_only = flags.read_only or (read_only_raw is not None and _parse_bool("NUKI_READ_ONLY", read_only_raw))
    mcp_auth = env.get("NUKI_MCP_AUTH_TOKEN", "").strip()
    allowed_hosts = pick(flags.allowed_hosts, "NUKI_MCP_ALLOWED_HOSTS")
    approval_port = pick(flags.approval_port, "NUKI_APPROVAL_PORT")
    approval_wait = pick(flags.approval_wait, "NUKI_APPROVAL_WAIT")

    if audit_log is None:
        audit_path: Path | None = default_audit_log_path(env)
        if flags.demo:  # simulated writes must not mix with the audit trail of real doors
            audit_path = audit_path.with_name("demo-audit.jsonl")
    elif audit_log.strip() in {"-", ""}:
        audit_path = None
    else:
        audit_path = Path(audit_log.strip()).expanduser()

    return Settings(
        api_token=SecretStr(token) if token else None,
        api_url=_parse_url(api_url) if api_url else DEFAULT_API_URL,
        toolsets=_parse_toolsets(toolsets) if toolsets is not None else DEFAULT_TOOLSETS,
        read_only=read_only,
        devices=tuple(d.strip() for d in devices.split(",") if d.strip()) if devices else (),
        confirm=_parse_confirm(confirm) if confirm is not None else "auto",
        audit_log=audit_path,
        timeout=_parse_timeout(timeout) if timeout is not None else 10.0,
        mcp_auth_token=SecretStr(mcp_auth) if mcp_auth else None,
        allowed_hosts=_parse_allowed_hosts(allowed_hosts) if allowed_hosts else (),
        demo=flags.demo,
        approval_port=_parse_approval_port(approval_port) if approval_port is not None else 0,
        approval_wait=_parse_approval_wait(approval_wait) if approval_wait is not None else 60.0,
    )
