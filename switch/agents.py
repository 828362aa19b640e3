"""Agents: who is logged in on which DN, and the agent state machine as a table.

Theory of operation
-------------------
An agent (AgentID, password and skills from the configuration) logs in on a DN; only one AgentID
per DN. Its state moves by AgentInput through AGENT_TRANSITIONS: (state, input) -> (new state,
event class reported on the agent's DN). Anything not in the table is a SwitchError naming the
state and the input. Readiness carries an AgentWorkMode (ManualIn, AutoIn, AfterCallWork,
AuxWork, ...) and the client's Reasons, reported on each event.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from protocol.enums import AgentWorkMode
from protocol.messages import (
    Event,
    EventAgentLogin,
    EventAgentLogout,
    EventAgentNotReady,
    EventAgentReady,
)
from protocol.values import KVList


class AgentState(Enum):
    """Where an agent is."""

    LoggedOut = "logged out"  #: not logged in
    NotReady = "not ready"  #: logged in, not taking calls
    Ready = "ready"  #: logged in, taking calls


class AgentInput(Enum):
    """What a client (or the switch) does to an agent."""

    Login = "log in"  #: RequestAgentLogin
    Logout = "log out"  #: RequestAgentLogout
    Ready = "become ready"  #: RequestAgentReady
    NotReady = "become not ready"  #: RequestAgentNotReady


#: The agent state machine: (state, input) -> (new state, event on the agent's DN).
AGENT_TRANSITIONS: dict[tuple[AgentState, AgentInput], tuple[AgentState, type[Event]]] = {
    (AgentState.LoggedOut, AgentInput.Login): (AgentState.NotReady, EventAgentLogin),
    (AgentState.NotReady, AgentInput.Ready): (AgentState.Ready, EventAgentReady),
    (AgentState.NotReady, AgentInput.NotReady): (AgentState.NotReady, EventAgentNotReady),
    (AgentState.NotReady, AgentInput.Logout): (AgentState.LoggedOut, EventAgentLogout),
    (AgentState.Ready, AgentInput.Ready): (AgentState.Ready, EventAgentReady),
    (AgentState.Ready, AgentInput.NotReady): (AgentState.NotReady, EventAgentNotReady),
    (AgentState.Ready, AgentInput.Logout): (AgentState.LoggedOut, EventAgentLogout),
}


@dataclass(slots=True)
class Agent:
    """A logged-in agent on a DN."""

    agent_id: str
    dn: str
    queue: str | None = None
    state: AgentState = AgentState.LoggedOut
    work_mode: AgentWorkMode | None = None
    reasons: KVList | None = None
    #: `now` of the last move into Ready: the longest-available agent gets the next ACD call.
    ready_since: float | None = None
    #: The after-call-work timer that will make the agent ready again, if any.
    timer: int | None = None
