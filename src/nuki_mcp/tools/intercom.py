"""Toolset `intercom` (opt-in, read-only): Nuki's public database of intercoms an Opener can be wired to."""

from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Final

from mcp.server.mcpserver import Context, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from nuki_mcp.config import Settings
from nuki_mcp.context import AppState, app_state
from nuki_mcp.nuki.models import OpenerIntercomBrand, OpenerIntercomModel
from nuki_mcp.tools.common import READ, LimitArg, match_by_name, nuki_errors, register_tool

# Spec `OpenerIntercomModel.verified`.
_VERIFIED: Final[Mapping[int, str]] = MappingProxyType({1: "verified", 2: "may_be_compatible", 3: "not_compatible"})

BrandFilterArg = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=100, description="Only brands whose name contains this text."),
]
BrandArg = Annotated[
    str,
    Field(
        min_length=1,
        max_length=100,
        description="The intercom's brand: its name as list_intercom_brands shows it (a unique part is enough), "
        "or its brand_id.",
    ),
]
ModelFilterArg = Annotated[
    str | None,
    Field(default=None, min_length=1, max_length=100, description="Only models whose name contains this text."),
]


class IntercomBrandView(BaseModel):
    brand_id: int
    brand: str


class IntercomBrandList(BaseModel):
    brands: list[IntercomBrandView]
    total: int
    truncated: bool = Field(description="True when more matched than were returned (raise limit)")


class IntercomWiring(BaseModel):
    """Which intercom terminal each Opener wire goes to (empty: not connected)."""

    gnd_bus: str | None = None
    bus_audio: str | None = None
    audio_out: str | None = None
    doorbell_plus: str | None = None
    doorbell_minus: str | None = None
    open_door: str | None = None
    gnd_analogue: str | None = None


class IntercomModelView(BaseModel):
    intercom_id: int
    model: str
    compatibility: str = Field(description="verified, may_be_compatible or not_compatible with the Opener")
    type: int | None = Field(default=None, description="Nuki's model type code")
    bus_mode_switch: int | None = Field(default=None, description="The Opener's BUS mode switch setting")
    bus_mode_switch_short_circuit_duration: int | None = None
    wiring: IntercomWiring


class IntercomModelList(BaseModel):
    brand: IntercomBrandView
    models: list[IntercomModelView]
    total: int
    truncated: bool = Field(description="True when more matched than were returned (raise limit)")


def _match_brand(brands: list[OpenerIntercomBrand], wanted: str) -> OpenerIntercomBrand:
    key = wanted.strip()
    if key.isascii() and key.isdigit():
        by_id = [b for b in brands if b.brand_id == int(key)]
        if by_id:
            return by_id[0]
    found = match_by_name(brands, key, lambda b: b.brand, lambda b: b.brand, "intercom brands")
    if found is not None:
        return found
    raise ToolError(f"Nuki knows no intercom brand {wanted!r}; list_intercom_brands lists them.")


def _model_view(model: OpenerIntercomModel) -> IntercomModelView:
    verified = model.verified
    return IntercomModelView(
        intercom_id=model.intercom_id,
        model=model.model,
        compatibility="unknown" if verified is None else _VERIFIED.get(verified, f"unknown_{verified}"),
        type=model.type,
        bus_mode_switch=model.bus_mode_switch,
        bus_mode_switch_short_circuit_duration=model.bus_mode_switch_short_circuit_duration,
        wiring=IntercomWiring(
            gnd_bus=model.con_gnd_bus,
            bus_audio=model.con_bus_audio,
            audio_out=model.con_audioout,
            doorbell_plus=model.con_doorbell_plus,
            doorbell_minus=model.con_doorbell_minus,
            open_door=model.con_opendoor,
            gnd_analogue=model.con_gnd_analogue,
        ),
    )


def register(server: MCPServer[AppState], settings: Settings) -> None:
    @register_tool(server, title="List intercom brands", annotations=READ)
    @nuki_errors
    async def list_intercom_brands(
        ctx: Context[AppState], name: BrandFilterArg = None, limit: LimitArg = 50
    ) -> IntercomBrandList:
        """List the intercom brands in Nuki's Opener compatibility database, for setting up an
        Opener. Then call list_intercom_models with the brand."""
        brands = await app_state(ctx).client.list_intercom_brands()
        if name is not None:
            brands = [b for b in brands if name.strip().casefold() in b.brand.casefold()]
        return IntercomBrandList(
            brands=[IntercomBrandView(brand_id=b.brand_id, brand=b.brand) for b in brands[:limit]],
            total=len(brands),
            truncated=len(brands) > limit,
        )

    @register_tool(server, title="List intercom models", annotations=READ)
    @nuki_errors
    async def list_intercom_models(
        brand: BrandArg, ctx: Context[AppState], model: ModelFilterArg = None, limit: LimitArg = 50
    ) -> IntercomModelList:
        """List an intercom brand's models in Nuki's Opener database: whether each works with the
        Opener and how to wire it (which intercom terminal each Opener wire goes to)."""
        client = app_state(ctx).client
        found = _match_brand(await client.list_intercom_brands(), brand)
        models = await client.list_intercom_models(found.brand_id)
        if model is not None:
            models = [m for m in models if model.strip().casefold() in m.model.casefold()]
        return IntercomModelList(
            brand=IntercomBrandView(brand_id=found.brand_id, brand=found.brand),
            models=[_model_view(m) for m in models[:limit]],
            total=len(models),
            truncated=len(models) > limit,
        )
