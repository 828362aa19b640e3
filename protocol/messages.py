"""The message catalogue: every request and event as a frozen, typed, validated value.

Declared once: the attribute table (`ATTRIBUTES`) maps each field name to its T-Library
attribute number and wire value type; each message class lists the attributes it carries as
fields (no default = mandatory, default = optional). The codec, docs/protocol.md's tables and
the Wireshark dissector are all derived from these declarations.

The classes are records (protocol.records): they behave as frozen, slotted, keyword-only
dataclasses, and mypy checks them as such, but declaring one costs a plain class statement, and
what a class generates (its `__init__`, repr, ==, hash, FIELDS, `from_wire`, `trusted_replace`)
is compiled when that class is first used. Importing the catalogue takes a few milliseconds
instead of the ~200 the same classes cost as dataclasses.

A field's name is the attribute's name in snake case (ThisDN -> this_dn), so a message class
reads like the Genesys Events and Models Reference entry it follows. This module knows nothing
about bytes (protocol.wire, protocol.codec) or sockets.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import IntEnum
from typing import Any, ClassVar, Self, TypeVar

from protocol.enums import (
    AddressInfoType,
    AddressType,
    AgentWorkMode,
    Attribute,
    CallState,
    CallType,
    ControlMode,
    DNRole,
    ForwardMode,
    MakeCallType,
    MergeType,
    MessageType,
    MonitorNextCallType,
    RegisterMode,
    RouteType,
    ServerRole,
    TreatmentType,
    ValueType,
)
from protocol.records import MISSING, Lazy, Record
from protocol.values import INT64_MAX, INT64_MIN, ConnID, KVList

#: The protocol version this implementation speaks: (major, minor).
PROTOCOL_VERSION = (1, 0)


class AttributeSpec(Record, kw_only=False):
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


_S, _I, _C, _K, _B = (
    ValueType.String,
    ValueType.Int,
    ValueType.ConnID,
    ValueType.KVList,
    ValueType.Binary,
)

#: Every attribute the catalogue uses, by field name.
ATTRIBUTES: dict[str, AttributeSpec] = {
    s.field: s
    for s in (
        _spec(Attribute.ANI, "ani", _S, doc="the calling number"),
        _spec(
            Attribute.AddressInfoStatus,
            "address_info_status",
            _I,
            doc="the value asked for (meaning depends on AddressInfoType)",
        ),
        _spec(
            Attribute.AddressInfoType,
            "address_info_type",
            _I,
            AddressInfoType,
            doc="what is asked or reported about a DN",
        ),
        _spec(
            Attribute.AddressType,
            "address_type",
            _I,
            AddressType,
            doc="what kind of switch object a DN is",
        ),
        _spec(Attribute.AgentID, "agent_id", _S, doc="the agent's login id"),
        _spec(
            Attribute.AgentWorkMode,
            "agent_work_mode",
            _I,
            AgentWorkMode,
            doc="the agent's work mode",
        ),
        _spec(
            Attribute.ApplicationName,
            "application_name",
            _S,
            doc="the client's (or, in EventServerInfo, the server's) name",
        ),
        _spec(Attribute.ApplicationPassword, "application_password", _S, doc="client credentials"),
        _spec(Attribute.CallID, "call_id", _I, doc="the switch's own call number"),
        _spec(Attribute.CallInfoType, "call_info_type", _I, doc="what RequestQueryCall asks about"),
        _spec(
            Attribute.CallState,
            "call_state",
            _I,
            CallState,
            doc="why the call or party is in the state reported",
        ),
        _spec(
            Attribute.CallType,
            "call_type",
            _I,
            CallType,
            doc="where the call comes from or goes to",
        ),
        _spec(
            Attribute.CallUUID,
            "call_uuid",
            _S,
            doc="stable id of the call across its life, transfers included",
        ),
        _spec(Attribute.Cause, "cause", _I, doc="the switch's cause code"),
        _spec(
            Attribute.CollectedDigits,
            "collected_digits",
            _S,
            doc="digits collected from the caller",
        ),
        _spec(Attribute.ConnID, "conn_id", _C, doc="the call's connection id"),
        _spec(
            Attribute.ControlMode,
            "control_mode",
            _I,
            ControlMode,
            doc="whether registration goes to the switch",
        ),
        _spec(Attribute.CustomerID, "customer_id", _S, doc="the tenant"),
        _spec(Attribute.DNIS, "dnis", _S, doc="the dialed number"),
        _spec(Attribute.DTMFDigits, "dtmf_digits", _S, doc="DTMF digits to send or sent"),
        _spec(Attribute.DataKey, "data_key", _S, doc="a key of the call's UserData"),
        _spec(Attribute.ErrorCode, "error_code", _I, doc="see the error codes table"),
        _spec(Attribute.ErrorMessage, "error_message", _S, doc="readable reason"),
        _spec(
            Attribute.EventSequenceNumber,
            "event_sequence_number",
            _I,
            doc="increases by one per event across the server",
        ),
        _spec(Attribute.Extensions, "extensions", _K, doc="additional information"),
        _spec(
            Attribute.FirstTransferHomeLocation,
            "first_transfer_home_location",
            _S,
            doc="call history: site of the first transfer",
        ),
        _spec(
            Attribute.FirstTransferOrigDN,
            "first_transfer_orig_dn",
            _S,
            doc="call history: DN that made the first transfer",
        ),
        _spec(
            Attribute.ForwardMode, "forward_mode", _I, ForwardMode, doc="when calls are forwarded"
        ),
        _spec(
            Attribute.InputMask,
            "input_mask",
            _B,
            doc="64 bytes: bit (n % 8) of byte n / 8 set to receive event type n",
        ),
        _spec(Attribute.LastDigit, "last_digit", _S, doc="the last digit collected"),
        _spec(
            Attribute.LastTransferHomeLocation,
            "last_transfer_home_location",
            _S,
            doc="call history: site of the last transfer",
        ),
        _spec(
            Attribute.LastTransferOrigDN,
            "last_transfer_orig_dn",
            _S,
            doc="call history: DN that made the last transfer",
        ),
        _spec(Attribute.Location, "location", _S, doc="the site of OtherDN, for multi-site calls"),
        _spec(
            Attribute.MakeCallType,
            "make_call_type",
            _I,
            MakeCallType,
            doc="how RequestMakeCall places the call",
        ),
        _spec(
            Attribute.MergeType,
            "merge_type",
            _I,
            MergeType,
            doc="what RequestMergeCalls merges for",
        ),
        _spec(
            Attribute.MonitorNextCallType,
            "monitor_next_call_type",
            _I,
            MonitorNextCallType,
            doc="one call or all calls",
        ),
        _spec(Attribute.MusicPath, "music_path", _S, doc="the music to play"),
        _spec(Attribute.NetworkCallID, "network_call_id", _I, doc="the network's call id"),
        _spec(Attribute.NetworkNodeID, "network_node_id", _I, doc="the network node"),
        _spec(Attribute.NumberOfDigits, "number_of_digits", _I, doc="how many digits to collect"),
        _spec(
            Attribute.OtherDN,
            "other_dn",
            _S,
            doc="the other party of the call (or the destination of a request)",
        ),
        _spec(
            Attribute.OtherDNRole,
            "other_dn_role",
            _I,
            DNRole,
            doc="the part OtherDN plays in the call",
        ),
        _spec(
            Attribute.OtherQueue, "other_queue", _S, doc="the queue the other party came through"
        ),
        _spec(Attribute.OtherTrunk, "other_trunk", _I, doc="the trunk of the other party"),
        _spec(Attribute.Password, "password", _S, doc="the agent's password"),
        _spec(
            Attribute.PreviousConnID,
            "previous_conn_id",
            _C,
            doc="the call a consultation call consults from (on its events); the held call "
            "(RequestAlternateCall, RequestReconnectCall); on EventPartyChanged and "
            "EventPartyAdded, the consultation call merged away (see those events)",
        ),
        _spec(Attribute.PrivateMsgID, "private_msg_id", _I, doc="the private service or event"),
        _spec(Attribute.ProtocolVersion, "protocol_version", _S, doc='"major.minor", e.g. "1.0"'),
        _spec(
            Attribute.Reasons,
            "reasons",
            _K,
            doc="why (reason codes, for instance of AgentNotReady)",
        ),
        _spec(
            Attribute.ReferenceID,
            "reference_id",
            _I,
            doc="the client's number for a request, echoed on its answer",
        ),
        _spec(
            Attribute.RegisterMode,
            "register_mode",
            _I,
            RegisterMode,
            doc="Share, Private or Monitor",
        ),
        _spec(Attribute.RouteType, "route_type", _I, RouteType, doc="how RequestRouteCall routes"),
        _spec(
            Attribute.ServerCapabilityMask,
            "server_capability_mask",
            _B,
            doc="64 bytes: bit (n % 8) of byte n / 8 set when request type n is handled",
        ),
        _spec(Attribute.ServerRole, "server_role", _I, ServerRole, doc="primary or backup"),
        _spec(Attribute.ServerStartTime, "server_start_time", _I, doc="server start, Unix seconds"),
        _spec(Attribute.ServerVersion, "server_version", _S, doc="server software version"),
        _spec(
            Attribute.ServerXCapabilities, "server_x_capabilities", _S, doc="extended capabilities"
        ),
        _spec(Attribute.SessionID, "session_id", _S, doc="the session of a link event"),
        _spec(Attribute.TerminateDigits, "terminate_digits", _S, doc="digits that end collection"),
        _spec(
            Attribute.ThirdPartyDN,
            "third_party_dn",
            _S,
            doc="the third party of a transfer, conference or routing",
        ),
        _spec(
            Attribute.ThirdPartyDNRole,
            "third_party_dn_role",
            _I,
            DNRole,
            doc="the part ThirdPartyDN plays",
        ),
        _spec(Attribute.ThisDN, "this_dn", _S, doc="the DN the request or event is about"),
        _spec(
            Attribute.ThisDNRole,
            "this_dn_role",
            _I,
            DNRole,
            doc="the part ThisDN plays in the call",
        ),
        _spec(
            Attribute.ThisQueue,
            "this_queue",
            _S,
            doc="the ACD queue or routing point the call came through",
        ),
        _spec(Attribute.ThisTrunk, "this_trunk", _I, doc="the trunk of ThisDN's leg"),
        _spec(Attribute.TimeinSecs, "time_in_secs", _I, doc="event time, Unix seconds"),
        _spec(Attribute.TimeinuSecs, "time_in_usecs", _I, doc="event time, microseconds part"),
        _spec(Attribute.Timeout, "timeout", _I, doc="seconds"),
        _spec(
            Attribute.TransferConnID,
            "transfer_conn_id",
            _C,
            doc="the consultation call of a transfer or conference",
        ),
        _spec(
            Attribute.TransferredNetworkCallID,
            "transferred_network_call_id",
            _I,
            doc="the network call id before a network transfer",
        ),
        _spec(
            Attribute.TransferredNetworkNodeID,
            "transferred_network_node_id",
            _I,
            doc="the network node before a network transfer",
        ),
        _spec(Attribute.TreatmentParms, "treatment_parms", _K, doc="the treatment's parameters"),
        _spec(Attribute.TreatmentType, "treatment_type", _I, TreatmentType, doc="the treatment"),
        _spec(Attribute.UserData, "user_data", _K, doc="the call's attached data"),
        _spec(Attribute.UserEvent, "user_event", _I, doc="the message type of a distributed event"),
        _spec(Attribute.VoiceCFlag, "voice_c_flag", _I, doc="collection flags"),
    )
}

BY_ATTRIBUTE: dict[int, AttributeSpec] = {int(s.attribute): s for s in ATTRIBUTES.values()}


class FieldSpec(Record, kw_only=False):
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
    if vt is ValueType.Binary:
        if not isinstance(value, bytes):
            raise TypeError(f"{spec.field} must be bytes, not {type(value).__name__}")
        return value
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
    if isinstance(value, bytes):
        return {"hex": value.hex()}
    return value


class Message(Record):
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

    def trusted_replace(self, changes: Mapping[str, Any]) -> Self:
        """A copy with `changes`, whose values the caller guarantees are already valid (the
        server's stamps: sequence number, time, ReferenceID): no second validation. Each
        catalogue class replaces this with a generated version that sets the slots directly."""
        import dataclasses

        return dataclasses.replace(self, **changes)

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


class Request(Message):
    """A message a client sends to the server."""


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
        for name in cls._record_names:
            if name not in ATTRIBUTES:
                raise TypeError(f"{cls.__name__}.{name} is not a catalogue attribute")
        cls.MESSAGE_TYPE = message_type
        cls.ANSWER = answer
        # Built for each class on first use (see protocol.records.Lazy), so that importing the
        # catalogue stays cheap: the attribute list and the two trusted constructors.
        cls.FIELDS = Lazy("FIELDS", _field_specs)  # type: ignore[assignment]
        cls.from_wire = Lazy("from_wire", _trusted_constructor)  # type: ignore[assignment]
        cls.trusted_replace = Lazy("trusted_replace", _trusted_replacer)  # type: ignore[method-assign, assignment]
        CATALOGUE[int(message_type)] = cls
        return cls

    return register


def _field_specs(cls: type[Message]) -> tuple[FieldSpec, ...]:
    """What cls.FIELDS holds: each field's attribute, whether mandatory, whether nullable."""
    return tuple(
        FieldSpec(ATTRIBUTES[f.name], f.default is MISSING, nullable=f.default is None)
        for f in cls._record_fields
    )


def _trusted_constructor(cls: type[Message]) -> staticmethod[[dict[str, Any]], Message]:
    """Generate `from_wire(values)` for cls: set every slot directly, defaults for the absent.

    Only for values the codec has checked one by one (type, range, enum) and a dict that holds
    every mandatory field; everything else goes through the validating constructor.
    """
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
    lines = ["def from_wire(values):", "    self = _new(cls)", "    get = values.get"]
    for i, f in enumerate(cls._record_fields):
        if f.default is MISSING:
            lines.append(f"    _set(self, {f.name!r}, values[{f.name!r}])")
        else:
            namespace[f"_d{i}"] = f.default
            lines.append(f"    _set(self, {f.name!r}, get({f.name!r}, _d{i}))")
    lines.append("    return self")
    exec("\n".join(lines), namespace)
    constructor: Callable[[dict[str, Any]], Message] = namespace["from_wire"]
    return staticmethod(constructor)


def _trusted_replacer(cls: type[Message]) -> Callable[[Any, Mapping[str, Any]], Any]:
    """Generate `trusted_replace(self, changes)` for cls: copy every slot, `changes` winning."""
    namespace: dict[str, Any] = {"_new": object.__new__, "_set": object.__setattr__, "cls": cls}
    lines = ["def trusted_replace(self, changes):", "    new = _new(cls)", "    get = changes.get"]
    for f in cls._record_fields:
        lines.append(f"    _set(new, {f.name!r}, get({f.name!r}, self.{f.name}))")
    lines.append("    return new")
    exec("\n".join(lines), namespace)
    replacer: Callable[[Any, Mapping[str, Any]], Any] = namespace["trusted_replace"]
    return replacer


# --------------------------------------------------------------------------------------------
# Requests and events, in T-Library number order. Attribute presence follows the Genesys Events
# and Models Reference where it has a table for the message (docs/protocol.md cites the page),
# and the T-Library function signatures and sibling events elsewhere.


class CallEvent(Event):
    """Base of the events that report a party's state in a call: ThisDN, ConnID, CallType."""

    this_dn: str
    conn_id: ConnID
    call_type: CallType


@message(MessageType.RequestRegisterClient, answer=MessageType.EventServerInfo)
class RequestRegisterClient(Request):
    """The handshake: the first message on every connection."""

    protocol_version: str  # ctiemu requires it: the handshake's version check
    application_name: str
    application_password: str | None = None
    extensions: KVList | None = None


@message(MessageType.RequestQueryServer, answer=MessageType.EventServerInfo)
class RequestQueryServer(Request):
    """Ask for EventServerInfo."""

    extensions: KVList | None = None


@message(MessageType.RequestQueryAddress, answer=MessageType.EventAddressInfo)
class RequestQueryAddress(Request):
    """Ask for information about ThisDN (AddressInfoType says what)."""

    this_dn: str
    this_queue: str | None = None
    address_type: AddressType = AddressType.DN
    address_info_type: AddressInfoType
    extensions: KVList | None = None


@message(MessageType.RequestRegisterAddress, answer=MessageType.EventRegistered)
class RequestRegisterAddress(Request):
    """Receive ThisDN's events from now on (and, unless Monitor, control it)."""

    this_dn: str
    register_mode: RegisterMode = RegisterMode.Share
    control_mode: ControlMode = ControlMode.RegisterDefault
    address_type: AddressType = AddressType.DN
    extensions: KVList | None = None


@message(MessageType.RequestUnregisterAddress, answer=MessageType.EventUnregistered)
class RequestUnregisterAddress(Request):
    """Stop receiving ThisDN's events."""

    this_dn: str
    control_mode: ControlMode = ControlMode.RegisterDefault
    extensions: KVList | None = None


@message(MessageType.RequestRegisterAll, answer=MessageType.EventRegisteredAll)
class RequestRegisterAll(Request):
    """Receive the events of every DN (of AddressType, when given)."""

    address_type: AddressType | None = None
    extensions: KVList | None = None


@message(MessageType.RequestUnregisterAll, answer=MessageType.EventUnregisteredAll)
class RequestUnregisterAll(Request):
    """Stop receiving the events of every DN."""

    address_type: AddressType | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSetInputMask, answer=MessageType.EventACK)
