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
class QueueConfig:
    """An ACD queue: calls to its DN wait there until a ready agent logged in to it is free."""

    dn: str
    #: Seconds an agent may let a distributed call ring before it returns to the queue (RONA).
    ring_no_answer_seconds: float = 15.0
    #: Seconds of after-call work after each call distributed from this queue (0: none).
    after_call_work_seconds: float = 0.0


@dataclass(frozen=True, slots=True)
class RoutingPointConfig:
    """A routing point: calls wait for a router's RequestRouteCall, or the default route."""

    dn: str
    #: Where a call goes when nobody routes it within `timeout_seconds`.
    default_destination: str
    timeout_seconds: float = 10.0


@dataclass(frozen=True, slots=True)
class TrunkGroupConfig:
    """A trunk group: numbers starting with one of its prefixes go out on it, through its
    driver, at most `channels` calls at a time (inbound and outbound together)."""

    name: str
    prefixes: tuple[str, ...]
    channels: int = 30
    driver: str = "simulated"


#: The trunk drivers ctiemu has.
DRIVERS = ("simulated",)


@dataclass(frozen=True, slots=True)
class SwitchConfig:
    """The switch objects: extensions, ACD queues, routing points, trunk groups, agents."""

    extensions: tuple[str, ...]
    agents: tuple[AgentConfig, ...] = ()
    queues: tuple[QueueConfig, ...] = ()
    routing_points: tuple[RoutingPointConfig, ...] = ()
    trunk_groups: tuple[TrunkGroupConfig, ...] = ()
    #: Seconds an extension may ring before the call is released with CallState NoAnswer
    #: (0: it rings until answered or abandoned). ACD calls use their queue's ring-no-answer.
    no_answer_seconds: float = 0.0
    #: The most UserData one call may carry, in bytes as encoded (0: no cap); an attach or
    #: update past it is refused with EventError 714 and changes nothing.
    max_call_user_data_bytes: int = 262144

    def __post_init__(self) -> None:
        seen: set[str] = set()
        dns = [
            *(("switch.extensions", dn) for dn in self.extensions),
            *((f"switch.queue[{i}].dn", q.dn) for i, q in enumerate(self.queues)),
            *((f"switch.routing_point[{i}].dn", r.dn) for i, r in enumerate(self.routing_points)),
        ]
        for where, dn in dns:
            if not dn or not dn.isprintable() or " " in dn:
                raise ConfigError(f"{where}: {dn!r} is not a valid DN")
            if dn in seen:
                raise ConfigError(f"{where}: DN {dn!r} is configured twice")
            seen.add(dn)
        for i, rp in enumerate(self.routing_points):
            if rp.default_destination not in seen or rp.default_destination == rp.dn:
                raise ConfigError(
                    f"switch.routing_point[{i}].default_destination: "
                    f"{rp.default_destination!r} is not another configured DN"
                )
        names: set[str] = set()
        for i, group in enumerate(self.trunk_groups):
            where = f"switch.trunk_group[{i}]"
            if not group.name or group.name in names:
                raise ConfigError(f"{where}.name: {group.name!r} is empty or repeated")
            names.add(group.name)
            if not group.prefixes or any(not p for p in group.prefixes):
                raise ConfigError(f"{where}.prefixes: must be non-empty")
            if group.channels < 1:
                raise ConfigError(f"{where}.channels: must be at least 1")
            if group.driver not in DRIVERS:
                raise ConfigError(
                    f"{where}.driver: {group.driver!r} is not one of {', '.join(DRIVERS)}"
                )
        ids: set[str] = set()
        for i, agent in enumerate(self.agents):
            where = f"switch.agent[{i}].id"
            if not agent.agent_id or not agent.agent_id.isprintable():
                raise ConfigError(f"{where}: {agent.agent_id!r} is not a valid AgentID")
            if agent.agent_id in ids:
                raise ConfigError(f"{where}: AgentID {agent.agent_id!r} is listed twice")
            ids.add(agent.agent_id)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SwitchConfig:
        """Read the `[switch]` table and its `[[switch.agent]]`, `[[switch.queue]]` and
        `[[switch.routing_point]]` arrays."""
        unknown = set(table) - {
            "extensions",
            "agent",
            "queue",
            "routing_point",
            "trunk_group",
            "no_answer_seconds",
            "max_call_user_data_bytes",
        }
        if unknown:
            raise ConfigError(f"switch: unknown key(s) {', '.join(sorted(unknown))}")
        raw = table.get("extensions", [])
        if not isinstance(raw, list):
            raise ConfigError("switch.extensions: must be a list of DN strings")
        for index, dn in enumerate(raw):
            if not isinstance(dn, str):
                raise ConfigError(
                    f"switch.extensions[{index}]: {dn!r} is not a string: write it in "
                    f'quotes ("{dn}")'
                )
        return cls(
            extensions=tuple(raw),
            agents=tuple(_agent(w, t) for w, t in _tables(table, "agent")),
            queues=tuple(_queue(w, t) for w, t in _tables(table, "queue")),
            routing_points=tuple(_routing_point(w, t) for w, t in _tables(table, "routing_point")),
            trunk_groups=tuple(_trunk_group(w, t) for w, t in _tables(table, "trunk_group")),
            no_answer_seconds=_seconds("switch", table, "no_answer_seconds", 0.0),
            max_call_user_data_bytes=_byte_count(table, "max_call_user_data_bytes", 262144),
        )


