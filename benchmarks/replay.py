"""Benchmark: captures of ctiemu sessions. Decode half: `ctiemu decode --json` against tshark
with our generated Lua dissector, on the same generated file, in the same run.

    python benchmarks/replay.py [--frames 100000] [--sessions 200] [--rounds 3]

The capture is written with cti.capture.pcap.PcapWriter into a temporary directory: many agent
sessions, interleaved in time (RegisterClient, RegisterAddress, then calls out and in:
RequestMakeCall with UserData, EventDialing / Ringing / Established / Released with UserData,
RequestAnswerCall, RequestReleaseCall), about one segment in six carrying several frames and
one frame in eight split across two segments.

What is timed, on the same file:
- decode (in process): `read_sessions` then every JSON line of `ctiemu decode --json`, written
  to /dev/null; this is `cti.capture.decode.run` minus interpreter start-up;
- decode (subprocess): `ctiemu decode --json FILE > /dev/null`, start-up included;
- tshark: `tshark -r FILE -X lua_script:ctiemu.lua -T json -J ctiemu > /dev/null`. The fair
  equivalent of decoding every message: tshark reassembles the TCP streams, runs the dissector
  on every frame and prints every field of every ctiemu message as JSON (-J keeps the output to
  the ctiemu layer, as our JSON holds only the messages). Before timing, tshark's output is
  checked to hold as many ctiemu messages as our decoder found.

Replay half: a capture of at least as many frames recorded from a real server (`ctiemu serve
--capture` in a subprocess, with pairs of clients making calls: MakeCall, AnswerCall,
ReleaseCall, each waiting for the events) is replayed with `ctiemu replay`'s engine against a
fresh server subprocess with the same configuration; "replay" reports the messages per second
(sent and compared) and checks the replay found no difference. The replay follows the capture's
causal order (each request waits for the events recorded before it), so its rate is bounded by
the server's round trips, not by decoding.

Prints one JSON line; frames/s are medians over the rounds, "ratio" is decode (in process) over
tshark.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import trio

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the other benchmarks

from tserver import start_tserver, stop_process

from cti.capture.decode import json_lines, write_lines
from cti.capture.pcap import C2S, S2C, PcapWriter, read_sessions
from protocol.codec import encode
from protocol.dissector import render_lua
from protocol.enums import AddressInfoType, CallState, CallType, DNRole, RegisterMode
from protocol.messages import (
    EventDialing,
    EventEstablished,
    EventRegistered,
    EventReleased,
    EventRinging,
    EventServerInfo,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from protocol.values import ConnID, KVList

SERVER = ("10.1.0.1", 7000)
ROOT = Path(__file__).resolve().parents[1]


class _Agent:
    """One agent desktop's session: the frames it exchanges, call after call."""

    def __init__(self, index: int, rng: random.Random) -> None:
        self.index = index
        self.rng = rng
        self.dn = str(2000 + index)
        self.ref = 0
        self.seq = 0
        self.calls = 0

    def _stamp(self) -> dict[str, Any]:
        self.seq += 1
        return {
            "event_sequence_number": self.seq,
            "time_in_secs": 1_763_777_000 + self.seq // 10,
            "time_in_usecs": self.seq * 997 % 1_000_000,
        }

    def _ref(self) -> int:
        self.ref += 1
        return self.ref

    def opening(self) -> list[tuple[str, Message]]:
        ref1, ref2 = self._ref(), self._ref()
        return [
            (
                C2S,
                RequestRegisterClient(
                    reference_id=ref1, protocol_version="1.0", application_name=f"desk{self.index}"
                ),
            ),
            (
                S2C,
                EventServerInfo(
                    reference_id=ref1,
                    protocol_version="1.0",
                    application_name="ctiemu",
                    server_version="ctiemu 0.1.0",
                    server_capability_mask=bytes(64),
                    server_start_time=1_763_776_000,
                    **self._stamp(),
                ),
            ),
            (
                C2S,
                RequestRegisterAddress(
                    reference_id=ref2, this_dn=self.dn, register_mode=RegisterMode.Share
                ),
            ),
            (
                S2C,
                EventRegistered(
                    reference_id=ref2,
                    this_dn=self.dn,
                    address_info_type=AddressInfoType.AddressStatus,
                    address_info_status=0,
                    extensions=KVList([("status", "Idle")]),
                    **self._stamp(),
                ),
            ),
        ]

    def call(self) -> list[tuple[str, Message]]:
        self.calls += 1
        rng = self.rng
        conn = ConnID((0x6B02 << 48) | (self.index << 24) | self.calls)
        other = str(rng.randrange(1000, 9999))
        data = KVList(
            [
                ("CustomerID", f"C-{rng.randrange(10**6):06d}"),
                ("AccountNumber", str(rng.randrange(10**10))),
                ("Language", rng.choice(("en-US", "de-DE", "fr-FR"))),
                ("Segment", rng.choice(("Gold", "Silver", "Bronze"))),
                ("Priority", rng.randrange(10)),
                ("Attempts", rng.randrange(5)),
                ("AgentNote", "asked about the invoice of October" * rng.randrange(1, 3)),
            ]
        )
        call: dict[str, Any] = {
            "this_dn": self.dn,
            "conn_id": conn,
            "call_type": CallType.Internal,
            "call_id": self.calls,
            "call_uuid": f"{int(conn):032X}",
            "user_data": data,
        }
        if rng.random() < 0.5:  # outbound: make the call, it is answered, we release it
            ref, ref_release = self._ref(), self._ref()
            roles: dict[str, Any] = {
                "other_dn": other,
                "this_dn_role": DNRole.Origination,
                "other_dn_role": DNRole.Destination,
            }
            return [
                (
                    C2S,
                    RequestMakeCall(
                        reference_id=ref, this_dn=self.dn, other_dn=other, user_data=data
                    ),
                ),
                (S2C, EventDialing(reference_id=ref, **call, **roles, **self._stamp())),
                (S2C, EventEstablished(**call, **roles, call_state=CallState.Ok, **self._stamp())),
                (C2S, RequestReleaseCall(reference_id=ref_release, this_dn=self.dn, conn_id=conn)),
                (
                    S2C,
                    EventReleased(
                        reference_id=ref_release,
                        **call,
                        **roles,
                        call_state=CallState.Ok,
                        **self._stamp(),
                    ),
                ),
            ]
        ref = self._ref()  # inbound: it rings, we answer, the caller hangs up
        roles = {
            "other_dn": other,
            "this_dn_role": DNRole.Destination,
            "other_dn_role": DNRole.Origination,
        }
        return [
            (S2C, EventRinging(**call, **roles, call_state=CallState.Ok, **self._stamp())),
            (C2S, RequestAnswerCall(reference_id=ref, this_dn=self.dn, conn_id=conn)),
            (
                S2C,
                EventEstablished(
                    reference_id=ref, **call, **roles, call_state=CallState.Ok, **self._stamp()
                ),
            ),
            (S2C, EventReleased(**call, **roles, call_state=CallState.Ok, **self._stamp())),
        ]


