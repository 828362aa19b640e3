"""Hypothesis state-machine test of the switch: random operation sequences, invalid ones
included, against invariants that must hold after every step.

- an invalid operation raises SwitchError (with an ErrorCode) and changes nothing;
- a call ends (leaves switch.calls) when its last party leaves, and not before;
- each DN's call index agrees with the parties of the calls;
- no DN gets an event about a call it is not (or was not just) in;
- a ConnID is never handed out twice;
- one agent per DN, one DN per agent;
- a DN has at most one party in a call (T-Library names a party by ThisDN and ConnID).

Most rules draw their DN and ConnID blindly, invalid pairs included. The rules under "Acting
on the parties there are" draw a party of a live call instead, and complete a DN's actual
consultation, so that long valid sequences (conferences and transfers through queues and
routing points, then a clear) are reached as often as refusals.
"""

from __future__ import annotations

from typing import Any

from hypothesis import settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from protocol.enums import (
    AgentWorkMode,
    ForwardMode,
    MakeCallType,
    MergeType,
    RouteType,
    TreatmentType,
)
from protocol.errors import ErrorCode
from protocol.messages import (
    CallEvent,
    Event,
    EventAttachedDataChanged,
    EventDialing,
    EventPartyChanged,
    EventQueued,
    EventRinging,
    EventRouteRequest,
)
from protocol.values import ConnID, KVList
from switch import Switch, SwitchConfig, SwitchError
from switch.agents import AgentState
from switch.config import AgentConfig, QueueConfig, RoutingPointConfig, TrunkGroupConfig
from switch.pbx import PartyState
from switch.trunks import (
    Alerting,
    Answered,
    AnswerKind,
    Busy,
    DigitsReceived,
    Failed,
    FarEndReleased,
    Inbound,
    NoAnswer,
    SitDetected,
    SitKind,
)

EXTENSIONS = ["1001", "1002", "1003", "1004"]
QUEUE, ROUTING_POINT = "7001", "5001"
DNS = [*EXTENSIONS, QUEUE, ROUTING_POINT]
ANY_DN = st.sampled_from([*DNS, "9999"])
AGENTS = ["agent1", "agent2", "ghost"]


def snapshot(switch: Switch) -> Any:
    calls = sorted(
        (
            c.conn_id,
            c.call_id,
            c.call_uuid,
            c.call_type,
            tuple((p.dn, p.role, p.state) for p in c.parties),
            c.user_data,
        )
        for c in switch.calls
    )
    agents = {
        dn: (a.agent_id, a.state, a.work_mode, a.reasons, a.ready_since)
        for dn in DNS
        if (a := switch.agent_at(dn)) is not None
    }
    dnd = {dn for dn in DNS if switch.dnd(dn)}
    return calls, agents, dnd


#: Events that report a DN joining a call.
JOINING = (EventDialing, EventRinging, EventQueued, EventRouteRequest)


def check_members(
    events: list[Event], members_before: dict[ConnID, set[str]], switch: Switch
) -> None:
    """No DN gets an event about a call it was not in, is not in, or joined (an event earlier
    in the same batch says so: a call routed to a queue and abandoned there at once); calls
    made and merged or ended within the batch (a mute transfer) are judged by their events."""
    members_after = {c.conn_id: {p.dn for p in c.parties} for c in switch.calls}
    joined: dict[ConnID, set[str]] = {}
    for event in events:
        conn_id = getattr(event, "conn_id", None)
        if not isinstance(event, CallEvent | EventAttachedDataChanged) or conn_id is None:
            continue
        if isinstance(event, JOINING):
            joined.setdefault(conn_id, set()).add(event.this_dn)
        if conn_id not in members_before and conn_id not in members_after:
            continue  # a call made and merged away within the operation (mute transfer)
        members = (
            members_before.get(conn_id, set())
            | members_after.get(conn_id, set())
            | joined.get(conn_id, set())
        )
        assert event.this_dn in members, f"{event!r} went to a DN not in the call"


