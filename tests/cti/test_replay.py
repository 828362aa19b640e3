"""The replay engine: record sessions through a small recording proxy, replay them against a
fresh server, and check that the same behaviour passes and changed behaviour is caught: a
different event, a ConnID that changes in mid-call, a missing or an extra event. Real sockets on
127.0.0.1, port 0, under an absolute fail_after."""

from __future__ import annotations

import dataclasses
import itertools
from dataclasses import dataclass, field, replace
from functools import partial
from xml.etree import ElementTree

import trio

from cti.capture.replay import C2S, S2C, replay_sessions
from cti.client import open_client
from cti.server.build import run_server
from cti.server.config import Config, default_config
from protocol.codec import decode
from protocol.enums import SimService
from protocol.framer import Framer
from protocol.messages import (
    EventEstablished,
    EventRinging,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
    RequestPrivateService,
    RequestReleaseCall,
)
from protocol.values import ConnID, KVList

LIMIT = 20


@dataclass
class Rec:
    direction: str
    time: float
    frame: bytes
    message: Message | None


@dataclass
class Sess:
    client: tuple[str, int]
    records: list[Rec] = field(default_factory=list)
    end: float | None = None


async def start(nursery: trio.Nursery, config: Config | None = None) -> int:
    config = config or default_config()
    config = replace(config, server=replace(config.server, host="127.0.0.1", port=0))
    listeners: list[trio.SocketListener] = await nursery.start(run_server, config)
    port: int = listeners[0].socket.getsockname()[1]
    return port


class Recorder:
    """A transparent proxy that keeps every frame of every connection, with a global order."""

    def __init__(self, server_port: int) -> None:
        self.server_port = server_port
        self.sessions: list[Sess] = []
        self.clock = itertools.count()

    async def handle(self, client: trio.SocketStream) -> None:
        upstream = await trio.open_tcp_stream("127.0.0.1", self.server_port)
        session = Sess(client.socket.getpeername()[:2])
        self.sessions.append(session)

        async def pump(src: trio.abc.Stream, dst: trio.abc.Stream, direction: str) -> None:
            framer = Framer()
            try:
                while data := await src.receive_some(65536):
                    framer.receive_data(bytes(data))
                    for frame in framer.frames():
                        session.records.append(
                            Rec(direction, next(self.clock), frame, decode(frame))
                        )
                    await dst.send_all(data)
            except (trio.BrokenResourceError, trio.ClosedResourceError):
                pass
            session.end = session.end or next(self.clock)
            await trio.aclose_forcefully(dst)

        async with trio.open_nursery() as nursery:
            nursery.start_soon(pump, client, upstream, C2S)
            nursery.start_soon(pump, upstream, client, S2C)


async def record_scenario(nursery: trio.Nursery) -> list[Sess]:
    """A desk calls another desk, which answers; the caller hangs up; then a customer calls in
    through the simulated network and hangs up while it rings."""
    recorder = Recorder(await start(nursery))
    listeners = await nursery.start(partial(trio.serve_tcp, recorder.handle, 0, host="127.0.0.1"))
    port = listeners[0].socket.getsockname()[1]
    async with (
        open_client("127.0.0.1", port, application_name="a", keepalive_interval=None) as a,
        open_client("127.0.0.1", port, application_name="b", keepalive_interval=None) as b,
    ):
        await a.register_address("1001")
        await b.register_address("1002")
        dialing = await a.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
        conn = dialing.conn_id  # type: ignore[attr-defined]
        await b.wait_for(EventRinging)
        await b.request(RequestAnswerCall(this_dn="1002", conn_id=conn))
        await a.wait_for(EventEstablished)
        await a.request(RequestReleaseCall(this_dn="1001", conn_id=conn))
        async with open_client(
            "127.0.0.1", port, application_name="ctiemu-sim", keepalive_interval=None
        ) as sim:
            params = KVList([("ANI", "+15550100"), ("DNIS", "1002")])
            info = await sim.request(
                RequestPrivateService(
                    this_dn="", private_msg_id=SimService.Inbound, user_data=params
                )
            )
            await b.wait_for(EventRinging)
            await sim.request(
                RequestPrivateService(
                    this_dn="",
                    conn_id=info.conn_id,
                    private_msg_id=SimService.HangUp,  # type: ignore[attr-defined]
                )
            )
        await trio.sleep(0.2)
    await trio.sleep(0.2)
    return recorder.sessions


async def test_a_recorded_run_replays_cleanly(nursery: trio.Nursery) -> None:
    with trio.fail_after(LIMIT):
        sessions = await record_scenario(nursery)
        assert len(sessions) == 3
        fresh = await start(nursery)
        result = await replay_sessions(sessions, "127.0.0.1", fresh, source="scenario")
        assert result.ok, result.report()
        assert [s.name for s in result.sessions] == ["a", "b", "ctiemu-sim"]
        assert result.messages == sum(len(s.records) for s in sessions)
        xml = ElementTree.fromstring(result.junit())
        suite = xml.find("testsuite")
        assert suite is not None and suite.get("tests") == "3" and suite.get("failures") == "0"


def _edit(sessions: list[Sess], si: int, ri: int, **changes: object) -> list[Sess]:
    copied = [dataclasses.replace(s, records=list(s.records)) for s in sessions]
    record = copied[si].records[ri]
    assert record.message is not None
    copied[si].records[ri] = dataclasses.replace(
        record, message=dataclasses.replace(record.message, **changes)
    )
    return copied


def _first(sessions: list[Sess], si: int, cls: type) -> int:
    return next(i for i, r in enumerate(sessions[si].records) if isinstance(r.message, cls))


async def test_changed_behaviour_is_caught(nursery: trio.Nursery) -> None:
    with trio.fail_after(LIMIT):
        sessions = await record_scenario(nursery)
        ringing = _first(sessions, 1, EventRinging)
        # a different OtherDN
        wrong = _edit(sessions, 1, ringing, other_dn="1009")
        result = await replay_sessions(wrong, "127.0.0.1", await start(nursery), timeout=1)
        assert not result.ok
        [difference] = [d for s in result.sessions for d in s.differences]
        assert (
            difference.record == ringing
            and "other_dn: expected '1009', got '1001'" in difference.text
        )
        # a ConnID that changes in mid-call: the recorded Established at b names another call
        established = _first(sessions, 1, EventEstablished)
        moved = _edit(sessions, 1, established, conn_id=ConnID(0x1234))
        result = await replay_sessions(moved, "127.0.0.1", await start(nursery), timeout=1)
        texts = [d.text for s in result.sessions for d in s.differences]
        assert any(
            "conn_id: live" in t and "already stands for recorded ConnID #1" in t for t in texts
        ), texts
        # an event the server no longer sends (recorded one more than there is)
        extra = [dataclasses.replace(s, records=list(s.records)) for s in sessions]
        extra[0].records.insert(
            _first(sessions, 0, EventEstablished) + 1,
            dataclasses.replace(extra[0].records[_first(sessions, 0, EventEstablished)]),
        )
        result = await replay_sessions(extra, "127.0.0.1", await start(nursery), timeout=0.5)
        texts = [d.text for s in result.sessions for d in s.differences]
        assert any("nothing came within 0.5 s" in t for t in texts) or any(
            "expected EventEstablished" in t for t in texts
        ), texts
        report = result.report()
        assert "difference(s)" in report and "session 1 (a," in report
        failures = ElementTree.fromstring(result.junit()).iter("failure")
        assert any(f.text for f in failures)
