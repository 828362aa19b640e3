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
class SwitchConfig:
    """The switch objects: for now, extensions (internal DNs)."""

    extensions: tuple[str, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for dn in self.extensions:
            if not dn or not dn.isprintable() or " " in dn:
                raise ConfigError(f"switch.extensions: {dn!r} is not a valid DN")
            if dn in seen:
                raise ConfigError(f"switch.extensions: {dn!r} is listed twice")
            seen.add(dn)

    @classmethod
    def from_mapping(cls, table: Mapping[str, Any]) -> SwitchConfig:
        """Read the `[switch]` table."""
        unknown = set(table) - {"extensions"}
        if unknown:
            raise ConfigError(f"switch: unknown key(s) {', '.join(sorted(unknown))}")
        raw = table.get("extensions", [])
        if not isinstance(raw, list) or not all(isinstance(x, str | int) for x in raw):
            raise ConfigError("switch.extensions: must be a list of DN strings")
        return cls(extensions=tuple(str(x) for x in raw))
