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


class ErrorCode(IntEnum):
    """Values of the ErrorCode attribute of EventError."""

    NotRegistered = 41  #: the client has not registered the DN the request is for
    ResourceSeized = 42  #: another client holds the DN in Private mode
    UnknownError = 50  #: an error with no more specific code
    UnsupportedOperation = 51  #: the message type is not supported by this server
    InternalError = 52  #: the server failed; the request may be retried
    InvalidAttribute = 53  #: an attribute is missing or has an invalid value
    ProtocolVersion = 55  #: the client's protocol major version is not supported
    InvalidConnID = 56  #: no call with that ConnID exists at that DN
    DNNotConfigured = 59  #: the DN is not in the switch configuration
    MalformedMessage = 701  #: the frame's attributes could not be decoded
    FramingError = 702  #: the byte stream is not a ctiemu frame stream (connection closes)
    FrameTooLarge = 703  #: a frame exceeds the maximum frame size (connection closes)
    ClientNotRegistered = 704  #: a request came before RequestRegisterClient
    InvalidState = 705  #: the request is not valid in the DN's or call's current state
    MonitorOnly = 706  #: the DN is registered in Monitor mode; requests are not allowed


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
    ) -> None:
        self.detail = detail
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
        if self.attribute is not None:
            try:
                where.append(f"attribute {Attribute(self.attribute).name}")
            except ValueError:
                where.append(f"attribute {self.attribute}")
        if self.offset is not None:
            where.append(f"offset {self.offset}")
        return f"{self.detail} ({', '.join(where)})" if where else self.detail


class FrameError(ProtocolError):
    """The byte stream cannot be cut into frames any more: the connection must close."""


class MessageError(ProtocolError):
    """A whole frame was read but its content is invalid: answer EventError, keep the link."""
