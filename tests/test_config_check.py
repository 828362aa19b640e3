"""Configuration errors name the file, the line and the key, whatever table the mistake is in."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.server.config import ConfigError, ServerConfig, locate, parse_config

GOOD = """\
[server]
port = 7000

[[server.application]]
name = "sim"
simulation = true

[switch]
extensions = ["1001", "1002"]

[[switch.agent]]
id = "agent1"

[[switch.queue]]
dn = "7001"

[[switch.queue]]
dn = "7002"
ring_no_answer_seconds = 5

[[switch.routing_point]]
dn = "5001"
default_destination = "7001"

[[switch.trunk_group]]
name = "pstn"
prefixes = ["9"]

[network]
seed = 4
"""


def test_the_good_one_loads() -> None:
    config = parse_config(GOOD, "good.toml")
    assert config.switch.extensions == ("1001", "1002")
    assert config.server.applications[0].simulation


@pytest.mark.parametrize(
    ("old", "new", "line", "key"),
    [
        ("port = 7000", 'port = "seven"', 2, "server.port"),
        ("port = 7000", "port = 7000\nbogus = 1", 3, "server: unknown key 'bogus'"),
        ("simulation = true", "simulation = 1", 6, "server.application[0].simulation"),
        ('extensions = ["1001", "1002"]', 'extensions = ["1001", "1001"]', 9, "switch.extensions"),
        ('dn = "7002"', 'dn = "7001"', 18, "switch.queue[1].dn"),
        ("ring_no_answer_seconds = 5", "ring_no_answer_seconds = 0", 19, "switch.queue[1]"),
        ('default_destination = "7001"', 'default_destination = "9"', 23, "default_destination"),
        ('prefixes = ["9"]', "prefixes = []", 27, "switch.trunk_group[0].prefixes"),
        ("seed = 4", 'seed = "x"', 30, "network.seed"),
        ("[network]", "[network]\nwho = 1", 30, "network: unknown key(s) who"),
        ('id = "agent1"', 'id = "agent1"\ncolour = "red"', 13, "switch.agent[0]"),
        # DNs and names are strings: a TOML number is refused, never quietly turned into text
        ('extensions = ["1001", "1002"]', 'extensions = ["1001", 1002]', 9, "extensions[1]"),
        ('dn = "7002"', "dn = 7002", 18, "switch.queue[1].dn: 7002 is not a string: write it in"),
        ('dn = "5001"', "dn = 5001", 22, "switch.routing_point[0].dn"),
        ('default_destination = "7001"', "default_destination = 7001", 23, "default_destination"),
        ('id = "agent1"', "id = 1", 12, "switch.agent[0].id"),
    ],
)
def test_errors_name_line_and_key(old: str, new: str, line: int, key: str) -> None:
    assert old in GOOD
    with pytest.raises(ConfigError) as info:
        parse_config(GOOD.replace(old, new, 1), "my.toml")
    message = str(info.value)
    assert message.startswith(f"my.toml:{line}: "), message
    assert key in message


def test_syntax_errors_carry_tomllibs_line() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[server]\nport = = 1\n", "bad.toml")
    assert str(info.value).startswith("bad.toml: ") and "line 2" in str(info.value)


def test_unknown_tables_and_unlocatable_keys() -> None:
    with pytest.raises(ConfigError) as info:
        parse_config("[servre]\nport = 1\n", "t.toml")
    assert str(info.value).startswith("t.toml:1: servre: unknown table")
    assert locate("[server]\n", "nothing to see") is None
    assert locate("", "server.port: bad") is None


def test_server_key_checks() -> None:
    with pytest.raises(ConfigError, match="tls_certificate"):
        ServerConfig.from_mapping({"tls_certificate": "a.pem"})
    with pytest.raises(ConfigError, match="max_output_bytes"):
        ServerConfig.from_mapping({"max_output_bytes": 10})
    with pytest.raises(ConfigError, match="log_level"):
        ServerConfig.from_mapping({"log_level": "loud"})
    with pytest.raises(ConfigError, match="listed twice"):
        ServerConfig.from_mapping({"application": [{"name": "a"}, {"name": "a"}]})
    with pytest.raises(ConfigError, match="range"):
        ServerConfig.from_mapping({"application": [{"name": "a", "control": ["1010-1001"]}]})
    assert ServerConfig.from_mapping({"keepalive_interval": 5}).keepalive_interval == 5.0


def test_the_output_bound_must_hold_the_largest_event_the_caps_allow(tmp_path: Path) -> None:
    """Issue 13, item 15: a reader must never be disconnected for one event, so check-config
    refuses an output bound smaller than the largest event switch.max_call_user_data_bytes
    allows, names the line, and refuses no cap at all."""
    from cti.server.config import load_config

    path = tmp_path / "small.toml"
    path.write_text(
        "[server]\nmax_output_bytes = 1048576\nmax_frame_size = 65536\n\n"
        '[switch]\nextensions = ["1001"]\nmax_call_user_data_bytes = 2000000\n'
    )
    with pytest.raises(
        ConfigError, match=r"small.toml:2: server.max_output_bytes: .*largest event"
    ):
        load_config(path)
    path.write_text('[switch]\nextensions = ["1001"]\nmax_call_user_data_bytes = 0\n')
    with pytest.raises(ConfigError, match="max_call_user_data_bytes: 0"):
        load_config(path)
    path.write_text('[switch]\nextensions = ["1001"]\nmax_call_user_data_bytes = 100000\n')
    assert load_config(path).switch.max_call_user_data_bytes == 100000