def check_other_sides(events: list[Event], stay: list[str], join: list[str]) -> None:
    """After CompleteTransfer, each party's EventPartyChanged names the other side in OtherDN
    when that side is one party, and names nobody when it is a complex party (GenEM's
    convention): the parties that stay face the ones that join, and the other way round."""
    for event in events:
        if not isinstance(event, EventPartyChanged):
            continue
        other_side = stay if event.this_dn in join else join
        expected = other_side[0] if len(other_side) == 1 else None
        assert event.other_dn == expected, (event.this_dn, event.other_dn, stay, join)


class SwitchMachineBase(RuleBasedStateMachine):
    """The switch, how each operation is applied and checked, time, and the invariants."""

    def __init__(self) -> None:
        super().__init__()
        config = SwitchConfig(
            extensions=tuple(EXTENSIONS),
            agents=(AgentConfig("agent1"), AgentConfig("agent2", "pw")),
            queues=(QueueConfig(QUEUE, ring_no_answer_seconds=5, after_call_work_seconds=3),),
            routing_points=(RoutingPointConfig(ROUTING_POINT, QUEUE, timeout_seconds=4),),
            trunk_groups=(TrunkGroupConfig("pstn", ("9",), channels=2),),
            no_answer_seconds=7,
        )
        self.switch = Switch(config, id_seed=5)
        self.now = 0.0
        self.seen_conn_ids: set[ConnID] = set()

    def conn_ids(self) -> list[ConnID]:
        return [c.conn_id for c in self.switch.calls]

    def apply(self, operation: Any, *args: Any, **kwargs: Any) -> list[Event] | None:
        """Run one operation; check atomicity on refusal and the events on success. The
        events, or None when refused."""
        self.now += 1.0
        before = snapshot(self.switch)
        members_before = {c.conn_id: {p.dn for p in c.parties} for c in self.switch.calls}
        live_before = set(self.conn_ids())
        try:
            events: list[Event] = operation(*args, now=self.now, **kwargs)
        except SwitchError as err:
            assert isinstance(err.code, ErrorCode)
            assert snapshot(self.switch) == before, f"refused {operation.__name__} changed state"
            return None
        check_members(events, members_before, self.switch)
        for event in events:
            dn = getattr(event, "this_dn", None)
            assert dn is None or dn in DNS, f"{event!r} addressed to {dn}, not a DN of ours"
        for conn_id in set(self.conn_ids()) - live_before:
            assert conn_id not in self.seen_conn_ids, f"ConnID {conn_id} handed out twice"
            self.seen_conn_ids.add(conn_id)
        return events

    def pick(self, data: st.DataObject) -> ConnID:
        live = self.conn_ids()
        bogus = ConnID(0xDEAD)
        return data.draw(st.sampled_from([*live, bogus]) if live else st.just(bogus))

    def report(self, report: Any, *, now: float) -> list[Event]:
        """A driver report: never refused, whatever state the call is in."""
        try:
            return self.switch.on_trunk_report(report, now)
        except SwitchError as err:  # pragma: no cover - a failure of this test
            raise AssertionError(f"trunk report {report!r} was refused: {err}") from err

    @invariant()
    def trunk_channels_are_counted(self) -> None:
        carried = sum(1 for c in self.switch.calls if c.trunk_group == "pstn")
        assert self.switch.trunks_in_use("pstn") == carried <= 2
        self.switch.take_commands()

    @rule(seconds=st.sampled_from([0.5, 3.0, 6.0]))
    def time_passes(self, seconds: float) -> None:
        """Timers fire: ring-no-answer, routing timeouts, end of after-call work."""
        self.now += seconds
        live_before = set(self.conn_ids())
        members_before = {c.conn_id: {p.dn for p in c.parties} for c in self.switch.calls}
        events = self.switch.advance(self.now)
        check_members(events, members_before, self.switch)
        assert set(self.conn_ids()) <= live_before  # timers never create calls
        deadline = self.switch.next_deadline()
        assert deadline is None or deadline > self.now

    @invariant()
    def calls_have_parties_and_index_agrees(self) -> None:
        for call in self.switch.calls:
            assert any(p.state is not PartyState.Released for p in call.parties), call
        for dn in DNS:
            indexed = {c.conn_id for c in self.switch.calls_at(dn)}
            actual = {
                c.conn_id
                for c in self.switch.calls
                for p in c.parties
                if p.dn == dn and p.state is not PartyState.Released
            }
            assert indexed == actual, dn

    @invariant()
    def waiting_list_matches_queued_parties(self) -> None:
        queued = [
            c.conn_id
            for c in self.switch.calls
            for p in c.parties
            if p.dn == QUEUE and p.state is PartyState.Queued
        ]
        assert sorted(self.switch.waiting(QUEUE)) == sorted(queued)

    @invariant()
    def no_idle_agent_while_calls_wait(self) -> None:
        """A ready agent of the queue on a free DN never sits idle while a call it is not in
        already (holding a conference that waits in the queue) waits."""
        waiting = [self.switch.call(conn_id) for conn_id in self.switch.waiting(QUEUE)]
        for dn in EXTENSIONS:
            agent = self.switch.agent_at(dn)
            if agent is None or agent.queue != QUEUE or agent.state is not AgentState.Ready:
                continue
            if all(call is None or call.party_at(dn) is not None for call in waiting):
                continue
            busy = any(
                p.dn == dn and p.state not in (PartyState.Held, PartyState.Released)
                for c in self.switch.calls_at(dn)
                for p in c.parties
            )
            assert busy or self.switch.dnd(dn), f"agent on {dn} idle while calls wait"

    @invariant()
    def at_most_one_active_party_per_extension(self) -> None:
        for dn in EXTENSIONS:
            active = [
                p
                for c in self.switch.calls_at(dn)
                for p in c.parties
                if p.dn == dn and p.state not in (PartyState.Held, PartyState.Released)
            ]
            assert len(active) <= 1, (dn, active)

    @invariant()
    def agents_are_one_to_one(self) -> None:
        ids = [a.agent_id for dn in DNS if (a := self.switch.agent_at(dn)) is not None]
        assert len(ids) == len(set(ids))
        for dn in EXTENSIONS:
            agent = self.switch.agent_at(dn)
            assert agent is None or agent.dn == dn

    @invariant()
    def one_party_per_dn_in_a_call(self) -> None:
        for call in self.switch.calls:
            dns = [p.dn for p in call.parties if p.state is not PartyState.Released]
            assert len(dns) == len(set(dns)), (call.conn_id, dns)

    @invariant()
    def conn_ids_unique(self) -> None:
        live = self.conn_ids()
        assert len(live) == len(set(live))


