"""Large simulated accounts for the audit benchmarks: many flats, each a Smart Lock 4 with keypad codes."""

from __future__ import annotations

from nuki_mcp.demo import NukiSimulator
from nuki_mcp.nuki.models import Smartlock, SmartlockAdvancedConfig, SmartlockAuth, SmartlockConfig, SmartlockState

AUTHS_PER_DEVICE = 3
FIRST_ID = 0x4_1000_0000


def build_account(devices: int, *, latency: float = 0.0) -> tuple[NukiSimulator, list[int]]:
    """A simulator (no demo household) with `devices` flats of `AUTHS_PER_DEVICE` codes each, and their ids.

    A few flats have something to report (pairing on, auto-lock off, a weak battery, an unrestricted
    code), so the audit's rules have real findings to build. `latency` seconds before every answer.
    """
    sim = NukiSimulator(seed=False)
    ids: list[int] = []
    for number in range(devices):
        smartlock_id = FIRST_ID + number
        name = f"Flat {number + 1:04d}"
        sim.add_device(
            Smartlock(
                smartlock_id=smartlock_id,
                type=4,
                name=name,
                config=SmartlockConfig(name=name, pairing_enabled=number % 17 == 0),
                advanced_config=SmartlockAdvancedConfig(
                    auto_lock=number % 5 != 0, auto_lock_timeout=300, auto_update_enabled=True
                ),
                state=SmartlockState(
                    mode=2, state=1, battery_critical=number % 50 == 0, battery_charge=5 + number % 90, door_state=2
                ),
            )
        )
        for auth_number in range(AUTHS_PER_DEVICE):
            sim.add_auth(
                SmartlockAuth(
                    id=sim.new_object_id(),
                    smartlock_id=smartlock_id,
                    type=13,
                    code=111111 + auth_number,
                    name=f"Guest {auth_number + 1}",
                    lock_count=auth_number,
                    allowed_week_days=None if auth_number == 0 else 124,
                )
            )
        ids.append(smartlock_id)
    sim.latency = latency
    return sim, ids
