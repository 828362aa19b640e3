"""One simulated hour of inbound traffic through the whole server, under trio's MockClock.

The real trio edge (cti.server.TServer), its core, the switch and the simulated network, with
ten agent desktops on the client library and a simulation-control client dialing 300 callers
in from the public network, all in one process over in-memory streams. Time is virtual
(`MockClock(autojump_threshold=0)`) and the server's wall-clock epoch is injected, never read,
so the same seed gives the same event log, byte for byte. No sockets: autojump is safe here.
"""

from __future__ import annotations

import hashlib
import random
import time
from collections import Counter
from contextlib import suppress
from dataclasses import dataclass, field

import trio
import trio.testing

from cti.client import Connector, TClient, TServerError, open_client
from cti.server.build import build_server
from cti.server.config import parse_config
from cti.server.edge import TServer
from protocol.codec import encode
from protocol.enums import AgentWorkMode, SimService
from protocol.messages import (
    Event,
    EventAgentNotReady,
    EventRinging,
    RequestAgentLogin,
    RequestAgentReady,
    RequestAnswerCall,
    RequestPrivateService,
    RequestRegisterAll,
)
from protocol.values import ConnID, KVList

AGENTS = 10
CALLERS = 300
HOUR = 3600.0
QUEUE = "7001"
EPOCH = 1_780_000_000.0  # the server's wall clock at virtual time 0 (injected, never read)

CONFIG = f"""
[server]
keepalive_interval = 30

[[server.application]]
name = "network"
simulation = true

[switch]
extensions = [{", ".join(f'"{2001 + i}"' for i in range(AGENTS))}]
{
    "".join(
        f'''
[[switch.agent]]
id = "agent{i}"
'''
        for i in range(AGENTS)
    )
}
[[switch.queue]]
dn = "{QUEUE}"
ring_no_answer_seconds = 15
after_call_work_seconds = 20

[[switch.trunk_group]]
name = "pstn"
prefixes = ["9"]
channels = 60
driver = "simulated"

[network]
seed = 7
talk_seconds = [30, 150]
patience_seconds = [40, 240]
"""


@dataclass
class Log:
    """Every event each client received, encoded, per client: the run's event log."""

    frames: dict[str, list[bytes]] = field(default_factory=dict)
    #: Events by class name, as the desks saw them (the wall sees them all again).
    kinds: Counter[str] = field(default_factory=Counter)
    #: EventAgentNotReady at the desks by AgentWorkMode (AfterCallWork: the queue's ACW;
    #: the others: ring-no-answer).
    not_ready: Counter[AgentWorkMode | None] = field(default_factory=Counter)
    #: The server's time when the run ended.
    ended: float = 0.0

    def add(self, who: str, event: Event) -> None:
        self.frames.setdefault(who, []).append(encode(event))
        if who == "wall":
            return
        self.kinds[type(event).__name__] += 1
        if isinstance(event, EventAgentNotReady):
            self.not_ready[event.agent_work_mode] += 1

    def digest(self) -> str:
        sha = hashlib.sha256()
        for who in sorted(self.frames):
            sha.update(who.encode() + b"\0" + b"".join(self.frames[who]))
        return sha.hexdigest()


class Desk:
    """An agent desktop with a seeded person behind it: answers most calls after a few
    seconds (lets one in ten ring out), and after a ring-no-answer goes ready again later.
    Calls end when the caller hangs up; after-call work ends by the queue's timer."""

    def __init__(self, client: TClient, index: int, rng: random.Random, log: Log) -> None:
        self.client, self.dn, self.agent_id = client, str(2001 + index), f"agent{index}"
        self.rng, self.log = rng, log
        self.answered = 0

    async def run(self, task_status: trio.TaskStatus[None] = trio.TASK_STATUS_IGNORED) -> None:
        await self.client.register_address(self.dn)
        await self.client.request(
            RequestAgentLogin(
                this_dn=self.dn,
                agent_id=self.agent_id,
                this_queue=QUEUE,
                agent_work_mode=AgentWorkMode.ManualIn,
            )
        )
        await self.client.request(
            RequestAgentReady(this_dn=self.dn, agent_work_mode=AgentWorkMode.ManualIn)
        )
        task_status.started()
        async with trio.open_nursery() as nursery:
            async for event in self.client.events():
                self.log.add(self.dn, event)
                if isinstance(event, EventRinging) and event.this_dn == self.dn:
                    nursery.start_soon(self.answer, event.conn_id, self.rng.random() < 0.1)
                elif (
                    isinstance(event, EventAgentNotReady)
                    and event.reference_id is None
                    and event.agent_work_mode is not AgentWorkMode.AfterCallWork
                ):
                    nursery.start_soon(self.ready_again, self.rng.uniform(5.0, 30.0))

    async def answer(self, conn_id: ConnID, let_it_ring: bool) -> None:
        if let_it_ring:
            return  # ring-no-answer: the queue takes the call back, the agent is NotReady
        await trio.sleep(self.rng.uniform(1.0, 6.0))
        with suppress(TServerError):  # the caller gave up while it rang
            await self.client.request(RequestAnswerCall(this_dn=self.dn, conn_id=conn_id))
            self.answered += 1

    async def ready_again(self, after: float) -> None:
        await trio.sleep(after)
        with suppress(TServerError):
            await self.client.request(
                RequestAgentReady(this_dn=self.dn, agent_work_mode=AgentWorkMode.ManualIn)
            )