class RequestSetInputMask(Request):
    """Choose which events this client receives (a 64-byte bit mask by message type)."""

    input_mask: bytes


@message(MessageType.RequestAgentLogin, answer=MessageType.EventAgentLogin)
class RequestAgentLogin(Request):
    """Log agent AgentID in on ThisDN (and ThisQueue)."""

    this_dn: str
    this_queue: str | None = None
    agent_id: str | None = None
    password: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAgentLogout, answer=MessageType.EventAgentLogout)
class RequestAgentLogout(Request):
    """Log the agent on ThisDN out."""

    this_dn: str
    this_queue: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAgentReady, answer=MessageType.EventAgentReady)
class RequestAgentReady(Request):
    """Make the agent on ThisDN ready for calls."""

    this_dn: str
    this_queue: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAgentNotReady, answer=MessageType.EventAgentNotReady)
class RequestAgentNotReady(Request):
    """Make the agent on ThisDN not ready (AgentWorkMode, Reasons say why)."""

    this_dn: str
    this_queue: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSetDNDOn, answer=MessageType.EventDNDOn)
class RequestSetDNDOn(Request):
    """Turn do-not-disturb on for ThisDN."""

    this_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSetDNDOff, answer=MessageType.EventDNDOff)
class RequestSetDNDOff(Request):
    """Turn do-not-disturb off for ThisDN."""

    this_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestMakeCall, answer=MessageType.EventDialing)
