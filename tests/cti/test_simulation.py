"""The T-Server core, the switch and the simulated network together in virtual time: no sockets,
time advanced from one deadline to the next, so an hour of traffic takes a moment.

Callers dial in to an ACD queue through the simulated trunks; agents (driven by this test as a
desktop would) answer what rings and hang up after a while; agents also dial out. At the end
every call is over, every trunk channel is free, and the events a monitor saw add up.
"""

from __future__ import annotations

import random
from collections import Counter

from cti.server.core import ServerIdentity, Session, TServerCore
from hw.simnet import NetworkProfile, SimulatedNetwork
from protocol.codec import decode, encode
from protocol.enums import RegisterMode
from protocol.framer import Framer
from protocol.messages import (
    EventAgentNotReady,
    EventEstablished,
    EventRinging,
    Message,
    RequestAgentLogin,
    RequestAgentReady,
    RequestAnswerCall,
    RequestMakeCall,
    RequestRegisterAddress,
    RequestRegisterClient,
    RequestReleaseCall,
)
from switch import Switch, SwitchConfig
from switch.config import AgentConfig, QueueConfig, TrunkGroupConfig

AGENTS = [f"20{i:02d}" for i in range(5)]
QUEUE = "7001"


def events_of(session: Session) -> list[Message]:
    framer = Framer()
    framer.receive_data(session.take_output())
    return [decode(f) for f in framer.frames()]


def test_an_hour_of_inbound_and_outbound_traffic() -> None:
    config = SwitchConfig(
        extensions=tuple(AGENTS),
        agents=tuple(AgentConfig(f"agent{i}") for i in range(len(AGENTS))),
        queues=(QueueConfig(QUEUE, ring_no_answer_seconds=12, after_call_work_seconds=5),),
        trunk_groups=(TrunkGroupConfig("pstn", ("9", "+"), channels=8),),
    )
    network = SimulatedNetwork(
        NetworkProfile(seed=11, talk_seconds=(20, 90), patience_seconds=(10, 60))
    )
    core = TServerCore(
        Switch(config, id_seed=1), ServerIdentity("sim", "test", 0.0), drivers={"pstn": network}
    )
    now = 0.0
    desk = core.open_session()
    monitor = core.open_session()
    requests: list[Message] = [
        RequestRegisterClient(protocol_version="1.0", application_name="desk")
    ]
    for i, dn in enumerate(AGENTS):
        requests += [
            RequestRegisterAddress(this_dn=dn),
            RequestAgentLogin(this_dn=dn, agent_id=f"agent{i}", this_queue=QUEUE),
            RequestAgentReady(this_dn=dn),
        ]
    core.receive_data(desk, b"".join(encode(r) for r in requests), now)
    watch = [RequestRegisterClient(protocol_version="1.0", application_name="watch")]
    watch += [
        RequestRegisterAddress(this_dn=dn, register_mode=RegisterMode.Monitor)
        for dn in [*AGENTS, QUEUE]
    ]
    core.receive_data(monitor, b"".join(encode(r) for r in watch), now)

    rng = random.Random(5)
    arrivals = sorted(rng.uniform(0, 3600) for _ in range(240))
    hangups: dict[int, tuple[str, float]] = {}  # conn -> (dn, when the agent hangs up)
    readies: dict[str, float] = {}  # dn -> when its agent, made NotReady by RONA, is ready again
    seen: Counter[str] = Counter()
    injected = 0
    end = 4 * 3600.0
    while now < end:
        deadlines = [d for d in (core.next_deadline(),) if d is not None]
        if injected < len(arrivals):
            deadlines.append(arrivals[injected])
        deadlines += [t for _, t in hangups.values()]
        deadlines += list(readies.values())
        if not deadlines:
            break
        now = min(deadlines)
        while injected < len(arrivals) and arrivals[injected] <= now:
            network.inbound("pstn", f"+1555{injected:04d}", QUEUE, now)
            injected += 1
        core.advance(now)
        for conn, (dn, when) in list(hangups.items()):
            if when <= now:
                del hangups[conn]
                core.receive_data(desk, encode(RequestReleaseCall(this_dn=dn, conn_id=conn)), now)
        for dn, when in list(readies.items()):
            if when <= now:
                del readies[dn]
                core.receive_data(desk, encode(RequestAgentReady(this_dn=dn)), now)
        core.advance(now)
        for event in events_of(desk):
            if isinstance(event, EventRinging):  # the desktop answers what rings, mostly
                if rng.random() < 0.9:
                    core.receive_data(
                        desk,
                        encode(RequestAnswerCall(this_dn=event.this_dn, conn_id=event.conn_id)),
                        now + 2,
                    )
            elif isinstance(event, EventAgentNotReady) and event.agent_work_mode is None:
                readies[event.this_dn] = now + 10  # back from a missed call after a while
            elif isinstance(event, EventEstablished) and event.this_dn in AGENTS:
                hangups[event.conn_id] = (event.this_dn, now + rng.uniform(30, 200))
                if rng.random() < 0.2:  # and sometimes hangs up almost at once
                    hangups[event.conn_id] = (event.this_dn, now + 5)
        for event in events_of(monitor):
            seen[type(event).__name__] += 1
        if injected == len(arrivals) and not hangups and not readies and not core.switch.calls:
            break

    assert injected == len(arrivals)
    assert core.switch.calls == []
    assert core.switch.trunks_in_use("pstn") == 0
    assert seen["EventQueued"] >= len(arrivals) - len(network.rejected)
    answered = seen["EventEstablished"]  # at agents: the monitor watches agents and queue
    abandoned = seen["EventAbandoned"]
    # every caller was either answered by an agent or gave up (in the queue or while ringing)
    assert answered + abandoned == len(arrivals)
    assert answered > abandoned > 0
    assert seen["EventDiverted"] >= answered
    assert now < end


def test_outbound_calls_through_the_simulated_network() -> None:
    config = SwitchConfig(
        extensions=("1001",), trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=2),)
    )
    network = SimulatedNetwork(NetworkProfile(seed=2))
    core = TServerCore(
        Switch(config, id_seed=1), ServerIdentity("sim", "test", 0.0), drivers={"pstn": network}
    )
    desk = core.open_session()
    core.receive_data(
        desk, encode(RequestRegisterClient(protocol_version="1.0", application_name="d")), 0
    )
    core.receive_data(desk, encode(RequestRegisterAddress(this_dn="1001")), 0)
    events_of(desk)
    outcomes: Counter[str] = Counter()
    now = 0.0
    for i in range(60):
        core.receive_data(desk, encode(RequestMakeCall(this_dn="1001", other_dn=f"9{i:06d}")), now)
        while True:
            deadline = core.next_deadline()
            assert deadline is not None
            now = deadline
            core.advance(now)
            names = [type(e).__name__ for e in events_of(desk)]
            if "EventDestinationBusy" in names:
                [call] = core.switch.calls
                core.receive_data(
                    desk, encode(RequestReleaseCall(this_dn="1001", conn_id=call.conn_id)), now
                )
                events_of(desk)
                outcomes["busy"] += 1
                break
            if "EventReleased" in names:
                outcomes["released"] += 1
                break
    assert core.switch.calls == [] and core.switch.trunks_in_use("pstn") == 0
    assert outcomes["busy"] > 0 and outcomes["released"] > 0
