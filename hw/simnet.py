"""The simulated public network: the default trunk driver, reproducible and sans-IO.

Every outbound number is a customer whose behaviour is drawn from a seeded generator (seed,
number and attempt), so the same configuration and the same dialing give the same outcomes:
after a short setup the call alerts; then the customer answers (a person, an answering machine,
a fax or a modem, after an answer delay), is busy, lets it ring out, or the network plays a SIT.
Answered calls last a talk time and then the far end hangs up. Inbound calls are injected with
`inbound(...)` (by tests, simulation control, or later campaign generators); an inbound caller
waits for an answer at most their patience, then hangs up.

Time is passed in: `command(cmd, now)`, `next_deadline()`, `advance(now) -> reports`, as the
switch.trunks.TrunkDriver interface says; it runs unchanged in real time or in virtual time.
"""

from __future__ import annotations

import dataclasses
import heapq
import random
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from protocol.values import ConnID, KVList
from switch.config import ConfigError
from switch.trunks import (
    Alerting,
    Answered,
    AnswerInbound,
    AnswerKind,
    Busy,
    Dial,
    DigitsReceived,
    FarEndReleased,
    Inbound,
    InboundAccepted,
    InboundRejected,
    LinkDown,
    LinkUp,
    NoAnswer,
    ReleaseTrunk,
    SendDigits,
    SitDetected,
    SitKind,
    TrunkCommand,
    TrunkReport,
)


@dataclass(frozen=True, slots=True)
class NetworkProfile:
    """How the simulated customers behave. Probabilities are per call attempt."""

    seed: int = 1
    setup_seconds: float = 0.5  #: dialing to alerting
    answer_delay_seconds: tuple[float, float] = (2.0, 8.0)  #: alerting to answer, uniform
    talk_seconds: tuple[float, float] = (30.0, 180.0)  #: answer to far-end hang-up, uniform
    no_answer_seconds: float = 25.0  #: how long an unanswered call rings before NoAnswer
    patience_seconds: tuple[float, float] = (20.0, 120.0)  #: inbound callers' wait, uniform
    busy: float = 0.10
    no_answer: float = 0.10
    answering_machine: float = 0.15
    fax: float = 0.02
    modem: float = 0.01
    sit: float = 0.03
    #: Kinds of customer, each a weight and its own behaviour; every number belongs to one,
    #: chosen by (seed, number). None configured: everybody behaves as above.
    customers: tuple[CustomerProfile, ...] = ()

    def __post_init__(self) -> None:
        total = self.busy + self.no_answer + self.answering_machine + self.fax + self.modem
        total += self.sit
        if (
            any(
                p < 0
                for p in (
                    self.busy,
                    self.no_answer,
                    self.answering_machine,
                    self.fax,
                    self.modem,
                    self.sit,
                )
            )
            or total > 1
        ):
            raise ConfigError("network: outcome probabilities must be >= 0 and sum to at most 1")
        for name in ("answer_delay_seconds", "talk_seconds", "patience_seconds"):
            low, high = getattr(self, name)
            if not 0 <= low <= high:
                raise ConfigError(f"network.{name}: must be [low, high] with 0 <= low <= high")

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> NetworkProfile:
        """Read the `[network]` table of the configuration."""
        known = (set(cls.__dataclass_fields__) - {"customers"}) | {"customer"}
        unknown = set(table) - known
        if unknown:
            raise ConfigError(f"network: unknown key(s) {', '.join(sorted(unknown))}")
        base = {k: v for k, v in table.items() if k != "customer"}
        customers = table.get("customer", [])
        if not isinstance(customers, list):
            raise ConfigError("network.customer: must be an array of tables")
        profile = cls._read(base)
        kinds = []
        for index, kind in enumerate(customers):
            where = f"network.customer[{index}]"
            if not isinstance(kind, Mapping):
                raise ConfigError(f"{where}: must be a table")
            name, weight = kind.get("name"), kind.get("weight", 1)
            if not isinstance(name, str) or not name:
                raise ConfigError(f"{where}.name: must be a non-empty string")
            if isinstance(weight, bool) or not isinstance(weight, int | float) or weight <= 0:
                raise ConfigError(f"{where}.weight: must be a number more than 0")
            overrides = {k: v for k, v in kind.items() if k not in ("name", "weight")}
            if "seed" in overrides or "customer" in overrides:
                raise ConfigError(f"{where}: seed and customer belong to [network] only")
            try:
                behaviour = cls._read({**base, **overrides})
            except ConfigError as exc:
                raise ConfigError(f"{where}: {exc}") from None
            kinds.append(CustomerProfile(name, float(weight), behaviour))
        return dataclasses.replace(profile, customers=tuple(kinds))

    @classmethod
    def _read(cls, table: Mapping[str, Any]) -> NetworkProfile:
        values: dict[str, Any] = {}
        for key, value in table.items():
            if key not in cls.__dataclass_fields__ or key == "customers":
                raise ConfigError(f"network: unknown key {key!r}")
            if key.endswith("_seconds") and isinstance(value, list):
                if len(value) != 2 or not all(isinstance(v, int | float) for v in value):
                    raise ConfigError(f"network.{key}: must be [low, high]")
                values[key] = (float(value[0]), float(value[1]))
            elif key == "seed":
                if not isinstance(value, int) or isinstance(value, bool):
                    raise ConfigError("network.seed: must be an integer")
                values[key] = value
            elif isinstance(value, int | float) and not isinstance(value, bool):
                values[key] = float(value)
            else:
                raise ConfigError(f"network.{key}: must be a number")
        return cls(**values)