class RequestMakeCall(Request):
    """Call OtherDN from ThisDN."""

    this_dn: str
    other_dn: str
    make_call_type: MakeCallType = MakeCallType.Regular
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestMakePredictiveCall)
class RequestMakePredictiveCall(Request):
    """Call OtherDN for ThisDN (a queue or routing point) with call progress detection. Not
    carried out by this server yet: EventError 51 (UnsupportedOperation)."""

    this_dn: str
    other_dn: str
    timeout: int | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAnswerCall, answer=MessageType.EventEstablished)
class RequestAnswerCall(Request):
    """Answer the call ConnID ringing on ThisDN."""

    this_dn: str
    conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestReleaseCall, answer=MessageType.EventReleased)
class RequestReleaseCall(Request):
    """Release ThisDN from the call ConnID."""

    this_dn: str
    conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestHoldCall, answer=MessageType.EventHeld)
class RequestHoldCall(Request):
    """Put the call ConnID on hold at ThisDN."""

    this_dn: str
    conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestRetrieveCall, answer=MessageType.EventRetrieved)
class RequestRetrieveCall(Request):
    """Take the call ConnID off hold at ThisDN."""

    this_dn: str
    conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestInitiateConference, answer=MessageType.EventHeld)
class RequestInitiateConference(Request):
    """Hold ConnID and dial OtherDN for a conference. Answered by EventHeld on ConnID; the
    consultation call's own ConnID arrives later on EventDialing at ThisDN, which carries no
    ReferenceID and names ConnID in PreviousConnID."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestCompleteConference, answer=MessageType.EventReleased)
class RequestCompleteConference(Request):
    """Join the held call ConnID and the consultation TransferConnID."""

    this_dn: str
    conn_id: ConnID
    transfer_conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestDeleteFromConference, answer=MessageType.EventPartyDeleted)
class RequestDeleteFromConference(Request):
    """Remove OtherDN from the conference ConnID."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestInitiateTransfer, answer=MessageType.EventHeld)
