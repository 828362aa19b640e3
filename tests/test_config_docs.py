"""docs/configuration.md shows the embedded default configuration exactly, and every key the
configuration readers accept is documented there."""

from __future__ import annotations

import re
from importlib import resources
from pathlib import Path

DOC = (Path(__file__).resolve().parents[1] / "docs" / "configuration.md").read_text()


def _settings(text: str) -> list[str]:
    return [
        line.strip()
        for line in text.splitlines()
        if line.strip() and not line.strip().startswith("#")
    ]


def test_the_documented_default_is_the_embedded_one() -> None:
    embedded = resources.files("cti.server").joinpath("default.toml").read_text()
    shown = DOC.split("## The embedded default", 1)[1].split("```toml", 1)[1].split("```", 1)[0]
    expected = [re.sub(r"\s+#.*$", "", line) for line in _settings(embedded)]
    assert _settings(shown) == expected


def test_every_key_is_documented() -> None:
    from dataclasses import fields

    from cti.server.config import ApplicationConfig, ServerConfig
    from hw.simnet import NetworkProfile
    from switch.config import QueueConfig, RoutingPointConfig, TrunkGroupConfig

    keys = {
        f.name
        for cls in (ServerConfig, NetworkProfile, QueueConfig, RoutingPointConfig, TrunkGroupConfig)
        for f in fields(cls)
    }
    keys -= {"agent_id", "customers", "applications"}  # `id`, [[network.customer]] and
    keys |= {f.name for f in fields(ApplicationConfig)}  # [[server.application]]
    keys |= {"id", "password", "skills", "extensions", "name", "weight"}
    for key in keys:
        assert f"| {key} |" in DOC, f"docs/configuration.md does not document {key!r}"