@dataclass(frozen=True, slots=True)
class CustomerProfile:
    """One kind of customer of the simulated network: how likely, and how it behaves."""

    name: str
    weight: float
    behaviour: NetworkProfile


@dataclass(order=True, slots=True)
class _Pending:
    due: float
    seq: int
    report: TrunkReport = field(compare=False)
    conn_id: ConnID | None = field(compare=False)
    generation: int = field(compare=False, default=0)


_SITS = list(SitKind)


class SimulatedNetwork:
    """The simulated public network behind one or more trunk groups."""

    def __init__(self, profile: NetworkProfile | None = None) -> None:
        self.profile = profile or NetworkProfile()
        self._pending: list[_Pending] = []
        self._seq = 0
        self._attempts: dict[str, int] = {}
        #: A report is void when its call's generation moved on (the call was cancelled).
        self._generation: dict[ConnID, int] = {}
        self._inbound_refs: dict[str, tuple[str, float]] = {}  # ref -> (group, patience)
        self._inbound_conn: dict[ConnID, str] = {}
        self._conn_of_ref: dict[str, ConnID] = {}
        self._group_of: dict[ConnID, str] = {}  # the trunk group each live call is on
        self._caller: dict[str, str] = {}  # ref -> ANI
        self._next_ref = 1
        #: What the network did, for tests and statistics: (conn_id or ref, outcome).
        self.log: list[tuple[str, str]] = []
        self.digits: dict[ConnID, str] = {}
        self.rejected: list[InboundRejected] = []

    # ----------------------------------------------------------------------------------------
    # TrunkDriver interface

    def command(self, command: TrunkCommand, now: float) -> None:
        if isinstance(command, Dial):
            self._dial(command, now)
        elif isinstance(command, ReleaseTrunk):
            self._cancel(command.conn_id)
            self._group_of.pop(command.conn_id, None)
        elif isinstance(command, InboundAccepted):
            _group, patience = self._inbound_refs.pop(command.ref)
            self._inbound_conn[command.conn_id] = command.ref
            self._conn_of_ref[command.ref] = command.conn_id
            self._group_of[command.conn_id] = command.trunk_group
            self._at(now + patience, FarEndReleased(command.conn_id), command.conn_id)
        elif isinstance(command, InboundRejected):
            self._inbound_refs.pop(command.ref, None)
            self.rejected.append(command)
        elif isinstance(command, AnswerInbound):
            self._cancel(command.conn_id)  # the caller stops waiting; now they talk
            ref = self._inbound_conn.get(command.conn_id, "")
            rng = self._rng(ref, "talk")
            talk = rng.uniform(*self.customer(self._caller.get(ref, ""))[1].talk_seconds)
            self._at(now + talk, FarEndReleased(command.conn_id), command.conn_id)
        elif isinstance(command, SendDigits):
            self.digits[command.conn_id] = self.digits.get(command.conn_id, "") + command.digits

    def next_deadline(self) -> float | None:
        while self._pending and self._void(self._pending[0]):
            heapq.heappop(self._pending)
        return self._pending[0].due if self._pending else None

    def advance(self, now: float) -> list[TrunkReport]:
        reports: list[TrunkReport] = []
        while self._pending and self._pending[0].due <= now:
            pending = heapq.heappop(self._pending)
            if not self._void(pending):
                reports.append(pending.report)
        return reports

    def _void(self, pending: _Pending) -> bool:
        return (
            pending.conn_id is not None
            and self._generation.get(pending.conn_id, 0) != pending.generation
        )

    # ----------------------------------------------------------------------------------------
    # Simulation control

    def inbound(
        self,
        trunk_group: str,
        ani: str,
        dnis: str,
        now: float,
        *,
        user_data: KVList | None = None,
        patience: float | None = None,
    ) -> str:
        """A caller dials in now; returns the network's reference for the call."""
        ref = f"in-{self._next_ref}"
        self._next_ref += 1
        if patience is None:
            behaviour = self.customer(ani)[1]
            patience = self._rng(ref, "patience").uniform(*behaviour.patience_seconds)
        self._inbound_refs[ref] = (trunk_group, patience)
        self._caller[ref] = ani
        self._at(now, Inbound(trunk_group, ref, ani, dnis, user_data), None)
        return ref

    def conn_of(self, ref: str) -> ConnID | None:
        """The ConnID the switch gave the inbound call `ref` (None until it accepted it)."""
        return self._conn_of_ref.get(ref)

    def answer(
        self, conn_id: ConnID, now: float, kind: AnswerKind = AnswerKind.Person, *, talk: float
    ) -> None:
        """The far end of this outbound call answers now as `kind` (whatever it was going to
        do), and hangs up `talk` seconds later."""
        self._cancel(conn_id)
        self.log.append((str(conn_id), f"made to answer ({kind.name})"))
        self._at(now, Answered(conn_id, kind), conn_id)
        self._at(now + talk, FarEndReleased(conn_id), conn_id)

    def busy(self, conn_id: ConnID, now: float) -> None:
        """The far end of this outbound call is busy, now."""
        self._cancel(conn_id)
        self.log.append((str(conn_id), "made busy"))
        self._at(now, Busy(conn_id), conn_id)

    def fail_link(self, trunk_group: str, now: float, reason: str = "link failed") -> None:
        """The link to `trunk_group` goes down now: its calls are gone (nothing more is
        reported about them) and the switch is told with LinkDown."""
        for conn_id, group in list(self._group_of.items()):
            if group == trunk_group:
                self._cancel(conn_id)
                del self._group_of[conn_id]
        self._at(now, LinkDown(trunk_group, reason), None)

    def restore_link(self, trunk_group: str, now: float) -> None:
        """The link to `trunk_group` is back, now."""
        self._at(now, LinkUp(trunk_group), None)

    def press(self, conn_id: ConnID, digits: str, now: float) -> None:
        """The far end of this call presses keys now (an inbound caller answering a prompt)."""
        self._at(now, DigitsReceived(conn_id, digits), conn_id)

    def hang_up(self, conn_id: ConnID, now: float) -> None:
        """The far end of this call hangs up now (whatever it was going to do)."""
        self._cancel(conn_id)
        self._at(now, FarEndReleased(conn_id), conn_id)

    # ----------------------------------------------------------------------------------------
    # Internals

    def _rng(self, key: str, purpose: str) -> random.Random:
        return random.Random(f"{self.profile.seed}:{key}:{purpose}")

    def customer(self, number: str) -> tuple[str, NetworkProfile]:
        """The kind of customer behind a number, and its behaviour (fixed by seed and number)."""
        kinds = self.profile.customers
        if not kinds:
            return "", self.profile
        pick = self._rng(number, "customer").random() * sum(k.weight for k in kinds)
        for kind in kinds:
            if pick < kind.weight:
                return kind.name, kind.behaviour
            pick -= kind.weight
        return kinds[-1].name, kinds[-1].behaviour

    def _at(self, due: float, report: TrunkReport, conn_id: ConnID | None) -> None:
        self._seq += 1
        generation = self._generation.get(conn_id, 0) if conn_id is not None else 0
        heapq.heappush(self._pending, _Pending(due, self._seq, report, conn_id, generation))

    def _cancel(self, conn_id: ConnID) -> None:
        self._generation[conn_id] = self._generation.get(conn_id, 0) + 1

    def _dial(self, command: Dial, now: float) -> None:
        self._group_of[command.conn_id] = command.trunk_group
        p = self.customer(command.number)[1]
        attempt = self._attempts.get(command.number, 0) + 1
        self._attempts[command.number] = attempt
        rng = self._rng(f"{command.number}#{attempt}", "outcome")
        conn = command.conn_id
        alert_at = now + p.setup_seconds
        roll = rng.random()
        outcomes: list[tuple[float, str]] = [
            (p.sit, "sit"),
            (p.busy, "busy"),
            (p.no_answer, "no answer"),
            (p.answering_machine, "answering machine"),
            (p.fax, "fax"),
            (p.modem, "modem"),
        ]
        outcome = "person"
        for probability, name in outcomes:
            if roll < probability:
                outcome = name
                break
            roll -= probability
        self.log.append((str(conn), outcome))
        if outcome == "sit":
            self._at(alert_at, SitDetected(conn, rng.choice(_SITS)), conn)
            return
        if outcome == "busy":
            self._at(alert_at, Busy(conn), conn)
            return
        self._at(alert_at, Alerting(conn), conn)
        if outcome == "no answer":
            self._at(alert_at + p.no_answer_seconds, NoAnswer(conn), conn)
            return
        kind = {
            "answering machine": AnswerKind.AnsweringMachine,
            "fax": AnswerKind.Fax,
            "modem": AnswerKind.Modem,
        }.get(outcome, AnswerKind.Person)
        answer_at = alert_at + rng.uniform(*p.answer_delay_seconds)
        self._at(answer_at, Answered(conn, kind), conn)
        self._at(answer_at + rng.uniform(*p.talk_seconds), FarEndReleased(conn), conn)
