"""ACD queues: calls waiting in line, handed to the longest-available agent.

Owns: each queue's waiting calls (`_waiting`, first to be served first) and free agents
(`_free_agents`, a heap by the time each became ready); a call entering a queue (`_enqueue`)
or leaving it (`_leave_queue`, `_keep_place`); distribution to agents (`_distribute`);
ring-no-answer (TimerKind.RingNoAnswer) and an agent refusing an ACD call, which put the call
back at the head of the line (`_return_to_queue`); after-call work when an agent's ACD call
ends (`_after_release`, TimerKind.AfterCallWork); the queries `waiting()` and
`agents_in_queue()`.

Must not know how calls are offered to extensions or settled (the basic call), nor how agents
log in or become ready (the agents feature: the after-call-work timer ends through the
`agent_ready` hook), nor where DND and service state are kept (`_closed`).
"""

from __future__ import annotations

import heapq
from collections import OrderedDict

from protocol.enums import AgentWorkMode, CallState, DNRole
from protocol.messages import Event
from protocol.values import ConnID
from switch.agents import Agent, AgentInput, AgentState
from switch.calls import Call, Party, PartyInput, PartyState
from switch.config import SwitchConfig
from switch.kernel import SwitchKernel
from switch.timers import Timer, TimerKind


class AcdQueues(SwitchKernel):
    """ACD queues: waiting calls, free agents, distribution, ring-no-answer, after-call work."""

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        super().__init__(config, id_seed=id_seed)
        #: Each queue's waiting calls, first to be served first.
        self._waiting: dict[str, OrderedDict[ConnID, Call]] = {
            dn: OrderedDict() for dn in self._queues
        }
        #: Each queue's free agents, as a heap of (ready_since, seq, AgentID); entries are
        #: checked when popped, so an agent that got busy since is simply skipped.
        self._free_agents: dict[str, list[tuple[float, int, str]]] = {dn: [] for dn in self._queues}
        self._free_seq = 0

    def waiting(self, queue: str) -> list[ConnID]:
        """The calls waiting in an ACD queue, first to be served first."""
        return list(self._waiting.get(queue, ()))

    def agents_in_queue(self, queue: str) -> tuple[int, int]:
        """(logged in, ready and free) agents of an ACD queue."""
        logged = [a for a in self._agents_by_id.values() if a.queue == queue]
        free = [
            a
            for a in logged
            if a.state is AgentState.Ready and not self._active(a.dn) and not self._closed(a.dn)
        ]
        return len(logged), len(free)

    def _enqueue(self, call: Call, queue: str, now: float, *, priority: bool) -> list[Event]:
        party = Party(queue, DNRole.Destination, queue=queue)
        self._add(call, party)
        self._waiting[queue][call.conn_id] = call
        if priority:
            self._waiting[queue].move_to_end(call.conn_id, last=False)
        events = self._move(call, party, PartyInput.Enqueue, other=call.origin)
        return events + self._distribute(queue, now)

    def _leave_queue(self, call: Call, party: Party) -> None:
        del self._waiting[party.dn][call.conn_id]

    def _keep_place(self, queue: str, consult_id: ConnID, call: Call) -> None:
        waiting = self._waiting[queue]
        items = list(waiting.items())
        waiting.clear()
        for key, value in items:
            if key == consult_id:
                waiting[call.conn_id] = call
            else:
                waiting[key] = value

    def _available_agent(self, queue: str) -> Agent | None:
        """The longest-available agent of the queue (ready, on a free DN, not DND), taken off
        the queue's free list; None when there is none."""
        heap = self._free_agents[queue]
        while heap:
            ready_since, _seq, agent_id = heapq.heappop(heap)
            agent = self._agents_by_id.get(agent_id)
            if (
                agent is not None
                and agent.queue == queue
                and agent.state is AgentState.Ready
                and agent.ready_since == ready_since
                and not self._active(agent.dn)
                and not self._closed(agent.dn)
            ):
                return agent
        return None

    def _agent_free(self, dn: str, now: float, *, idle_from_now: bool) -> list[Event]:
        """The agent on `dn` may be free to take a call: list it as free in its queue, then
        serve the queue. `idle_from_now` restarts its idle time (a call just ended)."""
        agent = self._agents_by_dn.get(dn)
        if agent is None or agent.queue not in self._queues:
            return []
        if agent.state is not AgentState.Ready or self._active(dn) or self._closed(dn):
            return []
        if idle_from_now or agent.ready_since is None:
            agent.ready_since = now
        self._free_seq += 1
        heapq.heappush(
            self._free_agents[agent.queue], (agent.ready_since, self._free_seq, agent.agent_id)
        )
        return self._distribute(agent.queue, now)

    def _distribute(self, queue: str, now: float) -> list[Event]:
        """Hand waiting calls to free agents, longest-available agent first."""
        events: list[Event] = []
        waiting = self._waiting[queue]
        passed_over: list[Agent] = []
        while waiting:
            agent = self._available_agent(queue)
            if agent is None:
                break
            # the first call the agent's DN is not in already (it may hold one in conference)
            call = next((c for c in waiting.values() if c.party_at(agent.dn) is None), None)
            if call is None:
                passed_over.append(agent)
                continue
            del waiting[call.conn_id]
            party = call.party_at(queue)
            assert party is not None and party.state is PartyState.Queued
            events += self._move(
                call,
                party,
                PartyInput.Divert,
                other=call.origin,
                third_party_dn=agent.dn,
                third_party_dn_role=DNRole.Destination,
            )
            ringing = Party(agent.dn, DNRole.Destination, queue=queue)
            self._add(call, ringing)
            call.destination = ringing
            events += self._move(call, ringing, PartyInput.Alert, other=call.origin)
            self._watch(
                ringing,
                call,
                now + self._queues[queue].ring_no_answer_seconds,
                TimerKind.RingNoAnswer,
            )
        for agent in passed_over:  # still free, for the next call
            self._free_seq += 1
            assert agent.ready_since is not None
            heapq.heappush(
                self._free_agents[queue], (agent.ready_since, self._free_seq, agent.agent_id)
            )
        return events

    def _ring_no_answer(self, timer: Timer, now: float) -> list[Event]:
        found = self._timed_party(timer, PartyState.Ringing)
        if found is None:
            return []
        call, party = found
        return self._return_to_queue(call, party, now, CallState.DroppedNoAnswer)

    def _return_to_queue(
        self, call: Call, party: Party, now: float, call_state: CallState
    ) -> list[Event]:
        """An agent did not take an ACD call: it goes back to the head of its queue."""
        queue = party.queue
        assert queue is not None
        input_ = PartyInput.RingNoAnswer if call_state is not CallState.Ok else PartyInput.Release
        events = self._move(call, party, input_, other=call.origin, call_state=call_state)
        agent = self._agents_by_dn.get(party.dn)
        if agent is not None and agent.state is AgentState.Ready:
            events.append(self._agent_move(agent, AgentInput.NotReady, None, None))
            agent.ready_since = None
        if call.party_at(queue) is not None:  # the call waits in the queue already
            return events
        again = Party(queue, DNRole.Destination, queue=queue)
        self._add(call, again)
        self._waiting[queue][call.conn_id] = call
        self._waiting[queue].move_to_end(call.conn_id, last=False)
        call.destination = again
        events += self._move(call, again, PartyInput.Enqueue, other=call.origin)
        return events + self._distribute(queue, now)

    def _after_release(self, party: Party, call: Call, now: float) -> list[Event]:
        """A party left a call: if an agent is logged in on its DN, an ACD call sends it to
        after-call work (when its queue has some); otherwise it may take the next call."""
        agent = self._agents_by_dn.get(party.dn)
        if agent is None or party.external or party.state is not PartyState.Released:
            return []
        del call
        acd = party.queue in self._queues and party.role is not DNRole.Origination
        if acd and agent.state is AgentState.Ready and party.queue is not None:
            acw = self._queues[party.queue].after_call_work_seconds
            if acw > 0:
                event = self._agent_move(
                    agent, AgentInput.NotReady, AgentWorkMode.AfterCallWork, None
                )
                agent.ready_since = None
                agent.timer = self._schedule(now + acw, TimerKind.AfterCallWork, agent.dn)
                return [event]
        return self._agent_free(party.dn, now, idle_from_now=True)

    def _after_call_work_over(self, timer: Timer, now: float) -> list[Event]:
        (dn,) = timer.key
        agent = self._agents_by_dn.get(dn)
        if agent is None or agent.timer != timer.seq or agent.state is not AgentState.NotReady:
            return []
        if agent.work_mode is not AgentWorkMode.AfterCallWork:
            return []
        return self.agent_ready(dn, now=now, work_mode=AgentWorkMode.ManualIn)
