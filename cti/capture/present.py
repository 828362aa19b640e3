"""How events are shown to people and scripts: one readable line, or one JSON object."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from enum import IntEnum
from typing import Any

from protocol.messages import Event, Message
from protocol.values import KVList

_LABELS = {
    "this_dn": None,
    "conn_id": "conn",
    "other_dn": "other",
    "call_type": "type",
    "this_dn_role": "role",
    "other_dn_role": "other-role",
    "call_state": "state",
    "error_code": "code",
    "error_message": "message",
    "call_uuid": "uuid",
    "user_data": "data",
    "event_sequence_number": "seq",
}
_HIDDEN = {"event_sequence_number", "time_in_secs", "time_in_usecs", "reference_id", "call_uuid"}


def _show(value: Any) -> str:
    if isinstance(value, IntEnum):
        return value.name
    if isinstance(value, KVList):
        return json.dumps(value.to_json(), ensure_ascii=False)
    if isinstance(value, str) and (not value or " " in value):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


def format_event(event: Message) -> str:
    """One readable line: time, event name, ThisDN, then the other attributes."""
    stamp = ""
    if isinstance(event, Event) and event.time is not None:
        t = event.time
        stamp = time.strftime("%H:%M:%S", time.localtime(t)) + f".{int(t * 1000) % 1000:03d} "
    attrs = event.attributes()
    parts = [f"{stamp}{type(event).__name__}"]
    if "this_dn" in attrs:
        parts.append(str(attrs["this_dn"]))
    for name, value in attrs.items():
        if name in _HIDDEN or name == "this_dn":
            continue
        label = _LABELS.get(name) or name
        parts.append(f"{label}={_show(value)}")
    return " ".join(parts)


def event_to_json(event: Message) -> str:
    """One JSON object: {"event": name, attribute fields...}; enums by name, ConnID as hex."""
    record = event.to_dict()
    record["event"] = record.pop("message")
    return json.dumps({"event": record.pop("event"), **record}, ensure_ascii=False)


def printer(as_json: bool) -> Callable[[Message], None]:
    """Print each event on its own line of stdout, readable or as JSON, flushed at once."""

    def emit(event: Message) -> None:
        print(event_to_json(event) if as_json else format_event(event), flush=True)

    return emit


def format_message(message: Message) -> str:
    """One readable line for any message (as `ctiemu decode` prints a capture): its name,
    ThisDN, ref=ReferenceID, seq=EventSequenceNumber, then the other attributes set. The
    event's own time stamp is left out: the capture's time is shown instead."""
    attrs = message.attributes()
    parts = [type(message).__name__]
    if "this_dn" in attrs:
        parts.append(str(attrs["this_dn"]))
    if message.reference_id is not None:
        parts.append(f"ref={message.reference_id}")
    for name, value in attrs.items():
        if name in _QUIET:
            continue
        label = _LABELS.get(name) or name
        parts.append(f"{label}={value.hex() if isinstance(value, bytes) else _show(value)}")
    return " ".join(parts)


_QUIET = {"this_dn", "reference_id", "time_in_secs", "time_in_usecs"}