class SwitchMachine(SwitchMachineBase):
    """Every operation, with DNs and ConnIDs drawn blindly (invalid ones included)."""

    @rule(a=ANY_DN, b=ANY_DN, kind=st.sampled_from(list(MakeCallType)))
    def make_call(self, a: str, b: str, kind: MakeCallType) -> None:
        self.apply(self.switch.make_call, a, b, make_call_type=kind)

    @rule(dn=ANY_DN, data=st.data())
    def answer(self, dn: str, data: st.DataObject) -> None:
        self.apply(self.switch.answer_call, dn, self.pick(data))

    @rule(dn=ANY_DN, data=st.data())
    def release(self, dn: str, data: st.DataObject) -> None:
        self.apply(self.switch.release_call, dn, self.pick(data))

    @rule(dn=ANY_DN, data=st.data())
    def hold(self, dn: str, data: st.DataObject) -> None:
        self.apply(self.switch.hold_call, dn, self.pick(data))

    @rule(dn=ANY_DN, data=st.data())
    def retrieve(self, dn: str, data: st.DataObject) -> None:
        self.apply(self.switch.retrieve_call, dn, self.pick(data))

    @rule(dn=ANY_DN, data=st.data(), key=st.sampled_from(["a", "b"]))
    def user_data(self, dn: str, data: st.DataObject, key: str) -> None:
        conn = self.pick(data)
        choice = data.draw(st.integers(0, 3))
        if choice == 0:
            self.apply(self.switch.attach_user_data, dn, conn, KVList([(key, 1)]))
        elif choice == 1:
            self.apply(self.switch.update_user_data, dn, conn, KVList([(key, "x")]))
        elif choice == 2:
            self.apply(self.switch.delete_pair, dn, conn, key)
        else:
            self.apply(self.switch.delete_user_data, dn, conn)

    @rule(
        dn=ANY_DN,
        agent=st.sampled_from(AGENTS),
        password=st.sampled_from([None, "pw"]),
        queue=st.sampled_from([None, QUEUE, "7999"]),
    )
    def login(self, dn: str, agent: str, password: str | None, queue: str | None) -> None:
        self.apply(self.switch.agent_login, dn, agent, password=password, queue=queue)

    @rule(dn=ANY_DN, destination=st.sampled_from([None, *DNS, "9999"]), data=st.data())
    def route(self, dn: str, destination: str | None, data: st.DataObject) -> None:
        self.apply(self.switch.route_call, dn, self.pick(data), destination)

    @rule(dn=ANY_DN, destination=ANY_DN, data=st.data())
    def consult(self, dn: str, destination: str, data: st.DataObject) -> None:
        self.apply(self.switch.initiate_consultation, dn, self.pick(data), destination)

    @rule(dn=ANY_DN, data=st.data(), conference=st.booleans())
    def complete(self, dn: str, data: st.DataObject, conference: bool) -> None:
        operation = self.switch.complete_conference if conference else self.switch.complete_transfer
        self.apply(operation, dn, self.pick(data), self.pick(data))

    @rule(dn=ANY_DN, data=st.data(), which=st.integers(0, 1))
    def swap(self, dn: str, data: st.DataObject, which: int) -> None:
        operation = self.switch.alternate_call if which else self.switch.reconnect_call
        self.apply(operation, dn, self.pick(data), self.pick(data))

    @rule(dn=ANY_DN, destination=ANY_DN, data=st.data(), which=st.integers(0, 4))
    def one_step(self, dn: str, destination: str, data: st.DataObject, which: int) -> None:
        operation = [
            self.switch.single_step_transfer,
            self.switch.mute_transfer,
            self.switch.delete_from_conference,
            self.switch.redirect_call,
            self.switch.single_step_conference,
        ][which]
        self.apply(operation, dn, self.pick(data), destination)

    @rule(
        dn=ANY_DN,
        data=st.data(),
        treatment=st.sampled_from(list(TreatmentType)),
        duration=st.sampled_from([None, 1, "x"]),
        collect=st.sampled_from([None, ("MAX_DIGITS", 2), ("TERM_DIGITS", "#"), ("MAX_DIGITS", 0)]),
    )
    def treatment(
        self,
        dn: str,
        data: st.DataObject,
        treatment: TreatmentType,
        duration: Any,
        collect: tuple[str, Any] | None,
    ) -> None:
        key = "TOTAL_TIMEOUT" if treatment.name.endswith("Digits") else "Duration"
        pairs: list[tuple[str, Any]] = [] if duration is None else [(key, duration)]
        if collect is not None:
            pairs.append(collect)
        parms = KVList(pairs) if pairs else None
        self.apply(self.switch.apply_treatment, dn, self.pick(data), treatment, parms=parms)

    @rule(
        dn=ANY_DN, destination=ANY_DN, mode=st.sampled_from(list(ForwardMode)), cancel=st.booleans()
    )
    def forwarding(self, dn: str, destination: str, mode: ForwardMode, cancel: bool) -> None:
        if cancel:
            self.apply(self.switch.cancel_forward, dn, mode)
        else:
            self.apply(self.switch.set_forward, dn, destination, mode)

    @rule(dn=ANY_DN, data=st.data(), merge=st.sampled_from(list(MergeType)))
    def merge(self, dn: str, data: st.DataObject, merge: MergeType) -> None:
        self.apply(self.switch.merge_calls, dn, self.pick(data), self.pick(data), merge)

    @rule(dn=ANY_DN, data=st.data(), digits=st.sampled_from(["12#", "x"]))
    def clear_or_dtmf(self, dn: str, data: st.DataObject, digits: str) -> None:
        if data.draw(st.booleans()):
            self.apply(self.switch.clear_call, dn, self.pick(data))
        else:
            self.apply(self.switch.send_dtmf, dn, self.pick(data), digits)

    @rule(dn=ANY_DN, number=st.sampled_from(["91", "92", "93", "8"]))
    def dial_out(self, dn: str, number: str) -> None:
        self.apply(self.switch.make_call, dn, number)

    @rule(
        data=st.data(),
        kind=st.sampled_from(
            [
                "alerting",
                "answered",
                "machine",
                "busy",
                "no answer",
                "sit",
                "failed",
                "hang up",
                "digits",
                "bad digits",
            ]
        ),
    )
    def network_reports(self, data: st.DataObject, kind: str) -> None:
        conn = self.pick(data)
        report = {
            "alerting": Alerting(conn),
            "answered": Answered(conn),
            "machine": Answered(conn, AnswerKind.AnsweringMachine),
            "busy": Busy(conn),
            "no answer": NoAnswer(conn),
            "sit": SitDetected(conn, SitKind.Vacant),
            "failed": Failed(conn),
            "hang up": FarEndReleased(conn),
            "digits": DigitsReceived(conn, "12#"),
            "bad digits": DigitsReceived(conn, "1x"),
        }[kind]
        self.apply(self.report, report)

    @rule(dnis=ANY_DN, ani=st.sampled_from(["555", "556"]))
    def inbound(self, dnis: str, ani: str) -> None:
        self.apply(self.report, Inbound("pstn", "ref", ani, dnis))

    @rule(dn=ANY_DN, which=st.integers(0, 2), mode=st.sampled_from(list(AgentWorkMode)))
    def agent_state(self, dn: str, which: int, mode: AgentWorkMode) -> None:
        if which == 0:
            self.apply(self.switch.agent_ready, dn, work_mode=mode)
        elif which == 1:
            self.apply(self.switch.agent_not_ready, dn, work_mode=mode)
        else:
            self.apply(self.switch.agent_logout, dn)

    @rule(dn=ANY_DN, on=st.booleans())
    def dnd(self, dn: str, on: bool) -> None:
        self.apply(self.switch.set_dnd, dn, on)


