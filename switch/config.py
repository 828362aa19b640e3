"""The switch's part of the configuration: which DNs exist and what they are.

Built from the `[switch]` table of the TOML configuration (already parsed into a dict by the
caller; this module reads no files). Errors name the key that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any


class ConfigError(ValueError):
    """A configuration value is wrong. The message names the key."""


@dataclass(frozen=True, slots=True)
class AgentConfig:
    """An agent who may log in: AgentID, password (empty: none asked) and skills by level."""

    agent_id: str
    password: str = ""
    skills: tuple[tuple[str, int], ...] = ()


@dataclass(frozen=True, slots=True)
class SwitchConfig:
    """The switch objects: extensions (internal DNs) and the agents who may log in on them."""

    extensions: tuple[str, ...]
    agents: tuple[AgentConfig, ...] = ()

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for dn in self.extensions:
            if not dn or not dn.isprintable() or " " in dn:
                raise ConfigError(f"switch.extensions: {dn!r} is not a valid DN")
            if dn in seen:
                raise ConfigError(f"switch.extensions: {dn!r} is listed twice")
            seen.add(dn)
        ids: set[str] = set()
        for agent in self.agents:
            if not agent.agent_id or not agent.agent_id.isprintable():
                raise ConfigError(f"switch.agent: {agent.agent_id!r} is not a valid AgentID")
            if agent.agent_id in ids:
                raise ConfigError(f"switch.agent: AgentID {agent.agent_id!r} is listed twice")
            ids.add(agent.agent_id)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SwitchConfig:
        """Read the `[switch]` table (with its `[[switch.agent]]` array)."""
        unknown = set(table) - {"extensions", "agent"}
        if unknown:
            raise ConfigError(f"switch: unknown key(s) {', '.join(sorted(unknown))}")
        raw = table.get("extensions", [])
        if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
            raise ConfigError("switch.extensions: must be a list of DN strings")
        agents = table.get("agent", [])
        if not isinstance(agents, list):
            raise ConfigError("switch.agent: must be an array of tables ([[switch.agent]])")
        return cls(
            extensions=tuple(str(x) for x in raw),
            agents=tuple(_agent(i, a) for i, a in enumerate(agents)),
        )


def _agent(index: int, table: Any) -> AgentConfig:
    where = f"switch.agent[{index}]"
    if not isinstance(table, Mapping):
        raise ConfigError(f"{where}: must be a table")
    unknown = set(table) - {"id", "password", "skills"}
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    agent_id = table.get("id")
    if not isinstance(agent_id, str):
        raise ConfigError(f"{where}.id: must be a string AgentID")
    password = table.get("password", "")
    if not isinstance(password, str):
        raise ConfigError(f"{where}.password: must be a string")
    skills = table.get("skills", {})
    if not isinstance(skills, Mapping) or not all(
        isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 100
        for level in skills.values()
    ):
        raise ConfigError(f"{where}.skills: must map skill names to levels 0-100")
    return AgentConfig(agent_id, password, tuple(sorted(skills.items())))
