"""The configuration file: one TOML document for the server and the switch.

`load_config(path)` reads a file, `default_config()` the embedded default (cti/server/default.toml).
Errors are ConfigError naming the file and the key that is wrong.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

from hw.simnet import NetworkProfile
from protocol.framer import DEFAULT_MAX_FRAME_SIZE
from switch.config import ConfigError, SwitchConfig

__all__ = ["Config", "ConfigError", "ServerConfig", "default_config", "load_config", "parse_config"]


@dataclass(frozen=True, slots=True)
class DNSet:
    """DNs named by patterns: "*" (every DN), one DN ("1001"), or a numeric range
    ("1001-1010", both ends included and of the same length)."""

    patterns: tuple[str, ...] = ("*",)

    def __contains__(self, dn: object) -> bool:
        if not isinstance(dn, str):
            return False
        for pattern in self.patterns:
            if pattern in ("*", dn):
                return True
            low, sep, high = pattern.partition("-")
            if sep and len(dn) == len(low) and dn.isdigit() and low <= dn <= high:
                return True
        return False

    @classmethod
    def parse(cls, value: Any, where: str) -> DNSet:
        if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
            raise ConfigError(f"{where}: expected a list of DN patterns, got {value!r}")
        for pattern in value:
            low, sep, high = pattern.partition("-")
            if sep and not (
                low.isdigit() and high.isdigit() and len(low) == len(high) and low <= high
            ):
                raise ConfigError(
                    f'{where}: {pattern!r} is not a range like "1001-1010" (digits, same '
                    "length, low to high)"
                )
        return cls(tuple(value))


@dataclass(frozen=True, slots=True)
class ApplicationConfig:
    """A client application the server knows ([[server.application]]): its password and what
    it may do. Applications the configuration does not list get `ServerConfig.default_rights`
    (unless the server authenticates, when they are refused)."""

    name: str
    password: str = ""  #: "" asks for none
    control: DNSet = field(default_factory=DNSet)  #: DNs it may register to control
    monitor: DNSet = field(default_factory=DNSet)  #: DNs it may register to monitor
    simulation: bool = False  #: may send simulation control (RequestPrivateService)

    @classmethod
    def from_mapping(cls, table: Any, where: str) -> ApplicationConfig:
        if not isinstance(table, dict):
            raise ConfigError(f"{where}: expected a table, got {table!r}")
        unknown = set(table) - {"name", "password", "control", "monitor", "simulation"}
        if unknown:
            raise ConfigError(f"{where}: unknown key {sorted(unknown)[0]!r}")
        name, password = table.get("name"), table.get("password", "")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{where}.name: expected a non-empty string, got {name!r}")
        if not isinstance(password, str):
            raise ConfigError(f"{where}.password: expected a string, got {password!r}")
        simulation = table.get("simulation", False)
        if not isinstance(simulation, bool):
            raise ConfigError(f"{where}.simulation: expected true or false, got {simulation!r}")
        return cls(
            name=name,
            password=password,
            control=DNSet.parse(table.get("control", ["*"]), f"{where}.control"),
            monitor=DNSet.parse(table.get("monitor", ["*"]), f"{where}.monitor"),
            simulation=simulation,
        )


#: Server keys with their types (float keys also take integers).
_SERVER_KEYS: dict[str, type] = {
    "host": str,
    "port": int,
    "name": str,
    "max_frame_size": int,
    "keepalive_interval": float,
    "keepalive_timeout": float,
    "max_output_bytes": int,
    "max_requests_per_second": int,
    "max_connections": int,
    "max_connections_per_address": int,
    "max_handshaking_connections": int,
    "handshake_frame_size": int,
    "handshake_timeout": float,
    "unfinished_frame_timeout": float,
    "logout_on_disconnect": bool,
    "authenticate": bool,
    "tls_certificate": str,
    "tls_private_key": str,
    "trace": bool,
    "trace_lines_per_second": int,
    "max_request_user_data_bytes": int,
    "log_level": str,
}
_LOG_LEVELS = ("debug", "info", "warning", "error")


@dataclass(frozen=True, slots=True)
class ServerConfig:
    host: str = "127.0.0.1"
    port: int = 7000
    name: str = "ctiemu"
    max_frame_size: int = DEFAULT_MAX_FRAME_SIZE
    #: Probe a client silent this long (seconds; 0: never); close it if the probe goes
    #: unanswered keepalive_timeout seconds.
    keepalive_interval: float = 30.0
    keepalive_timeout: float = 10.0
    #: A client whose unsent output grows past this many bytes is disconnected (slow reader).
    max_output_bytes: int = 4 * 1024 * 1024
    #: Requests per second one client may send (a burst of as many is allowed); 0: no limit.
    max_requests_per_second: int = 5000
    #: Connections at once, in all, from one address, and not registered yet (0: no cap); one
    #: more gets EventError 713 and is closed.
    max_connections: int = 10000
    max_connections_per_address: int = 2000
    max_handshaking_connections: int = 2048
    #: The largest frame a connection may send before its RequestRegisterClient succeeded
    #: (then max_frame_size): what a connection that never registers can make the server hold.
    handshake_frame_size: int = 65536
    #: Seconds a connection may take to register (RequestRegisterClient); 0: no limit.
    handshake_timeout: float = 10.0
    #: Seconds a frame may stay unfinished (its first bytes arrived, not its last); 0: no limit.
    unfinished_frame_timeout: float = 30.0
    #: When a client goes away, log out the agents on the DNs it controlled (and no other
    #: client controls).
    logout_on_disconnect: bool = False
    #: Refuse applications [[server.application]] does not list, and wrong passwords.
    authenticate: bool = False
    #: Serve TLS with this certificate chain and private key (PEM files); both or neither.
    tls_certificate: str = ""
    tls_private_key: str = ""
    #: Log every frame of every session (switchable per session at run time).
    trace: bool = False
    #: Frame-trace lines one session may write a second (0: no bound); the excess is counted.
    trace_lines_per_second: int = 200
    #: The most UserData one request may carry, in bytes as encoded (0: no cap): more is
    #: refused with EventError 714, and a request frame longer than this plus
    #: EVENT_OVERHEAD_BYTES is refused so from its header, undecoded (what one request can cost
    #: the server to read). switch.max_call_user_data_bytes caps a call's UserData.
    max_request_user_data_bytes: int = 16384
    log_level: str = "info"
    applications: tuple[ApplicationConfig, ...] = ()

    def application(self, name: str) -> ApplicationConfig | None:
        return next((a for a in self.applications if a.name == name), None)

    @classmethod
    def from_mapping(cls, table: dict[str, Any]) -> ServerConfig:
        values: dict[str, Any] = {}
        for key, given in table.items():
            value = given
            if key == "application":
                if not isinstance(value, list):
                    raise ConfigError("server.application: expected [[server.application]] tables")
                apps = tuple(
                    ApplicationConfig.from_mapping(item, f"server.application[{i}]")
                    for i, item in enumerate(value)
                )
                names = [a.name for a in apps]
                for i, name in enumerate(names):
                    if name in names[:i]:
                        raise ConfigError(f"server.application[{i}].name: {name!r} is listed twice")
                values["applications"] = apps
                continue
            kind = _SERVER_KEYS.get(key)
            if kind is None:
                raise ConfigError(f"server: unknown key {key!r}")
            if kind is float and isinstance(value, int) and not isinstance(value, bool):
                value = float(value)
            if not isinstance(value, kind) or (kind is not bool and isinstance(value, bool)):
                raise ConfigError(f"server.{key}: expected {kind.__name__}, got {value!r}")
            values[key] = value
        config = cls(**values)
        if not 0 <= config.port <= 65535:
            raise ConfigError(f"server.port: {config.port} is not a TCP port")
        if config.max_frame_size < 64:
            raise ConfigError(f"server.max_frame_size: {config.max_frame_size} is too small")
        for key in ("keepalive_interval", "keepalive_timeout"):
            if getattr(config, key) < 0:
                raise ConfigError(f"server.{key}: must be 0 or more seconds")
        if config.keepalive_interval > 0 and config.keepalive_timeout <= 0:
            raise ConfigError("server.keepalive_timeout: must be more than 0 seconds")
        if config.max_output_bytes < config.max_frame_size:
            raise ConfigError(
                f"server.max_output_bytes: {config.max_output_bytes} is less than "
                f"max_frame_size ({config.max_frame_size})"
            )
        if config.max_requests_per_second < 0:
            raise ConfigError("server.max_requests_per_second: must be 0 (no limit) or more")
        for key in (
            "max_connections",
            "max_connections_per_address",
            "max_handshaking_connections",
            "trace_lines_per_second",
            "max_request_user_data_bytes",
            "handshake_timeout",
            "unfinished_frame_timeout",
        ):
            if getattr(config, key) < 0:
                raise ConfigError(f"server.{key}: must be 0 (no limit) or more")
        if not 64 <= config.handshake_frame_size <= config.max_frame_size:
            raise ConfigError(
                f"server.handshake_frame_size: {config.handshake_frame_size} must be between 64 "
                f"and max_frame_size ({config.max_frame_size})"
            )
        if bool(config.tls_certificate) != bool(config.tls_private_key):
            raise ConfigError(
                "server.tls_certificate: give both tls_certificate and tls_private_key"
            )
        if config.log_level not in _LOG_LEVELS:
            raise ConfigError(
                f"server.log_level: {config.log_level!r} is not one of {', '.join(_LOG_LEVELS)}"
            )
        return config


@dataclass(frozen=True, slots=True)
class Config:
    server: ServerConfig
    switch: SwitchConfig
    network: NetworkProfile = field(default_factory=NetworkProfile)
    source: str = "<embedded default>"


#: Bytes an event may hold besides its UserData (its other attributes, generously).
EVENT_OVERHEAD_BYTES = 8192


def largest_event_bytes(switch: SwitchConfig) -> int | None:
    """The largest event the UserData cap allows (None: no cap, no bound)."""
    cap = switch.max_call_user_data_bytes
    return cap + EVENT_OVERHEAD_BYTES if cap else None


def check_output_bound(server: ServerConfig, switch: SwitchConfig) -> None:
    """A reader is never disconnected for the size of one event: server.max_output_bytes must
    hold the largest event the caps allow, and a request's cap must fit in a call's."""
    largest = largest_event_bytes(switch)
    if largest is None:
        raise ConfigError(
            "switch.max_call_user_data_bytes: 0 (no cap) leaves no bound on the size of an "
            "event, so server.max_output_bytes could not hold one; set a cap"
        )
    if server.max_output_bytes < largest:
        raise ConfigError(
            f"server.max_output_bytes: {server.max_output_bytes} is less than the largest event "
            f"switch.max_call_user_data_bytes allows ({largest} bytes): a reader could be "
            "disconnected for one event"
        )
    if server.max_request_user_data_bytes > switch.max_call_user_data_bytes:
        raise ConfigError(
            f"server.max_request_user_data_bytes: {server.max_request_user_data_bytes} is more "
            f"than switch.max_call_user_data_bytes ({switch.max_call_user_data_bytes})"
        )


def parse_config(text: str, source: str) -> Config:
    """Read a configuration document. A ConfigError names the file, the line (when the key
    can be found in the text) and the key: `my.toml:12: server.port: expected int, ...`."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message carries the line and column
        raise ConfigError(f"{source}: {exc}") from None
    try:
        unknown = set(document) - {"server", "switch", "network"}
        if unknown:
            raise ConfigError(
                f"{sorted(unknown)[0]}: unknown table (expected server, switch, network)"
            )
        server = ServerConfig.from_mapping(document.get("server", {}))
        switch = SwitchConfig.from_mapping(document.get("switch", {}))
        network = NetworkProfile.from_mapping(document.get("network", {}))
        check_output_bound(server, switch)
    except ConfigError as exc:
        line = locate(text, str(exc))
        raise ConfigError(f"{source}:{line}: {exc}" if line else f"{source}: {exc}") from None
    return Config(server=server, switch=switch, network=network, source=source)


