"""Simulated agents and callers, built on the client library: the workers of `ctiemu load` and
the staff and customers of `ctiemu serve --demo`.

An AgentBot is one client connection for one agent: it registers the agent's DN, logs the agent
in to a queue, makes it ready, answers each call that rings there, talks for a while, releases
the call and, when told to stay ready, makes the agent ready again whenever something else made
it not ready (after-call work, ring-no-answer). Callers share one connection: each call goes
from a free caller extension to the queue and lasts until the far end (the agent) releases it.
LoadStats counts what they all see: calls, events, request-to-event latencies (from sending a
request to receiving the event that carries its ReferenceID) and EventErrors by code.

DemoCustomers is the demo's public network side: a customer calls the queue through a simulated
trunk group about every ten seconds, by simulation control (RequestPrivateService Inbound), as
any client allowed to simulate would.
"""

from __future__ import annotations

import logging
import math
import random
from collections import Counter, deque
from collections.abc import Callable, Sequence
from contextlib import suppress
from dataclasses import dataclass, field

import trio

from cti.client import ConnectionLost, TClient, TServerError
from protocol.enums import AgentWorkMode, SimService
from protocol.messages import (
    CallEvent,
    Event,
    EventAbandoned,
    EventAgentNotReady,
    EventEstablished,
    EventReleased,
    EventRinging,
    Request,
    RequestAgentLogin,
    RequestAgentLogout,
    RequestAgentReady,
    RequestAnswerCall,
    RequestMakeCall,
    RequestPrivateService,
    RequestReleaseCall,
)
from protocol.values import ConnID, KVList

log = logging.getLogger("ctiemu.sim")


@dataclass
class LoadStats:
    """What the simulated agents and callers observed."""

    offered: int = 0  #: calls the callers placed (RequestMakeCall sent)
    completed: int = 0  #: answered by an agent and ended by the agent's release
    abandoned: int = 0  #: the caller hung up before an agent answered (end of the run)
    failed: int = 0  #: refused, no free caller extension, or ended without an answer
    events: int = 0  #: events received on all connections
    timeouts: int = 0  #: requests whose answer did not come within the request timeout
    #: Seconds from sending a request to receiving the event with its ReferenceID.
    latencies: list[float] = field(default_factory=list)
    #: EventError answers by ErrorCode.
    errors: Counter[int] = field(default_factory=Counter)

    def reset_measures(self) -> None:
        """Forget events and latencies so far (the set-up phase), keep counting from now."""
        self.events = 0
        self.latencies = []

    async def request(self, client: TClient, request: Request, *, timeout: float = 10.0) -> Event:
        """Send a request, record its latency, return its answer. EventError is recorded and
        raised (TServerError), a missing answer is recorded and raised (trio.TooSlowError)."""
        start = trio.current_time()
        try:
            answer = await client.request(request, timeout=timeout)
        except TServerError as exc:
            self.errors[exc.code] += 1
            raise
        except trio.TooSlowError:
            self.timeouts += 1
            raise
        self.latencies.append(trio.current_time() - start)
        return answer

    async def try_request(self, client: TClient, request: Request) -> Event | None:
        """As `request`, but an EventError or a timeout (both recorded) gives None."""
        try:
            return await self.request(client, request)
        except (TServerError, trio.TooSlowError):
            return None


@dataclass(frozen=True, slots=True)
class AgentSpec:
    """Who a simulated agent is: the DN it works at, its AgentID and password."""

    dn: str
    agent_id: str
    password: str | None = None