def _tables(table: Mapping[str, Any], key: str) -> list[tuple[str, Mapping[str, Any]]]:
    items = table.get(key, [])
    if not isinstance(items, list):
        raise ConfigError(f"switch.{key}: must be an array of tables ([[switch.{key}]])")
    out = []
    for index, item in enumerate(items):
        where = f"switch.{key}[{index}]"
        if not isinstance(item, Mapping):
            raise ConfigError(f"{where}: must be a table")
        out.append((where, item))
    return out


def _check_keys(where: str, table: Mapping[str, Any], allowed: set[str]) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise ConfigError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")


def _string(where: str, table: Mapping[str, Any], key: str, default: str | None = None) -> str:
    """A string value: DNs, AgentIDs, passwords and names are text, never TOML numbers (a
    number would lose what makes it a DN: `dn = 0701` is not even TOML)."""
    value = table.get(key, default)
    if isinstance(value, int | float) and not isinstance(value, bool):
        raise ConfigError(
            f'{where}.{key}: {value!r} is not a string: write it in quotes ("{value}")'
        )
    if not isinstance(value, str):
        raise ConfigError(f"{where}.{key}: must be a string")
    return value


def _seconds(where: str, table: Mapping[str, Any], key: str, default: float) -> float:
    value = table.get(key, default)
    if not isinstance(value, int | float) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"{where}.{key}: must be a number of seconds >= 0")
    return float(value)


def _byte_count(table: Mapping[str, Any], key: str, default: int) -> int:
    value = table.get(key, default)
    if not isinstance(value, int) or isinstance(value, bool) or value < 0:
        raise ConfigError(f"switch.{key}: expected a number of bytes (0: no cap), got {value!r}")
    return value


def _agent(where: str, table: Mapping[str, Any]) -> AgentConfig:
    _check_keys(where, table, {"id", "password", "skills"})
    skills = table.get("skills", {})
    if not isinstance(skills, Mapping) or not all(
        isinstance(level, int) and not isinstance(level, bool) and 0 <= level <= 100
        for level in skills.values()
    ):
        raise ConfigError(f"{where}.skills: must map skill names to levels 0-100")
    return AgentConfig(
        _string(where, table, "id"),
        _string(where, table, "password", ""),
        tuple(sorted(skills.items())),
    )


def _queue(where: str, table: Mapping[str, Any]) -> QueueConfig:
    _check_keys(where, table, {"dn", "ring_no_answer_seconds", "after_call_work_seconds"})
    rona = _seconds(where, table, "ring_no_answer_seconds", 15.0)
    if rona <= 0:
        raise ConfigError(f"{where}.ring_no_answer_seconds: must be more than 0")
    return QueueConfig(
        _string(where, table, "dn"), rona, _seconds(where, table, "after_call_work_seconds", 0.0)
    )


def _routing_point(where: str, table: Mapping[str, Any]) -> RoutingPointConfig:
    _check_keys(where, table, {"dn", "default_destination", "timeout_seconds"})
    timeout = _seconds(where, table, "timeout_seconds", 10.0)
    if timeout <= 0:
        raise ConfigError(f"{where}.timeout_seconds: must be more than 0")
    return RoutingPointConfig(
        _string(where, table, "dn"), _string(where, table, "default_destination"), timeout
    )


def _trunk_group(where: str, table: Mapping[str, Any]) -> TrunkGroupConfig:
    _check_keys(where, table, {"name", "prefixes", "channels", "driver"})
    prefixes = table.get("prefixes")
    if not isinstance(prefixes, list) or not all(isinstance(p, str) for p in prefixes):
        raise ConfigError(f"{where}.prefixes: must be a list of number prefixes")
    channels = table.get("channels", 30)
    if not isinstance(channels, int) or isinstance(channels, bool):
        raise ConfigError(f"{where}.channels: must be an integer")
    return TrunkGroupConfig(
        _string(where, table, "name"),
        tuple(prefixes),
        channels,
        _string(where, table, "driver", "simulated"),
    )
