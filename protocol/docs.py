"""Generates the tables of docs/protocol.md from the catalogue, so the spec cannot drift.

`render()` returns the generated section; `python -m protocol.docs docs/protocol.md` rewrites
the part of the file between the markers, and a test fails when the file is stale.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from enum import IntEnum
from pathlib import Path

from protocol.codec import encode
from protocol.enums import (
    CallState,
    CallType,
    DNRole,
    ValueType,
)
from protocol.errors import ERROR_ADVICE, ErrorCode
from protocol.messages import ATTRIBUTES, CATALOGUE, AttributeSpec, Event, Message, Request
from protocol.sources import SOURCES
from protocol.values import ConnID, KVList

BEGIN = "<!-- BEGIN GENERATED (python -m protocol.docs docs/protocol.md) -->"
END = "<!-- END GENERATED -->"


def _enums() -> list[type[IntEnum]]:
    """Every enumeration an attribute of the catalogue uses, in order of first use."""
    seen: dict[type[IntEnum], None] = {}
    for spec in sorted(ATTRIBUTES.values(), key=lambda s: int(s.attribute)):
        if spec.enum is not None:
            seen.setdefault(spec.enum)
    return list(seen)


def _first_line(cls: type) -> str:
    """The docstring's first paragraph, as one line."""
    return " ".join((cls.__doc__ or "").strip().split("\n\n")[0].split())


def _kind(cls: type[Message]) -> str:
    if issubclass(cls, Request):
        return "request"
    return "event" if issubclass(cls, Event) else "control"


def _type_name(spec: AttributeSpec) -> str:
    return spec.value_type.name + (f" ({spec.enum.__name__})" if spec.enum else "")


def _message_section(cls: type[Message]) -> list[str]:
    kind = _kind(cls)
    lines = [f"### {cls.__name__} ({int(cls.MESSAGE_TYPE)}, {kind})", "", _first_line(cls), ""]
    source = SOURCES.get(cls.__name__)
    if source:
        lines += [f"Attribute table: {source}.", ""]
    if cls.ANSWER is not None:
        lines += [
            f"Answered by {cls.ANSWER.name} carrying the request's ReferenceID (or EventError).",
            "",
        ]
    lines += ["| Attribute | Tag | Type | Presence |", "|---|---:|---|---|"]
    for fs in cls.FIELDS:
        spec = fs.spec
        if fs.mandatory:
            presence = "mandatory"
        elif fs.nullable:
            presence = "optional"
        else:
            presence = "optional, default " + _show_default(cls, spec.field)
        if issubclass(cls, Event) and spec.field in (
            "event_sequence_number",
            "time_in_secs",
            "time_in_usecs",
        ):
            presence = "always sent by the server"
        if spec.field == "reference_id":
            presence = {
                "request": "from the client; echoed on the answer",
                "event": "on the answer to a request, for the requester only",
                "control": "set by the sender; echoed on the answer",
            }[_kind(cls)]
        type_name = spec.value_type.name + (f" ({spec.enum.__name__})" if spec.enum else "")
        lines.append(
            f"| {spec.attribute.name} | {int(spec.attribute)} | {type_name} | {presence} |"
        )
    return [*lines, ""]


def _show_default(cls: type[Message], field: str) -> str:
    import dataclasses

    for f in dataclasses.fields(cls):
        if f.name == field and isinstance(f.default, IntEnum):
            return f"{f.default.name} ({int(f.default)})"
    return "?"


def _hexdump(data: bytes) -> list[str]:
    out = []
    for offset in range(0, len(data), 16):
        chunk = data[offset : offset + 16]
        hexes = " ".join(f"{b:02x}" for b in chunk)
        text = "".join(chr(b) if 32 <= b < 127 else "." for b in chunk)
        out.append(f"{offset:04x}  {hexes:<47}  {text}")
    return out