class RequestInitiateTransfer(Request):
    """Hold ConnID and dial OtherDN for a transfer. Answered by EventHeld on ConnID; the
    consultation call's own ConnID arrives later on EventDialing at ThisDN, which carries no
    ReferenceID and names ConnID in PreviousConnID."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestMuteTransfer, answer=MessageType.EventHeld)
class RequestMuteTransfer(Request):
    """Transfer ConnID to OtherDN without waiting for an answer."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSingleStepTransfer, answer=MessageType.EventReleased)
class RequestSingleStepTransfer(Request):
    """Transfer ConnID to OtherDN in one step."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestCompleteTransfer, answer=MessageType.EventReleased)
class RequestCompleteTransfer(Request):
    """Complete the transfer of the held call ConnID to the consultation TransferConnID."""

    this_dn: str
    conn_id: ConnID
    transfer_conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestMergeCalls, answer=MessageType.EventReleased)
class RequestMergeCalls(Request):
    """Merge the calls ConnID and TransferConnID."""

    this_dn: str
    conn_id: ConnID
    transfer_conn_id: ConnID
    merge_type: MergeType
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAlternateCall, answer=MessageType.EventHeld)
class RequestAlternateCall(Request):
    """Hold the active call ConnID and retrieve the held call PreviousConnID."""

    this_dn: str
    conn_id: ConnID
    previous_conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestReconnectCall, answer=MessageType.EventReleased)
class RequestReconnectCall(Request):
    """Release the call ConnID and retrieve the held call PreviousConnID."""

    this_dn: str
    conn_id: ConnID
    previous_conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestAttachUserData, answer=MessageType.EventAttachedDataChanged)
class RequestAttachUserData(Request):
    """Add pairs to the call's UserData."""

    this_dn: str
    conn_id: ConnID
    user_data: KVList


