"""Benchmark: call lifecycles through the switch core alone (no sockets, no codec), at 10 and at
10,000 concurrent calls, to show that the cost of one event does not grow with the number of
calls and DNs. Prints one JSON line.

Lifecycle: an inbound call from the trunk (the driver's report fed in) -> ACD queue ->
distributed to the longest-available agent -> agent answers -> UserData attached -> agent
consults an expert (InitiateTransfer), the expert answers, the agent completes the transfer ->
the caller hangs up (the driver's report), releasing the expert.

    python benchmarks/switch.py [--lifecycles 20000]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from protocol.values import ConnID, KVList
from switch.config import AgentConfig, QueueConfig, SwitchConfig, TrunkGroupConfig
from switch.pbx import Switch
from switch.trunks import FarEndReleased, Inbound

QUEUE = "7001"
EXPERT = "3000"
DATA = KVList([("CustomerID", "C-1"), ("Segment", "Gold")])


def build(concurrent: int) -> tuple[Switch, list[str], list[str]]:
    """A switch with `concurrent` calls already connected, plus one free caller and agent."""
    n = concurrent + 1
    callers = [f"1{i:05d}" for i in range(n)]
    agents = [f"2{i:05d}" for i in range(n)]
    config = SwitchConfig(
        extensions=(*callers, *agents, EXPERT),
        agents=tuple(AgentConfig(f"a{i}") for i in range(n)),
        queues=(QueueConfig(QUEUE, ring_no_answer_seconds=30),),
        trunk_groups=(TrunkGroupConfig("pstn", ("+",), channels=n),),
    )
    switch = Switch(config, id_seed=1)
    for i, dn in enumerate(agents):
        switch.agent_login(dn, f"a{i}", now=0, queue=QUEUE)
        switch.agent_ready(dn, now=float(i))
    for i in range(concurrent):  # the background load: connected calls that stay up
        events = switch.on_trunk_report(Inbound("pstn", f"bg{i}", f"+{i}", QUEUE), now=1e6)
        ringing = events[-1]
        switch.answer_call(ringing.this_dn, ringing.conn_id, now=1e6)  # type: ignore[attr-defined]
    switch.take_commands()
    return switch, callers[concurrent:], agents


def lifecycles(switch: Switch, caller: str, count: int) -> tuple[float, int]:
    """Run `count` lifecycles; return (seconds, events)."""
    events = 0
    now = 2e6
    start = time.perf_counter()
    for _ in range(count):
        now += 1.0
        arrived = switch.on_trunk_report(Inbound("pstn", "r", caller, QUEUE), now=now)
        conn: ConnID = arrived[0].conn_id  # type: ignore[attr-defined]
        agent = arrived[-1].this_dn  # type: ignore[attr-defined]
        events += len(arrived)
        events += len(switch.answer_call(agent, conn, now=now))
        events += len(switch.attach_user_data(agent, conn, DATA, now=now))
        consulting = switch.initiate_consultation(agent, conn, EXPERT, now=now)
        consult: ConnID = consulting[1].conn_id  # type: ignore[attr-defined]
        events += len(consulting)
        events += len(switch.answer_call(EXPERT, consult, now=now))
        events += len(switch.complete_transfer(agent, conn, consult, now=now))
        events += len(switch.on_trunk_report(FarEndReleased(conn), now=now))
        events += len(switch.advance(now))
        switch.take_commands()
    return time.perf_counter() - start, events


def measure(concurrent: int, count: int, rounds: int) -> dict[str, float]:
    switch, (caller,), _agents = build(concurrent)
    caller = "+" + caller
    per_event = []
    rates = []
    for _ in range(rounds):
        seconds, events = lifecycles(switch, caller, count)
        per_event.append(seconds / events)
        rates.append(count / seconds)
    assert len(switch.calls) == concurrent  # the load stayed up, the lifecycles all ended
    return {
        "us_per_event": statistics.median(per_event) * 1e6,
        "events_per_s": 1 / statistics.median(per_event),
        "lifecycles_per_s": statistics.median(rates),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lifecycles", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    small = measure(10, args.lifecycles, args.rounds)
    large = measure(10_000, args.lifecycles, args.rounds)
    ratio = large["us_per_event"] / small["us_per_event"]
    print(
        json.dumps(
            {
                "benchmark": "switch",
                "lifecycle": "inbound trunk->queue->agent answers->attach->consult transfer "
                "to an expert->caller hangs up",
                "at_10_calls": {k: round(v, 2) for k, v in small.items()},
                "at_10000_calls": {k: round(v, 2) for k, v in large.items()},
                "per_event_cost_ratio_10000_vs_10": round(ratio, 3),
                "target_ratio_max": 1.5,
                "target_events_per_s_min": 20000,
            }
        )
    )


if __name__ == "__main__":
    main()
