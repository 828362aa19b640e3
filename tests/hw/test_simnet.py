"""The simulated network: reproducible outcomes, every outcome kind, inbound callers' patience,
and cancellation by ReleaseTrunk. Sans-IO, time passed in."""

from __future__ import annotations

from collections import Counter

from hw.simnet import NetworkProfile, SimulatedNetwork
from protocol.values import ConnID
from switch.trunks import (
    Alerting,
    Answered,
    AnswerInbound,
    AnswerKind,
    Busy,
    Dial,
    FarEndReleased,
    Inbound,
    InboundAccepted,
    NoAnswer,
    ReleaseTrunk,
    SitDetected,
    TrunkReport,
)


def run(network: SimulatedNetwork, until: float) -> list[tuple[float, TrunkReport]]:
    out = []
    while (deadline := network.next_deadline()) is not None and deadline <= until:
        out += [(deadline, r) for r in network.advance(deadline)]
    return out


def outcome(reports: list[tuple[float, TrunkReport]]) -> str:
    kinds = [type(r).__name__ for _, r in reports]
    answered = [r for _, r in reports if isinstance(r, Answered)]
    return answered[0].kind.value if answered else kinds[-1]


def test_same_seed_same_outcomes() -> None:
    def dial_many(seed: int) -> list[str]:
        network = SimulatedNetwork(NetworkProfile(seed=seed))
        results = []
        for i in range(200):
            network.command(Dial("pstn", ConnID(i + 1), f"9555{i:04d}"), now=0)
        reports = run(network, 10_000)
        for i in range(200):
            mine = [(t, r) for t, r in reports if getattr(r, "conn_id", None) == i + 1]
            results.append(outcome(mine))
        return results

    assert dial_many(7) == dial_many(7)
    assert dial_many(7) != dial_many(8)


def test_outcome_mix_follows_the_profile() -> None:
    profile = NetworkProfile(
        seed=3, busy=0.2, no_answer=0.2, answering_machine=0.2, fax=0.1, modem=0.05, sit=0.05
    )
    network = SimulatedNetwork(profile)
    n = 4000
    for i in range(n):
        network.command(Dial("pstn", ConnID(i + 1), f"9{i:07d}"), now=0)
    counts = Counter(outcome for _, outcome in network.log)
    expected = {
        "busy": 0.2,
        "no answer": 0.2,
        "answering machine": 0.2,
        "fax": 0.1,
        "modem": 0.05,
        "sit": 0.05,
        "person": 0.2,
    }
    for name, p in expected.items():
        assert abs(counts[name] / n - p) < 0.03, (name, counts[name])
    reports = run(network, 100_000)
    kinds = Counter(type(r) for _, r in reports)
    assert kinds[Busy] == counts["busy"] and kinds[NoAnswer] == counts["no answer"]
    assert kinds[SitDetected] == counts["sit"]
    answered = Counter(r.kind for _, r in reports if isinstance(r, Answered))
    assert answered[AnswerKind.AnsweringMachine] == counts["answering machine"]
    assert kinds[Alerting] == n - counts["busy"] - counts["sit"]


def test_answered_call_timeline() -> None:
    profile = NetworkProfile(
        seed=1,
        busy=0,
        no_answer=0,
        answering_machine=0,
        fax=0,
        modem=0,
        sit=0,
        answer_delay_seconds=(3, 3),
        talk_seconds=(60, 60),
    )
    network = SimulatedNetwork(profile)
    network.command(Dial("pstn", ConnID(1), "95550000"), now=100)
    assert run(network, 1e9) == [
        (100.5, Alerting(ConnID(1))),
        (103.5, Answered(ConnID(1), AnswerKind.Person)),
        (163.5, FarEndReleased(ConnID(1))),
    ]


def test_release_trunk_cancels_what_was_coming() -> None:
    network = SimulatedNetwork(NetworkProfile(seed=1, busy=0, no_answer=0, sit=0))
    network.command(Dial("pstn", ConnID(1), "95550000"), now=0)
    network.command(ReleaseTrunk("pstn", ConnID(1)), now=0.1)
    assert run(network, 1e9) == []


def test_inbound_caller_waits_then_hangs_up_unless_answered() -> None:
    network = SimulatedNetwork(NetworkProfile(seed=1, talk_seconds=(10, 10)))
    ref = network.inbound("pstn", "555", "7001", now=0, patience=30)
    [(at, inbound)] = run(network, 0)
    assert at == 0 and isinstance(inbound, Inbound) and inbound.ref == ref
    network.command(InboundAccepted("pstn", ref, ConnID(5)), now=0)
    assert run(network, 1e9) == [(30, FarEndReleased(ConnID(5)))]

    ref2 = network.inbound("pstn", "556", "7001", now=100, patience=30)
    run(network, 100)
    network.command(InboundAccepted("pstn", ref2, ConnID(6)), now=100)
    network.command(AnswerInbound("pstn", ConnID(6)), now=110)
    assert run(network, 1e9) == [(120, FarEndReleased(ConnID(6)))]  # talk, not patience


def test_customer_kinds_are_fixed_per_number_and_weighted() -> None:
    from cti.server.config import parse_config

    config = parse_config(
        """
[network]
seed = 4
busy = 0
no_answer = 0
answering_machine = 0
fax = 0
modem = 0
sit = 0

[[network.customer]]
name = "never home"
weight = 3
no_answer = 1.0

[[network.customer]]
name = "always answers"
weight = 1
""",
        "<test>",
    )
    network = SimulatedNetwork(config.network)
    kinds = Counter(network.customer(f"9{i:06d}")[0] for i in range(4000))
    assert abs(kinds["never home"] / 4000 - 0.75) < 0.03
    assert network.customer("9000123") == network.customer("9000123")
    for i in range(200):
        network.command(Dial("pstn", ConnID(i + 1), f"9{i:06d}"), now=0)
    expected = {f"9{i:06d}": network.customer(f"9{i:06d}")[0] for i in range(200)}
    for conn, outcome_name in network.log:
        number = f"9{int(conn, 16) - 1:06d}"
        want = "no answer" if expected[number] == "never home" else "person"
        assert outcome_name == want


def test_bad_customer_kinds_are_refused() -> None:
    import pytest

    from cti.server.config import parse_config
    from switch.config import ConfigError

    for bad in ('weight = 0\nname = "x"', 'name = "x"\nseed = 3', 'name = "x"\nbusy = 2.0'):
        with pytest.raises(ConfigError) as info:
            parse_config(f"[[network.customer]]\n{bad}\n", "<test>")
        assert "network.customer[0]" in str(info.value)