@message(MessageType.RequestUpdateUserData, answer=MessageType.EventAttachedDataChanged)
class RequestUpdateUserData(Request):
    """Add or replace pairs of the call's UserData."""

    this_dn: str
    conn_id: ConnID
    user_data: KVList


@message(MessageType.RequestDeleteUserData, answer=MessageType.EventAttachedDataChanged)
class RequestDeleteUserData(Request):
    """Delete all of the call's UserData."""

    this_dn: str
    conn_id: ConnID


@message(MessageType.RequestDeletePair, answer=MessageType.EventAttachedDataChanged)
class RequestDeletePair(Request):
    """Delete the key DataKey from the call's UserData."""

    this_dn: str
    conn_id: ConnID
    data_key: str


@message(MessageType.RequestCallForwardSet, answer=MessageType.EventForwardSet)
class RequestCallForwardSet(Request):
    """Forward ThisDN's calls to OtherDN."""

    this_dn: str
    other_dn: str
    forward_mode: ForwardMode
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestCallForwardCancel, answer=MessageType.EventForwardCancel)
class RequestCallForwardCancel(Request):
    """Cancel forwarding of ThisDN's calls."""

    this_dn: str
    forward_mode: ForwardMode
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestRouteCall, answer=MessageType.EventRouteUsed)
class RequestRouteCall(Request):
    """Route the call ConnID waiting on the routing point ThisDN to OtherDN."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    dnis: str | None = None
    route_type: RouteType = RouteType.Default
    location: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestGiveMusicTreatment, answer=MessageType.EventTreatmentApplied)
class RequestGiveMusicTreatment(Request):
    """Play music to the call ConnID on the routing point ThisDN."""

    this_dn: str
    conn_id: ConnID
    music_path: str | None = None
    timeout: int | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestGiveSilenceTreatment, answer=MessageType.EventTreatmentApplied)
class RequestGiveSilenceTreatment(Request):
    """Play silence to the call ConnID on the routing point ThisDN."""

    this_dn: str
    conn_id: ConnID
    timeout: int | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestGiveRingBackTreatment, answer=MessageType.EventTreatmentApplied)
class RequestGiveRingBackTreatment(Request):
    """Play ringback to the call ConnID on the routing point ThisDN."""

    this_dn: str
    conn_id: ConnID
    timeout: int | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestCollectDigits, answer=MessageType.EventDigitsCollected)
class RequestCollectDigits(Request):
    """Collect DTMF digits from the caller of ConnID."""

    this_dn: str
    conn_id: ConnID
    number_of_digits: int
    terminate_digits: str | None = None
    voice_c_flag: int | None = None
    timeout: int | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSetMessageWaitingOn, answer=MessageType.EventMessageWaitingOn)
class RequestSetMessageWaitingOn(Request):
    """Turn ThisDN's message-waiting lamp on."""

    this_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSetMessageWaitingOff, answer=MessageType.EventMessageWaitingOff)
