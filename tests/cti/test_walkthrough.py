"""docs/protocol.md's worked example (a consultation transfer, byte by byte) must be what the
server sends today: regenerate with `python -m cti.server.walkthrough docs/protocol.md`."""

from __future__ import annotations

from pathlib import Path

from cti.server import walkthrough
from protocol.codec import decode
from protocol.messages import EventDialing, EventHeld, EventPartyChanged, EventReleased

DOC = Path(__file__).resolve().parents[2] / "docs" / "protocol.md"


def test_the_worked_example_is_current() -> None:
    text = DOC.read_text(encoding="utf-8")
    assert walkthrough.splice(text) == text, (
        "docs/protocol.md's worked example is stale: run python -m cti.server.walkthrough"
    )


def test_the_example_shows_what_its_text_says() -> None:
    """The prose around the frames: EventHeld answers InitiateTransfer, the consultation's
    ConnID comes on an EventDialing without ReferenceID that names the old call in
    PreviousConnID, and EventPartyChanged carries the surviving call and the merged one."""
    seen = [(who, way, decode(frame)) for who, way, frame in walkthrough.run()]
    at_a = [m for who, way, m in seen if who == "A" and way == "<-"]
    held = next(m for m in at_a if isinstance(m, EventHeld))
    assert held.reference_id is not None
    dialing = [m for m in at_a if isinstance(m, EventDialing)]
    assert len(dialing) == 2
    consultation = dialing[1]
    assert consultation.reference_id is None
    assert consultation.previous_conn_id == held.conn_id != consultation.conn_id
    changed = [m for who, _, m in seen if isinstance(m, EventPartyChanged)]
    assert {m.this_dn for m in changed} == {"1002", "1003"}
    assert all(
        (m.conn_id, m.previous_conn_id) == (held.conn_id, consultation.conn_id) for m in changed
    )
    last = [m for who, way, m in seen if who == "C" and way == "<-"][-1]
    assert isinstance(last, EventReleased) and last.conn_id == held.conn_id
    assert last.reference_id is not None  # C's release, by the new ConnID, was carried out
