"""Benchmark: the T-Server under load, over real sockets, clients in this process and the server
in a subprocess (`python -m cti.cli serve`). Prints one JSON line.

(a) baseline: benchmarks/tserver_baseline.py in its own subprocess pushes pre-encoded frames of
    basic calls (6 events a call) to N plain connections with the T-Server's batching policy,
    as fast as it can; deliveries/s (one event to one client) counted at the clients.
(b) the T-Server: N monitoring clients register the call DNs in Monitor mode while drivers
    make basic calls (MakeCall A->B, AnswerCall at B, ReleaseCall at A, each answer awaited),
    one raw connection per extension pair, several pairs at once, closed loop; deliveries/s at
    the monitors, and the ratio to (a) at the same N. Per N, both sides' clients stay connected
    and the two are measured in alternating rounds (--rounds); the figures are the medians over
    the rounds, so the load of other processes on a shared machine hits both sides alike.
(c) call lifecycles/s: caller clients each call their own agent client's DN, the agent answers
    on EventRinging, the caller releases on EventEstablished, repeat; closed loop.
(d) request -> answer latency at an open-loop fixed rate of transactions (MakeCall, AnswerCall,
    ReleaseCall over many pairs), timed from each request's scheduled send time.
(e) the ceiling at one monitor: the events/s the pure switch (switch.pbx, in this process, before
    any server starts) produces making the same basic calls, with no request to decode, no
    event to encode and nothing to write, divided by (a) at one client. No T-Server built on
    this switch can deliver more to one monitor than that ratio: `ratio_ceiling_1`.

Monitors and baseline clients count whole frames by walking the frame headers (FrameCounter,
checked against protocol.framer.Framer in the tests) and decode nothing, so both sides of the
ratio pay the same, small, client cost. The (b) drivers (PairDriver) send their requests as
frames and decode one event a call (EventDialing, for its ConnID), so that the T-Server, not
this process, is what runs out of CPU; callers and agents in (c) and (d) use cti.client.

    python benchmarks/tserver.py [--quick] [--counts 1,100,1000] [--rounds 3] [--window 1]
                                 [--pairs 8] [--callers 50] [--rate 500] [--server-profile FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cti.client import TClient, open_client
from protocol import wire
from protocol.codec import decode, encode
from protocol.enums import MessageType, RegisterMode
from protocol.framer import Framer
from protocol.messages import (
    PROTOCOL_VERSION,
    CallEvent,
    EventError,
    EventEstablished,
    EventReleased,
    EventRinging,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import ConnID
from switch.config import SwitchConfig
from switch.pbx import Switch

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
EVENTS_PER_CALL = 6  # Dialing, Ringing, Established x2, Released x2
RECEIVE_SIZE = 65536
CONNECT_CONCURRENCY = 64
STARTUP_SECONDS = 20.0
#: DN blocks of the phases, disjoint so one phase's leftovers cannot touch another's.
DELIVERY_DNS, LIFECYCLE_DNS, LATENCY_DNS = 30000, 40000, 50000

TARGET_RATIO = 0.25
TARGET_LIFECYCLES = 500.0
TARGET_P99_MS = 20.0

_HEADER = struct.Struct(wire.struct_format(wire.FrameHeader))


class BenchError(Exception):
    """The benchmark cannot run (bad option, a server that does not start); one line."""


# ------------------------------------------------------------------------------------------------
# Counting frames at the receiving clients


class FrameCounter:
    """Counts the whole frames of one byte stream, split anywhere, by walking the frame headers
    (what protocol.framer.Framer does, without copying frames out)."""

    def __init__(self) -> None:
        self.frames = 0
        self._head = b""  # the start of a header split across reads
        self._rest = 0  # bytes of the current frame still to come

    def feed(self, data: bytes) -> int:
        """Take the next bytes; return how many frames they completed."""
        if self._head:
            data = self._head + data
            self._head = b""
        end = len(data)
        pos = 0
        done = 0
        if self._rest:
            if self._rest > end:
                self._rest -= end
                return 0
            pos, self._rest, done = self._rest, 0, 1
        unpack = _HEADER.unpack_from
        size = _HEADER.size
        while pos + size <= end:
            magic, _mtype, body = unpack(data, pos)
            if magic != wire.MAGIC:
                raise ValueError(f"bad magic {magic!r}: not a ctiemu frame stream")
            pos += size + body
            done += 1
        if pos > end:  # the last frame is not complete yet
            self._rest = pos - end
            done -= 1
        elif pos < end:
            self._head = data[pos:]
        self.frames += done
        return done


@dataclass
class Tally:
    """Totals over all the receiving clients of a phase."""

    frames: int = 0
    calls: int = 0
    #: receive_some calls that returned data: frames / reads is how many frames a send carried,
    #: at most (the kernel may merge sends).
    reads: int = 0


async def count_frames(stream: trio.abc.ReceiveStream, tally: Tally) -> None:
    """Count the frames arriving on `stream` into `tally` until it closes."""
    counter = FrameCounter()
    try:
        while data := await stream.receive_some(RECEIVE_SIZE):
            tally.frames += counter.feed(bytes(data))
            tally.reads += 1
    except (trio.BrokenResourceError, trio.ClosedResourceError):
        pass


async def connect_many(port: int, count: int) -> list[trio.SocketStream]:
    """`count` connections to 127.0.0.1:port, a bounded number being opened at a time."""
    limiter = trio.CapacityLimiter(CONNECT_CONCURRENCY)
    streams: list[trio.SocketStream] = []

    async def connect() -> None:
        async with limiter:
            streams.append(await trio.open_tcp_stream("127.0.0.1", port))

    try:
        async with trio.open_nursery() as nursery:
            for _ in range(count):
                nursery.start_soon(connect)
    except BaseException:
        await close_all(streams)
        raise
    return streams


async def close_all(streams: Sequence[trio.abc.AsyncResource]) -> None:
    for stream in streams:
        await trio.aclose_forcefully(stream)


# ------------------------------------------------------------------------------------------------
# (e) the switch alone


def switch_events_per_s(seconds: float) -> float:
    """Events/s of the pure switch making basic calls (MakeCall, AnswerCall, ReleaseCall) on 8
    extension pairs, in this process, for about `seconds`: the upper bound of event generation."""
    extensions = tuple(str(DELIVERY_DNS + i) for i in range(16))
    switch = Switch(SwitchConfig(extensions=extensions), id_seed=1)
    events = 0
    calls = 0
    started = time.perf_counter()
    deadline = started + seconds
    while True:
        for i in range(0, 16, 2):
            a, b = extensions[i], extensions[i + 1]
            made = switch.make_call(a, b, now=1.0)
            dialing = made[0]
            assert isinstance(dialing, CallEvent), dialing
            answered = switch.answer_call(b, dialing.conn_id, now=1.0)
            released = switch.release_call(a, dialing.conn_id, now=1.0)
            events += len(made) + len(answered) + len(released)
        calls += 8
        if time.perf_counter() >= deadline:
            break
    assert events == EVENTS_PER_CALL * calls, (events, calls)
    return events / (time.perf_counter() - started)


# ------------------------------------------------------------------------------------------------
# Measuring a window


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of a process (Linux /proc), or None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@dataclass
class Window:
    """What one measuring window saw."""

    seconds: float
    count: int
    calls: int
    server_cpu_pct: float | None
    client_cpu_pct: float
    reads: int = 0

    @property
    def rate(self) -> float:
        return self.count / self.seconds


async def measure(
    count: Callable[[], int],
    calls: Callable[[], int],
    warmup: float,
    window: float,
    server_pid: int,
    *,
    reads: Callable[[], int] = lambda: 0,
) -> Window:
    """Wait `warmup` seconds, then watch `count()` (and `calls()`) for `window` seconds."""
    await trio.sleep(warmup)
    n0, c0, r0, t0 = count(), calls(), reads(), time.perf_counter()
    s0, p0 = process_cpu_seconds(server_pid), time.process_time()
    await trio.sleep(window)
    n1, c1, r1, t1 = count(), calls(), reads(), time.perf_counter()
    s1, p1 = process_cpu_seconds(server_pid), time.process_time()
    seconds = t1 - t0
    server_cpu = None if s0 is None or s1 is None else round(100 * (s1 - s0) / seconds, 1)
    client_cpu = round(100 * (p1 - p0) / seconds, 1)
    return Window(seconds, n1 - n0, c1 - c0, server_cpu, client_cpu, r1 - r0)


# ------------------------------------------------------------------------------------------------
# Subprocesses


def stop_process(proc: subprocess.Popen[bytes]) -> None:
    """SIGTERM, a grace period, then SIGKILL: the process is gone when this returns."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@asynccontextmanager
