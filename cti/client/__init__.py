"""The client side of ctiemu's protocol: `connection`, the sans-IO ClientConnection (bytes and
time in, answers and events out), and `library`, the trio client library built on it
(`open_client`, TClient). The names below are the library's public API (docs/client.md).
"""

from cti.client.connection import ClientConnection, Incoming, StreamBroken, Undecodable
from cti.client.library import (
    DEFAULT_RECONNECT_DELAYS,
    ConnectionLost,
    Connector,
    ReconnectHook,
    TClient,
    TServerError,
    open_client,
)

__all__ = [
    "DEFAULT_RECONNECT_DELAYS",
    "ClientConnection",
    "ConnectionLost",
    "Connector",
    "Incoming",
    "ReconnectHook",
    "StreamBroken",
    "TClient",
    "TServerError",
    "Undecodable",
    "open_client",
]
