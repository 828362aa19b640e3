"""Benchmark: does one client's burst, or a hostile client's large frames, stall the others?
Prints one JSON line.

    python benchmarks/burst.py [--burst 5000] [--bursts 10] [--gap 0.3] [--attackers 8]

`ctiemu serve` runs in a subprocess (no request rate limit, so the whole burst is carried
out). A victim client (the client library) sends RequestQueryAddress open-loop, one every
`--period` ms whatever the answers do (so a stall delays every request sent during it, as it
would a busy desktop's, instead of hiding behind one slow answer), and records each request's
latency from the moment it was due. The same victim runs alone (the baseline: its latency on a
quiet server, same run) and then under each of three loads, each for as long:

- "burst" (issue 13, item 20): a flooder sends `--bursts` bursts of `--burst`
  RequestQueryAddress frames in one write each, `--gap` seconds apart, counting the answers by
  their frame headers (no decoding, so that the benchmark's own process stays idle). Target:
  the victim's p99 under 50 ms on this machine. Also reported: how long each burst took the
  server (from the write to its last answer).
- "before_handshake" (item 17): `--attackers` connections, each sending, before any
  RequestRegisterClient, 1 MiB frames holding 130,000 KVList pairs, reconnecting whenever the
  server closes them.
- "large_frames" (item 17): `--attackers` registered clients, each sending requests holding
  `--large-pairs` KVList pairs (900: about 16 KB, the most UserData a request may carry under
  the default server.max_request_user_data_bytes; larger ones are refused from their header),
  four in flight.

For the two attacks the target is the victim's p99 within 3x of its value without an attack.
"""

from __future__ import annotations

import argparse
import json
import struct
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from functools import partial
from pathlib import Path

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tserver import FrameCounter, percentile, start_tserver, stop_process

from cti.client import open_client
from cti.client.connection import ClientConnection
from protocol import _wire_formats as formats
from protocol.enums import AddressInfoType, Attribute, ValueType
from protocol.messages import (
    RequestAttachUserData,
    RequestDistributeUserEvent,
    RequestQueryAddress,
    RequestRegisterClient,
)

QUERY = RequestQueryAddress(this_dn="1001", address_info_type=AddressInfoType.AddressStatus)
TARGET_P99_MS = 50.0
ATTACK_RATIO_MAX = 3.0
#: An attack: (server port, stop, pairs per large frame) -> runs until stop is set.
Attack = Callable[[int, trio.Event, int], Awaitable[None]]


async def victim(port: int, period: float, stop: trio.Event, latencies: list[float]) -> None:
    async with (
        open_client("127.0.0.1", port, application_name="victim") as client,
        trio.open_nursery() as nursery,
    ):

        async def one(due: float) -> None:
            await trio.sleep_until(due)
            await client.request(QUERY)
            latencies.append((trio.current_time() - due) * 1000)

        due = trio.current_time()
        while not stop.is_set():
            due += period
            nursery.start_soon(one, due)
            await trio.sleep_until(due)


async def registered(port: int, name: str) -> tuple[trio.SocketStream, ClientConnection]:
    stream = await trio.open_tcp_stream("127.0.0.1", port)
    connection = ClientConnection()
    hello = RequestRegisterClient(protocol_version="1.0", application_name=name)
    await stream.send_all(connection.send(hello, 0.0))
    while not connection.receive_data(bytes(await stream.receive_some(65536)), 0.0):
        pass
    return stream, connection


async def flooder(port: int, burst: int, bursts: int, gap: float, took: list[float]) -> None:
    stream, connection = await registered(port, "flood")
    frames = b"".join(connection.send(QUERY, 0.0) for _ in range(burst))
    counter = FrameCounter()
    for _ in range(bursts):
        start = time.perf_counter()
        expected = counter.frames + burst

        async def read(expected: int) -> None:
            while counter.frames < expected:
                counter.feed(bytes(await stream.receive_some(65536)))

        async with trio.open_nursery() as nursery:
            nursery.start_soon(read, expected)
            await stream.send_all(frames)
        took.append((time.perf_counter() - start) * 1000)
        await trio.sleep(gap)
    await stream.aclose()


