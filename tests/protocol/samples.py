"""Representative values of every catalogue message, for round-trip and vector tests."""

from __future__ import annotations

from protocol.enums import AddressType, CallState, CallType, DNRole, MakeCallType, RegisterMode
from protocol.messages import (
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
CALL = {
    "this_dn": "1001",
    "conn_id": CONN,
    "call_type": CallType.Internal,
    "this_dn_role": DNRole.Origination,
    "other_dn": "1002",
    "other_dn_role": DNRole.Destination,
    "call_uuid": "00000007000000000000000000000001",
}

SAMPLES: list[Message] = [
    RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="desk"),
    RequestRegisterClient(
        reference_id=1, protocol_version="1.3", application_name="d", application_password="pw"
    ),
    RequestRegisterAddress(reference_id=2, this_dn="1001"),
    RequestRegisterAddress(
        reference_id=2,
        this_dn="1001",
        register_mode=RegisterMode.Monitor,
        address_type=AddressType.DN,
    ),
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
    EventServerInfo(
        reference_id=1,
        protocol_version="1.0",
        server_version="ctiemu 0.1.0",
        application_name="ctiemu",
        server_start_time=1_700_000_000,
        extensions=KVList([("capabilities", KVList([("RequestMakeCall", 1)]))]),
        **STAMP,
    ),
    EventRegistered(reference_id=2, this_dn="1001", **STAMP),
    EventError(reference_id=9, error_code=56, error_message="no call", **STAMP),
    EventError(error_code=705, this_dn="1001", conn_id=CONN),
    EventDialing(reference_id=3, **CALL, **STAMP),
    EventRinging(**{**CALL, "this_dn": "1002", "this_dn_role": DNRole.Destination}, **STAMP),
    EventDestinationBusy(**CALL, call_state=CallState.Busy, **STAMP),
    EventEstablished(**CALL, user_data=USER_DATA, **STAMP),
    EventReleased(**CALL, call_state=CallState.Ok, **STAMP),
    EventReleased(this_dn="1001", conn_id=ConnID(2**64 - 1), call_type=CallType.Unknown),
    KeepAliveProbe(reference_id=77),
    KeepAliveAnswer(reference_id=77),
]
