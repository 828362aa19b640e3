"""switch: the soft PBX model. Pure and deterministic: operations and `now` in, events out.

No sockets, no clock reads, no trio. Events are the protocol's own event values
(protocol.messages), each addressed to the DN in its ThisDN; the T-Server core stamps and
delivers them.
"""

from __future__ import annotations

from switch.calls import Call, Party, PartyInput, PartyState, SwitchError
from switch.config import ConfigError, SwitchConfig
from switch.pbx import Switch

__all__ = [
    "Call",
    "ConfigError",
    "Party",
    "PartyInput",
    "PartyState",
    "Switch",
    "SwitchConfig",
    "SwitchError",
]