class AgentBot:
    """One simulated agent on its own client connection."""

    def __init__(
        self,
        client: TClient,
        spec: AgentSpec,
        queue: str,
        stats: LoadStats,
        *,
        talk: Callable[[], float],
        ring: Callable[[], float] = lambda: 0.0,
        stay_ready: bool = True,
    ) -> None:
        self.client = client
        self.spec = spec
        self.queue = queue
        self.stats = stats
        self.talk = talk
        self.ring = ring
        self.stay_ready = stay_ready
        self.answered = 0
        self._idle = False
        self._ended: dict[ConnID, trio.Event] = {}

    async def start(self) -> None:
        """Register the DN, log the agent in to the queue and make it ready. An EventError
        raises TServerError: without a logged-in agent there is nothing to simulate."""
        spec = self.spec
        await self.client.register_address(spec.dn)
        login = RequestAgentLogin(
            this_dn=spec.dn,
            agent_id=spec.agent_id,
            password=spec.password,
            this_queue=self.queue,
            agent_work_mode=AgentWorkMode.ManualIn,
        )
        await self.stats.request(self.client, login)
        await self.stats.request(
            self.client,
            RequestAgentReady(this_dn=spec.dn, agent_work_mode=AgentWorkMode.ManualIn),
        )

    async def run(self) -> None:
        """Take calls until cancelled (or the connection ends)."""
        dn = self.spec.dn
        async with trio.open_nursery() as nursery:
            async for event in self.client.events():
                self.stats.events += 1
                if getattr(event, "this_dn", None) != dn:
                    continue
                if isinstance(event, EventRinging) and event.conn_id not in self._ended:
                    self._ended[event.conn_id] = trio.Event()
                    nursery.start_soon(self._take_call, event.conn_id)
                elif isinstance(event, EventReleased | EventAbandoned) and (
                    event.conn_id in self._ended
                ):
                    self._ended[event.conn_id].set()
                elif (
                    isinstance(event, EventAgentNotReady)
                    and self.stay_ready
                    and event.reference_id is None  # not our own request
                ):
                    nursery.start_soon(self._ready)
            nursery.cancel_scope.cancel()

    async def _ready(self) -> None:
        request = RequestAgentReady(this_dn=self.spec.dn, agent_work_mode=AgentWorkMode.ManualIn)
        await self.stats.try_request(self.client, request)

    async def _take_call(self, conn_id: ConnID) -> None:
        dn = self.spec.dn
        ended = self._ended[conn_id]
        try:
            with trio.move_on_after(self.ring()):
                await ended.wait()
            if ended.is_set() or self._idle:
                return  # the caller gave up while it rang, or we are told to stop
            answer = RequestAnswerCall(this_dn=dn, conn_id=conn_id)
            if await self.stats.try_request(self.client, answer) is None:
                return
            self.answered += 1
            with trio.move_on_after(self.talk()):
                await ended.wait()
            if not ended.is_set() and not self._idle:
                release = RequestReleaseCall(this_dn=dn, conn_id=conn_id)
                await self.stats.try_request(self.client, release)
        finally:
            self._ended.pop(conn_id, None)

    def go_idle(self) -> None:
        """Stop answering and releasing calls (the callers end them): the end of a run."""
        self._idle = True

    async def stop(self) -> None:
        """Log the agent out (the server keeps agents logged in after their client leaves)."""
        # EventError: already logged out (by someone else); the others: nobody to tell
        with suppress(TServerError, ConnectionLost, trio.TooSlowError):
            await self.client.request(RequestAgentLogout(this_dn=self.spec.dn), timeout=2)


