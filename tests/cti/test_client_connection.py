"""The sans-IO client connection: numbering, answers matched to requests, the server's probes
answered, keep-alive deadlines with time passed in, bad input from the server. No sockets."""

from __future__ import annotations

import pytest

from cti.client.connection import ClientConnection, Incoming, StreamBroken, Undecodable
from protocol.codec import decode, encode
from protocol.errors import ErrorCode
from protocol.messages import (
    EventDialing,
    EventError,
    EventRegistered,
    EventServerInfo,
    KeepAliveAnswer,
    KeepAliveProbe,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
)
from protocol.values import ConnID
from tests.protocol.samples import make

HELLO = RequestRegisterClient(protocol_version="1.0", application_name="t")


def info(reference_id: int | None) -> EventServerInfo:
    message = make(EventServerInfo, reference_id=reference_id)
    assert isinstance(message, EventServerInfo)
    return message


def dialing(reference_id: int | None) -> EventDialing:
    message = make(EventDialing, reference_id=reference_id, conn_id=ConnID(7))
    assert isinstance(message, EventDialing)
    return message


def registered(reference_id: int | None) -> EventRegistered:
    message = make(EventRegistered, reference_id=reference_id, this_dn="1001")
    assert isinstance(message, EventRegistered)
    return message


def test_send_numbers_requests_in_order_and_replaces_their_own_number() -> None:
    conn = ClientConnection()
    first = decode(conn.send(HELLO, 0.0))
    assert first.reference_id == 1 and conn.last_reference_id == 1
    second = decode(conn.send(RequestRegisterAddress(reference_id=99, this_dn="1001"), 0.0))
    assert second.reference_id == 2 and conn.last_reference_id == 2
    assert conn.in_flight == {1, 2}


def test_send_unnumbered_goes_as_given_and_is_not_tracked() -> None:
    conn = ClientConnection()
    request = RequestMakeCall(reference_id=42, this_dn="1001", other_dn="1002")
    assert conn.send_unnumbered(request, 0.0) == encode(request)
    assert conn.in_flight == frozenset()
    [item] = conn.receive_data(encode(dialing(42)), 0.0)
    assert isinstance(item, Incoming) and item.answers is None


def test_the_first_message_with_a_reference_answers_it_and_later_ones_are_plain() -> None:
    conn = ClientConnection()
    conn.send(HELLO, 0.0)
    data = encode(info(1)) + encode(info(1)) + encode(dialing(None))
    items = conn.receive_data(data, 1.0)
    assert [i.answers for i in items if isinstance(i, Incoming)] == [1, None, None]
    assert conn.server_info == info(1)
    assert conn.in_flight == frozenset()


def test_an_event_error_answers_its_request() -> None:
    conn = ClientConnection()
    conn.send(RequestRegisterAddress(this_dn="9"), 0.0)
    error = EventError(reference_id=1, error_code=ErrorCode.DNNotConfigured, error_message="no")
    [item] = conn.receive_data(encode(error), 0.0)
    assert item == Incoming(error, 1)


def test_a_forgotten_request_gets_its_late_answer_as_a_plain_event() -> None:
    conn = ClientConnection()
    conn.send(RequestRegisterAddress(this_dn="1001"), 0.0)
    conn.forget(1)
    answer = registered(1)
    assert conn.receive_data(encode(answer), 0.0) == [Incoming(answer, None)]


def test_frames_are_cut_from_any_split_of_the_stream() -> None:
    messages = [info(1), dialing(2), dialing(None), KeepAliveAnswer(reference_id=3)]
    stream = b"".join(encode(m) for m in messages)
    for cut in range(len(stream) + 1):
        conn = ClientConnection()
        for request in (HELLO, RequestMakeCall(this_dn="1001", other_dn="1002")):
            conn.send(request, 0.0)
        conn.send(KeepAliveProbe(), 0.0)
        items = conn.receive_data(stream[:cut], 0.0) + conn.receive_data(stream[cut:], 0.0)
        assert items == [
            Incoming(messages[0], 1),
            Incoming(messages[1], 2),
            Incoming(messages[2], None),
            Incoming(messages[3], 3),
        ]