async def baseline_server() -> AsyncIterator[tuple[int, int]]:
    """The baseline server in a subprocess: (port, pid)."""
    command = [sys.executable, str(HERE / "tserver_baseline.py")]
    proc = await trio.lowlevel.open_process(command, stdout=subprocess.PIPE)
    assert proc.stdout is not None
    stdout = proc.stdout
    try:
        line = b""
        with trio.move_on_after(STARTUP_SECONDS):
            while not line.endswith(b"\n") and (data := await stdout.receive_some(64)):
                line += data
        match = re.fullmatch(rb"port (\d+)\n", line)
        if match is None:
            raise BenchError(f"the baseline server did not start (it said {line!r})")
        yield int(match.group(1)), proc.pid
    finally:
        with trio.CancelScope(shield=True):
            if proc.returncode is None:
                proc.terminate()
                with trio.move_on_after(15):
                    await proc.wait()
            if proc.returncode is None:
                proc.kill()
                await proc.wait()
            await stdout.aclose()


def server_config(path: Path, pairs: int, callers: int, latency_pairs: int) -> None:
    """The T-Server's configuration: extensions for every phase, nothing else."""
    extensions = [*pair_dns(DELIVERY_DNS, pairs), *pair_dns(LIFECYCLE_DNS, callers)]
    extensions += pair_dns(LATENCY_DNS, latency_pairs)
    path.write_text(
        "# generated by benchmarks/tserver.py\n"
        '[server]\nhost = "127.0.0.1"\nport = 0\nname = "ctiemu-bench"\n'
        # drivers and the latency clients send thousands of requests a second: no limit
        "max_requests_per_second = 0\n\n"
        f"[switch]\nextensions = {json.dumps(extensions)}\n",
        encoding="utf-8",
    )