class RequestSetMessageWaitingOff(Request):
    """Turn ThisDN's message-waiting lamp off."""

    this_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestDistributeUserEvent, answer=MessageType.EventACK)
class RequestDistributeUserEvent(Request):
    """Deliver EventUserEvent with this UserData to the clients of ThisDN."""

    this_dn: str
    conn_id: ConnID | None = None
    call_id: int | None = None
    other_dn: str | None = None
    user_event: int
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestDistributeEvent, answer=MessageType.EventACK)
class RequestDistributeEvent(Request):
    """Deliver an event of type UserEvent to the clients of ThisDN."""

    this_dn: str
    conn_id: ConnID | None = None
    user_event: int
    user_data: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventServerConnected)
class EventServerConnected(Event):
    """The client library reached the server (generated by client libraries)."""

    extensions: KVList | None = None


@message(MessageType.EventServerDisconnected)
class EventServerDisconnected(Event):
    """The client library lost the server (generated by client libraries)."""

    extensions: KVList | None = None


@message(MessageType.EventError)
class EventError(Event):
    """A request failed. ErrorCode says why; ReferenceID says which request."""

    this_dn: str | None = None
    conn_id: ConnID | None = None
    error_code: int
    customer_id: str | None = None
    error_message: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventRegistered)
class EventRegistered(Event):
    """ThisDN is registered for the requesting client."""

    this_dn: str
    agent_id: str | None = None
    address_info_type: AddressInfoType
    customer_id: str | None = None
    address_info_status: int | None = None
    extensions: KVList


@message(MessageType.EventUnregistered)
class EventUnregistered(Event):
    """ThisDN is no longer registered for the requesting client."""

    this_dn: str
    customer_id: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventRegisteredAll)
class EventRegisteredAll(Event):
    """The client now receives the events of every DN."""

    address_type: AddressType | None = None
    extensions: KVList | None = None


@message(MessageType.EventUnregisteredAll)
class EventUnregisteredAll(Event):
    """The client no longer receives the events of every DN."""

    address_type: AddressType | None = None
    extensions: KVList | None = None


@message(MessageType.EventQueued)
class EventQueued(CallEvent):
    """The call entered the ACD queue ThisQueue."""

    call_id: int
    call_state: CallState | None = None
    this_dn_role: DNRole
    this_queue: str
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDiverted)
class EventDiverted(CallEvent):
    """The call left the queue or routing point ThisDN for ThirdPartyDN."""

    call_id: int
    call_state: CallState | None = None
    this_dn_role: DNRole
    this_queue: str
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    previous_conn_id: ConnID | None = None
    dnis: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAbandoned)
class EventAbandoned(CallEvent):
    """The caller hung up before the call was answered."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventRinging)
class EventRinging(CallEvent):
    """A call from OtherDN is alerting on ThisDN."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    cause: int | None = None
    collected_digits: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDialing)
class EventDialing(CallEvent):
    """ThisDN is dialing OtherDN. For a consultation call (RequestInitiateTransfer or
    RequestInitiateConference) it carries no ReferenceID, and PreviousConnID names the held
    call it consults from: that is how the requester learns the new ConnID."""

    call_id: int
    this_dn_role: DNRole
    this_queue: str | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventNetworkReached)
class EventNetworkReached(CallEvent):
    """The outbound call reached the public network."""

    call_id: int
    call_state: CallState | None = None
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDestinationBusy)
class EventDestinationBusy(CallEvent):
    """OtherDN, the party ThisDN called, is busy."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventEstablished)
class EventEstablished(CallEvent):
    """ThisDN is connected to OtherDN in the call."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventReleased)
class EventReleased(CallEvent):
    """ThisDN has left the call."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventHeld)
class EventHeld(CallEvent):
    """ThisDN put the call on hold."""

    call_id: int
    call_state: CallState | None = None
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventRetrieved)
class EventRetrieved(CallEvent):
    """ThisDN took the call off hold."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventPartyChanged)
class EventPartyChanged(CallEvent):
    """A party of the call was replaced (a transfer completed). ConnID is the call that
    remains. After a two-step transfer PreviousConnID is the consultation call, merged away:
    a client that knew it must name the call by ConnID from now on. After a single-step
    transfer PreviousConnID is ConnID itself."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    previous_conn_id: ConnID
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventPartyAdded)
class EventPartyAdded(CallEvent):
    """A party joined the call (a conference completed). ConnID is the call that remains.
    After a two-step conference PreviousConnID is the consultation call, merged away: a
    client that knew it must name the call by ConnID from now on. After a single-step
    conference there is none."""

    call_id: int | None = None
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str
    other_dn_role: DNRole
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventPartyDeleted)
class EventPartyDeleted(CallEvent):
    """A party left the conference."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_queue: str | None = None
    this_trunk: int | None = None
    other_dn: str
    other_dn_role: DNRole
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    agent_id: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventRouteRequest)
class EventRouteRequest(CallEvent):
    """The call waits on the routing point ThisDN for a route."""

    call_id: int
    this_queue: str
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    other_trunk: int | None = None
    third_party_dn: str | None = None
    previous_conn_id: ConnID | None = None
    ani: str | None = None
    dnis: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    collected_digits: str | None = None
    customer_id: str | None = None
    last_digit: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventRouteUsed)