def test_the_servers_probe_is_answered_with_its_reference() -> None:
    conn = ClientConnection()
    assert conn.receive_data(encode(KeepAliveProbe(reference_id=77)), 0.0) == []
    assert decode(conn.data_to_send()) == KeepAliveAnswer(reference_id=77)
    assert conn.data_to_send() == b""


def test_keepalive_probe_after_silence_and_loss_without_answer() -> None:
    conn = ClientConnection(now=100.0, keepalive_interval=30.0, keepalive_timeout=10.0)
    assert conn.keepalive_deadline() == 130.0
    assert conn.handle_timer(129.9) == b""
    conn.receive_data(encode(dialing(None)), 120.0)  # bytes push the deadline on
    assert conn.keepalive_deadline() == 150.0
    probe = decode(conn.handle_timer(150.0))
    assert isinstance(probe, KeepAliveProbe) and probe.reference_id is not None
    assert conn.keepalive_probes_sent == 1
    assert conn.keepalive_deadline() == 160.0
    assert conn.handle_timer(159.0) == b"" and conn.lost_reason is None
    assert conn.handle_timer(160.0) == b""
    assert conn.lost_reason is not None and "keep-alive" in conn.lost_reason
    assert conn.keepalive_deadline() is None


def test_keepalive_any_bytes_after_the_probe_keep_the_connection() -> None:
    conn = ClientConnection(now=0.0, keepalive_interval=5.0, keepalive_timeout=2.0)
    probe = decode(conn.handle_timer(5.0))
    [item] = conn.receive_data(encode(KeepAliveAnswer(reference_id=probe.reference_id)), 6.0)
    assert isinstance(item, Incoming) and item.answers == probe.reference_id
    assert conn.keepalive_deadline() == 11.0 and conn.lost_reason is None


def test_without_keepalive_there_is_no_deadline() -> None:
    conn = ClientConnection()
    assert conn.keepalive_deadline() is None and conn.handle_timer(1e9) == b""


@pytest.mark.parametrize("interval", [0, -1.0])
def test_bad_keepalive_settings_are_refused(interval: float) -> None:
    with pytest.raises(ValueError, match="keepalive_interval"):
        ClientConnection(keepalive_interval=interval)
    with pytest.raises(ValueError, match="keepalive_timeout"):
        ClientConnection(keepalive_timeout=interval)


def test_a_request_from_the_server_is_undecodable_and_the_stream_goes_on() -> None:
    conn = ClientConnection()
    request = encode(RequestMakeCall(reference_id=1, this_dn="1", other_dn="2"))
    items = conn.receive_data(request + encode(dialing(None)), 0.0)
    assert isinstance(items[0], Undecodable) and "request" in items[0].reason
    assert items[0].frame == request
    assert items[1] == Incoming(dialing(None))
    assert conn.lost_reason is None


def test_a_bad_attribute_is_undecodable() -> None:
    bad = b"CT\x00\x02\x00\x00\x00\x06\x00\x07\xff\xff\xff\xff"
    [item] = ClientConnection().receive_data(bad, 0.0)
    assert isinstance(item, Undecodable) and item.frame == bad


def test_a_broken_stream_ends_the_connection() -> None:
    conn = ClientConnection()
    items = conn.receive_data(encode(dialing(None)) + b"XX garbage", 0.0)
    assert items[0] == Incoming(dialing(None))
    assert isinstance(items[1], StreamBroken) and "bad magic" in items[1].reason
    assert conn.lost_reason == items[1].reason
    assert conn.receive_data(encode(dialing(None)), 0.0) == []


def test_an_oversized_frame_breaks_the_stream() -> None:
    conn = ClientConnection(max_frame_size=64)
    [item] = conn.receive_data(encode(info(None)) * 3, 0.0)
    assert isinstance(item, StreamBroken) and "exceeds" in item.reason
