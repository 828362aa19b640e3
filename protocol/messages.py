"""The message catalogue: every request and event as a frozen, typed, validated value.

Declared once: the attribute table (`ATTRIBUTES`) maps each field name to its T-Library
attribute number and wire value type; each message class lists the attributes it carries as
dataclass fields (no default = mandatory, default = optional). The codec, docs/protocol.md's
tables and later the Wireshark dissector are all derived from these declarations.

A field's name is the attribute's name in snake case (ThisDN -> this_dn), so a message class
reads like the Genesys Events and Models Reference entry it follows. This module knows nothing
about bytes (protocol.wire, protocol.codec) or sockets.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, ClassVar, TypeVar

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
from protocol.values import INT64_MAX, INT64_MIN, ConnID, KVList

#: The protocol version this implementation speaks: (major, minor).
PROTOCOL_VERSION = (1, 0)


@dataclass(frozen=True, slots=True)
class AttributeSpec:
    """One attribute as the catalogue knows it."""

    attribute: Attribute
    field: str
    value_type: ValueType
    enum: type[IntEnum] | None = None
    doc: str = ""


def _spec(
    attribute: Attribute,
    field: str,
    value_type: ValueType,
    enum: type[IntEnum] | None = None,
    doc: str = "",
) -> AttributeSpec:
    return AttributeSpec(attribute, field, value_type, enum, doc)


_S, _I, _C, _K = ValueType.String, ValueType.Int, ValueType.ConnID, ValueType.KVList

#: Every attribute the catalogue uses, by field name.
ATTRIBUTES: dict[str, AttributeSpec] = {
    s.field: s
    for s in (
        _spec(Attribute.ReferenceID, "reference_id", _I, doc="the client's number for a request"),
        _spec(Attribute.ProtocolVersion, "protocol_version", _S, doc='"major.minor", e.g. "1.0"'),
        _spec(
            Attribute.ApplicationName, "application_name", _S, doc="the client's (or server's) name"
        ),
        _spec(Attribute.ApplicationPassword, "application_password", _S, doc="client credentials"),
        _spec(Attribute.ServerVersion, "server_version", _S, doc="server software version"),
        _spec(Attribute.ServerStartTime, "server_start_time", _I, doc="server start, Unix seconds"),
        _spec(Attribute.ThisDN, "this_dn", _S, doc="the DN the request or event is about"),
        _spec(Attribute.OtherDN, "other_dn", _S, doc="the other party of the call"),
        _spec(Attribute.ConnID, "conn_id", _C, doc="the call's connection id"),
        _spec(Attribute.CallType, "call_type", _I, CallType),
        _spec(Attribute.CallState, "call_state", _I, CallState),
        _spec(Attribute.ThisDNRole, "this_dn_role", _I, DNRole),
        _spec(Attribute.OtherDNRole, "other_dn_role", _I, DNRole),
        _spec(Attribute.RegisterMode, "register_mode", _I, RegisterMode),
        _spec(Attribute.AddressType, "address_type", _I, AddressType),
        _spec(Attribute.MakeCallType, "make_call_type", _I, MakeCallType),
        _spec(Attribute.CallUUID, "call_uuid", _S, doc="stable id of the call across its life"),
        _spec(Attribute.UserData, "user_data", _K, doc="the call's attached data"),
        _spec(Attribute.Extensions, "extensions", _K, doc="additional information"),
        _spec(Attribute.ErrorCode, "error_code", _I, doc="see the error codes table"),
        _spec(Attribute.ErrorMessage, "error_message", _S, doc="readable reason"),
        _spec(
            Attribute.EventSequenceNumber,
            "event_sequence_number",
            _I,
            doc="increases by one per event across the server",
        ),
        _spec(Attribute.TimeinSecs, "time_in_secs", _I, doc="event time, Unix seconds"),
        _spec(Attribute.TimeinuSecs, "time_in_usecs", _I, doc="event time, microseconds part"),
    )
}

BY_ATTRIBUTE: dict[int, AttributeSpec] = {int(s.attribute): s for s in ATTRIBUTES.values()}


@dataclass(frozen=True, slots=True)
class FieldSpec:
    """One attribute as a given message carries it."""

    spec: AttributeSpec
    #: No default: the attribute must be present.
    mandatory: bool
    #: The default is None: the attribute may be absent and the field left empty.
    nullable: bool


def _check_value(spec: AttributeSpec, value: Any) -> Any:
    """Validate one field value; return it in canonical form (enum member, ConnID)."""
    vt = spec.value_type
    if vt is ValueType.String:
        if not isinstance(value, str):
            raise TypeError(f"{spec.field} must be str, not {type(value).__name__}")
        return value
    if vt is ValueType.Int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{spec.field} must be int, not {type(value).__name__}")
        if spec.enum is not None:
            return spec.enum(value)  # ValueError names the enum and value
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError(f"{spec.field} {value} is outside int64")
        return value
    if vt is ValueType.ConnID:
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError(f"{spec.field} must be a ConnID, not {type(value).__name__}")
        return value if type(value) is ConnID else ConnID(value)
    if vt is ValueType.KVList:
        if not isinstance(value, KVList):
            raise TypeError(f"{spec.field} must be a KVList, not {type(value).__name__}")
        return value
    raise TypeError(f"{spec.field} has value type {vt!r} the catalogue cannot check")


def _json_value(value: Any) -> Any:
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, ConnID):
        return str(value)
    if isinstance(value, KVList):
        return value.to_json()
    return value


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Base of every request and event."""

    MESSAGE_TYPE: ClassVar[MessageType]
    FIELDS: ClassVar[tuple[FieldSpec, ...]]
    #: For a request: the event that answers it (carrying its ReferenceID), besides EventError.
    ANSWER: ClassVar[MessageType | None] = None
    #: Builds an instance from values the decoder has already checked (no second validation).
    from_wire: ClassVar[Callable[[dict[str, Any]], Message]]

    reference_id: int | None = None

    def __post_init__(self) -> None:
        for fs in self.FIELDS:
            name = fs.spec.field
            value = getattr(self, name)
            if value is None:
                if not fs.nullable:
                    raise TypeError(f"{type(self).__name__}.{name} cannot be None")
                continue
            checked = _check_value(fs.spec, value)
            if checked is not value:
                object.__setattr__(self, name, checked)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-ready form: {"message": name, field: value, ...} for the fields that are set;
        enums by name, ConnID as 16 hex digits, KVList as [[key, value], ...]."""
        record: dict[str, Any] = {"message": type(self).__name__}
        for name, value in self.attributes().items():
            record[name] = _json_value(value)
        return record

    def attributes(self) -> dict[str, Any]:
        """The fields that are set, by field name, in catalogue order."""
        out: dict[str, Any] = {}
        for fs in self.FIELDS:
            value = getattr(self, fs.spec.field)
            if value is not None:
                out[fs.spec.field] = value
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Request(Message):
    """A message a client sends to the server."""


@dataclass(frozen=True, slots=True, kw_only=True)
class Event(Message):
    """A message the server sends to clients. The server stamps sequence number and time."""

    event_sequence_number: int | None = None
    time_in_secs: int | None = None
    time_in_usecs: int | None = None

    @property
    def time(self) -> float | None:
        """Event time as Unix seconds, or None when not stamped."""
        if self.time_in_secs is None:
            return None
        return self.time_in_secs + (self.time_in_usecs or 0) / 1_000_000


@dataclass(frozen=True, slots=True, kw_only=True)
class Control(Message):
    """A link-level message either side may send: neither a request nor an event."""


#: Every message class, by message type number.
CATALOGUE: dict[int, type[Message]] = {}

M = TypeVar("M", bound=type[Message])


def message(message_type: MessageType, *, answer: MessageType | None = None) -> Callable[[M], M]:
    """Register a message class in the catalogue under its T-Library number.

    `answer` names, for a request, the event that answers it with the request's ReferenceID.
    """

    def register(cls: M) -> M:
        if int(message_type) in CATALOGUE:
            raise ValueError(f"message type {message_type!r} declared twice")
        fields: list[FieldSpec] = []
        for f in dataclasses.fields(cls):
            spec = ATTRIBUTES.get(f.name)
            if spec is None:
                raise TypeError(f"{cls.__name__}.{f.name} is not a catalogue attribute")
            mandatory = (
                f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING
            )
            fields.append(FieldSpec(spec, mandatory, nullable=f.default is None))
        cls.MESSAGE_TYPE = message_type
        cls.FIELDS = tuple(fields)
        cls.ANSWER = answer
        cls.from_wire = staticmethod(_trusted_constructor(cls))
        CATALOGUE[int(message_type)] = cls
        return cls

    return register


def _trusted_constructor(cls: type[Message]) -> Callable[[dict[str, Any]], Message]:
    """Generate `from_wire(values)` for cls: set every slot directly, defaults for the absent.

    Only for values the codec has checked one by one (type, range, enum) and a dict that holds
    every mandatory field; everything else goes through the validating constructor.
    """
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
    lines = ["def from_wire(values):", "    self = _new(cls)", "    get = values.get"]
    for i, f in enumerate(dataclasses.fields(cls)):
        if f.default is dataclasses.MISSING:
            lines.append(f"    _set(self, {f.name!r}, values[{f.name!r}])")
        else:
            namespace[f"_d{i}"] = f.default
            lines.append(f"    _set(self, {f.name!r}, get({f.name!r}, _d{i}))")
    lines.append("    return self")
    exec("\n".join(lines), namespace)
    constructor: Callable[[dict[str, Any]], Message] = namespace["from_wire"]
    return constructor


# --------------------------------------------------------------------------------------------
# Requests


@message(MessageType.RequestRegisterClient, answer=MessageType.EventServerInfo)
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRegisterClient(Request):
    """The handshake: the first message on every connection."""

    protocol_version: str
    application_name: str
    application_password: str | None = None


@message(MessageType.RequestRegisterAddress, answer=MessageType.EventRegistered)
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestRegisterAddress(Request):
    """Receive ThisDN's events from now on (and, unless Monitor, control it)."""

    this_dn: str
    register_mode: RegisterMode = RegisterMode.Share
    address_type: AddressType | None = None