def pair_dns(base: int, pairs: int) -> list[str]:
    """DNs base, base+1, ...: pair i is (2i, 2i+1)."""
    return [str(base + i) for i in range(2 * pairs)]


def start_tserver(
    config: Path, log: IO[str], profile: str | None, *, capture: Path | None = None
) -> tuple[subprocess.Popen[bytes], int]:
    """`ctiemu serve` on a port of its choosing (optionally under cProfile, optionally
    recording every session to `capture`): (process, port)."""
    command = [sys.executable]
    if profile:
        command += ["-m", "cProfile", "-o", str(Path(profile).resolve())]
    command += ["-m", "cti.cli", "serve", "--config", str(config), "--port", "0"]
    if capture is not None:
        command += ["--capture", str(capture)]
    proc = subprocess.Popen(command, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=log)
    deadline = time.monotonic() + STARTUP_SECONDS
    log_path = Path(log.name)
    while True:
        match = re.search(r"serving on [^\s:]+:(\d+)", log_path.read_text(encoding="utf-8"))
        if match:
            return proc, int(match.group(1))
        if proc.poll() is not None or time.monotonic() > deadline:
            stop_process(proc)
            tail = log_path.read_text(encoding="utf-8").strip().splitlines()[-1:]
            raise BenchError(f"the T-Server did not start: {' '.join(tail) or 'no output'}")
        time.sleep(0.05)


# ------------------------------------------------------------------------------------------------
# (a) baseline and (b) T-Server deliveries