def pairs_frame(message_type: int, pairs: int, value: bytes) -> bytes:
    """A frame of `message_type`: ThisDN 1001 and a UserData KVList of `pairs` string pairs,
    built from the wire layout (protocol/_wire_formats.py) as an attacker would, not by the
    codec (which would refuse to build some of them)."""
    pair = struct.Struct(formats.KV_PAIR_HEADER)
    pair_value = struct.Struct(formats.KV_PAIR_VALUE_HEADER)
    attribute = struct.Struct(formats.ATTRIBUTE_HEADER)
    body = bytearray(struct.pack(formats.KV_LIST_COUNT, pairs))
    for i in range(pairs):
        key = f"k{i}".encode()
        body += pair.pack(len(key)) + key + pair_value.pack(int(ValueType.String), len(value))
        body += value
    payload = attribute.pack(int(Attribute.ThisDN), int(ValueType.String), 4) + b"1001"
    payload += attribute.pack(int(Attribute.UserData), int(ValueType.KVList), len(body)) + body
    header = struct.pack(formats.FRAME_HEADER, formats.MAGIC, message_type, len(payload))
    return header + payload


async def before_handshake(port: int, stop: trio.Event, _large_pairs: int) -> None:
    """Send 1 MiB frames of 130,000 pairs before registering; reconnect when closed."""
    frame = pairs_frame(int(RequestAttachUserData.MESSAGE_TYPE), 130_000, b"")
    while not stop.is_set():
        stream = await trio.open_tcp_stream("127.0.0.1", port)
        try:
            while not stop.is_set():
                await stream.send_all(frame)
        except (trio.BrokenResourceError, trio.ClosedResourceError):
            pass
        finally:
            await trio.aclose_forcefully(stream)


async def large_frames(port: int, stop: trio.Event, large_pairs: int) -> None:
    """A registered client sending frames of `large_pairs` pairs, four in flight."""
    frame = pairs_frame(int(RequestDistributeUserEvent.MESSAGE_TYPE), large_pairs, b"xxxxxx")
    stream, _connection = await registered(port, "large")
    counter = FrameCounter()
    in_flight = trio.Semaphore(4)

    async def drain() -> None:
        while data := await stream.receive_some(65536):
            for _ in range(counter.feed(bytes(data))):
                in_flight.release()

    async with trio.open_nursery() as nursery:
        nursery.start_soon(drain)
        while not stop.is_set():
            with trio.move_on_after(1):
                await in_flight.acquire()
                await stream.send_all(frame)
        nursery.cancel_scope.cancel()
    await trio.aclose_forcefully(stream)


ATTACKS: dict[str, Attack] = {"before_handshake": before_handshake, "large_frames": large_frames}


async def attack_for(
    name: str, port: int, *, attackers: int, seconds: float, large_pairs: int
) -> None:
    """Run one attack with `attackers` connections for `seconds` (the attacker process)."""
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        for _ in range(attackers):
            nursery.start_soon(ATTACKS[name], port, stop, large_pairs)
        await trio.sleep(seconds)
        stop.set()


async def under_attack(
    port: int, name: str, *, period: float, seconds: float, attackers: int, large_pairs: int
) -> list[float]:
    """The victim's latencies while another process (this script, --attack NAME) attacks:
    the attackers' own work must not slow the victim's process."""
    command = [sys.executable, __file__, "--attack", name, "--port", str(port)]
    command += ["--attackers", str(attackers), "--seconds", str(seconds + 1.0)]
    command += ["--large-pairs", str(large_pairs)]
    latencies: list[float] = []
    async with trio.open_nursery() as nursery:
        await nursery.start(partial(trio.run_process, command, check=True))
        await trio.sleep(0.5)  # the attack under way before the victim starts
        stop = trio.Event()
        nursery.start_soon(victim, port, period, stop, latencies)
        await trio.sleep(seconds)
        stop.set()
    latencies.sort()
    return latencies