@message(MessageType.RequestMakeCall, answer=MessageType.EventDialing)
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestMakeCall(Request):
    """Call OtherDN from ThisDN."""

    this_dn: str
    other_dn: str
    make_call_type: MakeCallType = MakeCallType.Regular
    user_data: KVList | None = None


@message(MessageType.RequestAnswerCall, answer=MessageType.EventEstablished)
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestAnswerCall(Request):
    """Answer the call ConnID ringing on ThisDN."""

    this_dn: str
    conn_id: ConnID


@message(MessageType.RequestReleaseCall, answer=MessageType.EventReleased)
@dataclass(frozen=True, slots=True, kw_only=True)
class RequestReleaseCall(Request):
    """Release ThisDN from the call ConnID."""

    this_dn: str
    conn_id: ConnID


# --------------------------------------------------------------------------------------------
# Events


@message(MessageType.EventError)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventError(Event):
    """A request failed. ErrorCode says why; ReferenceID says which request."""

    error_code: int
    error_message: str | None = None
    this_dn: str | None = None
    conn_id: ConnID | None = None


@message(MessageType.EventRegistered)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventRegistered(Event):
    """ThisDN is registered for the requesting client."""

    this_dn: str


@message(MessageType.EventServerInfo)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventServerInfo(Event):
    """The answer to RequestRegisterClient: who the server is."""

    protocol_version: str
    server_version: str
    application_name: str
    server_start_time: int
    extensions: KVList | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class CallEvent(Event):
    """Attributes shared by the events that report a party's state in a call."""

    this_dn: str
    conn_id: ConnID
    call_type: CallType
    this_dn_role: DNRole | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    call_state: CallState | None = None
    call_uuid: str | None = None
    user_data: KVList | None = None


@message(MessageType.EventDialing)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventDialing(CallEvent):
    """ThisDN is dialing OtherDN."""


@message(MessageType.EventRinging)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventRinging(CallEvent):
    """A call from OtherDN is alerting on ThisDN."""


@message(MessageType.EventDestinationBusy)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventDestinationBusy(CallEvent):
    """OtherDN, the party ThisDN called, is busy."""


@message(MessageType.EventEstablished)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventEstablished(CallEvent):
    """ThisDN is connected to OtherDN in the call."""


@message(MessageType.EventReleased)
@dataclass(frozen=True, slots=True, kw_only=True)
class EventReleased(CallEvent):
    """ThisDN has left the call."""


# --------------------------------------------------------------------------------------------
# Link control (ctiemu's own message types)


@message(MessageType.KeepAliveProbe, answer=MessageType.KeepAliveAnswer)
@dataclass(frozen=True, slots=True, kw_only=True)
class KeepAliveProbe(Control):
    """Are you there? Either side may send it, at any time; the other answers at once."""


@message(MessageType.KeepAliveAnswer)
@dataclass(frozen=True, slots=True, kw_only=True)
class KeepAliveAnswer(Control):
    """The answer to KeepAliveProbe, carrying the probe's ReferenceID."""