async def register(
    stream: trio.SocketStream,
    dns: Sequence[str],
    mode: RegisterMode = RegisterMode.Monitor,
    name: str = "bench-monitor",
) -> None:
    """The handshake and a registration per DN in `mode`, pipelined; wait for every answer
    (nothing else arrives on the connection before its first request or call)."""
    version = f"{PROTOCOL_VERSION[0]}.{PROTOCOL_VERSION[1]}"
    requests = [
        encode(
            RequestRegisterClient(reference_id=1, protocol_version=version, application_name=name)
        )
    ]
    requests += [
        encode(RequestRegisterAddress(reference_id=2 + i, this_dn=dn, register_mode=mode))
        for i, dn in enumerate(dns)
    ]
    await stream.send_all(b"".join(requests))
    framer = Framer()
    answers = 0
    while answers < len(requests):
        data = await stream.receive_some(RECEIVE_SIZE)
        if not data:
            raise BenchError(f"the T-Server closed a connection of {name} during registration")
        framer.receive_data(data)
        for frame in framer.frames():
            answer = decode(frame)
            if isinstance(answer, EventError):
                raise BenchError(f"{name} registration refused: {answer.error_message}")
            answers += 1


class PairDriver:
    """Basic calls A -> B on a connection of its own, registered on both DNs: each request sent
    as a frame, each answer awaited by counting the two events it causes on this connection
    (their types checked from the frame headers); only EventDialing is decoded, for the ConnID."""

    STEPS = (
        {MessageType.EventDialing, MessageType.EventRinging},
        {MessageType.EventEstablished},
        {MessageType.EventReleased},
    )

    def __init__(self, stream: trio.SocketStream, a: str, b: str) -> None:
        self.stream = stream
        self.a = a
        self.b = b
        self.framer = Framer()
        self.ready: deque[bytes] = deque()

    async def _take(self, count: int) -> list[bytes]:
        while len(self.ready) < count:
            data = await self.stream.receive_some(RECEIVE_SIZE)
            if not data:
                raise BenchError("the T-Server closed a driver's connection")
            self.framer.receive_data(data)
            self.ready.extend(self.framer.frames())
        return [self.ready.popleft() for _ in range(count)]

    async def register(self) -> None:
        await register(self.stream, [self.a, self.b], RegisterMode.Share, "bench-driver")

    async def _step(self, request: bytes, expected: set[MessageType]) -> list[bytes]:
        await self.stream.send_all(request)
        frames = await self._take(2)
        for frame in frames:
            kind = _HEADER.unpack_from(frame)[1]
            if kind not in expected:
                raise BenchError(f"driver {self.a}->{self.b}: unexpected {decode(frame)!r}")
        return frames

    async def run(self, stop: trio.Event, tally: Tally) -> None:
        """Calls until `stop` (the call in progress is finished)."""
        make = encode(RequestMakeCall(reference_id=4, this_dn=self.a, other_dn=self.b))
        dialed, established, released = self.STEPS
        while not stop.is_set():
            first = (await self._step(make, dialed))[0]
            dialing = decode(first)
            if not isinstance(dialing, CallEvent):
                raise BenchError(f"driver {self.a}->{self.b}: unexpected {dialing!r}")
            conn = dialing.conn_id
            answer = RequestAnswerCall(reference_id=5, this_dn=self.b, conn_id=conn)
            await self._step(encode(answer), established)
            release = RequestReleaseCall(reference_id=6, this_dn=self.a, conn_id=conn)
            await self._step(encode(release), released)
            tally.calls += 1


async def drain(client: TClient) -> None:
    """Read and drop a client's event stream (its requests' answers come by their own way)."""
    async for _ in client.events():
        pass


async def quiet(tally: Tally, settle: float = 0.05, limit: float = 3.0) -> None:
    """Wait until no frame has arrived for `settle` seconds (a backlog has drained)."""
    with trio.move_on_after(limit):
        while True:
            seen = tally.frames
            await trio.sleep(settle)
            if tally.frames == seen:
                return


@dataclass
class Rounds:
    """(a) and (b) at one client count: a window of each per round."""

    baseline: list[Window] = field(default_factory=list)
    tserver: list[Window] = field(default_factory=list)

    @property
    def ratios(self) -> list[float]:
        return [b.rate / a.rate for a, b in zip(self.baseline, self.tserver, strict=True)]


