"""The configuration file: one TOML document for the server and the switch.

`load_config(path)` reads a file, `default_config()` the embedded default (cti/default.toml).
Errors are ConfigError naming the file and the key that is wrong.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hw.simnet import NetworkProfile
from protocol import wire
from switch.config import ConfigError, SwitchConfig

__all__ = ["Config", "ConfigError", "ServerConfig", "default_config", "load_config", "parse_config"]


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 7000
    name: str = "ctiemu"
    max_frame_size: int = wire.DEFAULT_MAX_FRAME_SIZE

    @classmethod
    def from_mapping(cls, table: dict[str, Any]) -> ServerConfig:
        known = {"host": str, "port": int, "name": str, "max_frame_size": int}
        for key, value in table.items():
            kind = known.get(key)
            if kind is None:
                raise ConfigError(f"server: unknown key {key!r}")
            if not isinstance(value, kind) or isinstance(value, bool):
                raise ConfigError(f"server.{key}: expected {kind.__name__}, got {value!r}")
        config = cls(**table)
        if not 0 <= config.port <= 65535:
            raise ConfigError(f"server.port: {config.port} is not a TCP port")
        if config.max_frame_size < 64:
            raise ConfigError(f"server.max_frame_size: {config.max_frame_size} is too small")
        return config


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig
    switch: SwitchConfig
    network: NetworkProfile = field(default_factory=NetworkProfile)
    source: str = "<embedded default>"


def parse_config(text: str, source: str) -> Config:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    unknown = set(document) - {"server", "switch", "network"}
    if unknown:
        raise ConfigError(f"{source}: unknown table(s) {', '.join(sorted(unknown))}")
    try:
        server = ServerConfig.from_mapping(document.get("server", {}))
        switch = SwitchConfig.from_mapping(document.get("switch", {}))
        network = NetworkProfile.from_mapping(document.get("network", {}))
    except ConfigError as exc:
        raise ConfigError(f"{source}: {exc}") from None
    return Config(server=server, switch=switch, network=network, source=source)


def load_config(path: str | Path) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return parse_config(text, str(path))


def default_config() -> Config:
    text = resources.files("cti").joinpath("default.toml").read_text(encoding="utf-8")
    return parse_config(text, "<embedded default>")
