"""Representative values of every catalogue message, for round-trip, vector and tshark tests.

HAND holds messages written out as a client or server would send them; `minimal(cls)` and
`full(cls)` build, for any message class, one instance with only its mandatory attributes and
one with every attribute set, from deterministic per-attribute values.
"""

from __future__ import annotations

from typing import Any

from protocol.enums import CallState, CallType, DNRole, MakeCallType, RegisterMode, ValueType
from protocol.messages import (
    CATALOGUE,
    AttributeSpec,
    EventDestinationBusy,
    EventDialing,
    EventError,
    EventEstablished,
    EventRegistered,
    EventReleased,
    EventRinging,
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import ConnID, KVList

CONN = ConnID(0x007102719818000D)
USER_DATA = KVList(
    [
        ("CustomerID", "C-42"),
        ("Priority", 7),
        ("Blob", b"\x00\xff"),
        ("Nested", KVList([("k", "v"), ("k", -1)])),
        ("Ünïcode", "日本語"),
        ("Priority", 8),
    ]
)
STAMP = {"event_sequence_number": 12, "time_in_secs": 1_700_000_000, "time_in_usecs": 123456}

_STRINGS = {
    "this_dn": "1001",
    "other_dn": "1002",
    "third_party_dn": "1003",
    "this_queue": "7001",
    "ani": "+15551230001",
    "dnis": "8005550100",
    "agent_id": "agent-17",
    "protocol_version": "1.0",
}


def _value(spec: AttributeSpec) -> Any:
    """A deterministic, valid value for one attribute."""
    if spec.enum is not None:
        members = list(spec.enum)
        return members[1] if len(members) > 1 else members[0]
    if spec.value_type is ValueType.String:
        return _STRINGS.get(spec.field, f"{spec.field}-x")
    if spec.value_type is ValueType.Int:
        return 1_700_000_000 if "time" in spec.field else 7
    if spec.value_type is ValueType.ConnID:
        return CONN
    if spec.value_type is ValueType.KVList:
        return USER_DATA
    return bytes(range(64)) if "mask" in spec.field else b"\x01\x02"


def make(cls: type[Message], **given: Any) -> Message:
    """An instance of cls with `given` values and defaults for every other mandatory field."""
    for fs in cls.FIELDS:
        if fs.mandatory and fs.spec.field not in given:
            given[fs.spec.field] = _value(fs.spec)
    return cls(**given)


def minimal(cls: type[Message]) -> Message:
    return make(cls)


def full(cls: type[Message]) -> Message:
    return cls(**{fs.spec.field: _value(fs.spec) for fs in cls.FIELDS})


CALL = {
    "this_dn": "1001",
    "conn_id": CONN,
    "call_type": CallType.Internal,
    "call_id": 1,
    "this_dn_role": DNRole.Origination,
    "other_dn": "1002",
    "other_dn_role": DNRole.Destination,
    "call_uuid": "00000007000000000000000000000001",
}

HAND: list[Message] = [
    RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="desk"),
    RequestRegisterClient(
        reference_id=1, protocol_version="1.3", application_name="d", application_password="pw"
    ),
    RequestRegisterAddress(reference_id=2, this_dn="1001"),
    RequestRegisterAddress(reference_id=2, this_dn="1001", register_mode=RegisterMode.Monitor),
    RequestMakeCall(reference_id=3, this_dn="1001", other_dn="1002"),
    RequestMakeCall(
        reference_id=3,
        this_dn="1001",
        other_dn="1002",
        make_call_type=MakeCallType.Priority,
        user_data=USER_DATA,
    ),
    RequestAnswerCall(reference_id=4, this_dn="1002", conn_id=CONN),
    RequestReleaseCall(reference_id=5, this_dn="1001", conn_id=CONN),
    make(
        EventServerInfo,
        reference_id=1,
        protocol_version="1.0",
        server_version="ctiemu 0.1.0",
        application_name="ctiemu",
        server_start_time=1_700_000_000,
        **STAMP,
    ),
    make(EventRegistered, reference_id=2, this_dn="1001", **STAMP),
    EventError(reference_id=9, error_code=56, error_message="no call", **STAMP),
    EventError(error_code=705, this_dn="1001", conn_id=CONN),
    EventDialing(reference_id=3, **CALL, **STAMP),
    make(
        EventRinging,
        **{**CALL, "this_dn": "1002", "this_dn_role": DNRole.Destination},
        call_state=CallState.Ok,
        **STAMP,
    ),
    make(EventDestinationBusy, **CALL, call_state=CallState.Busy, **STAMP),
    make(EventEstablished, **CALL, call_state=CallState.Ok, user_data=USER_DATA, **STAMP),
    make(EventReleased, **CALL, call_state=CallState.Ok, **STAMP),
    make(EventReleased, this_dn="1001", conn_id=ConnID(2**64 - 1), call_type=CallType.Unknown),
    KeepAliveProbe(reference_id=77),
    KeepAliveAnswer(reference_id=77),
]

SAMPLES: list[Message] = HAND + [full(cls) for cls in CATALOGUE.values()]
SAMPLES += [minimal(cls) for cls in CATALOGUE.values()]
