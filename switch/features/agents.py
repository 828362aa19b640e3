"""Agents: logging in and out, ready and not ready (the requests an agent desktop sends).

Owns: the agents the configuration allows (AgentID, password) and AgentLogin, AgentLogout,
AgentReady, AgentNotReady. The registry of logged-in agents and the agent moves (only through
switch.agents.AGENT_TRANSITIONS) are the kernel's; the Agent value and its table are
switch/agents.py.

Must not know how ACD queues pick agents: an agent that becomes ready is handed to its queue
through the `_agent_free` hook (ACD queues), which also owns after-call work.
"""

from __future__ import annotations

from protocol.enums import AgentWorkMode
from protocol.errors import ErrorCode
from protocol.messages import Event
from protocol.values import KVList
from switch.agents import Agent, AgentInput
from switch.calls import SwitchError
from switch.config import AgentConfig, SwitchConfig
from switch.kernel import SwitchKernel


class Agents(SwitchKernel):
    """Agent login, logout, ready and not ready."""

    def __init__(self, config: SwitchConfig, *, id_seed: int = 0) -> None:
        super().__init__(config, id_seed=id_seed)
        self._agent_config: dict[str, AgentConfig] = {a.agent_id: a for a in config.agents}

    def agent_login(
        self,
        this_dn: str,
        agent_id: str | None,
        *,
        now: float,
        password: str | None = None,
        queue: str | None = None,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        """Log a configured agent in on this extension (and queue): EventAgentLogin; the agent
        is NotReady."""
        del now
        self._require_extension(this_dn)
        if queue is not None and queue not in self._queues:
            raise SwitchError(
                ErrorCode.DNNotConfigured, f"queue {queue!r} is not configured", this_dn=this_dn
            )
        config = self._agent_config.get(agent_id or "")
        if agent_id is None or config is None:
            raise SwitchError(
                ErrorCode.InvalidAgent, f"AgentID {agent_id!r} is not configured", this_dn=this_dn
            )
        if config.password and password != config.password:
            raise SwitchError(
                ErrorCode.InvalidAgent, f"wrong password for agent {agent_id}", this_dn=this_dn
            )
        here = self._agents_by_dn.get(this_dn)
        if here is not None:
            raise SwitchError(
                ErrorCode.AgentConflict,
                f"agent {here.agent_id} is already logged in on {this_dn}",
                this_dn=this_dn,
            )
        elsewhere = self._agents_by_id.get(agent_id)
        if elsewhere is not None:
            raise SwitchError(
                ErrorCode.AgentConflict,
                f"agent {agent_id} is logged in on {elsewhere.dn}",
                this_dn=this_dn,
            )
        agent = Agent(agent_id, this_dn, queue=queue)
        event = self._agent_move(agent, AgentInput.Login, work_mode, reasons)
        self._agents_by_dn[this_dn] = agent
        self._agents_by_id[agent_id] = agent
        return [event]

    def agent_logout(
        self, this_dn: str, *, now: float, reasons: KVList | None = None
    ) -> list[Event]:
        del now
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.Logout, None, reasons)
        del self._agents_by_dn[this_dn]
        del self._agents_by_id[agent.agent_id]
        return [event]

    def agent_ready(
        self,
        this_dn: str,
        *,
        now: float,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        """The agent is ready: EventAgentReady; a call waiting in its queue may ring at once."""
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.Ready, work_mode, reasons)
        agent.timer = None
        return [event, *self._agent_free(this_dn, now, idle_from_now=False)]

    def agent_not_ready(
        self,
        this_dn: str,
        *,
        now: float,
        work_mode: AgentWorkMode | None = None,
        reasons: KVList | None = None,
    ) -> list[Event]:
        del now
        agent = self._agent(this_dn)
        event = self._agent_move(agent, AgentInput.NotReady, work_mode, reasons)
        agent.ready_since = None
        agent.timer = None
        return [event]

    def _agent(self, dn: str) -> Agent:
        self._require_extension(dn)
        agent = self._agents_by_dn.get(dn)
        if agent is None:
            raise SwitchError(ErrorCode.InvalidState, f"no agent is logged in on {dn}", this_dn=dn)
        return agent
