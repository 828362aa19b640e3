"""Captures end to end: the recording tap (`ctiemu capture`), `ctiemu serve --capture`, and
`ctiemu decode`. Real sockets on 127.0.0.1 with ports chosen by the OS, real time, each test
under an absolute `trio.fail_after`.
"""

from __future__ import annotations

import json
import re
import signal
import subprocess
import time
from dataclasses import replace
from pathlib import Path

import pytest
import trio

from cti.capture.pcap import C2S, S2C, CtiSession, PcapWriter, read_sessions
from cti.capture.tap import Tap
from cti.cli.main import main
from cti.client import TClient, open_client
from cti.server.build import run_server
from cti.server.config import default_config
from protocol.codec import encode
from protocol.messages import (
    CallEvent,
    Event,
    EventReleased,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from tests.test_cli import CTIEMU, ENV

LIMIT = 90  # seconds, real time: wide, commands start Python processes on a shared machine


async def start_server(nursery: trio.Nursery, capture: PcapWriter | None = None) -> int:
    config = default_config()
    config = replace(config, server=replace(config.server, host="127.0.0.1", port=0))
    listeners: list[trio.SocketListener] = await nursery.start(
        lambda task_status: run_server(config, capture=capture, task_status=task_status)
    )
    return int(listeners[0].socket.getsockname()[1])


async def a_call(port: int, server_port: int) -> tuple[list[Event], tuple[str, int]]:
    """Client A (through `port`) calls 1002, client B (straight to the server) answers, A
    releases. Returns every event A received, in order, and A's own address."""
    async with (
        open_client("127.0.0.1", port, application_name="a") as a,
        open_client("127.0.0.1", server_port, application_name="b") as b,
    ):
        await a.register_address("1001")
        await b.register_address("1002")
        dialing = await a.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
        assert isinstance(dialing, CallEvent)
        while not isinstance(await b.next_event(), CallEvent):
            pass
        await b.request(RequestAnswerCall(this_dn="1002", conn_id=dialing.conn_id))
        await a.request(RequestReleaseCall(this_dn="1001", conn_id=dialing.conn_id))
        seen = await events_until_released(a, "1001")
        stream = a.stream
        assert isinstance(stream, trio.SocketStream)
        host, client_port = stream.socket.getsockname()[:2]
    return seen, (host, client_port)


async def events_until_released(client: TClient, dn: str) -> list[Event]:
    seen: list[Event] = []
    while True:
        event = await client.next_event(timeout=LIMIT)
        seen.append(event)
        if isinstance(event, EventReleased) and event.this_dn == dn:
            return seen


def check_call_session(session: CtiSession, seen: list[Event]) -> None:
    """The capture holds what A sent and exactly what A received."""
    assert session.gaps == []
    assert all(r.error is None for r in session.records)
    sent = [r.message for r in session.records if r.direction == C2S]
    assert [(type(m), m.reference_id) for m in sent if m is not None] == [
        (RequestRegisterClient, 1),
        (RequestRegisterAddress, 2),
        (RequestMakeCall, 3),
        (RequestReleaseCall, 4),
    ]
    assert [r.message for r in session.records if r.direction == S2C] == seen
    times = [r.time for r in session.records]
    assert times == sorted(times)
    assert session.start <= times[0]


async def test_tap_records_both_directions(nursery: trio.Nursery, tmp_path: Path) -> None:
    path = tmp_path / "tap.pcap"
    with trio.fail_after(LIMIT), path.open("wb") as f:
        server_port = await start_server(nursery)
        writer = PcapWriter(f)
        tap = Tap(("127.0.0.1", server_port), writer)
        async with trio.open_nursery() as tapping:
            listeners: list[trio.SocketListener] = await tapping.start(tap.serve, ("127.0.0.1", 0))
            tap_port = listeners[0].socket.getsockname()[1]
            seen, client = await a_call(tap_port, server_port)
            # every byte either way went into the pcap before the tap passed it on
            tapping.cancel_scope.cancel()
    [session] = read_sessions(path)
    assert session.client == client
    assert session.server == ("127.0.0.1", server_port)  # the real server, not the tap
    check_call_session(session, seen)
    assert tap.connections == 1
    assert tap.bytes[S2C] == sum(len(encode(e)) for e in seen)


async def test_tap_with_unreachable_server_closes_the_client(tmp_path: Path) -> None:
    with trio.fail_after(LIMIT), (tmp_path / "t.pcap").open("wb") as f:
        tap = Tap(("127.0.0.1", 1), PcapWriter(f))
        async with trio.open_nursery() as tapping:
            listeners: list[trio.SocketListener] = await tapping.start(tap.serve, ("127.0.0.1", 0))
            stream = await trio.open_tcp_stream("127.0.0.1", listeners[0].socket.getsockname()[1])
            assert await stream.receive_some(100) == b""
            await stream.aclose()
            tapping.cancel_scope.cancel()
    assert tap.connections == 0


async def test_server_capture_in_process(nursery: trio.Nursery, tmp_path: Path) -> None:
    path = tmp_path / "server.pcap"
    with trio.fail_after(LIMIT), path.open("wb") as f:
        writer = PcapWriter(f)
        port = await start_server(nursery, writer)
        seen, client = await a_call(port, port)  # recorded before it was handled or sent
    sessions = read_sessions(path)
    assert [s.server for s in sessions] == [("127.0.0.1", port)] * 2
    [session] = [s for s in sessions if s.client == client]
    check_call_session(session, seen)


async def read_until(stream: trio.abc.ReceiveStream, pattern: str) -> re.Match[str]:
    text = ""
    while True:
        match = re.search(pattern, text)
        if match:
            return match
        data = await stream.receive_some(4096)
        assert data, f"process ended without printing {pattern!r}: {text}"
        text += data.decode()


async def test_capture_command_until_sigint(nursery: trio.Nursery, tmp_path: Path) -> None:
    path = tmp_path / "cli.pcap"
    with trio.fail_after(LIMIT):
        server_port = await start_server(nursery)
        proc = await trio.lowlevel.open_process(
            [
                *(*CTIEMU, "capture", "--listen", "127.0.0.1:0"),
                *("--server", f"127.0.0.1:{server_port}", "-o", str(path)),
            ],
            stderr=subprocess.PIPE,
            env=ENV,
        )
        assert proc.stderr is not None
        match = await read_until(proc.stderr, r"listening on 127\.0\.0\.1:(\d+)")
        seen, client = await a_call(int(match.group(1)), server_port)
        await trio.sleep(0.2)
        proc.send_signal(signal.SIGINT)
        assert await proc.wait() == 0
        rest = await read_until(proc.stderr, r"(\d+) connections.*\n")
        assert rest.group(1) == "1"
    [session] = read_sessions(path)
    assert session.client == client
    check_call_session(session, seen)


def test_serve_capture_command(tmp_path: Path) -> None:
    path = tmp_path / "serve.pcap"
    proc = subprocess.Popen(
        [*CTIEMU, "serve", "--port", "0", "--capture", str(path)],
        stderr=subprocess.PIPE,
        text=True,
        env=ENV,
    )
    assert proc.stderr is not None
    try:
        port = 0
        for line in proc.stderr:
            match = re.search(r"serving on 127\.0\.0\.1:(\d+)", line)
            if match:
                port = int(match.group(1))
                break

        async def client() -> tuple[list[Event], tuple[str, int]]:
            with trio.fail_after(LIMIT):
                return await a_call(port, port)

        seen, me = trio.run(client)
    finally:
        time.sleep(0.2)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=LIMIT) == 0
    sessions = read_sessions(path)
    [session] = [s for s in sessions if s.client == me]
    assert session.server == ("127.0.0.1", port)
    check_call_session(session, seen)


