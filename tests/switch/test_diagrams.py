"""docs/state-machines.md is generated from the party and agent tables; it must be current."""

from __future__ import annotations

from pathlib import Path

from switch import diagrams
from switch.agents import AGENT_TRANSITIONS, Agent, AgentState
from switch.calls import PARTY_TRANSITIONS, Party, PartyState

DOC = Path(__file__).resolve().parents[2] / "docs" / "state-machines.md"


def test_state_machines_md_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert diagrams.splice(text) == text, "stale: run python -m switch.diagrams"


def test_every_move_is_an_arrow() -> None:
    for table, initial in (
        (PARTY_TRANSITIONS, PartyState.Null),
        (AGENT_TRANSITIONS, AgentState.LoggedOut),
    ):
        drawn = diagrams.mermaid(table, initial).splitlines()
        arrows = [line for line in drawn if "-->" in line and "[*]" not in line]
        assert len(arrows) == len(table)
        for (state, given), (new_state, event) in table.items():
            assert (
                f"    {state.name} --> {new_state.name} : {given.value} / {event.__name__}" in drawn
            )


def test_initial_and_final_states() -> None:
    drawn = diagrams.mermaid(PARTY_TRANSITIONS, diagrams.initial_state(Party, PartyState))
    assert "    [*] --> Null" in drawn
    assert "    Released --> [*]" in drawn
    agent = diagrams.mermaid(AGENT_TRANSITIONS, diagrams.initial_state(Agent, AgentState))
    assert agent.splitlines()[1] == "    [*] --> LoggedOut"
    assert not any(line.endswith("--> [*]") for line in agent.splitlines())  # no final state