def figures(latencies: list[float]) -> dict[str, float]:
    return {
        "p50": round(percentile(latencies, 50), 2),
        "p99": round(percentile(latencies, 99), 2),
        "max": round(latencies[-1], 2),
        "requests": len(latencies),
    }


async def measure(
    port: int,
    *,
    burst: int,
    bursts: int,
    gap: float,
    period: float,
    attackers: int,
    large_pairs: int,
) -> dict[str, object]:
    seconds = bursts * gap + 1.0
    alone: list[float] = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(victim, port, period, stop, alone)
        await trio.sleep(seconds)
        stop.set()
    alone.sort()
    during: list[float] = []
    took: list[float] = []
    stop = trio.Event()
    async with trio.open_nursery() as nursery:
        nursery.start_soon(victim, port, period, stop, during)
        await flooder(port, burst, bursts, gap, took)
        stop.set()
    during.sort()
    p99_alone, p99_during = percentile(alone, 99), percentile(during, 99)
    attacks: dict[str, dict[str, object]] = {}
    for name in ATTACKS:
        hit = await under_attack(
            port,
            name,
            period=period,
            seconds=seconds,
            attackers=attackers,
            large_pairs=large_pairs,
        )
        p99 = percentile(hit, 99)
        attacks[name] = {
            **figures(hit),
            "p99_ratio": round(p99 / p99_alone, 2),
            "met": p99 <= ATTACK_RATIO_MAX * p99_alone,
        }
    return {
        "benchmark": "burst",
        "burst": burst,
        "bursts": bursts,
        "attackers": attackers,
        "large_pairs": large_pairs,
        "victim_ms": {"alone": figures(alone), "during_bursts": figures(during)},
        "p99_ratio": round(p99_during / p99_alone, 2),
        "burst_ms": {"median": round(sorted(took)[len(took) // 2], 1), "max": round(max(took), 1)},
        "target": {"p99_during_ms_max": TARGET_P99_MS, "met": p99_during < TARGET_P99_MS},
        "attacks": attacks,
        "attack_target": {"p99_ratio_max": ATTACK_RATIO_MAX},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--burst", type=int, default=5000)
    parser.add_argument("--bursts", type=int, default=10)
    parser.add_argument("--gap", type=float, default=0.3)
    parser.add_argument("--period", type=float, default=5.0, help="ms between victim requests")
    parser.add_argument("--attackers", type=int, default=8, help="connections per attack")
    parser.add_argument("--large-pairs", type=int, default=900, help="pairs per large frame")
    parser.add_argument("--attack", choices=sorted(ATTACKS), help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--seconds", type=float, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.attack:  # the attacker process of under_attack
        attack = partial(
            attack_for,
            args.attack,
            args.port,
            attackers=args.attackers,
            seconds=args.seconds,
            large_pairs=args.large_pairs,
        )
        trio.run(attack)
        return
    with tempfile.TemporaryDirectory(prefix="ctiemu-burst-") as tmp:
        config = Path(tmp) / "burst.toml"
        config.write_text(
            '[server]\nhost = "127.0.0.1"\nport = 0\nmax_requests_per_second = 0\n\n'
            '[switch]\nextensions = ["1001", "1002"]\n',
            encoding="utf-8",
        )
        with open(Path(tmp) / "server.log", "w", encoding="utf-8") as log:
            proc, port = start_tserver(config, log, None)
            try:
                run = partial(
                    measure,
                    port,
                    burst=args.burst,
                    bursts=args.bursts,
                    gap=args.gap,
                    period=args.period / 1000,
                    attackers=args.attackers,
                    large_pairs=args.large_pairs,
                )
                result = trio.run(run)
            finally:
                stop_process(proc)
    print(json.dumps(result))


if __name__ == "__main__":
    main()