class CallControlMachine(SwitchMachineBase):
    """Call control on the parties there are: calls between extensions, queues and routing
    points, answered, consulted, transferred, conferenced, routed and cleared, with agents
    logging in and getting ready. Each rule acts on a party in the state its operation needs
    (a precondition skips it when there is none), and a destination is as often a DN already
    in the call as any other, so long valid sequences are the rule, not the exception."""

    def parties(self, *states: PartyState) -> list[tuple[str, ConnID]]:
        """(DN, ConnID) of each party of ours in one of `states` (any live one by default)."""
        return sorted(
            (p.dn, c.conn_id)
            for c in self.switch.calls
            for p in c.parties
            if not p.external
            and (p.state in states if states else p.state is not PartyState.Released)
        )

    def destination(self, data: st.DataObject, conn_id: ConnID) -> str:
        """A DN to send the call to: a third of the time one already in it, a third an idle
        extension (so that consultations get answered and completed), else any."""
        call = self.switch.call(conn_id)
        inside = sorted({p.dn for p in call.parties if not p.external}) if call else []
        idle = [dn for dn in EXTENSIONS if not self.switch.calls_at(dn)]
        anywhere = [QUEUE, ROUTING_POINT, *EXTENSIONS, "91"]
        choices = [c for c in (inside, idle) if c] + [anywhere]
        return data.draw(st.sampled_from(data.draw(st.sampled_from(choices))))

    @precondition(lambda self: len(self.switch.calls) < 2)
    @rule(a=st.sampled_from(EXTENSIONS), b=st.sampled_from([*EXTENSIONS, QUEUE, ROUTING_POINT]))
    def call_from_an_extension(self, a: str, b: str) -> None:
        """A new call, while fewer than two are up (more calls would mostly be refused)."""
        self.apply(self.switch.make_call, a, b)

    @precondition(lambda self: bool(self.parties(PartyState.Ringing)))
    @rule(data=st.data())
    def answer(self, data: st.DataObject) -> None:
        dn, conn_id = data.draw(st.sampled_from(self.parties(PartyState.Ringing)))
        self.apply(self.switch.answer_call, dn, conn_id)

    @precondition(lambda self: bool(self.parties(PartyState.Established)))
    @rule(data=st.data(), conference=st.booleans())
    def consult(self, data: st.DataObject, conference: bool) -> None:
        """InitiateTransfer or InitiateConference (the switch makes no difference)."""
        del conference
        dn, conn_id = data.draw(st.sampled_from(self.parties(PartyState.Established)))
        destination = self.destination(data, conn_id)
        self.apply(self.switch.initiate_consultation, dn, conn_id, destination)

    @precondition(lambda self: any(c.consult_of is not None for c in self.switch.calls))
    @rule(data=st.data(), how=st.sampled_from(["transfer", "conference", "merge"]))
    def complete(self, data: st.DataObject, how: str) -> None:
        """A DN completes one of its consultations (or merges any two of its calls)."""
        calls = self.switch.calls
        pairs = sorted(
            (p.dn, held.conn_id, other.conn_id)
            for held in calls
            for other in calls
            if other is not held and (how == "merge" or other.consult_of == held.conn_id)
            for p in held.parties
            if p.state is PartyState.Held and other.party_at(p.dn) is not None
        )
        if not pairs:
            return
        dn, held_id, other_id = data.draw(st.sampled_from(pairs))
        if how == "merge":
            merge = data.draw(st.sampled_from(list(MergeType)))
            self.apply(self.switch.merge_calls, dn, held_id, other_id, merge)
        elif how == "transfer":
            held, other = self.switch.call(held_id), self.switch.call(other_id)
            assert held is not None and other is not None
            stay = [p.dn for p in held.parties if p.state is not PartyState.Released]
            join = [p.dn for p in other.parties if p.state is not PartyState.Released]
            stay.remove(dn)
            join.remove(dn)
            events = self.apply(self.switch.complete_transfer, dn, held_id, other_id)
            if events is not None:
                check_other_sides(events, stay, join)
        else:
            self.apply(self.switch.complete_conference, dn, held_id, other_id)

    @precondition(lambda self: bool(self.parties(PartyState.Established)))
    @rule(data=st.data(), transfer=st.booleans())
    def consult_answer_and_complete(self, data: st.DataObject, transfer: bool) -> None:
        """The common two-step case in one rule: consult, the consulted party answers, then
        complete the transfer or the conference (so that transfers from conferences, and
        conferences of conferences, are reached often)."""
        dn, conn_id = data.draw(st.sampled_from(self.parties(PartyState.Established)))
        dialed = self.apply(
            self.switch.initiate_consultation, dn, conn_id, self.destination(data, conn_id)
        )
        consult = next(
            (c for c in self.switch.calls if c.consult_of == conn_id and c.party_at(dn)), None
        )
        if dialed is None or consult is None:
            return
        for party in consult.parties:
            if party.state is PartyState.Ringing and not party.external:
                self.apply(self.switch.answer_call, party.dn, consult.conn_id)
        held = self.switch.call(conn_id)
        assert held is not None
        stay = [p.dn for p in held.parties if p.state is not PartyState.Released and p.dn != dn]
        join = [p.dn for p in consult.parties if p.state is not PartyState.Released and p.dn != dn]
        if not transfer:
            self.apply(self.switch.complete_conference, dn, conn_id, consult.conn_id)
            return
        events = self.apply(self.switch.complete_transfer, dn, conn_id, consult.conn_id)
        if events is not None:
            check_other_sides(events, stay, join)

    @precondition(lambda self: bool(self.parties(PartyState.Established)))
    @rule(
        data=st.data(),
        operation=st.sampled_from(
            ["mute_transfer", "single_step_transfer", "single_step_conference"]
        ),
    )
    def in_one_step(self, data: st.DataObject, operation: str) -> None:
        dn, conn_id = data.draw(st.sampled_from(self.parties(PartyState.Established)))
        destination = self.destination(data, conn_id)
        self.apply(getattr(self.switch, operation), dn, conn_id, destination)

    @precondition(lambda self: bool(self.parties(PartyState.Ringing, PartyState.Routing)))
    @rule(data=st.data(), reject=st.booleans())
    def route_or_redirect(self, data: st.DataObject, reject: bool) -> None:
        dn, conn_id = data.draw(
            st.sampled_from(self.parties(PartyState.Ringing, PartyState.Routing))
        )
        destination = self.destination(data, conn_id)
        if dn == ROUTING_POINT and reject:
            self.apply(
                self.switch.route_call, dn, conn_id, None, route_type=RouteType.CallDisconnect
            )
        elif dn == ROUTING_POINT:
            self.apply(self.switch.route_call, dn, conn_id, destination)
        else:
            self.apply(self.switch.redirect_call, dn, conn_id, destination)

    @precondition(lambda self: bool(self.switch.calls))
    @rule(
        data=st.data(),
        operation=st.sampled_from(
            ["release_call", "clear_call", "hold_call", "retrieve_call", "delete_from_conference"]
        ),
    )
    def on_a_party(self, data: st.DataObject, operation: str) -> None:
        dn, conn_id = data.draw(st.sampled_from(self.parties()))
        if operation == "delete_from_conference":
            self.apply(
                self.switch.delete_from_conference, dn, conn_id, self.destination(data, conn_id)
            )
        else:
            self.apply(getattr(self.switch, operation), dn, conn_id)

    def agent_steps(self) -> list[tuple[str, str]]:
        """What agents can do: (DN, "ready") for a logged-in agent not ready, (DN, "login")
        for an extension without an agent while agent1 or agent2 is not logged in."""
        agents = {dn: a for dn in EXTENSIONS if (a := self.switch.agent_at(dn)) is not None}
        steps = [(dn, "ready") for dn, a in agents.items() if a.state is not AgentState.Ready]
        if len(agents) < 2:
            steps += [(dn, "login") for dn in EXTENSIONS if dn not in agents]
        return steps

    @precondition(lambda self: bool(self.agent_steps()))
    @rule(data=st.data())
    def agent_in_the_queue(self, data: st.DataObject) -> None:
        """An agent gets ready, or logs in to the queue (agent2 with its password)."""
        dn, step = data.draw(st.sampled_from(self.agent_steps()))
        if step == "ready":
            self.apply(self.switch.agent_ready, dn)
            return
        logged = {a.agent_id for d in EXTENSIONS if (a := self.switch.agent_at(d)) is not None}
        agent_id, password = ("agent1", None) if "agent1" not in logged else ("agent2", "pw")
        self.apply(self.switch.agent_login, dn, agent_id, password=password, queue=QUEUE)


TestSwitchMachine = SwitchMachine.TestCase
TestSwitchMachine.settings = settings(max_examples=1000, stateful_step_count=40, deadline=None)

TestCallControlMachine = CallControlMachine.TestCase
TestCallControlMachine.settings = settings(max_examples=1000, stateful_step_count=30, deadline=None)
