"""The switch's state tables drawn: Mermaid state diagrams (and the same moves as tables) of the
party table (switch.calls.PARTY_TRANSITIONS) and the agent table
(switch.agents.AGENT_TRANSITIONS), generated into docs/state-machines.md.

`python -m switch.diagrams docs/state-machines.md` rewrites the generated part, and a test fails
when the file is stale, so the drawings are always the tables the switch runs. Knows the tables,
their enums and the initial states of Party and Agent; nothing about the switch's operations.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from dataclasses import fields
from enum import Enum
from pathlib import Path
from typing import Any, TypeVar

from protocol.docs import replace_section, rewrite
from switch.agents import AGENT_TRANSITIONS, Agent, AgentState
from switch.calls import ACTIVE_STATES, PARTY_TRANSITIONS, Party, PartyState

BEGIN = "<!-- BEGIN GENERATED (python -m switch.diagrams docs/state-machines.md) -->"
END = "<!-- END GENERATED -->"

StateT = TypeVar("StateT", bound=Enum)
InputT = TypeVar("InputT", bound=Enum)

#: A state table: (state, input) -> (new state, event class reported).
Table = Mapping[tuple[StateT, InputT], tuple[StateT, type[Any]]]


def initial_state(cls: type[Any], states: type[StateT]) -> StateT:
    """The state a new `cls` (a dataclass) starts in: the default of its `state` field."""
    (state,) = (f.default for f in fields(cls) if f.name == "state")
    assert isinstance(state, states)
    return state


def mermaid(table: Table[StateT, InputT], initial: StateT) -> str:
    """The table as a Mermaid stateDiagram-v2: an arrow per move, labelled with the input and
    the event reported; `[*]` points at the initial state and from each state nothing leaves."""
    states: type[StateT] = type(initial)
    lines = ["stateDiagram-v2", f"    [*] --> {initial.name}"]
    for (state, given), (new_state, event) in table.items():
        lines.append(f"    {state.name} --> {new_state.name} : {given.value} / {event.__name__}")
    leaving = {state for state, _ in table}
    lines += [f"    {state.name} --> [*]" for state in states if state not in leaving]
    return "\n".join(lines)


def moves(table: Table[StateT, InputT]) -> list[str]:
    """The table as a Markdown table, one row a move, in the table's order."""
    lines = ["| State | Input | New state | Event |", "|---|---|---|---|"]
    for (state, given), (new_state, event) in table.items():
        lines.append(f"| {state.name} | {given.value} | {new_state.name} | {event.__name__} |")
    return lines


def render() -> str:
    party = initial_state(Party, PartyState)
    agent = initial_state(Agent, AgentState)
    active = ", ".join(s.name for s in PartyState if s in ACTIVE_STATES)
    lines = [
        BEGIN,
        "",
        "## Party states",
        "",
        "One DN's leg of a call (`switch.calls.PARTY_TRANSITIONS`); each arrow: the input, then",
        "the event reported at the party's DN (an external party, beyond a trunk, reports none).",
        "",
        "```mermaid",
        mermaid(PARTY_TRANSITIONS, party),
        "```",
        "",
        *moves(PARTY_TRANSITIONS),
        "",
        f"A party in one of these states occupies its DN (a held one leaves it free): {active}.",
        "",
        "## Agent states",
        "",
        "An agent on its DN (`switch.agents.AGENT_TRANSITIONS`); each arrow: the input, then the",
        "event reported at the agent's DN.",
        "",
        "```mermaid",
        mermaid(AGENT_TRANSITIONS, agent),
        "```",
        "",
        *moves(AGENT_TRANSITIONS),
        "",
        END,
    ]
    return "\n".join(lines) + "\n"


def splice(document: str) -> str:
    """The document with its generated section replaced by a fresh one."""
    return replace_section(document, BEGIN, END, render())


def main(argv: list[str]) -> int:
    rewrite(Path(argv[0] if argv else "docs/state-machines.md"), splice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
