"""Protocol errors and the error codes that travel in EventError.

A small hierarchy, as in h11: ProtocolError carries the ErrorCode that goes on the wire and,
where known, the message type, the attribute and the byte offset where decoding failed.
FrameError means the byte stream itself is broken (the connection must close); MessageError
means one frame was cut cleanly but its content is bad (answer EventError and carry on).

ErrorCode reuses the T-Server common error numbering (40-59) from the public T-Server deployment
guides where it fits; the codes from 700 up are ctiemu's own and documented in docs/protocol.md.
"""

from __future__ import annotations

from enum import IntEnum

from protocol.values import ConnID


class ErrorCode(IntEnum):
    """Values of the ErrorCode attribute of EventError (meanings in ERROR_ADVICE)."""

    NotRegistered = 41
    ResourceSeized = 42
    UnknownError = 50
    UnsupportedOperation = 51
    InternalError = 52
    InvalidAttribute = 53
    ProtocolVersion = 55
    InvalidConnID = 56
    DNNotConfigured = 59
    MalformedMessage = 701
    FramingError = 702
    FrameTooLarge = 703
    ClientNotRegistered = 704
    InvalidState = 705
    MonitorOnly = 706
    InvalidAgent = 707
    AgentConflict = 708
    AuthenticationFailed = 709
    NotAllowed = 710
    DNOutOfService = 711
    TooManyRequests = 712
    TooManyConnections = 713
    UserDataTooLarge = 714


#: For each code: what it means, and what the client should do about it.
ERROR_ADVICE: dict[ErrorCode, tuple[str, str]] = {
    ErrorCode.NotRegistered: (
        "The client has not registered the DN the request is for.",
        "Send RequestRegisterAddress for ThisDN (Share or Private mode), then retry.",
    ),
    ErrorCode.ResourceSeized: (
        "Another client holds the DN in Private mode, or holds it at all when Private was asked.",
        "Register in Share or Monitor mode, or wait until the other client lets go.",
    ),
    ErrorCode.UnknownError: (
        "An error with no more specific code.",
        "Read ErrorMessage; do not retry blindly.",
    ),
    ErrorCode.UnsupportedOperation: (
        "The message type is not one this server handles (or a client sent an event).",
        "Do not send it again; the connection stays open.",
    ),
    ErrorCode.InternalError: (
        "The server failed while handling the request (a bug; the server logged it).",
        "Retry once; report it if it repeats.",
    ),
    ErrorCode.InvalidAttribute: (
        "A mandatory attribute is missing, an attribute is repeated, or a value is out of its "
        "range (an Int outside its enumeration, a simulation-control parameter of the wrong "
        "type).",
        "Fix the request; ErrorMessage names the attribute.",
    ),
    ErrorCode.ProtocolVersion: (
        "RequestRegisterClient asked for a protocol major version this server does not speak.",
        "The server closes the connection; reconnect with a supported version.",
    ),
    ErrorCode.InvalidConnID: (
        "No call with that ConnID has a party at ThisDN.",
        "Refresh your view of the DN's calls from its events; the call may have ended.",
    ),
    ErrorCode.DNNotConfigured: (
        "ThisDN (or the destination) is not in the switch configuration.",
        "Use a configured DN.",
    ),
    ErrorCode.MalformedMessage: (
        "A frame was cut cleanly but its attributes could not be decoded (cut short, bad "
        "UTF-8, a value type other than the table's, a broken KVList). ErrorMessage names "
        "the message type, the attribute and the byte offset inside the frame.",
        "Fix the encoder; the connection stays open.",
    ),
    ErrorCode.FramingError: (
        "The byte stream is not a ctiemu frame stream (bad magic).",
        "The server closes the connection after this event; reconnect and send valid frames.",
    ),
    ErrorCode.FrameTooLarge: (
        "A frame header announced more bytes than the server's maximum frame size.",
        "The server closes the connection after this event; send smaller frames.",
    ),
    ErrorCode.ClientNotRegistered: (
        "A request came before RequestRegisterClient.",
        "Send RequestRegisterClient first; the connection stays open.",
    ),
    ErrorCode.InvalidState: (
        "The request is not valid in the current state of the DN or call "
        "(answering a call that is not ringing, calling from a DN already in a call, a second "
        "RequestRegisterClient, ...).",
        "Wait for the events that bring the DN into the right state.",
    ),
    ErrorCode.InvalidAgent: (
        "RequestAgentLogin named no AgentID, an AgentID the configuration does not know, or "
        "the wrong password.",
        "Log in with a configured AgentID and its password.",
    ),
    ErrorCode.AgentConflict: (
        "Another agent is logged in on ThisDN, or this agent is logged in on another DN.",
        "Log the other agent (or this agent elsewhere) out first.",
    ),
    ErrorCode.MonitorOnly: (
        "The DN is registered in Monitor mode, which receives events but sends no requests.",
        "Register the DN in Share or Private mode to control it.",
    ),
    ErrorCode.AuthenticationFailed: (
        "RequestRegisterClient named an application the configuration does not list (when the "
        "server authenticates clients) or gave the wrong ApplicationPassword.",
        "The server closes the connection; reconnect with a configured application and password.",
    ),
    ErrorCode.NotAllowed: (
        "The application's rights do not cover this: controlling or monitoring that DN, or "
        "simulation control (RequestPrivateService).",
        "Use an application the configuration gives that right ([[server.application]]).",
    ),
    ErrorCode.DNOutOfService: (
        "ThisDN or the destination is out of service (EventDNOutOfService was sent for it).",
        "Wait for EventDNBackInService, or use another DN.",
    ),
    ErrorCode.TooManyRequests: (
        "The client sent requests faster than server.max_requests_per_second allows; the "
        "request was not carried out.",
        "Slow down and retry; the connection stays open.",
    ),
    ErrorCode.TooManyConnections: (
        "The server has as many connections as server.max_connections allows, or as many from "
        "this address as server.max_connections_per_address allows; the connection closes.",
        "Close connections you do not use, or retry later.",
    ),
    ErrorCode.UserDataTooLarge: (
        "The request's UserData is larger than server.max_request_user_data_bytes, or would make "
        "the call's UserData larger than switch.max_call_user_data_bytes (both counted as "
        "encoded: the KVList's bytes on the wire); nothing was changed.",
        "Attach less, or delete pairs the call no longer needs.",
    ),
}