async def deliveries(port: int, count: int, options: Options, pid: int) -> Rounds:
    """Alternate baseline and T-Server windows at `count` receiving clients, each side's
    clients staying connected (and idle) while the other side is measured."""
    rounds = Rounds()
    dns = pair_dns(DELIVERY_DNS, options.pairs)
    pairs = [(dns[2 * i], dns[2 * i + 1]) for i in range(options.pairs)]
    base_tally, tally = Tally(), Tally()
    async with baseline_server() as (base_port, base_pid), AsyncExitStack() as stack:
        base_streams = await connect_many(base_port, count)
        stack.push_async_callback(close_all, base_streams)
        streams = await connect_many(port, count)
        stack.push_async_callback(close_all, streams)
        async with trio.open_nursery() as setup:
            for stream in streams:
                setup.start_soon(register, stream, dns)
        driver_streams = await connect_many(port, len(pairs))
        stack.push_async_callback(close_all, driver_streams)
        drivers = [
            PairDriver(stream, a, b) for stream, (a, b) in zip(driver_streams, pairs, strict=True)
        ]
        for driver in drivers:
            await driver.register()
        async with trio.open_nursery() as nursery:
            for stream in base_streams:
                nursery.start_soon(count_frames, stream, base_tally)
            for stream in streams:
                nursery.start_soon(count_frames, stream, tally)
            for _ in range(options.rounds):
                await base_streams[0].send_all(b"G")
                rounds.baseline.append(
                    await measure(
                        lambda: base_tally.frames,
                        lambda: base_tally.frames // (EVENTS_PER_CALL * count),
                        options.warmup,
                        options.window,
                        base_pid,
                        reads=lambda: base_tally.reads,
                    )
                )
                await base_streams[0].send_all(b"P")
                await quiet(base_tally)
                rounds.tserver.append(await driven_window(drivers, tally, options, pid))
                await quiet(tally)
            nursery.cancel_scope.cancel()
    return rounds


async def driven_window(
    drivers: list[PairDriver], tally: Tally, options: Options, pid: int
) -> Window:
    """Every pair's driver calls for a warm-up and a measured window, then stops."""
    stop = trio.Event()
    async with trio.open_nursery() as calls:
        for driver in drivers:
            calls.start_soon(driver.run, stop, tally)
        result = await measure(
            lambda: tally.frames,
            lambda: tally.calls,
            options.warmup,
            options.window,
            pid,
            reads=lambda: tally.reads,
        )
        stop.set()  # each pair ends its call in progress, then stops
    return result


# ------------------------------------------------------------------------------------------------
# (c) call lifecycles


@asynccontextmanager
async def clients(port: int, count: int, name: str) -> AsyncIterator[list[TClient]]:
    async with AsyncExitStack() as stack:
        yield [
            await stack.enter_async_context(open_client("127.0.0.1", port, application_name=name))
            for _ in range(count)
        ]


async def caller_loop(client: TClient, dn: str, agent: str, stop: trio.Event, tally: Tally) -> None:
    while not stop.is_set():
        dialing = await client.request(RequestMakeCall(this_dn=dn, other_dn=agent))
        assert isinstance(dialing, CallEvent), dialing
        conn = dialing.conn_id
        while not (
            isinstance(event := await client.next_event(), EventEstablished)
            and event.conn_id == conn
        ):
            pass
        await client.request(RequestReleaseCall(this_dn=dn, conn_id=conn))
        while not (
            isinstance(event := await client.next_event(), EventReleased) and event.conn_id == conn
        ):
            pass
        tally.calls += 1


async def agent_loop(client: TClient, dn: str, tally: Tally) -> None:
    async for event in client.events():
        if isinstance(event, EventRinging):
            await client.request(RequestAnswerCall(this_dn=dn, conn_id=event.conn_id))
        elif isinstance(event, EventReleased):
            tally.frames += 1  # the agent's side of a finished lifecycle


