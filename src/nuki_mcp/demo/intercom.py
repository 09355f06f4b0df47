"""A slice of Nuki's public Opener intercom database (`/opener/brand`, `/opener/intercom`).

The real database lists hundreds of models; the demo knows a few per brand, enough to pick a model
and read its wiring. Names are real brands; the wiring values are illustrative.
"""

from __future__ import annotations

from nuki_mcp.nuki.models import OpenerIntercomBrand, OpenerIntercomModel

VERIFIED, MAY_BE_COMPATIBLE, NOT_COMPATIBLE = 1, 2, 3
ANALOGUE, DIGITAL = 1, 2  # the model `type` as the demo uses it

BRANDS: tuple[OpenerIntercomBrand, ...] = (
    OpenerIntercomBrand(brand_id=1, brand="Siedle"),
    OpenerIntercomBrand(brand_id=2, brand="Ritto"),
    OpenerIntercomBrand(brand_id=3, brand="Urmet"),
    OpenerIntercomBrand(brand_id=4, brand="Comelit"),
    OpenerIntercomBrand(brand_id=5, brand="Bticino"),
)


def _model(
    intercom_id: int, brand_id: int, model: str, kind: int, verified: int, bus_mode: int = 0
) -> OpenerIntercomModel:
    analogue = kind == ANALOGUE
    return OpenerIntercomModel(
        intercom_id=intercom_id,
        brand_id=brand_id,
        type=kind,
        model=model,
        verified=verified,
        con_gnd_bus="" if analogue else "b",
        con_bus_audio="" if analogue else "a",
        con_audioout="",
        con_doorbell_plus="7" if analogue else "",
        con_doorbell_minus="1" if analogue else "",
        con_opendoor="15" if analogue else "",
        con_gnd_analogue="1" if analogue else "",
        bus_mode_switch=bus_mode,
        bus_mode_switch_short_circuit_duration=0 if bus_mode == 0 else 2,
    )


MODELS: tuple[OpenerIntercomModel, ...] = (
    _model(101, 1, "HTS 811", DIGITAL, VERIFIED),
    _model(102, 1, "HTA 711", ANALOGUE, VERIFIED),
    _model(103, 1, "BTS 850", DIGITAL, MAY_BE_COMPATIBLE, bus_mode=1),
    _model(201, 2, "Twinbus 7630", DIGITAL, VERIFIED),
    _model(202, 2, "Acero 1763", ANALOGUE, NOT_COMPATIBLE),
    _model(301, 3, "Mod. 1131", DIGITAL, MAY_BE_COMPATIBLE),
    _model(401, 4, "Mini 6721", ANALOGUE, VERIFIED),
    _model(501, 5, "Classe 100", DIGITAL, VERIFIED, bus_mode=1),
)
