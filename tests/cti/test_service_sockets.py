"""The T-Server under load and abuse, over real sockets: a thousand clients at once, a slow
reader beside normal clients, a client dropped in mid-call, a flood of malformed input while
others make calls, keep-alive, TLS and authentication.

Loopback only, port 0, real time, an absolute `fail_after` around every test body. The abusive
clients are raw streams (they must be able to misbehave); the well-behaved ones use the client
library.
"""

from __future__ import annotations

import logging
import random
import ssl
import struct
from dataclasses import replace

import pytest
import trio
import trustme

from cti.client import open_client
from cti.server.build import run_server
from cti.server.config import ApplicationConfig, Config, ServerConfig, default_config
from cti.server.core import AUTH_BACKOFF_FIRST
from protocol.codec import decode, encode
from protocol.enums import AddressInfoType, RegisterMode
from protocol.errors import ErrorCode
from protocol.framer import Framer
from protocol.messages import (
    Event,
    EventAddressInfo,
    EventDialing,
    EventError,
    EventRegistered,
    EventRinging,
    EventServerInfo,
    EventUserEvent,
    KeepAliveProbe,
    Message,
    RequestAgentLogin,
    RequestAnswerCall,
    RequestDistributeUserEvent,
    RequestMakeCall,
    RequestQueryAddress,
    RequestQueryServer,
    RequestRegisterAddress,
    RequestRegisterAll,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import KVList


def config_with(**server: object) -> Config:
    config = default_config()
    settings = replace(config.server, host="127.0.0.1", port=0, **server)  # type: ignore[arg-type]
    return replace(config, server=settings)


async def start(nursery: trio.Nursery, config: Config) -> int:
    listeners: list[trio.SocketListener] = await nursery.start(run_server, config)
    port: int = listeners[0].socket.getsockname()[1]
    return port


class Raw:
    """A hand-driven client: it sends what it is told and reads only when asked."""

    def __init__(self, stream: trio.abc.Stream) -> None:
        self.stream = stream
        self.framer = Framer(64 * 1024 * 1024)

    @classmethod
    async def connect(
        cls,
        port: int,
        app: str = "raw",
        *dns: str,
        password: str | None = None,
        mode: RegisterMode = RegisterMode.Monitor,
    ) -> Raw:
        raw = cls(await trio.open_tcp_stream("127.0.0.1", port))
        await raw.handshake(app, *dns, password=password, mode=mode)
        return raw

    async def handshake(
        self,
        app: str,
        *dns: str,
        password: str | None = None,
        mode: RegisterMode = RegisterMode.Monitor,
    ) -> None:
        register = [RequestRegisterAddress(this_dn=dn, register_mode=mode) for dn in dns]
        await self.send(
            RequestRegisterClient(
                reference_id=1,
                protocol_version="1.0",
                application_name=app,
                application_password=password,
            ),
            *register,
        )
        info = await self.next()
        assert isinstance(info, EventServerInfo), info
        for _ in dns:
            assert isinstance(await self.next(), EventRegistered)

    async def send(self, *messages: Message | bytes) -> None:
        await self.stream.send_all(
            b"".join(m if isinstance(m, bytes) else encode(m) for m in messages)
        )

    async def next(self) -> Message | None:
        """The next message, or None at end of stream."""
        while True:
            frame = self.framer.next_frame()
            if frame is not None:
                return decode(frame)
            try:
                data = await self.stream.receive_some(65536)
            except trio.BrokenResourceError:
                return None
            if not data:
                return None
            self.framer.receive_data(bytes(data))

    async def until_closed(self) -> list[Message]:
        seen = []
        while (message := await self.next()) is not None:
            seen.append(message)
        return seen


async def test_a_thousand_clients_at_once(nursery: trio.Nursery) -> None:
    with trio.fail_after(60):
        port = await start(nursery, config_with())
        clients: list[Raw] = []

        async def join() -> None:
            clients.append(await Raw.connect(port, "watch", "1002"))

        async with trio.open_nursery() as joining:
            for _ in range(1000):
                joining.start_soon(join)
        assert len(clients) == 1000
        async with open_client("127.0.0.1", port, application_name="caller") as caller:
            await caller.register_address("1001")
            dialing = await caller.request(RequestMakeCall(this_dn="1001", other_dn="1002"))
            assert isinstance(dialing, EventDialing)
            for raw in clients:
                ringing = await raw.next()
                assert isinstance(ringing, Event) and ringing.conn_id == dialing.conn_id  # type: ignore[attr-defined]
            info = await caller.request(RequestQueryServer())
            assert isinstance(info, EventServerInfo) and info.extensions is not None
            assert dict(info.extensions)["clients"] == 1001
        for raw in clients:
            await raw.stream.aclose()


async def test_a_slow_reader_is_dropped_and_the_others_keep_up(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    with trio.fail_after(30):
        port = await start(
            nursery,
            config_with(max_output_bytes=256 * 1024, max_request_user_data_bytes=65536),
        )
        stuck = await Raw.connect(port, "stuck", "1002")  # and then it never reads
        big = KVList([("blob", "x" * 50_000)])
        sent = 120  # 6 MB: more than the kernel buffers and the output queue together
        with caplog.at_level(logging.WARNING, logger="ctiemu.core"):
            async with (
                open_client("127.0.0.1", port, application_name="sender") as sender,
                open_client("127.0.0.1", port, application_name="reader") as reader,
            ):
                await reader.register_address("1002", RegisterMode.Monitor)
                for _ in range(sent):
                    await sender.request(
                        RequestDistributeUserEvent(this_dn="1002", user_event=1, user_data=big)
                    )
                got = 0
                while got < sent:
                    event = await reader.next_event(timeout=10)
                    got += isinstance(event, EventUserEvent)
                info = await sender.request(RequestQueryServer())
                assert info.extensions is not None  # type: ignore[attr-defined]
                assert dict(info.extensions)["slow_readers_dropped"] == 1  # type: ignore[attr-defined]
        # what the stuck client still finds in its socket ends with the server hanging up
        await stuck.until_closed()
        drops = [r for r in caplog.records if "slow reader" in r.getMessage()]
        assert len(drops) == 1 and "stuck" in drops[0].getMessage()


async def test_a_client_dropped_in_mid_call(nursery: trio.Nursery) -> None:
    with trio.fail_after(15):
        port = await start(nursery, config_with(logout_on_disconnect=True))
        async with open_client("127.0.0.1", port, application_name="other") as other:
            await other.register_address("1002")
            desk = await Raw.connect(port, "desk", "1001", mode=RegisterMode.Private)
            await desk.send(
                RequestAgentLogin(reference_id=5, this_dn="1001", agent_id="agent1"),
                RequestMakeCall(reference_id=6, this_dn="1001", other_dn="1002"),
            )
            dialing = None
            while dialing is None:
                event = await other.next_event()
                if isinstance(event, EventRinging):
                    dialing = event
            await other.request(RequestAnswerCall(this_dn="1002", conn_id=dialing.conn_id))
            await desk.stream.aclose()  # gone, in mid-call, without a word
            # the call goes on; its other party ends it
            released = await other.request(
                RequestReleaseCall(this_dn="1002", conn_id=dialing.conn_id)
            )
            assert released.this_dn == "1002"  # type: ignore[attr-defined]
            # logout_on_disconnect logged its agent out
            status = await other.request(
                RequestQueryAddress(this_dn="1001", address_info_type=AddressInfoType.AgentStatus)
            )
            assert isinstance(status, EventAddressInfo) and status.agent_id is None
            # the private registration ended with the connection: 1001 is free to take
            again = await Raw.connect(port, "desk2", "1001", mode=RegisterMode.Private)
            await again.stream.aclose()


async def test_a_flood_of_bad_input_while_others_make_calls(
    nursery: trio.Nursery, caplog: pytest.LogCaptureFixture
) -> None:
    with trio.fail_after(30):
        # 200/s: the flood's 6,000 requests would need 30 s; however fast or slow the machine
        # handles them, most are over the limit
        port = await start(nursery, config_with(max_requests_per_second=200))
        rng = random.Random(7)
        outcomes: dict[str, list[Message]] = {}

        async def garbage() -> None:  # not our protocol at all: EventError 702, then closed
            raw = Raw(await trio.open_tcp_stream("127.0.0.1", port))
            await raw.send(bytes(rng.randrange(256) for _ in range(5000)))
            outcomes["garbage"] = await raw.until_closed()

        async def oversized() -> None:  # a frame header announcing 100 MB: 703, then closed
            raw = Raw(await trio.open_tcp_stream("127.0.0.1", port))
            await raw.send(struct.pack(">2sHI", b"CT", 2, 100_000_000))
            outcomes["oversized"] = await raw.until_closed()

        async def malformed() -> None:  # well framed, bad content: one 701 each, still open
            # (150: within the rate limit's burst, which bad frames count against too)
            raw = await Raw.connect(port, "malformed")
            frame = struct.pack(">2sHI", b"CT", 2, 6) + b"\x00\x07\xff\xff\xff\xff"
            await raw.send(frame * 150)
            errors = [await raw.next() for _ in range(150)]
            outcomes["malformed"] = errors  # type: ignore[assignment]
            await raw.send(RequestQueryServer(reference_id=9))
            outcomes["after"] = [await raw.next()]  # type: ignore[list-item]
            await raw.stream.aclose()

        async def flood() -> None:  # requests far faster than allowed: 712 for the excess
            raw = await Raw.connect(port, "flood")
            await raw.send(*[RequestQueryServer(reference_id=i) for i in range(6000)])
            outcomes["flood"] = [await raw.next() for _ in range(6000)]  # type: ignore[misc]
            await raw.stream.aclose()

        calls_done = 0

        async def calls() -> None:
            nonlocal calls_done
            async with (
                open_client("127.0.0.1", port, application_name="a") as a,
                open_client("127.0.0.1", port, application_name="b") as b,
            ):
                await a.register_address("1003")
                await b.register_address("1004")
                for _ in range(30):
                    dialing = await a.request(RequestMakeCall(this_dn="1003", other_dn="1004"))
                    conn = dialing.conn_id  # type: ignore[attr-defined]
                    await b.request(RequestAnswerCall(this_dn="1004", conn_id=conn))
                    await a.request(RequestReleaseCall(this_dn="1003", conn_id=conn))
                    calls_done += 1

        with caplog.at_level(logging.DEBUG, logger="ctiemu"):
            async with trio.open_nursery() as everyone:
                for task in (garbage, oversized, malformed, flood, calls):
                    everyone.start_soon(task)
        assert calls_done == 30

        def codes(messages: list[Message]) -> set[int]:
            return {m.error_code for m in messages if isinstance(m, EventError)}

        assert codes(outcomes["garbage"]) == {ErrorCode.FramingError}
        assert codes(outcomes["oversized"]) == {ErrorCode.FrameTooLarge}
        assert codes(outcomes["malformed"]) == {ErrorCode.MalformedMessage}
        assert isinstance(outcomes["after"][0], EventServerInfo)
        flood_codes = [getattr(m, "error_code", None) for m in outcomes["flood"]]
        assert flood_codes.count(ErrorCode.TooManyRequests) > 0
        assert flood_codes.count(None) >= 200  # the allowed burst (a second's worth) was served
        assert "Traceback" not in caplog.text
        assert not [r for r in caplog.records if r.levelno >= logging.ERROR]


async def test_keepalive_drops_a_client_that_stops_answering(nursery: trio.Nursery) -> None:
    with trio.fail_after(15):
        port = await start(nursery, config_with(keepalive_interval=0.3, keepalive_timeout=0.3))
        async with open_client("127.0.0.1", port, application_name="alive") as alive:
            mute = await Raw.connect(port, "mute")  # speaks keep-alive once, then never again
            await mute.send(KeepAliveProbe(reference_id=9))
            stranger = await Raw.connect(port, "stranger")  # never speaks it: left alone
            start_time = trio.current_time()
            seen = await mute.until_closed()
            assert any(isinstance(m, KeepAliveProbe) for m in seen)
            assert 0.5 <= trio.current_time() - start_time < 5
            await trio.sleep(1.0)  # the library answers the server's probes: still here
            assert isinstance(await alive.request(RequestQueryServer()), EventServerInfo)
            await stranger.send(RequestQueryServer(reference_id=5))
            assert isinstance(await stranger.next(), EventServerInfo)


async def test_tls(nursery: trio.Nursery, tmp_path: object) -> None:
    from pathlib import Path

    assert isinstance(tmp_path, Path)
    ca = trustme.CA()
    cert = ca.issue_cert("127.0.0.1")
    cert_file, key_file = tmp_path / "cert.pem", tmp_path / "key.pem"
    cert.private_key_and_cert_chain_pem.write_to_path(str(cert_file))
    cert.private_key_pem.write_to_path(str(key_file))
    with trio.fail_after(15):
        port = await start(
            nursery, config_with(tls_certificate=str(cert_file), tls_private_key=str(key_file))
        )
        context = ssl.create_default_context()
        ca.configure_trust(context)
        stream = await trio.open_ssl_over_tcp_stream("127.0.0.1", port, ssl_context=context)
        secure = Raw(stream)
        await secure.handshake("secure", "1001")
        # a client speaking plain TCP to the TLS port gets nowhere, and nobody else suffers
        plain = await trio.open_tcp_stream("127.0.0.1", port)
        hello = RequestRegisterClient(protocol_version="1.0", application_name="p")
        await plain.send_all(encode(hello))
        answer = b""
        try:
            while data := await plain.receive_some(1024):
                answer += data
        except trio.BrokenResourceError:
            pass
        assert not answer.startswith(b"CT")  # no frame of ours, only a TLS alert at most
        await secure.send(RequestQueryServer(reference_id=4))
        assert isinstance(await secure.next(), EventServerInfo)
        await secure.stream.aclose()
        # the client library speaks TLS too
        async with open_client(
            "127.0.0.1", port, application_name="lib", ssl_context=context
        ) as client:
            assert isinstance(await client.request(RequestQueryServer()), EventServerInfo)


async def test_authentication_over_the_wire(nursery: trio.Nursery) -> None:
    apps = (ApplicationConfig("desk", password="s3cret"),)
    with trio.fail_after(10):
        port = await start(nursery, config_with(authenticate=True, applications=apps))
        raw = Raw(await trio.open_tcp_stream("127.0.0.1", port))
        await raw.send(
            RequestRegisterClient(
                reference_id=1,
                protocol_version="1.0",
                application_name="desk",
                application_password="guess",
            )
        )
        [error] = await raw.until_closed()
        assert isinstance(error, EventError) and error.error_code == ErrorCode.AuthenticationFailed
        await trio.sleep(AUTH_BACKOFF_FIRST * 1.5)  # the documented back-off after a failure
        async with open_client(
            "127.0.0.1", port, application_name="desk", password="s3cret"
        ) as desk:
            await desk.request(RequestRegisterAll())
        assert ServerConfig().authenticate is False  # off unless configured