class ProtocolError(Exception):
    """Something on the wire broke the protocol. Carries what is needed to report it."""

    def __init__(
        self,
        detail: str,
        *,
        code: ErrorCode,
        message_type: int | None = None,
        attribute: int | None = None,
        offset: int | None = None,
        reference_id: int | None = None,
        locate: bool = True,
    ) -> None:
        self.detail = detail
        #: Whether the text says where (attribute, offset): not for a missing attribute, which the
        #: detail names and whose offset (the frame's end, where it was looked for) would mislead.
        self.locate = locate
        #: The ReferenceID of the request that failed, when it could be read: the EventError
        #: that reports the failure carries it.
        self.reference_id = reference_id
        self.code = code
        self.message_type = message_type
        self.attribute = attribute
        self.offset = offset
        super().__init__(self._describe())

    def _describe(self) -> str:
        from protocol.enums import Attribute, MessageType

        where: list[str] = []
        if self.message_type is not None:
            try:
                where.append(f"message {MessageType(self.message_type).name}")
            except ValueError:
                where.append(f"message type {self.message_type}")
        if self.attribute is not None and self.locate:
            try:
                where.append(f"attribute {Attribute(self.attribute).name}")
            except ValueError:
                where.append(f"attribute {self.attribute}")
        if self.offset is not None and self.locate:
            where.append(f"offset {self.offset}")
        return f"{self.detail} ({', '.join(where)})" if where else self.detail


class FrameError(ProtocolError):
    """The byte stream cannot be cut into frames any more: the connection must close."""


class MessageError(ProtocolError):
    """A whole frame was read but its content is invalid: answer EventError, keep the link."""


class Refusal(Exception):
    """A request refused, by the T-Server or by the switch behind it: what its EventError
    carries (ErrorCode, ErrorMessage, and ThisDN / ConnID where the refusal is about them).
    The one refusal type of the house: switch.SwitchError is this class."""

    def __init__(
        self,
        code: ErrorCode,
        message: str,
        *,
        this_dn: str | None = None,
        conn_id: ConnID | None = None,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.this_dn = this_dn
        self.conn_id = conn_id