def _examples() -> list[str]:
    from protocol.messages import EventRinging, RequestMakeCall

    samples: list[tuple[str, Message]] = [
        (
            'RequestMakeCall from 1001 to 1002, ReferenceID 7, UserData {"CustomerID": "42"}',
            RequestMakeCall(
                reference_id=7,
                this_dn="1001",
                other_dn="1002",
                user_data=KVList([("CustomerID", "42")]),
            ),
        ),
        (
            "EventRinging at 1002 (ConnID 007102719818000d), sequence number 3",
            EventRinging(
                this_dn="1002",
                conn_id=ConnID(0x007102719818000D),
                call_type=CallType.Internal,
                call_id=1,
                call_state=CallState.Ok,
                this_dn_role=DNRole.Destination,
                other_dn="1001",
                other_dn_role=DNRole.Origination,
                event_sequence_number=3,
                time_in_secs=1_700_000_000,
                time_in_usecs=250_000,
            ),
        ),
    ]
    lines: list[str] = []
    for title, msg in samples:
        lines += [f"{title}:", "", "```", *_hexdump(encode(msg)), "```", ""]
    return lines


def render() -> str:
    lines = [BEGIN, "", "## Messages", ""]
    lines.append("| Type | Message | Kind |")
    lines.append("|---:|---|---|")
    for number, cls in sorted(CATALOGUE.items()):
        kind = _kind(cls)
        lines.append(
            f"| {number} | [{cls.__name__}](#{cls.__name__.lower()}-{number}-{kind}) | {kind} |"
        )
    lines += [
        "",
        "Every other message type number is answered with EventError "
        f"{int(ErrorCode.UnsupportedOperation)} (UnsupportedOperation).",
        "",
    ]
    for _number, cls in sorted(CATALOGUE.items()):
        lines += _message_section(cls)
    lines += [
        "## Attributes",
        "",
        "| Tag | Attribute | Value type | Meaning |",
        "|---:|---|---|---|",
    ]
    for spec in sorted(ATTRIBUTES.values(), key=lambda s: int(s.attribute)):
        type_name = spec.value_type.name + (f" ({spec.enum.__name__})" if spec.enum else "")
        lines.append(
            f"| {int(spec.attribute)} | {spec.attribute.name} | {type_name} | {spec.doc} |"
        )
    lines += ["", "## Value types", "", "| Code | Type |", "|---:|---|"]
    lines += [f"| {int(vt)} | {vt.name} |" for vt in ValueType]
    lines += ["", "## Enumerations", ""]
    for enum in _enums():
        lines += [f"### {enum.__name__}", "", "| Value | Name |", "|---:|---|"]
        lines += [f"| {int(member)} | {member.name} |" for member in enum]
        lines.append("")
    lines += [
        "## Error codes",
        "",
        "| Code | Name | Meaning | What the client should do |",
        "|---:|---|---|---|",
    ]
    for code in ErrorCode:
        meaning, advice = ERROR_ADVICE[code]
        lines.append(f"| {int(code)} | {code.name} | {meaning} | {advice} |")
    lines += ["", "## Examples", "", *_examples(), END]
    return "\n".join(lines) + "\n"


def replace_section(document: str, begin: str, end: str, section: str) -> str:
    """The document with the part from the `begin` marker through the `end` marker line
    replaced by `section` (which carries both markers itself)."""
    start = document.index(begin)
    stop = document.index(end) + len(end) + 1
    return document[:start] + section + document[stop:]


def rewrite(path: Path, splice: Callable[[str], str]) -> None:
    """Regenerate a document's generated part in place."""
    path.write_text(splice(path.read_text(encoding="utf-8")), encoding="utf-8")


def splice(document: str) -> str:
    """The document with its generated section replaced by a fresh one."""
    return replace_section(document, BEGIN, END, render())


def main(argv: list[str]) -> int:
    rewrite(Path(argv[0] if argv else "docs/protocol.md"), splice)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