def generate_capture(path: Path, frames: int, sessions: int, seed: int = 7) -> int:
    """Write a capture of at least `frames` frames; returns the exact number of frames."""
    rng = random.Random(seed)
    agents = [_Agent(i, rng) for i in range(sessions)]
    per_session = frames // sessions + 1
    now = 1_763_777_000.0
    written = 0
    with path.open("wb") as f:
        writer = PcapWriter(f, flush=False)
        conns = {}
        queues: dict[int, list[tuple[str, bytes]]] = {}
        counts = dict.fromkeys(range(sessions), 0)
        for agent in agents:
            now += 0.0005
            conns[agent.index] = writer.open(
                (f"10.2.{agent.index // 250}.{agent.index % 250 + 1}", 40000 + agent.index),
                SERVER,
                now,
            )
            queues[agent.index] = [(d, encode(m)) for d, m in agent.opening()]
        live = list(range(sessions))
        while live:
            index = rng.choice(live)
            queue = queues[index]
            if not queue:
                if counts[index] >= per_session:
                    writer.close(conns[index], now)
                    live.remove(index)
                    continue
                queue.extend((d, encode(m)) for d, m in agents[index].call())
            now += rng.uniform(0.00001, 0.0002)
            direction, frame = queue.pop(0)
            roll = rng.random()
            if roll < 0.125 and len(frame) > 16:  # split across two segments
                cut = rng.randrange(1, len(frame))
                writer.data(conns[index], direction, frame[:cut], now)
                writer.data(conns[index], direction, frame[cut:], now + 0.00002)
                taken = 1
            elif roll < 0.3:  # several frames in one segment
                chunk = [frame]
                while queue and queue[0][0] == direction and len(chunk) < 4:
                    chunk.append(queue.pop(0)[1])
                writer.data(conns[index], direction, b"".join(chunk), now)
                taken = len(chunk)
            else:
                writer.data(conns[index], direction, frame, now)
                taken = 1
            counts[index] += taken
            written += taken
        writer.close_all(now)
    return written


