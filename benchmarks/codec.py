"""Benchmark: protocol.codec encode and decode messages/s on a realistic mix, against a
hand-written struct.Struct codec of the very same bytes (benchmarks/struct_baseline.py) timed
in the same run. Prints one JSON line; the ratios are the figures that hold on a noisy machine.

    python benchmarks/codec.py [--rounds 7] [--count 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import struct_baseline

from protocol.codec import decode, encode
from protocol.enums import CallState, CallType, DNRole
from protocol.messages import (
    EventDialing,
    EventEstablished,
    EventReleased,
    EventRinging,
    Message,
    RequestAnswerCall,
    RequestMakeCall,
)
from protocol.values import ConnID, KVList


def mix() -> list[Message]:
    """A call's worth of traffic: the requests and events of one answered, released call."""
    user_data = KVList(
        [
            ("CustomerID", "C-004211"),
            ("AccountNumber", "7730019912"),
            ("Language", "en-US"),
            ("Segment", "Gold"),
            ("CampaignName", "Renewals Q4"),
            ("Priority", 5),
            ("Attempts", 2),
            ("RecordHandle", 91177),
            ("Disposition", "callback"),
            ("AgentNote", "asked about the invoice of October"),
        ]
    )
    conn = ConnID(0x007102719818000D)
    stamp: dict[str, Any] = {
        "event_sequence_number": 1042,
        "time_in_secs": 1_763_777_000,
        "time_in_usecs": 512,
    }
    call: dict[str, Any] = {
        "conn_id": conn,
        "call_type": CallType.Internal,
        "call_id": 1,
        "call_uuid": "6B0256C4000000000000000000000001",
    }
    a: dict[str, Any] = {
        "this_dn": "1001",
        "other_dn": "1002",
        "this_dn_role": DNRole.Origination,
        "other_dn_role": DNRole.Destination,
    }
    b: dict[str, Any] = {
        "this_dn": "1002",
        "other_dn": "1001",
        "this_dn_role": DNRole.Destination,
        "other_dn_role": DNRole.Origination,
    }
    return [
        RequestMakeCall(reference_id=7, this_dn="1001", other_dn="1002", user_data=user_data),
        EventDialing(reference_id=7, **call, **a, user_data=user_data, **stamp),
        EventRinging(**call, **b, call_state=CallState.Ok, user_data=user_data, **stamp),
        RequestAnswerCall(reference_id=3, this_dn="1002", conn_id=conn),
        EventEstablished(
            reference_id=3, **call, **b, call_state=CallState.Ok, user_data=user_data, **stamp
        ),
        EventEstablished(**call, **a, call_state=CallState.Ok, user_data=user_data, **stamp),
        EventReleased(**call, **a, call_state=CallState.Ok, **stamp),
        EventReleased(**call, **b, call_state=CallState.Ok, **stamp),
    ]


def rate(fn: Callable[[Any], Any], items: list[Any], count: int) -> float:
    """Messages per second for `count` calls of fn cycling over items."""
    n = len(items)
    loops = max(1, count // n)
    start = time.perf_counter()
    for _ in range(loops):
        for item in items:
            fn(item)
    return loops * n / (time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--count", type=int, default=20000)
    args = parser.parse_args()

    messages = mix()
    frames = [encode(m) for m in messages]
    for m, f in zip(messages, frames, strict=True):  # same bytes, same values, or no benchmark
        assert struct_baseline.encode(m) == f, type(m).__name__
        assert struct_baseline.decode(f) == m == decode(f), type(m).__name__

    results: dict[str, list[float]] = {k: [] for k in ("enc", "base_enc", "dec", "base_dec")}
    for _ in range(args.rounds):  # interleaved, so drift hits both sides alike
        results["enc"].append(rate(encode, messages, args.count))
        results["base_enc"].append(rate(struct_baseline.encode, messages, args.count))
        results["dec"].append(rate(decode, frames, args.count))
        results["base_dec"].append(rate(struct_baseline.decode, frames, args.count))
    enc_ratios = [a / b for a, b in zip(results["enc"], results["base_enc"], strict=True)]
    dec_ratios = [a / b for a, b in zip(results["dec"], results["base_dec"], strict=True)]
    print(
        json.dumps(
            {
                "benchmark": "codec",
                "mix": [type(m).__name__ for m in messages],
                "mean_frame_bytes": round(sum(map(len, frames)) / len(frames), 1),
                "encode_msgs_per_s": round(statistics.median(results["enc"])),
                "decode_msgs_per_s": round(statistics.median(results["dec"])),
                "baseline_encode_msgs_per_s": round(statistics.median(results["base_enc"])),
                "baseline_decode_msgs_per_s": round(statistics.median(results["base_dec"])),
                "encode_ratio": round(statistics.median(enc_ratios), 3),
                "decode_ratio": round(statistics.median(dec_ratios), 3),
                "encode_ratio_range": [round(min(enc_ratios), 3), round(max(enc_ratios), 3)],
                "decode_ratio_range": [round(min(dec_ratios), 3), round(max(dec_ratios), 3)],
                "rounds": args.rounds,
                "target_ratio": 0.5,
            }
        )
    )


if __name__ == "__main__":
    main()