class EventRouteUsed(CallEvent):
    """The routing point ThisDN routed the call to ThirdPartyDN."""

    call_id: int
    call_state: CallState | None = None
    this_queue: str
    this_trunk: int | None = None
    other_dn: str | None = None
    third_party_dn: str | None = None
    third_party_dn_role: DNRole | None = None
    ani: str | None = None
    dnis: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAgentLogin)
class EventAgentLogin(Event):
    """An agent logged in on ThisDN."""

    this_dn: str
    this_queue: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAgentLogout)
class EventAgentLogout(Event):
    """The agent on ThisDN logged out."""

    this_dn: str
    this_queue: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAgentReady)
class EventAgentReady(Event):
    """The agent on ThisDN is ready."""

    this_dn: str
    this_queue: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAgentNotReady)
class EventAgentNotReady(Event):
    """The agent on ThisDN is not ready (AgentWorkMode says how)."""

    this_dn: str
    this_queue: str | None = None
    agent_id: str | None = None
    customer_id: str | None = None
    agent_work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDNDOn)
class EventDNDOn(Event):
    """Do-not-disturb is on for ThisDN."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDNDOff)
class EventDNDOff(Event):
    """Do-not-disturb is off for ThisDN."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDigitsCollected)
class EventDigitsCollected(CallEvent):
    """Digits were collected from the caller."""

    call_id: int
    call_state: CallState
    this_dn_role: DNRole
    this_trunk: int | None = None
    other_dn: str | None = None
    other_dn_role: DNRole | None = None
    other_queue: str | None = None
    collected_digits: str
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    last_digit: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAttachedDataChanged)
class EventAttachedDataChanged(Event):
    """The call's UserData changed; the event carries all of it."""

    this_dn: str | None = None
    conn_id: ConnID
    call_type: CallType
    call_id: int
    this_dn_role: DNRole | None = None
    this_trunk: int | None = None
    third_party_dn: str | None = None
    ani: str | None = None
    dnis: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList
    call_uuid: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventOffHook)
class EventOffHook(Event):
    """ThisDN went off hook."""

    this_dn: str
    conn_id: ConnID | None = None
    call_id: int | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventOnHook)
class EventOnHook(Event):
    """ThisDN went on hook."""

    this_dn: str
    conn_id: ConnID | None = None
    call_id: int | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventForwardSet)
class EventForwardSet(Event):
    """Forwarding to OtherDN is set for ThisDN."""

    this_dn: str
    other_dn: str | None = None
    customer_id: str | None = None
    forward_mode: ForwardMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventForwardCancel)
class EventForwardCancel(Event):
    """Forwarding is cancelled for ThisDN."""

    this_dn: str
    other_dn: str | None = None
    customer_id: str | None = None
    forward_mode: ForwardMode | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventMessageWaitingOn)
class EventMessageWaitingOn(Event):
    """ThisDN's message-waiting lamp is on."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventMessageWaitingOff)
class EventMessageWaitingOff(Event):
    """ThisDN's message-waiting lamp is off."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventAddressInfo)
class EventAddressInfo(Event):
    """The answer to RequestQueryAddress."""

    this_dn: str
    conn_id: ConnID | None = None
    call_id: int | None = None
    this_queue: str | None = None
    previous_conn_id: ConnID | None = None
    agent_id: str | None = None
    address_info_status: int
    address_info_type: AddressInfoType
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventServerInfo)
class EventServerInfo(Event):
    """Who the server is: the answer to RequestRegisterClient and RequestQueryServer."""

    protocol_version: str  # ctiemu's: the protocol version the server speaks
    application_name: str | None = None  # ctiemu's: the server's name
    server_version: str
    server_capability_mask: bytes
    server_start_time: int | None = None
    server_role: ServerRole | None = None
    server_x_capabilities: str | None = None
    customer_id: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventLinkDisconnected)
class EventLinkDisconnected(Event):
    """The link between the server and the switch went down."""

    application_name: str | None = None
    session_id: str | None = None
    customer_id: str | None = None
    error_code: int | None = None
    error_message: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventLinkConnected)
class EventLinkConnected(Event):
    """The link between the server and the switch came up."""

    application_name: str | None = None
    session_id: str | None = None
    customer_id: str | None = None
    extensions: KVList | None = None


@message(MessageType.EventUserEvent)
class EventUserEvent(Event):
    """A user event distributed by a client to the clients of ThisDN."""

    this_dn: str
    conn_id: ConnID | None = None
    call_id: int | None = None
    other_dn: str | None = None
    customer_id: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSendDTMF, answer=MessageType.EventDTMFSent)
class RequestSendDTMF(Request):
    """Send DTMFDigits on the call ConnID."""

    this_dn: str
    conn_id: ConnID
    dtmf_digits: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDTMFSent)
class EventDTMFSent(Event):
    """The DTMF digits were sent."""

    this_dn: str
    conn_id: ConnID
    call_id: int
    this_trunk: int | None = None
    ani: str | None = None
    dnis: str | None = None
    first_transfer_home_location: str | None = None
    first_transfer_orig_dn: str | None = None
    last_transfer_home_location: str | None = None
    last_transfer_orig_dn: str | None = None
    customer_id: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestRedirectCall, answer=MessageType.EventReleased)
