"""The built-in simulated Nuki account: a stateful fake of the Nuki Web API served as an httpx2
transport (no port), seeded with a realistic household. Used by `nuki-mcp --demo` and the tests.
"""

from nuki_mcp.demo.faults import Fault, RecordedRequest
from nuki_mcp.demo.simulator import DEMO_TOKEN, DeviceFields, NukiSimulator, StateFields

__all__ = ["DEMO_TOKEN", "DeviceFields", "Fault", "NukiSimulator", "RecordedRequest", "StateFields"]
