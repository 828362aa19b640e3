"""Importing the protocol stays cheap (issue 12, a fast command line): the catalogue and the
codec import neither construct nor dataclasses (with inspect), and build nothing per message
until a message is used. benchmarks/imports.py measures the time itself."""

from __future__ import annotations

import json
import subprocess
import sys

_PROBE = """
import json, sys
import protocol, protocol.codec, protocol.framer, protocol.messages
from protocol.messages import CATALOGUE
heavy = sorted(m for m in ("construct", "dataclasses", "inspect") if m in sys.modules)
built = sorted(
    name
    for cls in CATALOGUE.values()
    for name in ("__init__", "from_wire", "trusted_replace", "FIELDS")
    if type(cls.__dict__[name]).__name__ != "Lazy"
)
print(json.dumps({"heavy": heavy, "built": built, "encoders": len(protocol.codec._ENCODERS)}))
"""


def test_importing_the_protocol_loads_no_heavy_module_and_builds_nothing() -> None:
    out = subprocess.run(
        [sys.executable, "-c", _PROBE], check=True, capture_output=True, text=True
    ).stdout
    assert json.loads(out) == {"heavy": [], "built": [], "encoders": 0}