class RequestRedirectCall(Request):
    """Redirect the call ConnID ringing on ThisDN to OtherDN."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestQueryCall, answer=MessageType.EventPartyInfo)
class RequestQueryCall(Request):
    """Ask for EventPartyInfo about the call ConnID."""

    this_dn: str
    conn_id: ConnID
    call_info_type: int
    extensions: KVList | None = None


@message(MessageType.EventPartyInfo)
class EventPartyInfo(Event):
    """The answer to RequestQueryCall."""

    this_dn: str | None = None
    conn_id: ConnID
    call_type: CallType | None = None
    call_id: int | None = None
    call_state: CallState | None = None
    ani: str | None = None
    dnis: str | None = None
    call_info_type: int | None = None
    customer_id: str | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    extensions: KVList | None = None


@message(MessageType.RequestClearCall, answer=MessageType.EventReleased)
class RequestClearCall(Request):
    """Release every party of the call ConnID."""

    this_dn: str
    conn_id: ConnID
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestApplyTreatment, answer=MessageType.EventTreatmentApplied)
class RequestApplyTreatment(Request):
    """Apply a treatment to the call ConnID on the routing point ThisDN."""

    this_dn: str
    conn_id: ConnID
    treatment_type: TreatmentType
    treatment_parms: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventTreatmentApplied)
class EventTreatmentApplied(CallEvent):
    """The treatment started."""

    call_id: int
    this_dn_role: DNRole
    transfer_conn_id: ConnID | None = None
    customer_id: str
    treatment_type: TreatmentType
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    treatment_parms: KVList | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList


@message(MessageType.EventTreatmentNotApplied)
class EventTreatmentNotApplied(CallEvent):
    """The treatment could not be applied."""

    call_id: int
    transfer_conn_id: ConnID | None = None
    customer_id: str
    error_code: int
    treatment_type: TreatmentType
    error_message: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    treatment_parms: KVList | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventTreatmentEnd)
class EventTreatmentEnd(CallEvent):
    """The treatment ended."""

    call_id: int
    transfer_conn_id: ConnID | None = None
    customer_id: str
    treatment_type: TreatmentType
    collected_digits: str | None = None
    last_digit: str | None = None
    network_call_id: int | None = None
    network_node_id: int | None = None
    transferred_network_call_id: int | None = None
    transferred_network_node_id: int | None = None
    treatment_parms: KVList | None = None
    user_data: KVList | None = None
    call_uuid: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestSingleStepConference, answer=MessageType.EventACK)
class RequestSingleStepConference(Request):
    """Add OtherDN to the call ConnID in one step."""

    this_dn: str
    conn_id: ConnID
    other_dn: str
    location: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventACK)
class EventACK(Event):
    """The positive answer to a request that has no event of its own."""

    user_event: int | None = None
    extensions: KVList | None = None


@message(MessageType.RequestMonitorNextCall, answer=MessageType.EventMonitoringNextCall)
class RequestMonitorNextCall(Request):
    """Let ThisDN monitor the next call (or every call) of OtherDN."""

    this_dn: str
    other_dn: str
    monitor_next_call_type: MonitorNextCallType = MonitorNextCallType.OneCall
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestCancelMonitoring, answer=MessageType.EventMonitoringCancelled)
class RequestCancelMonitoring(Request):
    """Cancel RequestMonitorNextCall."""

    this_dn: str
    other_dn: str
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventMonitoringNextCall)
class EventMonitoringNextCall(Event):
    """Monitoring of OtherDN's next call is set."""

    this_dn: str
    other_dn: str
    customer_id: str | None = None
    monitor_next_call_type: MonitorNextCallType | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventMonitoringCancelled)
class EventMonitoringCancelled(Event):
    """Monitoring of OtherDN is cancelled."""

    this_dn: str
    other_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDNOutOfService)
class EventDNOutOfService(Event):
    """ThisDN went out of service."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventDNBackInService)
class EventDNBackInService(Event):
    """ThisDN is back in service."""

    this_dn: str
    customer_id: str | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.RequestPrivateService, answer=MessageType.EventPrivateInfo)
class RequestPrivateService(Request):
    """A service of this T-Server's own, named by PrivateMsgID."""

    this_dn: str
    conn_id: ConnID | None = None
    private_msg_id: int
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


@message(MessageType.EventPrivateInfo)
class EventPrivateInfo(Event):
    """The answer to RequestPrivateService, or an unsolicited private event."""

    this_dn: str | None = None
    conn_id: ConnID | None = None
    call_id: int | None = None
    other_dn: str | None = None
    private_msg_id: int
    customer_id: str | None = None
    user_data: KVList | None = None
    reasons: KVList | None = None
    extensions: KVList | None = None


# --------------------------------------------------------------------------------------------
# Link control (ctiemu's own message types)


@message(MessageType.KeepAliveProbe, answer=MessageType.KeepAliveAnswer)
class KeepAliveProbe(Control):
    """Are you there? Either side may send it, at any time; the other answers at once."""


@message(MessageType.KeepAliveAnswer)
class KeepAliveAnswer(Control):
    """The answer to KeepAliveProbe, carrying the probe's ReferenceID."""