# ------------------------------------------------------------------------------------------------
# ctiemu decode


def sample_capture(path: Path) -> list[Message]:
    messages: list[Message] = [
        RequestRegisterClient(reference_id=1, protocol_version="1.0", application_name="desk"),
        RequestMakeCall(reference_id=2, this_dn="1001", other_dn="1002"),
    ]
    with path.open("wb") as f:
        writer = PcapWriter(f)
        a = writer.open(("10.0.0.1", 40000), ("10.0.0.2", 7000), 1_700_000_000.0)
        b = writer.open(("::1", 40001), ("::1", 7100), 1_700_000_001.0)
        writer.data(a, C2S, encode(messages[0]), 1_700_000_000.25)
        writer.data(a, C2S, encode(messages[1])[:10], 1_700_000_000.5)
        writer.data(a, C2S, encode(messages[1])[10:], 1_700_000_000.75)
        writer.data(b, C2S, b"CT\x00\x0e\x00\x00\x00\x02\x00\x00", 1_700_000_001.5)
        writer.data(b, C2S, b"CT\x00\x0e\x00\x00", 1_700_000_001.75)
        writer.close_all(1_700_000_002.0)
    return messages


def test_decode_readable(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.pcap"
    sample_capture(path)
    assert main(["decode", str(path)]) == 0
    assert capsys.readouterr().out.splitlines() == [
        "session 0: 10.0.0.1:40000 -> 10.0.0.2:7000, start 2023-11-14 22:13:20.000000 UTC",
        "  +0.250000 -> RequestRegisterClient ref=1 protocol_version=1.0 application_name=desk",
        "  +0.750000 -> RequestMakeCall 1001 ref=2 other=1002 make_call_type=Regular",
        "session 1: [::1]:40001 -> [::1]:7100, start 2023-11-14 22:13:21.000000 UTC",
        "  +0.500000 -> undecodable frame of 10 bytes: truncated attribute header (2 of 7 bytes) "
        "(message RequestMakeCall, offset 8)",
        "  gap: c2s: 6 bytes of an incomplete frame at the end",
    ]
    assert main(["decode", str(path), "--port", "7100"]) == 0
    assert capsys.readouterr().out.startswith("session 0: [::1]:40001 -> [::1]:7100")


def test_decode_json(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "d.pcap"
    messages = sample_capture(path)
    assert main(["decode", "--json", str(path)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert lines == [
        {
            "session": 0,
            "client": "10.0.0.1:40000",
            "server": "10.0.0.2:7000",
            "start": 1_700_000_000.0,
            "messages": 2,
            "gaps": [],
        },
        {
            "session": 0,
            "time": 1_700_000_000.25,
            "direction": "c2s",
            "message": messages[0].to_dict(),
        },
        {
            "session": 0,
            "time": 1_700_000_000.75,
            "direction": "c2s",
            "message": messages[1].to_dict(),
        },
        {
            "session": 1,
            "client": "[::1]:40001",
            "server": "[::1]:7100",
            "start": 1_700_000_001.0,
            "messages": 1,
            "gaps": ["c2s: 6 bytes of an incomplete frame at the end"],
        },
        {
            "session": 1,
            "time": 1_700_000_001.5,
            "direction": "c2s",
            "error": "truncated attribute header (2 of 7 bytes) (message RequestMakeCall, "
            "offset 8)",
            "frame": "4354000e000000020000",
        },
    ]
    assert lines[1]["message"]["message"] == "RequestRegisterClient"


def test_decode_errors(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good = tmp_path / "good.pcap"
    sample_capture(good)
    data = good.read_bytes()
    (tmp_path / "cut.pcap").write_bytes(data[:-7])
    (tmp_path / "text.pcap").write_text("hello, this is no capture\n")
    with (tmp_path / "empty.pcap").open("wb") as f:
        PcapWriter(f)
    cases = {
        "missing.pcap": "cannot read: No such file or directory",
        "cut.pcap": "record 17 at offset",
        "text.pcap": "not a pcap or pcapng file",
        "empty.pcap": "holds 0 TCP streams, none carries ctiemu frames",
    }
    for name, text in cases.items():
        assert main(["decode", str(tmp_path / name)]) == 2
        out, err = capsys.readouterr()
        assert out == ""
        assert err.startswith(f"ctiemu: {tmp_path / name}") and text in err, err
        assert err.count("\n") == 1
    assert main(["decode", str(good), "--port", "80"]) == 2
    assert "(0 on port 80)" in capsys.readouterr().err
    run = subprocess.run(
        [*CTIEMU, "decode", str(tmp_path / "cut.pcap")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=ENV,
    )
    assert run.returncode == 2
    assert run.stdout == "" and "Traceback" not in run.stderr
    assert run.stderr.startswith("ctiemu: ")


def test_decode_command_prints_a_session(tmp_path: Path) -> None:
    path = tmp_path / "d.pcap"
    sample_capture(path)
    run = subprocess.run(
        [*CTIEMU, "decode", str(path), "--json"],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=ENV,
    )
    assert run.returncode == 0, run.stderr
    assert [json.loads(line)["session"] for line in run.stdout.splitlines()] == [0, 0, 0, 1, 1]