_PATH = re.compile(r"^([A-Za-z_][\w.\[\]]*)(?::| )")
_UNKNOWN_KEY = re.compile(r"unknown key(?:\(s\))? '?([\w-]+)")
_HEADER = re.compile(r"^\s*(\[\[?)\s*([\w.\- ]+?)\s*\]\]?\s*(?:#.*)?$")
_ASSIGN = re.compile(r"^\s*([\w\-\.\" ]+?)\s*=")


def locate(text: str, message: str) -> int | None:
    """The line of `text` (a TOML document) holding the key a ConfigError message starts with
    (`server.port: ...`, `switch.queue[1].dn: ...`, `network: unknown key 'x'`): the key's own
    line, else its table's header. None when it cannot be found."""
    match = _PATH.match(message)
    if match is None:
        return None
    path: list[str | int] = []
    for part in match.group(1).split("."):
        name, _, index = part.partition("[")
        path.append(name)
        if index:
            path.append(int(index.rstrip("]")))
    unknown = _UNKNOWN_KEY.search(message)
    if unknown:
        path.append(unknown.group(1))
    lines: dict[tuple[str | int, ...], int] = {}
    counts: dict[tuple[str | int, ...], int] = {}
    table: tuple[str | int, ...] = ()
    for number, line in enumerate(text.splitlines(), start=1):
        header = _HEADER.match(line)
        if header:
            names = tuple(n.strip() for n in header.group(2).split("."))
            if header.group(1) == "[[":
                counts[names] = counts.get(names, -1) + 1
                table = (*names, counts[names])
            else:
                table = names
            lines.setdefault(table, number)
            continue
        assign = _ASSIGN.match(line)
        if assign:
            key = tuple(k.strip().strip('"') for k in assign.group(1).split("."))
            lines.setdefault((*table, *key), number)
    for end in range(len(path), 0, -1):
        found = lines.get(tuple(path[:end]))
        if found is not None:
            return found
    return None


def load_config(path: str | Path) -> Config:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ConfigError(f"{path}: {exc.strerror}") from None
    return parse_config(text, str(path))


def default_config() -> Config:
    text = resources.files("cti.server").joinpath("default.toml").read_text(encoding="utf-8")
    return parse_config(text, "<embedded default>")