def measure_decode(path: Path) -> tuple[int, float]:
    """(frames, seconds) for `ctiemu decode --json` in this process, output to /dev/null."""
    start = time.perf_counter()
    sessions = read_sessions(path)
    with open(os.devnull, "w") as sink:
        write_lines(json_lines(sessions), sink)
    elapsed = time.perf_counter() - start
    return sum(len(s.records) for s in sessions), elapsed


def measure_decode_subprocess(path: Path) -> float:
    ctiemu = [sys.executable, "-m", "cti.cli", "decode", "--json", str(path)]
    start = time.perf_counter()
    subprocess.run(ctiemu, stdout=subprocess.DEVNULL, check=True, cwd=ROOT)
    return time.perf_counter() - start


def tshark_command(path: Path, lua: Path) -> list[str]:
    tshark = shutil.which("tshark")
    if tshark is None:
        raise SystemExit("tshark is not installed (scripts/test.sh installs it)")
    return [tshark, "-r", str(path), "-X", f"lua_script:{lua}", "-T", "json", "-J", "ctiemu"]


def tshark_message_count(path: Path, lua: Path) -> int:
    out = subprocess.run(
        tshark_command(path, lua), capture_output=True, text=True, check=True
    ).stdout
    return out.count('"ctiemu.type":')


def measure_tshark(path: Path, lua: Path) -> float:
    start = time.perf_counter()
    subprocess.run(tshark_command(path, lua), stdout=subprocess.DEVNULL, check=True)
    return time.perf_counter() - start


# ------------------------------------------------------------------------------------------------
# Replay half


REPLAY_PAIRS = 20


def replay_config(path: Path) -> None:
    extensions = [str(4000 + i) for i in range(2 * REPLAY_PAIRS)]
    path.write_text(
        '[server]\nhost = "127.0.0.1"\nport = 0\nkeepalive_interval = 0\n'
        "max_requests_per_second = 0\n\n"
        f"[switch]\nextensions = {json.dumps(extensions)}\n",
        encoding="utf-8",
    )


def start_server(config: Path, log: Path, capture: Path | None = None) -> tuple[Any, int]:
    """`ctiemu serve` in a subprocess (benchmarks/tserver.py's launcher): (process, port)."""
    with log.open("w") as out:
        return start_tserver(config, out, None, capture=capture)