async def callers(client: TClient, rng: random.Random) -> int:
    """The public network: callers dial the queue at Poisson arrival times over the hour,
    through simulation control (RequestPrivateService Inbound), like any client would."""
    gaps = [rng.expovariate(CALLERS / HOUR) for _ in range(CALLERS)]
    scale = (HOUR - 60.0) / sum(gaps)  # all of them inside the hour
    for i, gap in enumerate(gaps):
        await trio.sleep(gap * scale)
        data = KVList([("TrunkGroup", "pstn"), ("ANI", f"+1555{i:07d}"), ("DNIS", QUEUE)])
        await client.request(
            RequestPrivateService(
                this_dn="", private_msg_id=int(SimService.Inbound), user_data=data
            )
        )
    return CALLERS


async def one_hour(seed: int) -> tuple[Log, list[Desk], TServer]:
    server, _network = build_server(parse_config(CONFIG, "virtual-hour"), epoch=EPOCH)
    log = Log()
    rng = random.Random(seed)
    async with trio.open_nursery() as nursery:
        await nursery.start(server.run)
        connect = server.connect_in_memory
        async with (
            open_client(connect=connect, application_name="wall") as wall,
            open_client(connect=connect, application_name="network") as network,
        ):
            await wall.request(RequestRegisterAll())
            desks: list[Desk] = []
            async with trio.open_nursery() as clients:
                for i in range(AGENTS):
                    client = await clients.start(_client, connect, f"desk{i}")
                    desk = Desk(client, i, random.Random(rng.random()), log)
                    await clients.start(desk.run)
                    desks.append(desk)
                clients.start_soon(_watch, wall, log)
                await callers(network, random.Random(rng.random()))
                await trio.sleep(600.0)  # the last callers talk, abandon or ring out
                log.ended = server.now()
                clients.cancel_scope.cancel()
        nursery.cancel_scope.cancel()
    return log, desks, server


async def _client(
    connect: Connector, name: str, task_status: trio.TaskStatus[TClient] = trio.TASK_STATUS_IGNORED
) -> None:
    async with open_client(connect=connect, application_name=name) as client:
        task_status.started(client)
        await trio.sleep_forever()


async def _watch(wall: TClient, log: Log) -> None:
    async for event in wall.events():
        log.add("wall", event)


def run_hour(seed: int) -> tuple[Log, list[Desk], TServer, float]:
    clock = trio.testing.MockClock(autojump_threshold=0)
    started = time.perf_counter()
    log, desks, server = trio.run(one_hour, seed, clock=clock)
    return log, desks, server, time.perf_counter() - started


def test_an_hour_of_inbound_traffic_runs_in_virtual_time_and_repeats_byte_for_byte() -> None:
    first, desks, server, wall_seconds = run_hour(seed=3)
    assert wall_seconds < 30.0, f"one virtual hour took {wall_seconds:.1f} s of wall time"
    # it really was an hour of traffic, with every ACD feature exercised
    stats = first.kinds
    assert stats["EventRinging"] >= CALLERS  # every caller reached an agent or gave up
    answered = sum(d.answered for d in desks)
    assert answered > CALLERS * 0.7, (answered, stats)
    assert stats["EventAbandoned"] > 0  # callers whose patience ran out
    assert stats["EventAgentNotReady"] > 0 and stats["EventAgentReady"] > AGENTS
    assert stats["EventEstablished"] == answered  # the caller is outside: no DN, no event
    assert stats["EventReleased"] > 0
    # the server's time is the injected epoch plus virtual time
    assert server.epoch == EPOCH
    assert EPOCH + HOUR < first.ended < EPOCH + HOUR + 1200
    # ring-no-answer and after-call work both happened
    assert first.not_ready[AgentWorkMode.AfterCallWork] > CALLERS * 0.5, first.not_ready
    assert sum(n for mode, n in first.not_ready.items() if mode is not AgentWorkMode.AfterCallWork)
    assert len(first.frames["wall"]) > stats["EventRinging"]
    second, *_ = run_hour(seed=3)
    assert second.digest() == first.digest()
    assert second.frames == first.frames
    other, *_ = run_hour(seed=4)
    assert other.digest() != first.digest()  # the log does depend on the seed