async def lifecycles(port: int, callers: int, warmup: float, window: float, pid: int) -> Window:
    dns = pair_dns(LIFECYCLE_DNS, callers)
    tally = Tally()
    async with (
        clients(port, callers, "bench-caller") as caller_clients,
        clients(port, callers, "bench-agent") as agent_clients,
        trio.open_nursery() as nursery,
    ):
        for i in range(callers):
            await caller_clients[i].register_address(dns[2 * i])
            await agent_clients[i].register_address(dns[2 * i + 1])
            nursery.start_soon(agent_loop, agent_clients[i], dns[2 * i + 1], tally)
        stop = trio.Event()
        async with trio.open_nursery() as calls:
            for i in range(callers):
                calls.start_soon(
                    caller_loop, caller_clients[i], dns[2 * i], dns[2 * i + 1], stop, tally
                )
            result = await measure(lambda: tally.calls, lambda: tally.frames, warmup, window, pid)
            stop.set()
        nursery.cancel_scope.cancel()
    return result


# ------------------------------------------------------------------------------------------------
# (d) latency at an open-loop rate


@dataclass(eq=False)
class _Pair:
    client: TClient
    a: str
    b: str
    step: int = 0  # 0: MakeCall next, 1: AnswerCall, 2: ReleaseCall
    conn: ConnID = field(default_factory=lambda: ConnID(0))

    async def transact(self) -> None:
        if self.step == 0:
            dialing = await self.client.request(RequestMakeCall(this_dn=self.a, other_dn=self.b))
            assert isinstance(dialing, CallEvent), dialing
            self.conn = dialing.conn_id
        elif self.step == 1:
            await self.client.request(RequestAnswerCall(this_dn=self.b, conn_id=self.conn))
        else:
            await self.client.request(RequestReleaseCall(this_dn=self.a, conn_id=self.conn))
        self.step = (self.step + 1) % 3


@dataclass
class Latency:
    p50_ms: float
    p99_ms: float
    rate: float
    transactions: int
    skipped: int = 0
    samples: list[float] = field(default_factory=list, repr=False)


def percentile(ordered: Sequence[float], q: float) -> float:
    """Nearest-rank percentile of sorted values."""
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


async def latency(
    port: int, *, pairs: int, connections: int, rate: float, warmup: float, window: float
) -> Latency:
    """Transactions at a fixed schedule of `rate`/s, each on the next pair not waiting for an
    answer; latency is from the scheduled send time to the answer's arrival."""
    dns = pair_dns(LATENCY_DNS, pairs)
    samples: list[float] = []
    skipped = 0
    async with clients(port, connections, "bench-latency") as owners, trio.open_nursery() as drains:
        ready: deque[_Pair] = deque()
        for i in range(pairs):
            owner = owners[i % connections]
            await owner.register_address(dns[2 * i])
            await owner.register_address(dns[2 * i + 1])
            ready.append(_Pair(owner, dns[2 * i], dns[2 * i + 1]))
        for owner in owners:
            drains.start_soon(drain, owner)

        async def transaction(pair: _Pair, scheduled: float, record: bool) -> None:
            await pair.transact()
            if record:
                samples.append(trio.current_time() - scheduled)
            ready.append(pair)

        interval = 1 / rate
        start = trio.current_time() + 0.01
        measured_from = start + warmup
        total = int((warmup + window) * rate)
        async with trio.open_nursery() as transactions:
            for i in range(total):
                at = start + i * interval
                await trio.sleep_until(at)
                if not ready:  # every pair is waiting for an answer: a tick lost
                    skipped += at >= measured_from
                    continue
                transactions.start_soon(transaction, ready.popleft(), at, at >= measured_from)
        # finish the calls in progress so the DNs are idle again
        for pair in list(ready):
            while pair.step:
                await pair.transact()
        drains.cancel_scope.cancel()
    ordered = sorted(samples)
    return Latency(
        p50_ms=round(percentile(ordered, 50) * 1000, 2) if ordered else 0.0,
        p99_ms=round(percentile(ordered, 99) * 1000, 2) if ordered else 0.0,
        rate=round(len(ordered) / window, 1),
        transactions=len(ordered),
        skipped=skipped,
    )