class Callers:
    """Callers on extensions that share one client connection; each extension places one call
    at a time, to `target`, and waits for the far end to release it."""

    def __init__(self, client: TClient, dns: Sequence[str], target: str, stats: LoadStats) -> None:
        self.client = client
        self.dns = list(dns)
        self.target = target
        self.stats = stats
        self._free: deque[str] = deque(self.dns)
        self._inbox: dict[str, trio.MemorySendChannel[CallEvent]] = {}
        self._waiting: dict[str, trio.CancelScope] = {}
        self.in_flight = 0
        self._hanging_up = False
        self._idle = trio.Event()
        self._idle.set()

    async def start(self) -> None:
        """Register every caller extension (EventError raises TServerError)."""
        for dn in self.dns:
            await self.client.register_address(dn)

    async def run(self) -> None:
        """Hand each event to the call waiting on its DN, until cancelled."""
        async for event in self.client.events():
            self.stats.events += 1
            if isinstance(event, CallEvent):
                inbox = self._inbox.get(event.this_dn)
                if inbox is not None:
                    inbox.send_nowait(event)

    def hang_up_all(self) -> None:
        """Every caller still waiting for an answer or a release hangs up now, and callers
        whose call is still being placed hang up as soon as it is."""
        self._hanging_up = True
        for scope in self._waiting.values():
            scope.cancel()

    async def call(self) -> None:
        """Place one call from a free extension and follow it to its end."""
        self.stats.offered += 1
        if not self._free:
            self.stats.failed += 1
            log.warning("no free caller extension for a new call")
            return
        dn = self._free.popleft()
        send, receive = trio.open_memory_channel[CallEvent](math.inf)
        self._inbox[dn] = send
        self.in_flight += 1
        if self._idle.is_set():
            self._idle = trio.Event()
        try:
            await self._follow(dn, receive)
        finally:
            del self._inbox[dn]
            self._free.append(dn)
            self.in_flight -= 1
            if not self.in_flight:
                self._idle.set()

    async def wait_idle(self) -> None:
        """Until no call is in progress."""
        while self.in_flight:
            await self._idle.wait()

    async def _follow(self, dn: str, inbox: trio.MemoryReceiveChannel[CallEvent]) -> None:
        stats = self.stats
        dialing = await stats.try_request(
            self.client, RequestMakeCall(this_dn=dn, other_dn=self.target)
        )
        if not isinstance(dialing, CallEvent):
            stats.failed += 1
            return
        conn_id = dialing.conn_id
        answered = False
        with trio.CancelScope() as scope:
            self._waiting[dn] = scope
            if self._hanging_up:
                scope.cancel()
            try:
                async for event in inbox:
                    if event.conn_id != conn_id:
                        continue
                    if isinstance(event, EventEstablished):
                        answered = True
                    elif isinstance(event, EventReleased):
                        if answered:
                            stats.completed += 1
                        else:
                            stats.failed += 1
                        return
            finally:
                del self._waiting[dn]
        # told to hang up: release the call. If the server says the call is gone, it ended
        # before we read its last events (a busy run lags): read them to count it as it was.
        release = RequestReleaseCall(this_dn=dn, conn_id=conn_id)
        released_by_us = await stats.try_request(self.client, release) is not None
        with trio.move_on_after(2):
            async for event in inbox:
                if event.conn_id != conn_id:
                    continue
                if isinstance(event, EventEstablished):
                    answered = True
                elif isinstance(event, EventReleased):
                    break
        if not answered:
            stats.abandoned += 1
        elif released_by_us:
            stats.failed += 1  # cut off while talking
        else:
            stats.completed += 1


class DemoCustomers:
    """Customers who call `dnis` from the simulated public network about every `interval`
    seconds, through the trunk group `trunk_group`: each one is a RequestPrivateService
    (simulation control, Inbound) on `client`, connected as an application allowed to simulate,
    exactly as `ctiemu sim inbound` or any other client would do it."""

    def __init__(
        self,
        client: TClient,
        *,
        trunk_group: str,
        dnis: str,
        interval: float = 10.0,
        rng: random.Random | None = None,
    ) -> None:
        self.client = client
        self.trunk_group = trunk_group
        self.dnis = dnis
        self.interval = interval
        self.rng = rng or random.Random()
        self.calls = 0

    async def call_now(self) -> Event:
        """One customer dials in now; returns the server's answer (EventACK; an EventError
        raises TServerError)."""
        self.calls += 1
        ani = f"+1555{self.rng.randrange(10**7):07d}"
        params = KVList([("TrunkGroup", self.trunk_group), ("ANI", ani), ("DNIS", self.dnis)])
        answer = await self.client.request(
            RequestPrivateService(
                this_dn="", private_msg_id=int(SimService.Inbound), user_data=params
            )
        )
        log.info("demo: customer %s calls %s", ani, self.dnis)
        return answer

    async def run(self) -> None:
        """Call at once, then about every `interval` seconds, until cancelled."""
        while True:
            await self.call_now()
            await trio.sleep(self.rng.uniform(0.8, 1.2) * self.interval)
