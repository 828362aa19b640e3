"""protocol: the ctiemu CTI wire protocol, sans-IO.

The message catalogue (protocol.messages), its byte layout declared with construct
(protocol.wire), the fast codec (protocol.codec) and the incremental framer (protocol.framer).
No sockets, no clock, no trio: bytes and typed messages in, bytes and typed messages out.
"""

from __future__ import annotations

from protocol.codec import decode, encode
from protocol.enums import (
    AddressType,
    Attribute,
    CallState,
    CallType,
    DNRole,
    MakeCallType,
    MessageType,
    RegisterMode,
    ValueType,
)
from protocol.errors import ErrorCode, FrameError, MessageError, ProtocolError
from protocol.framer import Framer
from protocol.messages import (
    CATALOGUE,
    PROTOCOL_VERSION,
    CallEvent,
    Event,
    EventDestinationBusy,
    EventDialing,
    EventError,
    EventEstablished,
    EventRegistered,
    EventReleased,
    EventRinging,
    EventServerInfo,
    Message,
    Request,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import ConnID, KVList

__all__ = [
    "CATALOGUE",
    "PROTOCOL_VERSION",
    "AddressType",
    "Attribute",
    "CallEvent",
    "CallState",
    "CallType",
    "ConnID",
    "DNRole",
    "ErrorCode",
    "Event",
    "EventDestinationBusy",
    "EventDialing",
    "EventError",
    "EventEstablished",
    "EventRegistered",
    "EventReleased",
    "EventRinging",
    "EventServerInfo",
    "FrameError",
    "Framer",
    "KVList",
    "MakeCallType",
    "Message",
    "MessageError",
    "MessageType",
    "ProtocolError",
    "RegisterMode",
    "Request",
    "RequestAnswerCall",
    "RequestMakeCall",
    "RequestRegisterAddress",
    "RequestRegisterClient",
    "RequestReleaseCall",
    "ValueType",
    "decode",
    "encode",
]