# ------------------------------------------------------------------------------------------------
# The run


@dataclass
class Options:
    counts: list[int]
    rounds: int
    pairs: int
    warmup: float
    window: float
    callers: int
    rate: float
    latency_pairs: int
    latency_connections: int
    server_profile: str | None


def parse_args(argv: Sequence[str] | None) -> Options:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--quick", action="store_true", help="short windows (about 20 s in all)")
    parser.add_argument(
        "--counts",
        default="1,100,1000",
        help="monitoring client counts for (a) and (b), comma separated (default 1,100,1000)",
    )
    parser.add_argument(
        "--rounds", type=int, help="alternating (a)/(b) windows per count (3; quick 2)"
    )
    parser.add_argument("--pairs", type=int, default=8, help="extension pairs calling in (b)")
    parser.add_argument("--warmup", type=float, help="seconds before each window (0.5; quick 0.2)")
    parser.add_argument(
        "--window",
        type=float,
        help="seconds of each (a)/(b) window (1; quick 0.3); (c) and (d) measure rounds x this",
    )
    parser.add_argument("--callers", type=int, default=50, help="caller/agent client pairs in (c)")
    parser.add_argument("--rate", type=float, default=500, help="transactions/s in (d)")
    parser.add_argument("--latency-pairs", type=int, default=100, help="DN pairs in (d)")
    parser.add_argument("--latency-connections", type=int, default=20, help="clients in (d)")
    parser.add_argument(
        "--server-profile", metavar="FILE", help="run the T-Server under cProfile, stats to FILE"
    )
    args = parser.parse_args(argv)
    try:
        counts = [int(c) for c in args.counts.split(",")]
    except ValueError:
        parser.error(f"--counts: {args.counts!r} is not a comma-separated list of integers")
    warmup = args.warmup if args.warmup is not None else 0.2 if args.quick else 0.5
    window = args.window if args.window is not None else 0.3 if args.quick else 1.0
    rounds = args.rounds if args.rounds is not None else 2 if args.quick else 3
    positive = {
        "--counts": min(counts),
        "--pairs": args.pairs,
        "--rounds": rounds,
        "--window": window,
        "--callers": args.callers,
        "--rate": args.rate,
        "--latency-pairs": args.latency_pairs,
        "--latency-connections": args.latency_connections,
    }
    for name, value in positive.items():
        if value <= 0:
            parser.error(f"{name} must be positive")
    if warmup < 0:
        parser.error("--warmup must not be negative")
    return Options(
        counts=counts,
        rounds=rounds,
        pairs=args.pairs,
        warmup=warmup,
        window=window,
        callers=args.callers,
        rate=args.rate,
        latency_pairs=args.latency_pairs,
        latency_connections=min(args.latency_connections, args.latency_pairs),
        server_profile=args.server_profile,
    )