async def drive_calls(port: int, frames: int) -> None:
    """Pairs of clients make calls (each step waits for its events) until the capture holds
    at least `frames` frames (one call is 9 frames on the wire)."""
    from cti.client import open_client

    calls_each = frames // (8 * REPLAY_PAIRS) + 1

    async def pair(i: int) -> None:
        a_dn, b_dn = str(4000 + 2 * i), str(4001 + 2 * i)
        async with (
            open_client("127.0.0.1", port, application_name=f"a{i}", keepalive_interval=None) as a,
            open_client("127.0.0.1", port, application_name=f"b{i}", keepalive_interval=None) as b,
        ):
            await a.register_address(a_dn)
            await b.register_address(b_dn)
            for _ in range(calls_each):
                dialing = await a.request(RequestMakeCall(this_dn=a_dn, other_dn=b_dn))
                conn = dialing.conn_id  # type: ignore[attr-defined]
                await b.wait_for(EventRinging, conn_id=conn)
                await b.request(RequestAnswerCall(this_dn=b_dn, conn_id=conn))
                await a.wait_for(EventEstablished, conn_id=conn)
                await a.request(RequestReleaseCall(this_dn=a_dn, conn_id=conn))
                await b.wait_for(EventReleased, conn_id=conn)
            await trio.sleep(0.2)

    async with trio.open_nursery() as nursery:
        for i in range(REPLAY_PAIRS):
            nursery.start_soon(pair, i)


def measure_replay(tmp: Path, frames: int) -> dict[str, Any]:
    """Record a capture of >= `frames` frames from a real server, replay it against a fresh
    one: messages/s, and whether the replay matched."""
    from cti.capture.replay import replay_sessions

    config, capture = tmp / "replay.toml", tmp / "recorded.pcap"
    replay_config(config)
    proc, port = start_server(config, tmp / "record.log", capture)
    try:
        trio.run(drive_calls, port, frames)
    finally:
        stop_process(proc)
    sessions = read_sessions(capture)
    recorded = sum(len(s.records) for s in sessions)
    proc, port = start_server(config, tmp / "replay.log")
    try:
        result = trio.run(replay_sessions, sessions, "127.0.0.1", port)
    finally:
        stop_process(proc)
    return {
        "frames": recorded,
        "sessions": len(sessions),
        "messages_per_s": round(result.messages / result.seconds),
        "seconds": round(result.seconds, 2),
        "ok": result.ok,
        "differences": sum(len(s.differences) for s in result.sessions),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--frames", type=int, default=100_000)
    parser.add_argument("--sessions", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--no-replay", action="store_true", help="the decode half only")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="ctiemu-bench-") as tmp:
        path = Path(tmp) / "sessions.pcap"
        lua = Path(tmp) / "ctiemu.lua"
        lua.write_text(render_lua())
        frames = generate_capture(path, args.frames, args.sessions)
        decoded, _ = measure_decode(path)
        shown = tshark_message_count(path, lua)
        if not decoded == shown == frames:
            raise SystemExit(f"frames: written {frames}, decoded {decoded}, tshark {shown}")
        inproc, subproc, tshark = [], [], []
        for _ in range(args.rounds):  # interleaved, so drift hits all alike
            inproc.append(frames / measure_decode(path)[1])
            subproc.append(frames / measure_decode_subprocess(path))
            tshark.append(frames / measure_tshark(path, lua))
        decode_rate = statistics.median(inproc)
        tshark_rate = statistics.median(tshark)
        replay = None if args.no_replay else measure_replay(Path(tmp), args.frames)
        print(
            json.dumps(
                {
                    "benchmark": "replay",
                    "frames": frames,
                    "sessions": args.sessions,
                    "capture_bytes": path.stat().st_size,
                    "decode_frames_per_s": round(decode_rate),
                    "decode_subprocess_frames_per_s": round(statistics.median(subproc)),
                    "tshark_frames_per_s": round(tshark_rate),
                    "ratio": round(decode_rate / tshark_rate, 2),
                    "rounds": args.rounds,
                    "replay": replay,
                }
            )
        )


if __name__ == "__main__":
    main()
