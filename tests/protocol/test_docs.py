"""docs/protocol.md's generated tables must match the catalogue (regenerate with
`python -m protocol.docs docs/protocol.md`)."""

from __future__ import annotations

from pathlib import Path

from protocol import docs
from protocol.errors import ERROR_ADVICE, ErrorCode

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_protocol_md_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert docs.splice(text) == text, "docs/protocol.md is stale: run python -m protocol.docs"


def test_every_error_code_is_documented() -> None:
    assert set(ERROR_ADVICE) == set(ErrorCode)