def raise_fd_limit(needed: int) -> None:
    """Let this process (and the servers it starts) hold `needed` sockets, if the hard limit
    allows; otherwise say so."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft >= needed:
        return
    ceiling = needed if hard == resource.RLIM_INFINITY else hard
    if ceiling < needed:
        raise BenchError(f"{needed} sockets needed, but the open-file hard limit is {hard}")
    resource.setrlimit(resource.RLIMIT_NOFILE, (needed, hard))


async def run(options: Options, port: int, pid: int, switch_only: float) -> dict[str, object]:
    base: dict[str, float] = {}
    served: dict[str, float] = {}
    ratio: dict[str, float] = {}
    spread: dict[str, list[float]] = {}
    calls: dict[str, float] = {}
    cpu: dict[str, dict[str, float | None]] = {}
    per_read: dict[str, dict[str, float]] = {}
    for count in options.counts:
        rounds = await deliveries(port, count, options, pid)
        key = str(count)
        base[key] = round(statistics.median(w.rate for w in rounds.baseline))
        served[key] = round(statistics.median(w.rate for w in rounds.tserver))
        ratio[key] = round(statistics.median(rounds.ratios), 3)
        spread[key] = [round(min(rounds.ratios), 3), round(max(rounds.ratios), 3)]
        calls[key] = round(statistics.median(w.calls / w.seconds for w in rounds.tserver), 1)
        per_read[key] = {
            "baseline": _frames_per_read(rounds.baseline),
            "tserver": _frames_per_read(rounds.tserver),
        }
        cpu[key] = {
            "baseline_server": _median_cpu(w.server_cpu_pct for w in rounds.baseline),
            "baseline_clients": _median_cpu(w.client_cpu_pct for w in rounds.baseline),
            "tserver": _median_cpu(w.server_cpu_pct for w in rounds.tserver),
            "tserver_clients": _median_cpu(w.client_cpu_pct for w in rounds.tserver),
        }
    window = options.window * options.rounds  # (c) and (d) measure once, as long
    c = await lifecycles(port, options.callers, options.warmup, window, pid)
    d = await latency(
        port,
        pairs=options.latency_pairs,
        connections=options.latency_connections,
        rate=options.rate,
        warmup=options.warmup,
        window=window,
    )
    lifecycles_per_s = round(c.rate, 1)
    return {
        "benchmark": "tserver",
        "baseline_deliveries_per_s": base,
        "tserver_deliveries_per_s": served,
        "ratio": ratio,
        "lifecycles_per_s": lifecycles_per_s,
        "latency_ms": {"p50": d.p50_ms, "p99": d.p99_ms, "rate": d.rate},
        "switch_only_events_per_s": round(switch_only),
        "ratio_ceiling_1": round(switch_only / base["1"], 3) if "1" in base else None,
        "targets": {
            "ratio_min": TARGET_RATIO,
            "lifecycles_per_s_min": TARGET_LIFECYCLES,
            "latency_p99_ms_max": TARGET_P99_MS,
            "latency_rate": options.rate,
            "met": {
                "ratio": all(r >= TARGET_RATIO for r in ratio.values()),
                "lifecycles": lifecycles_per_s >= TARGET_LIFECYCLES,
                "latency": d.p99_ms < TARGET_P99_MS and d.skipped == 0,
            },
        },
        "ratio_range": spread,
        "tserver_calls_per_s": calls,
        "frames_per_read": per_read,
        "cpu_pct": {
            **cpu,
            "lifecycles": {"tserver": c.server_cpu_pct, "clients": c.client_cpu_pct},
        },
        "latency_transactions": d.transactions,
        "latency_skipped_ticks": d.skipped,
        "events_per_call": EVENTS_PER_CALL,
        "pairs": options.pairs,
        "callers": options.callers,
        "rounds": options.rounds,
        "warmup_s": options.warmup,
        "window_s": options.window,
    }


def _frames_per_read(windows: Sequence[Window]) -> float:
    return round(sum(w.count for w in windows) / max(1, sum(w.reads for w in windows)), 2)


def _median_cpu(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(statistics.median(known), 1) if known else None


def _bench_error(group: BaseExceptionGroup[BaseException]) -> BenchError | None:
    """The first BenchError in a group of exceptions from trio's nurseries."""
    for exc in group.exceptions:
        if isinstance(exc, BenchError):
            return exc
        if isinstance(exc, BaseExceptionGroup) and (found := _bench_error(exc)):
            return found
    return None


def main(argv: Sequence[str] | None = None) -> int:
    options = parse_args(argv)
    try:
        raise_fd_limit(2 * max(options.counts) + 2 * options.callers + 256)
        switch_only = switch_events_per_s(options.window)
        with tempfile.TemporaryDirectory(prefix="ctiemu-bench-") as tmp:
            config = Path(tmp) / "tserver.toml"
            server_config(config, options.pairs, options.callers, options.latency_pairs)
            with (Path(tmp) / "server.log").open("w", encoding="utf-8") as log:
                proc, port = start_tserver(config, log, options.server_profile)
                try:
                    result = trio.run(run, options, port, proc.pid, switch_only)
                except BaseExceptionGroup as group:
                    raise _bench_error(group) or group from None
                finally:
                    stop_process(proc)
    except BenchError as exc:
        print(f"tserver benchmark: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
